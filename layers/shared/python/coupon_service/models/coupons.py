"""Coupon models: the terms of each kind, codes, scope, audience and options; API input and output."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Base64Bytes,
    BaseModel,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from coupon_service.codes import is_pattern
from coupon_service.items import CouponItem, ShardItem
from coupon_service.models.common import MAX_GENERATED_CODES, MAX_INVENTORY, Money, Name, Strict, Text
from coupon_service.validity import Instant, Validity, is_valid_time_zone

# --- terms, one model per kind -------------------------------------------------------------------


class DiscountTerms(Strict):
    kind: Literal["discount"]
    percent_off: int = Field(ge=1, le=99)
    max_discount: Money | None = None


class CashValueTerms(Strict):
    kind: Literal["cash_value"]
    amount_off: Money
    min_spend: Money | None = None

    @model_validator(mode="after")
    def _below_min_spend(self) -> CashValueTerms:
        if self.min_spend is not None and self.amount_off >= self.min_spend:
            raise ValueError("amount_off must be below min_spend")
        return self


class GiftTerms(Strict):
    kind: Literal["gift"]
    item: Text = Field(min_length=1, max_length=200)


class PointsTerms(Strict):
    kind: Literal["points"]
    points: int = Field(ge=1, le=10_000_000)


class CashTerms(Strict):
    kind: Literal["cash"]
    amount: Money


class FreeShippingTerms(Strict):
    kind: Literal["free_shipping"]


class GenericTerms(Strict):
    kind: Literal["generic"]
    terms: Text = Field(min_length=1, max_length=2000)


Terms = Annotated[
    DiscountTerms | CashValueTerms | GiftTerms | PointsTerms | CashTerms | FreeShippingTerms | GenericTerms,
    Field(discriminator="kind"),
]
GIFTABLE_KINDS = frozenset({"discount", "cash_value", "gift"})


# --- codes and inventory -------------------------------------------------------------------------


class RandomOnClaimCodes(Strict):
    mode: Literal["random_on_claim"]
    inventory: int | None = Field(default=None, ge=1, le=MAX_INVENTORY, description="None = unlimited")


class GeneratedCodes(Strict):
    mode: Literal["generated"]
    inventory: int = Field(ge=1, le=MAX_GENERATED_CODES)


class ImportedCodes(Strict):
    mode: Literal["imported"]
    case_sensitive: bool = True
    allow_short_codes: bool = Field(
        default=False,
        description="Import codes that are easy to guess (shorter than 8 characters, all digits shorter "
        "than 10, one repeated character, a straight run); otherwise they fail as `too_guessable`",
    )


Codes = Annotated[RandomOnClaimCodes | GeneratedCodes | ImportedCodes, Field(discriminator="mode")]


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


Audience = Annotated[Everyone | ListedCustomers | TaggedCustomers, Field(discriminator="type")]


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
    hours_before_expiry: int = Field(ge=1, le=168)
    message: Text = Field(min_length=1, max_length=200)


class Window(Strict):
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Options(Strict):
    self_service: SelfService | None = None
    giftable: bool = False
    notify_giver: bool = False
    gift_message: Text | None = Field(default=None, max_length=200)
    reminder: Reminder | None = None
    per_customer_limit: int = Field(default=1, ge=1, le=100)
    channels: list[Name] = Field(default_factory=list, max_length=20)
    staff_confirms_terms: bool = Field(
        default=False,
        description="Staff may redeem without the order, confirming a minimum spend or scope by hand; "
        "the redemption records it",
    )


class CouponCreate(Strict):
    """What a merchant (or the platform operator) sends to create a coupon."""

    title: Text = Field(min_length=1, max_length=60)
    description: Text = Field(default="", max_length=1000)
    status: Literal["draft", "active"] = "draft"
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str = Field(examples=["Asia/Shanghai"])
    terms: Terms
    codes: Codes
    claim_window: Window
    validity: Validity
    scope: Scope = Field(default_factory=lambda: WholeOrder(type="order"))
    audience: Audience = Field(default_factory=lambda: Everyone(type="everyone"))
    options: Options = Field(default_factory=Options)
    merchants: list[Name] | None = Field(
        default=None, max_length=100, description="Platform coupons only: the merchants it is usable at"
    )
    shard_count: int | None = Field(
        default=None, ge=1, le=50, description="Inventory shards; default by size"
    )
    logo_png: Base64Bytes | None = Field(
        default=None,
        strict=False,  # base64 text to bytes, which strict mode would refuse
        max_length=48 * 1024,
        description="Base64 of a small image (PNG or JPEG, at most 48 KB) printed in promotion QR codes",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_valid_time_zone(value):
            raise ValueError("not an IANA time zone")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CouponCreate:
        if self.options.giftable and self.terms.kind not in GIFTABLE_KINDS:
            raise ValueError("options.giftable: only discount, cash_value and gift coupons can be gifted")
        if self.terms.kind == "cash" and (self.codes.mode == "imported" or self.codes.inventory is None):
            raise ValueError("codes: a cash coupon has a fixed quantity (random_on_claim or generated)")
        return self


class InventoryChange(Strict):
    total: int = Field(ge=0, le=10_000_000)


class CouponPatch(Strict):
    """An edit, based on the version the merchant last read; kind, face value and code mode never change."""

    version: int = Field(ge=1)
    status: Literal["active", "paused"] | None = None
    claim_window: Window | None = None
    inventory: int | None = Field(default=None, ge=0, le=MAX_INVENTORY)
    validity: Validity | None = None
    shard_count: int | None = Field(default=None, ge=1, le=50)
    title: Text | None = Field(default=None, min_length=1, max_length=60)
    description: Text | None = Field(default=None, max_length=1000)
    options: OptionsPatch | None = None


class OptionsPatch(Strict):
    """The options an edit can change: a coupon's self-service codes (rotation)."""

    self_service: SelfServiceCodes | None = None


