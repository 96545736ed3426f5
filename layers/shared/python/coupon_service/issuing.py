"""Issuing: the service gives a customer a coupon (a merchant's grant, an issuance rule), as a claimed coupon.

The claimed coupon is the one a claim makes (wallet, reminders, gifts, redemption all work), taken the
claim's own way (`Claims.issue`: inventory shards, per-customer limit, code pools), so inventory and the
limit hold exactly as for claims. What a customer's claim checks and an issue must not depend on (an
Idempotency-Key header, a channel, the customer's token and its tags) is left out; the status, the claim
window, a coupon's list of customers, its inventory and per-customer limit are kept.

Idempotent per `key`: the claim id is derived from (customer, coupon, key) by `claims.claim_id_for`, in a
namespace no header can reach (a customer's Idempotency-Key never names an issued coupon). A second issue
with the same key, a duplicate run or a retry after a lost answer finds its own committed claim: `already`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from coupon_service.claims import Claims, cache, claim_id_for
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import ClaimsClosed, DuplicateClaim, LimitReached, NotFound, SoldOut
from coupon_service.identity import Caller
from coupon_service.items import CouponItem
from coupon_service.models.issuing import IssueOutcome, IssueReason, IssueStatus
from coupon_service.store.issued import IssuedStore
from coupon_service.store.shards import check_open
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

# No Idempotency-Key holds a NUL (models.parameters.KEY_PATTERN): issued claim ids stay apart from claimed.
NAMESPACE = "issued\x00"
CUSTOMERS = frozenset({"customers"})


def issued_claim_id(customer_id: str, coupon_id: str, key: str) -> str:
    """The claimed coupon `key` issues `customer_id` of `coupon_id` (whether it exists or not)."""
    return claim_id_for(customer_id, coupon_id, NAMESPACE + key)


class Issuer:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.claims = Claims(table, clock=clock)
        self.issued = IssuedStore(self.claims.store.table)
        self.clock = clock

    def issue(
        self, coupon_id: str, customer_id: str, *, key: str, reason: IssueReason, confirm: bool = True
    ) -> IssueOutcome:
        """Issue the coupon to the customer, once per `key`. A refusal is confirmed by reading the claim
        (`confirm`), since an earlier run may have issued it before the coupon sold out or closed; a caller
        issuing many at once may confirm its refusals in bulk instead (`held`)."""
        claim_id = issued_claim_id(customer_id, coupon_id, key)
        status = self._issue(coupon_id, customer_id, claim_id, reason)
        if status in ("issued", "already"):
            return IssueOutcome(status=status, claim_id=claim_id)
        if confirm and self.issued.existing([claim_id]):
            return IssueOutcome(status="already", claim_id=claim_id)
        return IssueOutcome(status=status)

    def held(self, coupon_id: str, customer_ids: Iterable[str], *, key: str) -> set[str]:
        """Those of `customer_ids` that `key` issued the coupon to (a read per 100 customers)."""
        by_claim = {issued_claim_id(c, coupon_id, key): c for c in customer_ids}
        return {by_claim[claim_id] for claim_id in self.issued.existing(by_claim)}

    def _issue(self, coupon_id: str, customer_id: str, claim_id: str, reason: IssueReason) -> IssueStatus:
        try:
            coupon = self.claims.terms(coupon_id)  # cached for seconds; the shard's condition decides
        except NotFound:  # none, or a draft: it takes no claims
            return "closed"
        now = to_iso(self.clock.now())
        try:
            check_open(coupon.status, coupon.claim_window.start, coupon.claim_window.end, now)
            if not self._in_audience(coupon, customer_id):
                return "not_in_audience"
            holder = Caller(user_id=customer_id, groups=CUSTOMERS)
            self.claims.issue(coupon, holder, claim_id, _extra(reason), now)
        except (DuplicateClaim, SoldOut, LimitReached, ClaimsClosed) as refused:
            if isinstance(refused, ClaimsClosed):
                cache.forget_terms(coupon_id)  # the cached terms said open: read them again next time
            return _REFUSED[type(refused)]
        return "issued"

    def _in_audience(self, coupon: CouponItem, customer_id: str) -> bool:
        """A coupon for a list of customers is issued only to them. A coupon for tags is the merchant's to
        issue to whom they choose: a customer's tags are in their token, which an issue has not."""
        if coupon.audience_type != "customers":
            return True
        return self.claims.store.in_audience(coupon.coupon_id, customer_id)


_REFUSED: dict[type[Exception], IssueStatus] = {
    DuplicateClaim: "already",
    SoldOut: "sold_out",
    LimitReached: "limit_reached",
    ClaimsClosed: "closed",
}


def _extra(reason: IssueReason) -> dict[str, Any]:
    why = reason.model_dump(mode="json")
    digest = hashlib.sha256(f"{why['kind']}\x00{why['source_id']}".encode()).hexdigest()
    return {"channel": reason.kind, "issue_reason": why, "request_hash": f"issued:{digest}"}
