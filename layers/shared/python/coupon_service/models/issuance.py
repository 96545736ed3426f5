"""Issuance rules: what a merchant sends to have coupons issued on an event (an order over an amount, a
customer joining, an accepted invitation, a birthday, a tier upgrade), and what it reads back."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from coupon_service.models.common import DEFERRED, Name, Strict, Text
from coupon_service.rule_items import IssuanceRuleItem

MAX_PACK = 10  # coupons one customer_joined rule issues at once
MAX_RULES = 50  # rules per merchant: every event reads its merchant's rules
MaxAmount = 100_000_000_00
CouponId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", description="One of the merchant's coupons")]


class OrderPlacedTrigger(Strict):
    """An order at or over `min_amount` (and, when listed, with a line of a product or category)."""

    type: Literal["order_placed"]
    min_amount: int = Field(ge=0, le=MaxAmount, description="Integer minor units: orders at or over it")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="Only orders in it")
    products: list[Name] = Field(default_factory=list, max_length=100, description="SKUs, any of them")
    categories: list[Name] = Field(default_factory=list, max_length=50, description="Any of them")
    coupon_id: CouponId


class CustomerJoinedTrigger(Strict):
    """A pack of coupons for a customer who joined; issued again when every coupon of it expired unused."""

    type: Literal["customer_joined"]
    coupon_ids: list[CouponId] = Field(min_length=1, max_length=MAX_PACK)
    reissue_when_expired_unused: bool = False
    max_reissues: int = Field(default=1, ge=1, le=5, description="How many new packs at most")

    @model_validator(mode="after")
    def _distinct(self) -> CustomerJoinedTrigger:
        if len(set(self.coupon_ids)) != len(self.coupon_ids):
            raise ValueError("coupon_ids: a coupon appears twice")
        return self


class InvitationAcceptedTrigger(Strict):
    type: Literal["invitation_accepted"]
    inviter_coupon_id: CouponId | None = None
    invitee_coupon_id: CouponId | None = None

    @model_validator(mode="after")
    def _some_coupon(self) -> InvitationAcceptedTrigger:
        if self.inviter_coupon_id is None and self.invitee_coupon_id is None:
            raise ValueError("name a coupon for the inviter, the invitee or both")
        return self


class BirthdayTrigger(Strict):
    """Issued once a year, on the customer's birthday in the merchant's time zone."""

    type: Literal["birthday"]
    coupon_id: CouponId


class TierUpgradedTrigger(Strict):
    type: Literal["tier_upgraded"]
    tier: Name | None = Field(default=None, description="Only upgrades to this tier; none: any upgrade")
    coupon_id: CouponId


Trigger = Annotated[
    OrderPlacedTrigger
    | CustomerJoinedTrigger
    | InvitationAcceptedTrigger
    | BirthdayTrigger
    | TierUpgradedTrigger,
    Field(discriminator="type"),
]
TriggerType = Literal["order_placed", "customer_joined", "invitation_accepted", "birthday", "tier_upgraded"]


class RuleCreate(Strict):
    name: Text = Field(min_length=1, max_length=100)
    trigger: Trigger
    enabled: bool = True


class RulePatch(Strict):
    """The fields to change; a trigger is replaced whole (its type may change)."""

    name: Text | None = Field(default=None, min_length=1, max_length=100)
    trigger: Trigger | None = None
    enabled: bool | None = None


class RuleOut(BaseModel):
    model_config = DEFERRED
    rule_id: str
    merchant_id: str
    name: str
    trigger: Trigger
    enabled: bool
    created_at: str
    updated_at: str

    @classmethod
    def from_item(cls, item: IssuanceRuleItem) -> RuleOut:
        return cls.model_validate(item.model_dump(include=set(cls.model_fields)))


class RulePage(BaseModel):
    model_config = DEFERRED
    items: list[RuleOut]
    next_token: str | None = None


class RuleDeleted(BaseModel):
    model_config = DEFERRED
    rule_id: str
    deleted: bool = True


def coupons_named(trigger: Trigger) -> dict[str, str]:
    """The coupons a trigger names, each with the field that names it (for a 404 naming the field)."""
    if isinstance(trigger, CustomerJoinedTrigger):
        return {c: f"trigger.coupon_ids.{n}" for n, c in enumerate(trigger.coupon_ids)}
    if isinstance(trigger, InvitationAcceptedTrigger):
        named = {}
        if trigger.invitee_coupon_id:
            named[trigger.invitee_coupon_id] = "trigger.invitee_coupon_id"
        if trigger.inviter_coupon_id:
            named[trigger.inviter_coupon_id] = "trigger.inviter_coupon_id"
        return named
    return {trigger.coupon_id: "trigger.coupon_id"}
