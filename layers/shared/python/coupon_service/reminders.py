"""The scheduled reminder run: every due coupon reminded once, and lapsed gifts cleaned up.

Due entries live in a sparse index (GSI3, keys only) partitioned by hour bucket and shard. A run reads
the buckets from two hours before its checkpoint up to now, only the entries already due (a range on the
sort key), so it reads what is due and little else. Each due coupon gets `reminded_at` and loses its
index entry in one conditional write; the outbox publisher turns that change into `CouponExpiring`.
Overlapping or repeated runs are harmless: the condition lets one write win per coupon.
"""

from __future__ import annotations

import contextlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from coupon_service import keys
from coupon_service.gifts import back_to_giver
from coupon_service.store.table import Cancelled, StoreBusy, Table, to_item, values
from coupon_service.validity import from_iso, to_iso

REREAD = timedelta(hours=2)  # the index is eventually consistent: the last two buckets are read again
FIRST_RUN_LOOKBACK = timedelta(days=2)
WORKERS = 16


class RunSummary(BaseModel):
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
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def run(self, now: datetime) -> RunSummary:
        stamp = to_iso(now)
        run_id = uuid.uuid4().hex  # recognises this run's own marks after a lost answer
        summary = RunSummary(now=stamp)
        checkpoint = (self.table.get(keys.reminder_checkpoint()) or {}).get("checkpoint")
        start = from_iso(checkpoint) - REREAD if checkpoint else now - FIRST_RUN_LOOKBACK
        partitions = [
            keys.reminder_bucket(bucket, shard)
            for bucket in hour_buckets(start, now)
            for shard in range(keys.REMINDER_SHARDS)
        ]
        summary.buckets_scanned = len(partitions)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            due = [entry for found in pool.map(lambda p: self._due(p, stamp), partitions) for entry in found]
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
            self._advance(stamp)
        return summary

    def _due(self, partition: str, now: str) -> list[dict[str, Any]]:
        """The entries of one bucket shard that are due: a range on the sort key, so nothing else is read."""
        return list(
            self.table.query_all(
                index="GSI3",
                key_condition="GSI3PK = :p AND GSI3SK < :bound",
                ExpressionAttributeValues=values(p=partition, bound=f"{now}~"),  # '~' sorts after '#'
            )
        )

    def _settle(self, entry: dict[str, Any], now: str, run_id: str) -> str:
        """One due entry settled; `deferred` when the store stayed busy past the retry budget."""
        try:
            if entry["PK"].startswith("GIFT#"):
                return self._clean_gift(entry, now)
            return self._remind(entry, now, run_id)
        except StoreBusy:
            return "deferred"

    def _remind(self, entry: dict[str, Any], now: str, run_id: str) -> str:
        """Mark the coupon reminded and take it out of the index, if it is still this entry and usable.

        The mark names the run, so a retry refused by this run's own write (its answer lost) counts as
        reminded (also on the second try of an entry deferred with an unknown outcome), and one refused by
        an overlapping run's write does not."""
        try:
            self.table.update(
                {"PK": entry["PK"], "SK": entry["SK"]},
                UpdateExpression="SET reminded_at = :now, reminder_run = :run REMOVE GSI3PK, GSI3SK",
                ConditionExpression="GSI3SK = :sk AND #st <> :used AND valid_until > :now "
                "AND attribute_not_exists(reminded_at)",
                ExpressionAttributeNames={"#st": "state"},
                ExpressionAttributeValues=values(sk=entry["GSI3SK"], used="used", now=now, run=run_id),
                mine=lambda old: bool(old) and old.get("reminder_run") == run_id,
            )
        except Cancelled as refused:
            if (refused.old(0) or {}).get("reminder_run") == run_id:
                return "reminded"
            return "skipped"  # redeemed, expired, moved or reminded meanwhile
        return "reminded"

    def _clean_gift(self, entry: dict[str, Any], now: str) -> str:
        """A pending gift past its lifetime: recorded as expired, its coupon back with the giver."""
        key = {"PK": entry["PK"], "SK": entry["SK"]}
        gift = self.table.get(key)
        if not gift or gift["state"] != "pending" or gift["gift_expires_at"] > now:
            return "skipped"
        expire = {
            "Key": to_item(key),
            "UpdateExpression": "SET #st = :expired REMOVE GSI3PK, GSI3SK",
            "ConditionExpression": "#st = :pending AND gift_expires_at <= :now",
            "ExpressionAttributeNames": {"#st": "state"},
            "ExpressionAttributeValues": values(expired="expired", pending="pending", now=now),
        }
        try:
            self.table.transact([{"Update": expire}, back_to_giver(gift)])
        except Cancelled as cancelled:
            if cancelled.code_at(0) == "ConditionalCheckFailed":
                return "skipped"  # accepted or cancelled meanwhile
            try:  # the coupon already moved on (a newer gift after the lapse): settle only the record
                self.table.update(key, **{k: v for k, v in expire.items() if k != "Key"})
            except Cancelled:
                return "skipped"
        return "gift_cleaned"

    def _advance(self, now: str) -> None:
        """Move the checkpoint forward, never back (an overlapping, slower run may finish later)."""
        with contextlib.suppress(Cancelled):
            self.table.update(
                keys.reminder_checkpoint(),
                UpdateExpression="SET checkpoint = :now, #t = :type",
                ConditionExpression="attribute_not_exists(checkpoint) OR checkpoint < :now",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues=values(now=now, type="checkpoint"),
            )
