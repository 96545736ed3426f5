"""The ledger's changes as the points service makes them: a credit with its lot's expiry, a debit that
never goes below zero nor spends points already due to expire (it expires them first), a take-back that
takes what is there and records the shortfall."""

from __future__ import annotations

from functools import partial
from typing import Any

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Changed, NotEnoughPoints
from coupon_service.point_items import PointsEntryItem, PointsSettingsItem, Reason
from coupon_service.point_rules import expiry_instant
from coupon_service.store.point_expiry import PointsExpiryStore
from coupon_service.store.point_settings import PointSettingsStore
from coupon_service.store.points import PointsStore, entry_id
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

TAKE_BACK_TRIES = 5


class Ledger:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.store = PointsStore(self.table)
        self.settings_store = PointSettingsStore(self.table)
        self.expiries = PointsExpiryStore(self.table)
        self.clock = clock

    def entry(
        self,
        customer_id: str,
        programme: str,
        source: str,
        reason: Reason,
        points: int,
        **extra: Any,
    ) -> PointsEntryItem:
        return PointsEntryItem(
            entry_id=entry_id(source),
            customer_id=customer_id,
            programme=programme,
            source=source,
            reason=reason,
            points=points,
            at=to_iso(self.clock.now()),
            **extra,
        )

    def credit(
        self,
        customer_id: str,
        programme: str,
        source: str,
        reason: Reason,
        points: int,
        *,
        settings: PointsSettingsItem | None = None,
        **extra: Any,
    ) -> PointsEntryItem:
        """`points` (> 0) more, once per `source`, expiring as the programme's settings say now."""
        expires = self.expires_at(settings or self.settings_store.settings(programme))
        entry = self.entry(customer_id, programme, source, reason, points, expires_at=expires, **extra)
        return self.store.change(entry)

    def expires_at(self, settings: PointsSettingsItem) -> str:
        """When points earned now expire at the programme."""
        return expiry_instant(settings.expiry, self.clock.now(), settings.time_zone)

    def debit(
        self, customer_id: str, programme: str, source: str, reason: Reason, points: int, **extra: Any
    ) -> PointsEntryItem:
        """`points` (> 0) fewer, once per `source`; NotEnoughPoints (nothing taken) past the balance."""
        return self._debit(self.entry(customer_id, programme, source, reason, -points, **extra))

    def _debit(self, entry: PointsEntryItem) -> PointsEntryItem:
        """The debit; refused for points already due, the ledger's due lots expire first, then once more."""
        change = partial(self.store.change, entry)
        return self.expiries.after_expiring(entry.customer_id, entry.programme, entry.at, change)

    def take_back(
        self, customer_id: str, programme: str, source: str, reason: Reason, points: int, **extra: Any
    ) -> PointsEntryItem:
        """Up to `points` fewer, once per `source`: what the balance holds, never below zero; the entry
        records what it could not take (`shortfall`), which the ledger then owes (`owed`, paid first by
        later credits), in the same transaction."""
        for _ in range(TAKE_BACK_TRIES):
            done = self.store.entry(customer_id, programme, source)
            if done is not None:
                return done
            held = self.store.balance(customer_id, programme).balance
            taken = min(held, points)
            entry = self.entry(
                customer_id,
                programme,
                source,
                reason,
                -taken,
                shortfall=points - taken,
                wanted=points,
                **extra,
            )
            try:
                return self._debit(entry)
            except NotEnoughPoints:
                continue  # spent or credited meanwhile: read the balance again
        raise Changed("the ledger kept changing under a take-back; try again")
