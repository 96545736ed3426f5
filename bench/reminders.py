"""Reminder runs: items read per item due, our index-based run beside a Scan-based one, same data."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from coupon_service import aws, keys
from coupon_service.reminders import Reminders
from coupon_service.store.table import Table, values
from coupon_service.validity import to_iso

from devstack.metering import ItemsRead
from devstack.provision import drop, provision

NOW = datetime(2030, 3, 1, 5, 0, tzinfo=UTC)
COUPON = "c0ffee" + "0" * 26


def seeded(i: int, remind_at: datetime, valid_until: datetime, **extra: Any) -> dict[str, Any]:
    """A claimed coupon with a reminder, as a claim stores it (only what the run and its event need)."""
    claim_id = f"{i:032x}"
    remind = to_iso(remind_at)
    return {
        **keys.claim(claim_id),
        "type": "claim",
        "claim_id": claim_id,
        "coupon_id": COUPON,
        "merchant_id": "m1",
        "owner_id": f"u{i % 97}",
        "state": "available",
        "valid_from": to_iso(remind_at - timedelta(days=3)),
        "valid_until": to_iso(valid_until),
        "remind_at": remind,
        "reminder_message": "expires soon",
        **keys.reminder_index(remind, claim_id),
        **extra,
    }


def _seed(table: Table, claimed: int, due: int) -> None:
    ends = NOW + timedelta(days=90)
    since_last_run = timedelta(minutes=15) / due
    table.batch_write(
        seeded(i, NOW - since_last_run * (i + 1) + timedelta(seconds=1), ends) for i in range(due)
    )
    table.batch_write(seeded(i, NOW + timedelta(minutes=i), ends) for i in range(due, claimed))


def _scan_run(table: Table) -> int:
    """What a run without the index would do: scan the table for due, unreminded coupons."""
    now = to_iso(NOW)
    found = 0
    start = None
    while True:
        params: dict[str, Any] = {
            "TableName": table.name,
            "FilterExpression": "remind_at <= :now AND attribute_not_exists(reminded_at)",
            "ExpressionAttributeValues": values(now=now),
        }
        if start:
            params["ExclusiveStartKey"] = start
        page = aws.client("dynamodb").scan(**params)
        found += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return found


def measure(endpoint: str, claimed: int) -> dict[str, float]:
    due = claimed // 100
    stack = provision(endpoint, f"bench-remind-{claimed}")
    saved = {k: os.environ.get(k) for k in stack.environment()}
    os.environ.update(stack.environment())
    from coupon_service import settings

    settings.settings.cache_clear()
    try:
        table = Table()
        _seed(table, claimed, due)
        Reminders().run(NOW - timedelta(minutes=15))  # the previous run
        items_read = ItemsRead().attach(aws.client("dynamodb"))
        started = time.perf_counter()
        scanned_due = _scan_run(table)
        scan_seconds = time.perf_counter() - started
        scan_read = items_read.count
        items_read.reset()
        started = time.perf_counter()
        summary = Reminders().run(NOW)
        ours_seconds = time.perf_counter() - started
        ours_read = items_read.count
        assert summary.reminded == due == scanned_due, (summary, scanned_due)
        return {
            "claimed": claimed,
            "due": due,
            "ours_read": ours_read,
            "scan_read": scan_read,
            "ours_per_due": ours_read / due,
            "scan_per_due": scan_read / due,
            "ours_seconds": ours_seconds,
            "scan_seconds": scan_seconds,
        }
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        settings.settings.cache_clear()
        drop(stack)