CouponPatch.model_rebuild()


# --- what the API returns ------------------------------------------------------------------------


class Inventory(BaseModel):
    total: int | None = Field(description="None = unlimited")
    claimed: int
    remaining: int | None

    @classmethod
    def of(cls, mode: str, shards: Sequence[ShardItem]) -> Inventory:
        """A coupon's inventory from its shards: limited ones count down; a code pool that is not
        limited (nothing imported yet) has nothing left; otherwise it is unlimited."""
        claimed = sum(s.claimed for s in shards)
        if shards and all(s.limited for s in shards):
            remaining = sum(s.remaining or 0 for s in shards)
            return cls(total=remaining + claimed, claimed=claimed, remaining=remaining)
        if mode != "random_on_claim":
            return cls(total=claimed, claimed=claimed, remaining=0)
        return cls(total=None, claimed=claimed, remaining=None)


class CouponOut(BaseModel):
    """A coupon as its merchant sees it (the verification code never leaves the store)."""

    coupon_id: str
    merchant_id: str
    issuer: Literal["merchant", "platform"]
    merchants: list[str] | None = None
    version: int
    title: str
    description: str
    status: Literal["draft", "active", "paused", "deleted"]
    currency: str
    time_zone: str
    terms: Terms
    codes: Codes
    claim_window: Window
    validity: Validity
    scope: Scope
    audience_type: Literal["everyone", "customers", "tags"]
    audience_tags: list[str] | None = None
    options: OptionsOut
    shard_count: int
    has_logo: bool = False
    inventory: Inventory
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_item(cls, coupon: CouponItem, shards: Sequence[ShardItem]) -> CouponOut:
        options = coupon.options
        return cls.model_validate(
            {
                **coupon.model_dump(include=set(cls.model_fields)),
                "options": OptionsOut(
                    self_service=coupon.self_service_mode is not None,
                    self_service_verification=coupon.self_service_mode,
                    staff_code_required=bool(coupon.staff_code_hash),
                    giftable=options.get("giftable", False),
                    notify_giver=options.get("notify_giver", False),
                    gift_message=options.get("gift_message"),
                    reminder=options.get("reminder"),
                    per_customer_limit=options.get("per_customer_limit", 1),
                    channels=options.get("channels", []),
                    staff_confirms_terms=options.get("staff_confirms_terms", False),
                ),
                "inventory": Inventory.of(coupon.mode, shards),
            }
        )


class OptionsOut(BaseModel):
    self_service: bool
    self_service_verification: SelfServiceVerification | None = Field(
        default=None, description="With self-service: whether the store's code is asked"
    )
    staff_code_required: bool
    giftable: bool
    notify_giver: bool
    gift_message: str | None
    reminder: Reminder | None
    per_customer_limit: int
    channels: list[str]
    staff_confirms_terms: bool = False


class CouponPage(BaseModel):
    items: list[CouponOut]
    next_token: str | None = None


class OfferOut(BaseModel):
    """What anyone may see of an active coupon open to everyone."""

    coupon_id: str
    title: str
    description: str
    currency: str
    time_zone: str
    terms: Terms
    claim_window: Window
    validity: Validity
    scope: Scope
    giftable: bool
    sold_out: bool

    @classmethod
    def from_item(cls, coupon: CouponItem, shards: Sequence[ShardItem]) -> OfferOut:
        fields: dict[str, Any] = coupon.model_dump(include=set(cls.model_fields))
        return cls.model_validate(
            {
                **fields,
                "giftable": coupon.options.get("giftable", False),
                "sold_out": Inventory.of(coupon.mode, shards).remaining == 0,
            }
        )


class CouponDeleted(BaseModel):
    coupon_id: str
    status: Literal["deleted"] = "deleted"


class CouponStats(BaseModel):
    coupon_id: str
    inventory: Inventory
    shards: int


class Promotion(BaseModel):
    coupon_id: str
    url: str
    qr_png_url: str
    qr_sizes: list[str]


CouponOut.model_rebuild()
