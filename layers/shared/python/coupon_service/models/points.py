"""Points: what a customer reads of their ledger and sends to check in, and what a merchant reads of a
customer's ledger, sends to adjust it and sets as its programme's rules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from coupon_service.models.common import DEFERRED, Strict, Text
from coupon_service.point_items import PointsEntryItem, PointsSettingsItem

PROGRAMME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"  # a merchant's id, or `platform`
CUSTOMER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
MAX_POINTS = 1_000_000


class Expiring(BaseModel):
    model_config = DEFERRED
    expires_at: str
    points: int


class PointsOut(BaseModel):
    """A ledger's balance and what of it expires when (soonest first; the points debits left of each lot), in
    the programme's time zone. Points whose instant has passed are neither in `balance` nor `expiring`, even
    before the hourly run has expired them."""

    model_config = DEFERRED
    customer_id: str
    programme: str
    balance: int
    expiring: list[Expiring]
    check_in_day: str | None = None
    streak: int = 0
    time_zone: str = "UTC"  # the programme's (its merchant's settings): the zone its times are shown in
    owed: int = 0  # what take-backs could not take, paid first by the next credits


class PointsEntryOut(BaseModel):
    model_config = DEFERRED
    entry_id: str
    reason: str
    points: int
    at: str
    expires_at: str | None = None
    shortfall: int = 0
    wanted: int | None = None
    repaid: int = 0  # a credit's points that paid the debt (`owed`) instead of the balance
    by: str | None = None
    note: str | None = None
    detail: dict[str, object] | None = None

    @classmethod
    def from_item(cls, item: PointsEntryItem) -> PointsEntryOut:
        return cls.model_validate(item.model_dump(include=set(cls.model_fields)))


class PointsEntryPage(BaseModel):
    model_config = DEFERRED
    items: list[PointsEntryOut]
    next_token: str | None = None


class Adjustment(Strict):
    """A merchant's manual change of a customer's points: never past zero (422 naming `points`)."""

    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="Points to add (or, negative, take)")
    reason: Text = Field(min_length=1, max_length=200, description="Why: shown in the ledger and audited")

    @model_validator(mode="after")
    def _not_zero(self) -> Adjustment:
        if self.points == 0:
            raise ValueError("points must not be zero")
        return self


class CheckInRequest(Strict):
    programme: str = Field(pattern=PROGRAMME_PATTERN, description="The merchant's id, or `platform`")


class CheckInOut(BaseModel):
    model_config = DEFERRED
    programme: str
    day: str  # the merchant's local day
    streak: int
    points: int  # the day's points
    bonus: int  # the streak bonus earned with it
    first: bool  # False: the day's check-in was made before (this answers it again)
    repaid: int = 0  # of points + bonus, what paid the ledger's debt first


class ExpirySetting(Strict):
    type: Literal["never", "after_months", "end_of_year"] = "never"
    months: int | None = Field(default=None, ge=1, le=120)

    @model_validator(mode="after")
    def _months_when_after(self) -> ExpirySetting:
        if (self.type == "after_months") != (self.months is not None):
            raise ValueError("months is required with after_months, and only with it")
        return self


class OrderRule(Strict):
    points: int = Field(ge=1, le=MAX_POINTS, description="Points for each `per_amount` spent")
    per_amount: int = Field(ge=1, le=100_000_000, description="Minor units spent per `points`")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class InvitationRule(Strict):
    inviter: int = Field(ge=0, le=MAX_POINTS)
    invitee: int = Field(ge=0, le=MAX_POINTS)


Award = Field(default=None, ge=1, le=MAX_POINTS)


class EarningRules(Strict):
    """What earns points at the programme (each absent rule earns nothing); each once per its source."""

    order: OrderRule | None = None
    profile_completed: int | None = Award
    card_bound: int | None = Award
    invitation_accepted: InvitationRule | None = None
    content_shared: int | None = Award
    content_posted: int | None = Award
    birthday: int | None = Award


class CheckInRule(Strict):
    daily: int = Field(default=1, ge=0, le=MAX_POINTS)
    streak_days: int = Field(default=7, ge=0, le=366, description="The bonus comes every Nth day in a row")
    streak_bonus: int = Field(default=7, ge=0, le=MAX_POINTS)
    enabled: bool = True


class PointsSettings(Strict):
    expiry: ExpirySetting = ExpirySetting()
    earning: EarningRules = EarningRules()
    check_in: CheckInRule = CheckInRule()


class PointsSettingsOut(PointsSettings):
    model_config = DEFERRED
    programme: str
    time_zone: str
    updated_at: str | None = None
    updated_by: str | None = None

    @classmethod
    def from_item(cls, item: PointsSettingsItem) -> PointsSettingsOut:
        return cls.model_validate(
            {
                "programme": item.merchant_id,
                "expiry": item.expiry,
                "earning": item.earning,
                "check_in": item.check_in,
                "time_zone": item.time_zone,
                "updated_at": item.updated_at,
                "updated_by": item.updated_by,
            }
        )
