"""A staff member's budget of unknown codes at one merchant (the rule is in `lookup_budget`): counted
before the lookup, given back when the code is known, its spending recorded once per window."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from coupon_service import keys
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Busy
from coupon_service.guard_items import LookupBudgetItem
from coupon_service.lookup_budget import KEPT, UNKNOWN_CODES, WINDOW, spent
from coupon_service.store.guards import Reservation
from coupon_service.store.table import Cancelled, Table, cleanup, values
from coupon_service.validity import from_iso, to_iso


class UnknownCodes:
    """One staff member's budget at one merchant, for one lookup. Each lookup is counted under its own id,
    so a write retried after its answer was lost counts once and a give-back applied twice removes the
    one id once."""

    def __init__(
        self,
        table: Table,
        staff_id: str,
        merchant_id: str,
        limit: int = UNKNOWN_CODES,
        *,
        clock: Clock = SYSTEM,
    ) -> None:
        self.table, self.limit, self.clock = table, limit, clock
        self.key = keys.lookup_budget(staff_id, merchant_id)
        self.staff_id, self.merchant_id = staff_id, merchant_id
        self.lookup_id = uuid.uuid4().hex
        self.counted = 0
        self.window_ends = ""

    def spend_lookup(self, now: str) -> None:
        """Count this lookup, or refuse it with 429 while the budget is spent."""
        old: LookupBudgetItem | None = None
        # Each refused attempt names the counter as it is, so the next one is the right kind; every refusal
        # but the last means another lookup was counted, so this ends within the budget's size.
        for _ in range(self.limit + 3):
            if old is not None and self.lookup_id in old.lookups:
                return self._counted(old)  # this lookup's own write, whose answer was lost
            if old is None or old.window_ends <= now:
                attempt = self._open(now)
            elif len(old.lookups) < self.limit:
                attempt = self._count(now)
            else:
                if not old.locked_at:  # counted in full by a lookup that never said so
                    self.record_spent(now, old.window_ends)
                raise spent(old.window_ends, self.clock.now())
            try:
                new = self.table.update(
                    self.key,
                    **attempt,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except Cancelled as cancelled:
                old = LookupBudgetItem.model_validate(cancelled.old(0) or {})
                continue
            return self._counted(LookupBudgetItem.model_validate(new or {}))
        raise spent(to_iso(from_iso(now) + WINDOW), self.clock.now())

    def refuse_if_spent(self, now: str) -> None:
        """A check that writes nothing for a known code: refused (429) while the budget is spent, like every
        lookup; its unknown code is counted afterwards with `spend_lookup`, before it is answered."""
        found = self.table.get(self.key)
        item = LookupBudgetItem.model_validate(found or {})
        if item.window_ends > now and len(item.lookups) >= self.limit:
            raise spent(item.window_ends, self.clock.now())

    def _counted(self, item: LookupBudgetItem) -> None:
        self.counted, self.window_ends = len(item.lookups), item.window_ends

    def unknown(self, now: str) -> None:
        """The lookup found nothing: it stays counted; the one that spends the budget records the lock."""
        if self.counted >= self.limit:
            self.record_spent(now, self.window_ends)

    def record_spent(self, now: str, window_ends: str) -> None:
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

    def reservation(self) -> Reservation:
        """This lookup's entry, which the redemption of a known code takes back out (it never refuses)."""
        return Reservation(self.key, "lookups", self.lookup_id)

    def release(self) -> None:
        """Take back the lookup of a code that was found but not redeemed."""
        with cleanup():  # after a refused step: it may use the time kept for clean-up
            self.reservation().release(self.table)

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
