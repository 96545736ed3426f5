"""The scheduled points expiry: every lot due is charged what debits took of it (oldest first) and the rest
expires, once.

Expiring lots are indexed by the UTC day they expire (GSI2, a few partitions a day). A run reads the days
from the one before its checkpoint up to today and, per ledger found, takes its due lots out in one
transaction with the balance, conditioned on the balance's version as read: a run that overlaps another,
or a run after one that crashed midway, finds the lots gone or the version moved, reads again and expires
only what is still there. The checkpoint moves only when a run left nothing behind.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from coupon_service import keys
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Busy
from coupon_service.store.point_expiry import Outcome, PointsExpiryStore
from coupon_service.store.reminders import ReminderStore
from coupon_service.store.table import Table
from coupon_service.validity import from_iso, to_iso

FIRST_RUN_LOOKBACK = timedelta(days=7)
WORKERS = 8


class ExpirySummary(BaseModel):
    model_config = ConfigDict(defer_build=True)
    now: str
    partitions_read: int = 0
    ledgers: int = 0
    expired_ledgers: int = 0
    points_expired: int = 0
    deferred: int = 0  # ledgers the store stayed busy on: the next run reads their days again


def days(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


class PointsExpiry:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock
        self.expiries = PointsExpiryStore(self.table)
        self.checkpoints = ReminderStore(self.table)

    def run(self) -> ExpirySummary:
        now = self.clock.now()
        stamp = to_iso(now)
        summary = ExpirySummary(now=stamp)
        checkpoint = self.checkpoints.checkpoint_of(keys.points_checkpoint())
        start = (from_iso(checkpoint) - timedelta(days=1)) if checkpoint else now - FIRST_RUN_LOOKBACK
        shards = range(keys.POINTS_EXPIRY_SHARDS)
        partitions = [(day, shard) for day in days(start.date(), now.date()) for shard in shards]
        summary.partitions_read = len(partitions)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            found = pool.map(lambda p: self.expiries.due_ledgers(p[0], p[1], stamp), partitions)
            ledgers = list(dict.fromkeys(ledger for page in found for ledger in page))
            outcomes = list(pool.map(lambda found: self._settle(found[0], found[1], stamp), ledgers))
        summary.ledgers = len(ledgers)
        summary.expired_ledgers = sum(1 for outcome, _ in outcomes if outcome == "expired")
        summary.points_expired = sum(points for _, points in outcomes)
        summary.deferred = sum(1 for outcome, _ in outcomes if outcome == "deferred")
        if not summary.deferred:
            self.checkpoints.advance_checkpoint_of(keys.points_checkpoint(), stamp)
        return summary

    def _settle(self, customer_id: str, programme: str, now: str) -> tuple[Outcome, int]:
        try:
            return self.expire_ledger(customer_id, programme, now)
        except Busy:
            return "deferred", 0

    def expire_ledger(self, customer_id: str, programme: str, now: str) -> tuple[Outcome, int]:
        """Expire the ledger's lots due by `now`; what this call took off the balance (the store's expiry of
        one ledger, which a debit refused for due points runs too)."""
        return self.expiries.expire_ledger(customer_id, programme, now)
