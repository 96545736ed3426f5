"""The points routes' use cases: a customer's balance, entries and daily check-in; a merchant's view of a
customer's ledger, its manual adjustments (audited) and its programme's settings."""

from __future__ import annotations

import uuid
from typing import Any

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Forbidden, Invalid, NotEnoughPoints, NotFound
from coupon_service.identity import Caller
from coupon_service.models.points import (
    Adjustment,
    CheckInOut,
    Expiring,
    PointsEntryOut,
    PointsEntryPage,
    PointsOut,
    PointsSettings,
    PointsSettingsOut,
)
from coupon_service.point_items import PointsBalanceItem, PointsSettingsItem
from coupon_service.point_rules import NEVER, check_in, expiring, local_day, repaid_shares
from coupon_service.points.ledger import Ledger
from coupon_service.store.customers import CustomerBook
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

CHECK_IN_TRIES = 5


class Points:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock
        self.ledger = Ledger(self.table, clock=clock)
        self.store = self.ledger.store
        self.settings_store = self.ledger.settings_store

    # --- reading a ledger -----------------------------------------------------------------------

    def summary(self, customer_id: str, programme: str) -> PointsOut:
        """The ledger as its customer sees it, times in the programme's zone: the settings (with the
        merchant's zone) and the balance in one BatchGetItem, the lots in one Query."""
        settings, balance = self.settings_store.settings_and_balance(programme, customer_id)
        assert balance is not None
        return self._summary(settings, balance)

    def customer_summary(self, programme: str, customer_id: str) -> PointsOut:
        """A merchant's view of its customer's ledger: a customer without a ledger there must be in its
        directory, else the same 404 as `known_customer`."""
        settings, balance = self.settings_store.settings_and_balance(programme, customer_id)
        assert balance is not None
        if balance.version == 0:  # every write of a balance raises its version: none was ever written
            self.known_customer(programme, customer_id, ledger=False)
        return self._summary(settings, balance)

    def _summary(self, settings: PointsSettingsItem, balance: PointsBalanceItem) -> PointsOut:
        customer_id, programme = balance.customer_id, balance.programme
        lots = [(lot.expires_at, lot.points) for lot in self.store.lots(customer_id, programme)]
        now = to_iso(self.clock.now())
        # Lots already due that the hourly run has not expired yet are not spendable (a debit is refused
        # until they are expired): shown as gone, never as points to spend.
        left = expiring(lots, balance.consumed)
        due = sum(points for at, points in left if at != NEVER and at <= now)
        return PointsOut(
            customer_id=customer_id,
            programme=programme,
            balance=balance.balance - due,
            expiring=[Expiring(expires_at=at, points=p) for at, p in left if at != NEVER and at > now],
            check_in_day=balance.check_in_day,
            streak=balance.streak,
            time_zone=settings.time_zone,
            owed=balance.owed,
        )

    def entries(self, customer_id: str, programme: str, limit: int, token: str | None) -> PointsEntryPage:
        items, next_token = self.store.entries_page(customer_id, programme, limit, token)
        return PointsEntryPage(items=[PointsEntryOut.from_item(i) for i in items], next_token=next_token)

    def known_customer(self, programme: str, customer_id: str, *, ledger: bool = True) -> None:
        """A customer of the programme: one with a ledger there or in its directory; else the same 404 as
        for a customer that does not exist (another merchant's customers are never told apart)."""
        if ledger and self.store.has_ledger(customer_id, programme):
            return
        if CustomerBook(self.table).customer(programme, customer_id) is None:
            raise NotFound("no such customer", field="customerId")

    # --- a merchant's adjustment ----------------------------------------------------------------

    def adjust(
        self, caller: Caller, programme: str, customer_id: str, body: Adjustment, key: str | None
    ) -> PointsEntryOut:
        self.known_customer(programme, customer_id)
        # The key's scope is (programme, customer, key): a retry with it is the same adjustment.
        source = f"adjustment:{programme}:{customer_id}:{key or uuid.uuid4().hex}"
        extra: dict[str, Any] = {"by": caller.user_id, "by_role": _role(caller), "note": body.reason}
        try:
            if body.points > 0:
                entry = self.ledger.credit(customer_id, programme, source, "adjustment", body.points, **extra)
            else:
                entry = self.ledger.debit(customer_id, programme, source, "adjustment", -body.points, **extra)
        except NotEnoughPoints as short:
            raise Invalid("the adjustment would take the balance below zero", field="points") from short
        if entry.points != body.points or entry.note != body.reason:
            raise Invalid("this Idempotency-Key was used with a different request", field="Idempotency-Key")
        return PointsEntryOut.from_item(entry)

    # --- settings -------------------------------------------------------------------------------

    def settings(self, programme: str) -> PointsSettingsOut:
        return PointsSettingsOut.from_item(self.settings_store.settings(programme))

    def replace_settings(self, caller: Caller, programme: str, body: PointsSettings) -> PointsSettingsOut:
        now = to_iso(self.clock.now())
        since = None
        if body.earning.birthday:  # since when the rule stands: a birthday run credits no day before it
            before = self.settings_store.settings(programme)
            since = (before.earning.get("birthday") and before.birthday_since) or now
        item = PointsSettingsItem(
            merchant_id=programme,
            **body.model_dump(mode="json", exclude_none=True),
            updated_at=now,
            updated_by=caller.user_id,
            birthday_since=since,
        )
        self.settings_store.replace(item)
        return self.settings(programme)

    # --- the daily check-in ---------------------------------------------------------------------

    def check_in(self, caller: Caller, programme: str) -> CheckInOut:
        if caller.merchant_id and caller.merchant_id != programme:  # a merchant app's member
            raise Forbidden("check in at your own merchant's programme", field="programme")
        for _ in range(CHECK_IN_TRIES):
            settings, balance = self.settings_store.settings_and_balance(programme, caller.user_id)
            if settings.updated_at is None or not settings.check_in.get("enabled", True):
                raise NotFound("this programme takes no check-ins", field="programme")
            assert balance is not None
            done = self._checked_in(settings, balance)
            if done is not None:
                return done
        raise Invalid("the check-in changed meanwhile; try again", code="changed", field="programme")

    def _checked_in(self, settings: PointsSettingsItem, balance: PointsBalanceItem) -> CheckInOut | None:
        today = local_day(self.clock.now(), settings.time_zone)
        day = today.isoformat()
        customer, programme = balance.customer_id, balance.programme
        if balance.check_in_day == day:
            return self._answer(customer, programme, day, balance.streak, first=False)
        earned = check_in(settings.check_in, balance.check_in_day, balance.streak, today)
        entries = [
            self.ledger.entry(customer, programme, f"check_in:{day}", "check_in", earned.daily, **_day(day))
        ]
        if earned.bonus:
            bonus = self.ledger.entry(
                customer, programme, f"streak_bonus:{day}", "streak_bonus", earned.bonus, **_day(day)
            )
            entries.append(bonus)
        expires = self.ledger.expires_at(settings)
        repaid = repaid_shares(balance.owed, (e.points for e in entries))  # the debt read is paid first
        entries = [
            e.model_copy(update={"expires_at": expires, "repaid": r})
            for e, r in zip(entries, repaid, strict=True)
        ]
        outcome = self.store.check_in(entries, balance, day, earned.streak)
        if outcome == "changed":
            return None
        if outcome == "exists":  # another request checked in for this day meanwhile
            return self._answer(customer, programme, day, earned.streak, first=False)
        return CheckInOut(
            programme=programme,
            day=day,
            streak=earned.streak,
            points=earned.daily,
            bonus=earned.bonus,
            first=True,
            repaid=sum(repaid),
        )

    def _answer(self, customer: str, programme: str, day: str, streak: int, *, first: bool) -> CheckInOut:
        daily = self.store.entry(customer, programme, f"check_in:{day}")
        bonus = self.store.entry(customer, programme, f"streak_bonus:{day}")
        return CheckInOut(
            programme=programme,
            day=day,
            streak=streak,
            points=daily.points if daily else 0,
            bonus=bonus.points if bonus else 0,
            first=first,
            repaid=sum(e.repaid for e in (daily, bonus) if e),
        )


def _day(day: str) -> dict[str, object]:
    return {"detail": {"day": day}}


def _role(caller: Caller) -> str:
    return "platform" if "platform" in caller.groups else "merchant"
