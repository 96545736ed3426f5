"""Issued claimed coupons read in bulk: which of a batch of claim ids exist (a grant's check of what a
refused batch may already hold from an earlier run)."""

from __future__ import annotations

from collections.abc import Iterable

from coupon_service import keys
from coupon_service.store.table import Table


class IssuedStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def existing(self, claim_ids: Iterable[str]) -> set[str]:
        """The claim ids among `claim_ids` whose claimed coupon exists (consistent reads, 100 a request)."""
        wanted = sorted(set(claim_ids))
        if not wanted:
            return set()
        found = self.table.batch_get([keys.claim(claim_id) for claim_id in wanted])
        return {str(item["claim_id"]) for item in found}
