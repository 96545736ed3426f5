"""One run of a grant: its customers, chunk by chunk, each issued the coupon once.

A run takes the grant's lease (one run at a time moves a grant: a second delivery of its message steps back
while the lease holds), reads a tag's, segment's or file's customers into chunks once, then issues each
chunk's customers through `coupon_service.issuing` with the key `grant:<grantId>`: idempotent per (grant,
customer), so a chunk issued again after a crash, a redelivered message or a run past a lost lease never
issues anyone twice (`already` is counted granted). A chunk's refusals are confirmed in one read per 100
(an earlier run may have issued them before the coupon sold out). Its counts, its customers not reached and
the checkpoint past it are one transaction: each chunk is counted once. A run short of time releases the
lease and hands the grant on.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from coupon_service.clock import Clock
from coupon_service.grant_items import GrantItem
from coupon_service.grants.sources import Unusable, customers
from coupon_service.issuing import Issuer
from coupon_service.models.issuing import IssueReason
from coupon_service.settings import settings
from coupon_service.store.grants import GrantStore
from coupon_service.validity import to_iso

HAND_ON_SECONDS = 60  # a run with less time left hands the grant on to the next message
LEASE = timedelta(seconds=960)  # longer than the worker's time limit: a lease outlives no run


class Run:
    def __init__(self, store: GrantStore, clock: Clock, time_left: Callable[[], float]) -> None:
        self.store, self.clock, self.time_left = store, clock, time_left
        self.issuer = Issuer(store.table, clock=clock)
        self.runner = uuid.uuid4().hex

    def __call__(self, grant_id: str) -> str:
        """`done`, `failed`, `continue` (hand it on), `held` (another run holds it) or `lost` (another run
        took it over meanwhile)."""
        now = self.clock.now()
        grant = self.store.take(grant_id, self.runner, to_iso(now), self._until())
        if grant is None:
            current = self.store.grant(grant_id)
            return current.status if current is not None and current.ended else "held"
        try:
            return self._run(grant)
        except BaseException:
            self.store.release(grant_id, self.runner)  # the next delivery goes on from the checkpoint
            raise

    def _until(self) -> str:
        return to_iso(self.clock.now() + LEASE)

    def _run(self, grant: GrantItem) -> str:
        if not grant.resolved:
            try:
                found = customers(grant, self.store.table, settings().import_bucket)
            except Unusable as unusable:
                self.store.fail(grant.grant_id, unusable.reason, to_iso(self.clock.now()))
                return "failed"
            grant = grant.model_copy(
                update={
                    "requested": found.requested,
                    "duplicates": found.duplicates,
                    "malformed": found.malformed,
                }
            )
            if not self.store.resolve(grant, self.runner, found.chunks):
                return "lost"
            grant = grant.model_copy(update={"chunks": len(found.chunks), "resolved": True})
        reason = IssueReason(kind="grant", source_id=grant.grant_id)
        for chunk in range(grant.next_chunk, grant.chunks):
            if not self._chunk(grant, chunk, reason):
                return "lost"
            if chunk + 1 < grant.chunks and self.time_left() < HAND_ON_SECONDS:
                self.store.release(grant.grant_id, self.runner)
                return "continue"
        self.store.finish(grant.grant_id, self.runner, to_iso(self.clock.now()))
        return "done"

    def _chunk(self, grant: GrantItem, chunk: int, reason: IssueReason) -> bool:
        """Issue one chunk's customers and count it; False if this run no longer holds the grant."""
        key = f"grant:{grant.grant_id}"
        ids = self.store.ids(grant.grant_id, chunk)
        outcomes = {
            customer_id: self.issuer.issue(
                grant.coupon_id, customer_id, key=key, reason=reason, confirm=False
            )
            for customer_id in ids
        }
        refused = [c for c, outcome in outcomes.items() if not outcome.holds]
        held = self.issuer.held(grant.coupon_id, refused, key=key) if refused else set()
        missed = [{"customer_id": c, "reason": outcomes[c].status} for c in refused if c not in held]
        return self.store.checkpoint(
            grant.grant_id,
            self.runner,
            chunk,
            granted=len(ids) - len(missed),
            skipped=dict(Counter(m["reason"] for m in missed)),
            missed=missed,
            until=self._until(),
        )
