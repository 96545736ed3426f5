"""The reminder index in the table: due entries by hour bucket and shard, marks, and the run's checkpoint.

Due entries live in a sparse index (GSI3, keys only): a claimed coupon while its reminder is due, a gift
while it is pending. Marking a coupon reminded takes it out of the index in the same conditional write.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from coupon_service import keys
from coupon_service.lifecycle import Condition, remindable_condition
from coupon_service.store.table import Cancelled, Table, values


class DueEntry(BaseModel):
    """One entry of the reminder index: what it is for, its id, and its sort key as read (a write's
    condition that the entry is still this one)."""

    model_config = ConfigDict(defer_build=True)
    subject: Literal["claim", "gift"]
    item_id: str
    sort_key: str


class ReminderStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def checkpoint(self) -> str | None:
        """The time of the latest run that left nothing behind; None before the first."""
        return self.checkpoint_of(keys.reminder_checkpoint())

    def checkpoint_of(self, key: dict[str, str]) -> str | None:
        """A scheduled run's checkpoint (the reminders', the points expiry's)."""
        found = self.table.get(key) or {}
        checkpoint = found.get("checkpoint")
        return str(checkpoint) if checkpoint else None

    def due_reminders(self, bucket: str, shard: int, now: str) -> list[DueEntry]:
        """The entries of one bucket shard due by `now`: a range on the sort key, so nothing else is read."""
        entries = self.table.query_all(
            index="GSI3",
            key_condition="GSI3PK = :p AND GSI3SK < :bound",
            ExpressionAttributeValues=values(
                p=keys.reminder_bucket(bucket, shard), bound=keys.reminder_due_bound(now)
            ),
        )
        return [_due(entry) for entry in entries]

    def mark_reminded(self, entry: DueEntry, now: str, run_id: str) -> bool:
        """Mark the coupon reminded by this run and take it out of the index, if it is still this entry and
        usable; False when it was redeemed, expired, moved or reminded meanwhile.

        The mark names the run, so a retry refused by this run's own write (its answer lost) counts as
        reminded (also on a later try of an entry deferred with an unknown outcome), and one refused by an
        overlapping run's write does not."""
        condition = (
            Condition("GSI3SK = :sk", {}, {":sk": entry.sort_key})
            & remindable_condition(now)
            & Condition("attribute_not_exists(reminded_at)")
        )
        named = {key.removeprefix(":"): value for key, value in condition.values.items()}
        try:
            self.table.update(
                keys.claim(entry.item_id),
                UpdateExpression="SET reminded_at = :now, reminder_run = :run REMOVE GSI3PK, GSI3SK",
                ConditionExpression=condition.expression,
                ExpressionAttributeNames=dict(condition.names),
                ExpressionAttributeValues=values(**named, run=run_id),
                mine=lambda old: old is not None and old.get("reminder_run") == run_id,
            )
        except Cancelled as refused:
            return (refused.old(0) or {}).get("reminder_run") == run_id
        return True

    def advance_checkpoint(self, now: str) -> None:
        """Move the checkpoint forward, never back (an overlapping, slower run may finish later)."""
        self.advance_checkpoint_of(keys.reminder_checkpoint(), now)

    def advance_checkpoint_of(self, key: dict[str, str], now: str) -> None:
        with contextlib.suppress(Cancelled):
            self.table.update(
                key,
                UpdateExpression="SET checkpoint = :now, #t = :type",
                ConditionExpression="attribute_not_exists(checkpoint) OR checkpoint < :now",
                ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues=values(now=now, type="checkpoint"),
            )


def _due(entry: dict[str, Any]) -> DueEntry:
    subject, item_id = keys.reminder_subject(entry)
    return DueEntry(subject=subject, item_id=item_id, sort_key=entry["GSI3SK"])
