"""The stock watch: a coupon's low stock and sell-out, decided on the sum of its shards, off the claim path.

Claims spread a coupon's inventory over shards, so "low" is a fact about the sum, which no claim knows
without reading every shard. Instead this consumer of the table's stream reads a coupon's shards after a
shard's `remaining` changed, and when the total crosses the coupon's `options.low_stock_threshold` (at or
under it) or reaches zero, writes the coupon's stock marker under its version. The marker is the outbox
item: the publisher turns each new crossing number into one `CouponLowStock` or `CouponSoldOut`. A
redelivered batch, or two watches at once, read a marker that already says so and write nothing; a raise
of the inventory above the threshold (or above zero) re-arms it, so the next crossing is one more event.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Changed
from coupon_service.guard_items import StockItem
from coupon_service.store.stock import Levels, StockStore
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

log = logging.getLogger(__name__)
TRIES = 5  # another watch writing the same marker between our read and our write, this many times: retry


@dataclass(frozen=True)
class Watched:
    """What a batch of stream records came to: coupons checked, crossings written, and where the stream
    must resume (the first record of a coupon whose check failed; None when all were checked)."""

    checked: int
    crossings: int
    resume_from: str | None


def remaining_changed(records: Iterable[DynamoDBRecord]) -> dict[str, str]:
    """The coupons whose limited shards' `remaining` changed in these records, each with its first record's
    sequence number, in the order they first changed."""
    changed: dict[str, str] = {}
    for record in records:
        stream = record.dynamodb
        if record.event_name is None or record.event_name.name != "MODIFY" or stream is None:
            continue
        new, old = stream.new_image, stream.old_image
        if new.get("type") != "shard" or not new.get("limited"):
            continue
        if new.get("remaining") != old.get("remaining"):
            changed.setdefault(str(new["coupon_id"]), stream.sequence_number or "")
    return changed


def decide(levels: Levels, now: str) -> StockItem | None:
    """The marker to write for the coupon's inventory as read, or None when the marker already says so
    (or the inventory is not limited: nothing runs low)."""
    if not levels.shards or not all(s.limited for s in levels.shards):
        return None
    total = sum(s.remaining or 0 for s in levels.shards)
    threshold: Any = levels.coupon.options.get("low_stock_threshold")
    current = levels.marker or StockItem(
        coupon_id=levels.coupon.coupon_id, merchant_id=levels.coupon.merchant_id
    )
    low, sold_out = threshold is not None and total <= int(threshold), total <= 0
    if (low, sold_out) == (current.low, current.sold_out):
        return None
    update: dict[str, Any] = {
        "version": current.version + 1,
        "low": low,
        "sold_out": sold_out,
        "remaining": total,
        "threshold": threshold,
        "checked_at": now,
    }
    if low and not current.low:
        update.update(low_crossings=current.low_crossings + 1, low_at=now)
    if sold_out and not current.sold_out:
        update.update(sold_out_crossings=current.sold_out_crossings + 1, sold_out_at=now)
    return current.model_copy(update=update)


class StockWatch:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = StockStore(table or Table())
        self.clock = clock

    def check(self, coupon_id: str) -> int:
        """Read the coupon's inventory and write what crossed; the crossings written (0, 1 or 2)."""
        for _ in range(TRIES):
            levels = self.store.levels(coupon_id)
            marker = decide(levels, to_iso(self.clock.now())) if levels is not None else None
            if levels is None or marker is None:
                return 0
            before = levels.marker or StockItem(coupon_id=coupon_id, merchant_id=marker.merchant_id)
            if self.store.mark(marker, as_read=levels.marker.version if levels.marker else None):
                return (marker.low_crossings - before.low_crossings) + (
                    marker.sold_out_crossings - before.sold_out_crossings
                )
        raise Changed("the stock marker kept changing under this watch")

    def watch(self, records: Sequence[DynamoDBRecord]) -> Watched:
        """Check every coupon whose stock changed in the batch; a coupon that fails is handed back to the
        stream from its first record (the others' checks are harmless to repeat)."""
        changed = remaining_changed(records)
        crossings, failed = 0, []
        for coupon_id, sequence in changed.items():
            try:
                crossings += self.check(coupon_id)
            except Exception:  # a failed check is retried with the batch from its record on
                log.exception("stock check failed", extra={"coupon_id": coupon_id})
                failed.append(sequence)
        order = {r.dynamodb.sequence_number: i for i, r in enumerate(records) if r.dynamodb is not None}
        resume = min(failed, key=lambda s: order.get(s, 0)) if failed else None
        return Watched(checked=len(changed), crossings=crossings, resume_from=resume)
