"""Coupon models: what a merchant sends to create and edit a coupon, and what the API answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    Base64Bytes,
    BaseModel,
    Field,
    field_validator,
    model_validator,
)

from coupon_service.items import CouponItem, ShardItem
from coupon_service.models.common import DEFERRED, MAX_INVENTORY, Name, Strict, Text
from coupon_service.models.rules import (
    Audience,
    Everyone,
    Options,
    Passphrase,
    Reminder,
    Scope,
    SelfServiceCodes,
    SelfServiceVerification,
    Stacking,
    StoreList,
    TimeFrame,
    TimeFrames,
    WholeOrder,
    Window,
)
from coupon_service.models.terms import GIFTABLE_KINDS, MONEY_KINDS, Codes, Terms
from coupon_service.validity import Validity, is_valid_time_zone


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
    stores: StoreList | None = Field(
        default=None,
        description="Valid only at these stores of the merchant's registry (none: at every store); a "
        "platform coupon lists them per merchant",
    )
    time_frames: TimeFrames | None = Field(
        default=None, description="Usable only inside these weekly frames, in the coupon's time zone"
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
        if self.options.budget is not None and self.terms.kind not in MONEY_KINDS:
            raise ValueError(
                "options.budget: only coupons that take money off (discount, cash_value, cash, "
                "free_shipping) have a budget"
            )
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
    audience: AudienceAdditions | None = None
    stores: StoreList | None = Field(default=None, description="For claims from now on; null: every store")
    time_frames: TimeFrames | None = Field(default=None, description="For claims from now on; null: always")


class OptionsPatch(Strict):
    """The options an edit can change. Omitted: unchanged; `null` removes a reminder or a gift message.
    Giftable, the giver's notice and the reminder apply to claims made after the edit (docs/decisions.md)."""

    self_service: SelfServiceCodes | None = None
    reminder: Reminder | None = None
    giftable: bool | None = None
    notify_giver: bool | None = None
    gift_message: Text | None = Field(default=None, max_length=200)
    per_customer_limit: int | None = Field(default=None, ge=1, le=100)
    channels: list[Name] | None = Field(default=None, max_length=20)
    passphrase: Passphrase | None = Field(
        default=None, description="A new claim passphrase; `null`: claimable without one from now on"
    )
    testers: list[Name] | None = Field(default=None, max_length=100, description="Replaces the list")
    new_customers_only: bool | None = None
    first_order_only: bool | None = None


class AudienceAdditions(Strict):
    """Who else may claim: customers added to a list, tags added to the tags; nobody is ever taken off."""

    add_customer_ids: list[Name] = Field(default_factory=list, max_length=1000)
    add_tags: list[Name] = Field(default_factory=list, max_length=20)


# --- what the API returns ------------------------------------------------------------------------


class Inventory(BaseModel):
    model_config = DEFERRED
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

    model_config = DEFERRED

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
    audience_type: Literal["everyone", "customers", "tags", "segment"]
    audience_tags: list[str] | None = None
    audience_segment: str | None = None
    options: OptionsOut
    shard_count: int
    has_logo: bool = False
    inventory: Inventory
    stores: list[str] | dict[str, list[str]] | None = None
    time_frames: list[TimeFrame] | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_item(cls, coupon: CouponItem, shards: Sequence[ShardItem]) -> CouponOut:
        options = coupon.options
        stores: list[str] | dict[str, list[str]] | None = coupon.stores
        if coupon.stores is not None and coupon.issuer == "merchant":  # as sent: a list of its own stores
            stores = coupon.stores.get(coupon.merchant_id, [])
        return cls.model_validate(
            {
                **coupon.model_dump(include=set(cls.model_fields)),
                "stores": stores,
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
                    stacking=options.get("stacking"),
                    budget=options.get("budget"),
                    low_stock_threshold=options.get("low_stock_threshold"),
                    passphrase_required=bool(coupon.passphrase_hash),
                    testers=options.get("testers") or [],
                    new_customers_only=options.get("new_customers_only", False),
                    first_order_only=options.get("first_order_only", False),
                    per_device_limit=options.get("per_device_limit"),
                ),
                "inventory": Inventory.of(coupon.mode, shards),
            }
        )


class OptionsOut(BaseModel):
    model_config = DEFERRED
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
    stacking: Stacking | None = None
    budget: int | None = Field(default=None, description="The cap on the total discount, minor units")
    low_stock_threshold: int | None = None
    passphrase_required: bool = Field(default=False, description="The passphrase itself is never shown")
    testers: list[str] = Field(default_factory=list)
    new_customers_only: bool = False
    first_order_only: bool = False
    per_device_limit: int | None = None


class CouponEdited(CouponOut):
    """A coupon after an edit, and what the edit does to coupons customers already hold."""

    holders: Literal["unchanged", "extending"] = Field(
        description="`extending`: the new validity gives held, unused coupons a later end, and they are "
        "being extended; `unchanged`: held coupons keep their windows (a shorter validity applies to "
        "future claims)"
    )


class CouponPage(BaseModel):
    model_config = DEFERRED
    items: list[CouponOut]
    next_token: str | None = None


class OfferOut(BaseModel):
    """What anyone may see of an active coupon open to everyone."""

    model_config = DEFERRED

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
    points_price: int | None = Field(default=None, description="Paid with this many points at its programme")

    @classmethod
    def from_item(cls, coupon: CouponItem, shards: Sequence[ShardItem]) -> OfferOut:
        fields: dict[str, Any] = coupon.model_dump(include=set(cls.model_fields))
        return cls.model_validate(
            {
                **fields,
                "giftable": coupon.options.get("giftable", False),
                "points_price": coupon.options.get("points_price"),
                "sold_out": Inventory.of(coupon.mode, shards).remaining == 0,
            }
        )


class CouponDeleted(BaseModel):
    model_config = DEFERRED
    coupon_id: str
    status: Literal["deleted"] = "deleted"


class Budget(BaseModel):
    model_config = DEFERRED
    total: int = Field(description="The cap on the total discount, minor units")
    spent: int = Field(description="What the redemptions that stand took from it")
    remaining: int


class CouponStats(BaseModel):
    model_config = DEFERRED
    coupon_id: str
    inventory: Inventory
    shards: int
    budget: Budget | None = Field(default=None, description="Coupons with a budget: what is spent and left")
