"""The rules a coupon carries beside its terms and codes (models/terms.py): scope, audience, options."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from coupon_service.codes import is_pattern
from coupon_service.models.common import Money, Name, Strict, Text
from coupon_service.models.parameters import SEGMENT_ID_PATTERN
from coupon_service.models.terms import KINDS, Kind
from coupon_service.validity import Instant

# --- scope, audience, options --------------------------------------------------------------------


class WholeOrder(Strict):
    type: Literal["order"]


class Items(Strict):
    type: Literal["items"]
    products: list[Name] = Field(default_factory=list, max_length=500)
    categories: list[Name] = Field(default_factory=list, max_length=100)
    brands: list[Name] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _not_empty(self) -> Items:
        if not (self.products or self.categories or self.brands):
            raise ValueError("list at least one product, category or brand")
        return self


Scope = Annotated[WholeOrder | Items, Field(discriminator="type")]


class Everyone(Strict):
    type: Literal["everyone"]


class ListedCustomers(Strict):
    type: Literal["customers"]
    customer_ids: list[Name] = Field(min_length=1, max_length=10_000)


class TaggedCustomers(Strict):
    type: Literal["tags"]
    tags: list[Name] = Field(min_length=1, max_length=20)


class SegmentCustomers(Strict):
    """The last complete membership of one of the merchant's segments (`/merchant/segments`): checked at
    claim."""

    type: Literal["segment"]
    segment_id: str = Field(pattern=SEGMENT_ID_PATTERN)


Audience = Annotated[
    Everyone | ListedCustomers | TaggedCustomers | SegmentCustomers, Field(discriminator="type")
]


def _not_a_pattern(code: str) -> str:
    if is_pattern(code):
        raise ValueError("one digit repeated or the digits in order (123456) are the first codes guessed")
    return code


# A store's verification and staff codes: 6 to 12 digits, kept only as keyed hashes; write-only. Not
# one digit repeated nor a straight run: a guesser tries those first on every coupon.
StoreCode = Annotated[
    str, Field(pattern=r"^[0-9]{6,12}$", examples=["246810"]), AfterValidator(_not_a_pattern)
]
SelfServiceVerification = Literal["code", "none"]


class SelfService(Strict):
    """Customers may redeem in the store themselves: with the store's code, or (`verification: none`)
    with none, the redemption then recording that no code was checked."""

    enabled: bool = True
    verification: SelfServiceVerification = Field(
        default="code", description="`code`: the customer types the store's code; `none`: no code is asked"
    )
    verification_code: StoreCode | None = Field(
        default=None,
        validate_default=True,
        description="The store's code (required with `verification: code`, refused with `none`)",
    )
    staff_code: StoreCode | None = Field(
        default=None, description="A second code, typed by a member of staff (only with `verification: code`)"
    )

    @field_validator("verification_code")
    @classmethod
    def _code_when_asked(cls, value: str | None, info: ValidationInfo) -> str | None:
        asked = info.data.get("verification", "code") == "code"
        if asked and value is None:
            raise ValueError("required unless verification is none")
        if not asked and value is not None:
            raise ValueError("a coupon with verification none takes no code")
        return value

    @field_validator("staff_code")
    @classmethod
    def _staff_code_with_a_code(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("verification", "code") != "code":
            raise ValueError("a staff code needs verification code")
        return value


class SelfServiceCodes(Strict):
    """New store codes for a coupon whose self-service asks one: the old ones stop working at once."""

    verification_code: StoreCode
    staff_code: StoreCode | None = Field(
        default=None, description="Omitted: the staff code stays as it is; null: no staff code any more"
    )


class Reminder(Strict):
    """When a claimer is reminded before their coupon ends: a lead (`hours_before_expiry`), or a time of day
    in the coupon's time zone (`at`, HH:MM) `days_before` days before the coupon's last day."""

    hours_before_expiry: int | None = Field(default=None, ge=1, le=168)
    at: str | None = Field(
        default=None,
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        examples=["09:00"],
        description="HH:MM, local",
    )
    days_before: int | None = Field(default=None, ge=0, le=30, description="With `at`: 0 is the last day")
    message: Text = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _one_way(self) -> Reminder:
        if (self.hours_before_expiry is None) == (self.at is None):
            raise ValueError("give either hours_before_expiry or at (with days_before)")
        if self.days_before is not None and self.at is None:
            raise ValueError("days_before goes with at")
        return self


class Window(Strict):
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Stacking(Strict):
    """Whether a coupon shares an order with others. Not stackable (the default): it is the order's one
    main coupon, and no other non-stacking coupon joins it. Stackable: up to the merchant's
    `max_stacked_coupons` stack on one order, each only beside coupons of the kinds it lists."""

    stackable: bool = False
    with_kinds: list[Kind] = Field(
        default_factory=lambda: list(KINDS),
        max_length=len(KINDS),
        description="Stackable coupons: the kinds of coupon it may share an order with (default: every kind)",
    )

    @model_validator(mode="after")
    def _kinds_only_when_stackable(self) -> Stacking:
        if "with_kinds" in self.model_fields_set and not self.stackable:
            raise ValueError("with_kinds: only a stackable coupon lists the kinds it stacks with")
        self.with_kinds = sorted(set(self.with_kinds), key=KINDS.index)
        return self


# A claim passphrase: shared with a community, typed when claiming; kept only as a keyed hash.
Passphrase = Annotated[Text, Field(min_length=6, max_length=64)]


class Options(Strict):
    self_service: SelfService | None = None
    giftable: bool = False
    notify_giver: bool = False
    gift_message: Text | None = Field(
        default=None, max_length=200, validate_default=True, description="Required with notify_giver"
    )
    reminder: Reminder | None = None
    per_customer_limit: int = Field(default=1, ge=1, le=100)
    channels: list[Name] = Field(default_factory=list, max_length=20)
    staff_confirms_terms: bool = Field(
        default=False,
        description="Staff may redeem without the order, confirming a minimum spend or scope by hand; "
        "the redemption records it",
    )
    stacking: Stacking | None = Field(
        default=None, description="Whether it shares an order with other coupons (default: not stackable)"
    )
    budget: Money | None = Field(
        default=None,
        description="The total discount the coupon may give over all its redemptions, in minor units; "
        "a redemption it cannot cover is refused with `budget_exhausted`",
    )
    low_stock_threshold: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="Units remaining at or under which `CouponLowStock` is raised (once per crossing); "
        "limited inventory only",
    )
    passphrase: Passphrase | None = Field(
        default=None,
        description="Claimable only with this passphrase (6-64 characters; stored as a keyed hash, never "
        "shown again); wrong ones lock the customer out of the coupon for a while",
    )
    testers: list[Name] = Field(
        default_factory=list,
        max_length=100,
        description="Customer ids who may claim the coupon while it is a draft (the test release), beside "
        "the merchant's staff",
    )
    new_customers_only: bool = Field(
        default=False,
        description="Only customers with no order and no redeemed coupon at the merchant may claim it, and "
        "redeem it while that still holds",
    )
    first_order_only: bool = Field(
        default=False,
        description="Usable only on the customer's first order at the merchant (claimable only while the "
        "customer has none)",
    )
    per_device_limit: int | None = Field(
        default=None,
        ge=1,
        le=100,
        description="Claims of this coupon per device (the app's `X-Device-Id`, kept as a keyed hash; a "
        "claim without one is refused): a heuristic against one person with many accounts",
    )
    points_price: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="Claimed for this many of the customer's points at the coupon's merchant (`platform` "
        "for a platform coupon), debited in the claim's own transaction; a void of the unused coupon "
        "returns them",
    )

    @field_validator("gift_message")
    @classmethod
    def _message_to_notify(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("notify_giver"):
            raise ValueError("required when notify_giver is true: the giver is sent this message")
        return value


# --- where and when a coupon may be used ---------------------------------------------------------

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class TimeFrame(Strict):
    """Weekdays and hours, in the coupon's time zone, when it may be used (coupon_service.time_frames):
    an end before the start runs overnight into the next day; `24:00` ends at midnight."""

    days: list[Weekday] = Field(max_length=7, examples=[["mon", "tue", "wed", "thu", "fri"]])
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["11:00"])
    end: str = Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", examples=["14:00"])

    @field_validator("days")
    @classmethod
    def _some_days(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a time frame without days never opens")
        if len(set(value)) != len(value):
            raise ValueError("each day once")
        return value

    @model_validator(mode="after")
    def _opens(self) -> TimeFrame:
        if self.start == self.end:
            raise ValueError("start equals end: this time frame never opens")
        return self


TimeFrames = Annotated[list[TimeFrame], Field(min_length=1, max_length=20)]
# A merchant coupon's stores: ids of its merchant's registry. A platform coupon's: per listed merchant,
# ids of that merchant's registry (a merchant left out is valid at all its stores).
StoreIds = Annotated[list[Name], Field(min_length=1, max_length=500)]
StoreList = StoreIds | dict[Name, StoreIds]
