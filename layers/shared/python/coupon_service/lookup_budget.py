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
import uuid
from datetime import timedelta
from typing import Any

from coupon_service import clock, keys
from coupon_service.errors import Busy, TooManyRequests
from coupon_service.store.table import Cancelled, Table, cleanup, to_item, values
from coupon_service.validity import from_iso, to_iso

UNKNOWN_CODES = 30
WINDOW = timedelta(minutes=5)
KEPT = timedelta(days=1)  # TTL after the window closes


class UnknownCodes:
    """One staff member's budget at one merchant. Each lookup is counted under its own id (`lookups`: id ->
    time), so a write retried after its answer was lost counts once and a give-back applied twice removes
    the one id once."""

    def __init__(self, table: Table, staff_id: str, merchant_id: str, limit: int = UNKNOWN_CODES) -> None:
        self.table, self.limit = table, limit
        self.key = keys.lookup_budget(staff_id, merchant_id)
        self.staff_id, self.merchant_id = staff_id, merchant_id
        self.lookup_id = uuid.uuid4().hex
        self.counted = 0
        self.window_ends = ""

    def reserve(self, now: str) -> None:
        """Count this lookup, or refuse it with 429 while the budget is spent."""
        old: dict[str, Any] | None = None
        # Each refused attempt names the counter as it is, so the next one is the right kind; every refusal
        # but the last means another lookup was counted, so this ends within the budget's size.
        for _ in range(self.limit + 3):
            if old is not None and self.lookup_id in (old.get("lookups") or {}):
                return self._counted(old)  # this lookup's own write, whose answer was lost
            if old is None or old.get("window_ends", "") <= now:
                attempt = self._open(now)
            elif len(old.get("lookups") or {}) < self.limit:
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
            return self._counted(new or {})
        raise self._refusal(to_iso(from_iso(now) + WINDOW))

    def _counted(self, item: dict[str, Any]) -> None:
        self.counted, self.window_ends = len(item.get("lookups") or {}), item.get("window_ends", "")

    def unknown(self, now: str) -> None:
        """The lookup found nothing: it stays counted; the one that spends the budget records the lock."""
        if self.counted >= self.limit:
            self.spent(now, self.window_ends)

    def spent(self, now: str, window_ends: str) -> None:
        """Record once per window that the budget was spent: the change the outbox publishes."""
        # Recorded already (a concurrent lookup, this one's lost answer), or the window closed; when the
        # store is out of time, the next refused lookup records it: the answer here stays the lookup's.
        with contextlib.suppress(Cancelled, Busy):
            self.table.update(
                self.key,
                UpdateExpression="SET locked_at = :now",
                ConditionExpression="window_ends = :w AND attribute_not_exists(locked_at)",
                ExpressionAttributeValues=values(now=now, w=window_ends),
            )

    def give_back(self) -> dict[str, Any]:
        """The transaction operation that takes a known code's lookup out of the count (it never refuses)."""
        return {"Update": {"Key": to_item(self.key), **self._without()}}

    def release(self) -> None:
        """Take back the lookup of a code that was found but not redeemed."""
        with cleanup():  # after a refused step: it may use the time kept for clean-up
            self.table.update(self.key, **self._without())

    def _without(self) -> dict[str, Any]:
        # Removing an entry that is not there changes nothing: a repeated give-back is harmless.
        return {"UpdateExpression": "REMOVE lookups.#id", "ExpressionAttributeNames": {"#id": self.lookup_id}}

    def _open(self, now: str) -> dict[str, Any]:
        ends = from_iso(now) + WINDOW
        return {
            "UpdateExpression": "SET #t = :type, staff_id = :staff, merchant_id = :merchant, "
            "lookups = :mine, window_ends = :ends, expires_at = :ttl REMOVE locked_at",
            "ConditionExpression": "attribute_not_exists(window_ends) OR window_ends <= :now",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": values(
                type="lookup_budget",
                staff=self.staff_id,
                merchant=self.merchant_id,
                mine={self.lookup_id: now},
                ends=to_iso(ends),
                ttl=int((ends + KEPT).timestamp()),
                now=now,
            ),
        }

    def _count(self, now: str) -> dict[str, Any]:
        return {
            "UpdateExpression": "SET lookups.#id = :now",
            "ConditionExpression": "window_ends > :now AND size(lookups) < :limit "
            "AND attribute_not_exists(lookups.#id)",
            "ExpressionAttributeNames": {"#id": self.lookup_id},
            "ExpressionAttributeValues": values(now=now, limit=self.limit),
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
