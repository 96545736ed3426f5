"""What the table holds of points, typed: a ledger's balance, its entries and its lots, and a programme's
settings (docs/data-model.md describes them). Apart from `items.py`, which holds the coupons' items."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Reason = Literal[
    "order",
    "refund",
    "check_in",
    "streak_bonus",
    "profile_completed",
    "card_bound",
    "invitation_accepted",
    "content_shared",
    "content_posted",
    "birthday",
    "coupon_claim",
    "claim_voided",
    "points_coupon",
    "points_coupon_reversed",
    "adjustment",
    "expiry",
]


class PointsBalanceItem(BaseModel):
    """A ledger's counter (`POINTS#{customerId}#{programme}` / `BALANCE`): `balance` is the sum of the
    entries, never below zero; `consumed` is what debits took that no lot has yet been charged for (lots are
    charged oldest first when they expire); `version` moves with every change."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    customer_id: str
    programme: str
    balance: int = 0
    consumed: int = 0
    version: int = 0
    check_in_day: str | None = None  # the merchant's local day of the last check-in (YYYY-MM-DD)
    streak: int = 0  # consecutive days ending on check_in_day
    # The soonest lot's instant: a debit is refused once it has passed, until that lot is expired. Set by a
    # credit when absent, reset by an expiry to the next lot's instant (absent: no lot that expires).
    expires_next: str | None = None
    # What take-backs could not take (their shortfalls), not yet paid by later credits: a credit pays it
    # first (its entry's `repaid`). Only ever beside an empty balance.
    owed: int = 0


class PointsEntryItem(BaseModel):
    """One change of a ledger (`POINTS#{customerId}#{programme}` / `ENTRY#{entryId}`), its id derived from
    its source; `points` is signed (a debit is negative)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    entry_id: str
    customer_id: str
    programme: str
    source: str  # what caused it: one source changes a ledger once
    reason: Reason
    points: int
    at: str
    expires_at: str | None = None  # a credit's lot ("never": it does not expire)
    shortfall: int = 0  # a debit that found fewer points than it wanted: what it could not take
    wanted: int | None = None  # such a debit's whole amount
    repaid: int = 0  # a credit's points that paid the ledger's debt (`owed`) instead of the balance
    by: str | None = None  # an adjustment's author (user id) and role
    by_role: str | None = None
    note: str | None = None  # an adjustment's reason as the merchant wrote it
    detail: dict[str, Any] | None = None  # what the source tells (order id, coupon id, claim id...)
    # An order's credit as its refunds come (each refund's transaction sets them, on condition `refund_count`
    # is as read): the amount refunded so far, the points wanted back so far, and each refund counted.
    refunded: int | None = None
    taken_back: int | None = None
    refund_count: int | None = None
    refunds: dict[str, int] | None = None  # refund id -> its amount


class PointsLotItem(BaseModel):
    """The points a ledger earned that expire at one instant (`POINTS#{customerId}#{programme}` /
    `LOT#{expiresAt}`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    customer_id: str
    programme: str
    expires_at: str
    points: int


class ExpiryRule(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    type: Literal["never", "after_months", "end_of_year"] = "never"
    months: int | None = None


class PointsSettingsItem(BaseModel):
    """A programme's points settings (`MERCHANT#{merchantId}` / `POINTS`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    merchant_id: str
    expiry: dict[str, Any] = {"type": "never"}
    earning: dict[str, Any] = {}
    check_in: dict[str, Any] = {"daily": 1, "streak_days": 7, "streak_bonus": 7}
    time_zone: str = "UTC"
    updated_at: str | None = None
    updated_by: str | None = None
    birthday_since: str | None = None  # since when the birthday rule stands (kept while it does)


class BirthdaysDoneItem(BaseModel):
    """The last local day whose birthdays a programme's birthday run credited (`MERCHANT#{merchantId}` /
    `POINTSBIRTHDAYS`): it only moves forward."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    merchant_id: str
    day: str  # YYYY-MM-DD in the programme's time zone
    at: str
    credited: int = 0  # customers credited by the run that finished the day
