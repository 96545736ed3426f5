"""The budget of unknown codes a staff member may look up: a till is not a machine for guessing codes.

Every lookup is counted before it is made and given back when its code turns out to be known, so any
number of parallel guesses makes at most `UNKNOWN_CODES` lookups per window, and honest scans cost
nothing. The window is fixed: it opens with the first lookup after the previous one closed and lasts
`WINDOW`. Once the budget is spent every lookup of that staff member is refused until the window closes,
known codes too: otherwise "refused" would mean "unknown" and the guessing would go on. The moment the
budget is spent is recorded on the item (`locked_at`), and the outbox turns that change into one
`CodeGuessingSuspected` event per window.
"""

from __future__ import annotations

import contextlib
import math
from datetime import timedelta
from typing import Any

from coupon_service import clock, keys
from coupon_service.errors import TooManyRequests
from coupon_service.store import Cancelled, Table, to_item, values
from coupon_service.validity import from_iso, to_iso

UNKNOWN_CODES = 30
WINDOW = timedelta(minutes=5)
KEPT = timedelta(days=1)  # TTL after the window closes


class UnknownCodes:
    """One staff member's budget at one merchant."""

    def __init__(self, table: Table, staff_id: str, merchant_id: str, limit: int = UNKNOWN_CODES) -> None:
        self.table, self.limit = table, limit
        self.key = keys.lookup_budget(staff_id, merchant_id)
        self.staff_id, self.merchant_id = staff_id, merchant_id
        self.counted = 0
        self.window_ends = ""

    def reserve(self, now: str) -> None:
        """Count one lookup, or refuse it with 429 while the budget is spent."""
        old: dict[str, Any] | None = None
        # Each refused attempt names the counter as it is, so the next one is the right kind; every refusal
        # but the last means another lookup was counted, so this ends within the budget's size.
        for _ in range(self.limit + 3):
            if old is None or old.get("window_ends", "") <= now:
                attempt = self._open(now)
            elif old.get("unknowns", 0) < self.limit:
                attempt = self._count(now)
            else:
                if not old.get("locked_at"):  # counted in full by a lookup that never said so
                    self.spent(now, old["window_ends"])
                raise self._refusal(old["window_ends"])
            try:
                new = self.table.update(
                    self.key,
                    **attempt,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except Cancelled as cancelled:
                old = cancelled.old(0) or {}
                continue
            self.counted, self.window_ends = int(new["unknowns"]), new["window_ends"]
            return
        raise self._refusal(to_iso(from_iso(now) + WINDOW))

    def unknown(self, now: str) -> None:
        """The lookup found nothing: it stays counted; the one that spends the budget records the lock."""
        if self.counted >= self.limit:
            self.spent(now, self.window_ends)

    def spent(self, now: str, window_ends: str) -> None:
        """Record once per window that the budget was spent: the change the outbox publishes."""
        with contextlib.suppress(Cancelled):  # recorded by a concurrent lookup, or the window closed
            self.table.update(
                self.key,
                UpdateExpression="SET locked_at = :now",
                ConditionExpression="window_ends = :w AND attribute_not_exists(locked_at)",
                ExpressionAttributeValues=values(now=now, w=window_ends),
            )

    def give_back(self) -> dict[str, Any]:
        """The transaction operation that returns a known code's count (no condition: it never refuses)."""
        return {"Update": {"Key": to_item(self.key), **_minus_one()}}

    def release(self) -> None:
        """Return the count of a lookup that found its code but did not redeem it."""
        self.table.update(self.key, **_minus_one())

    def _open(self, now: str) -> dict[str, Any]:
        ends = from_iso(now) + WINDOW
        return {
            "UpdateExpression": "SET #t = :type, staff_id = :staff, merchant_id = :merchant, "
            "unknowns = :one, window_ends = :ends, expires_at = :ttl REMOVE locked_at",
            "ConditionExpression": "attribute_not_exists(window_ends) OR window_ends <= :now",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": values(
                type="lookup_budget",
                staff=self.staff_id,
                merchant=self.merchant_id,
                one=1,
                ends=to_iso(ends),
                ttl=int((ends + KEPT).timestamp()),
                now=now,
            ),
        }

    def _count(self, now: str) -> dict[str, Any]:
        return {
            "UpdateExpression": "ADD unknowns :one",
            "ConditionExpression": "window_ends > :now AND unknowns < :limit",
            "ExpressionAttributeValues": values(one=1, now=now, limit=self.limit),
        }

    def _refusal(self, window_ends: str) -> TooManyRequests:
        # From the clock now, not the request's start: a window opened by a later request ends later.
        seconds = max(1, math.ceil((from_iso(window_ends) - clock.now()).total_seconds()))
        return TooManyRequests(
            f"too many unknown codes; try again after {window_ends}",
            code="too_many_unknown_codes",
            field="code",
            details={"retry_at": window_ends},
            retry_after=seconds,
        )


def _minus_one() -> dict[str, Any]:
    return {"UpdateExpression": "ADD unknowns :minus", "ExpressionAttributeValues": values(minus=-1)}
