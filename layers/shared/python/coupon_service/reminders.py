"""The scheduled reminder run: every due coupon reminded once, and lapsed gifts cleaned up.

Due entries live in a sparse index partitioned by hour bucket and shard. A run reads the buckets from two
hours before its checkpoint up to now, only the entries already due, so it reads what is due and little
else. Each due coupon is marked reminded and leaves the index in one conditional write; the outbox
publisher turns that change into `CouponExpiring`. Overlapping or repeated runs are harmless: the
condition lets one write win per coupon.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from coupon_service import keys
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Busy
from coupon_service.store.gifts import GiftStore
from coupon_service.store.reminders import DueEntry, ReminderStore
from coupon_service.store.table import Table
from coupon_service.validity import from_iso, to_iso

REREAD = timedelta(hours=2)  # the index is eventually consistent: the last two buckets are read again
FIRST_RUN_LOOKBACK = timedelta(days=2)
WORKERS = 16

Outcome = Literal["reminded", "gift_cleaned", "skipped", "deferred"]


class RunSummary(BaseModel):
    model_config = ConfigDict(defer_build=True)
    now: str
    buckets_scanned: int = 0
    items_read: int = 0
    due: int = 0
    reminded: int = 0
    skipped: int = 0
    gifts_cleaned: int = 0
    deferred: int = 0  # left for the next run: the store stayed busy on them (the checkpoint waits)


def hour_buckets(start: datetime, end: datetime) -> list[str]:
    """The hourly bucket names ('YYYY-MM-DDTHH') from start's hour to end's hour, inclusive."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    buckets = []
    while hour <= end:
        buckets.append(to_iso(hour)[:13])
        hour += timedelta(hours=1)
    return buckets


class Reminders:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock
        self.store = ReminderStore(self.table)
        self.gifts = GiftStore(self.table)

    def run(self, now: datetime | None = None) -> RunSummary:
        """One run at `now` (the clock's, unless a caller names a moment)."""
        now = self.clock.now() if now is None else now
        stamp = to_iso(now)
        run_id = uuid.uuid4().hex  # recognises this run's own marks after a lost answer
        summary = RunSummary(now=stamp)
        checkpoint = self.store.checkpoint()
        start = from_iso(checkpoint) - REREAD if checkpoint else now - FIRST_RUN_LOOKBACK
        partitions = [
            (bucket, shard) for bucket in hour_buckets(start, now) for shard in range(keys.REMINDER_SHARDS)
        ]
        summary.buckets_scanned = len(partitions)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            found = pool.map(lambda p: self.store.due_reminders(p[0], p[1], stamp), partitions)
            due = [entry for entries in found for entry in entries]
            summary.due = summary.items_read = len(due)
            outcomes = list(pool.map(lambda entry: self._settle(entry, stamp, run_id), due))
        # Those the store was too busy for get one more try each, after the rest, one at a time.
        outcomes = [
            self._settle(entry, stamp, run_id) if outcome == "deferred" else outcome
            for entry, outcome in zip(due, outcomes, strict=True)
        ]
        summary.reminded = outcomes.count("reminded")
        summary.gifts_cleaned = outcomes.count("gift_cleaned")
        summary.skipped = outcomes.count("skipped")
        summary.deferred = outcomes.count("deferred")
        if not summary.deferred:  # else the next run reads these buckets again
            self.store.advance_checkpoint(stamp)
        return summary

    def _settle(self, entry: DueEntry, now: str, run_id: str) -> Outcome:
        """One due entry settled; `deferred` when the store stayed busy past the retry budget."""
        try:
            if entry.subject == "gift":
                # A pending gift past its lifetime: recorded as expired, its coupon back with the giver.
                return "gift_cleaned" if self.gifts.expire_gift(entry.item_id, now) else "skipped"
            return "reminded" if self.store.mark_reminded(entry, now, run_id) else "skipped"
        except Busy:
            return "deferred"
