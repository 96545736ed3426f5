"""The checkout quote: the cart a customer sends, and their coupons quoted for it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from coupon_service.models.common import DEFERRED, Strict
from coupon_service.pricing import Allocation, Order


class QuoteRequest(Strict):
    order: Order
    code: str | None = Field(
        default=None,
        max_length=80,
        description="A coupon's public code the customer typed (4 to 32 letters, digits or dashes): quoted "
        "with their own coupons, without a claim",
        examples=["SUMMER24"],
    )


class QuotedCoupon(BaseModel):
    model_config = DEFERRED
    claim_id: str
    coupon_id: str
    title: str
    kind: str
    valid_from: str
    valid_until: str
    applies: bool
    discount: int = 0
    line_discount: int = 0
    shipping_discount: int = 0
    allocations: list[Allocation] = []
    points: int | None = None
    item: str | None = None
    terms_text: str | None = None
    payable: int | None = None
    reason: str | None = None
    details: dict[str, Any] = {}
    shared_code: str | None = Field(default=None, description="The public code typed, when it quotes that")


class StackingRules(BaseModel):
    model_config = DEFERRED
    max_stacked_coupons: int | None = Field(
        default=None,
        description="The merchant's limit of stackable coupons per order (None: no stackable coupon applies)",
    )
    apply_order: list[str] = Field(
        default=["discount", "cash_value", "cash", "free_shipping"],
        description="Stacked coupons take their discounts in this order of kinds, each on what is left",
    )


class BestCombination(BaseModel):
    model_config = DEFERRED
    claim_ids: list[str] = Field(description="The coupons to use together, in the order they apply")
    discount: int
    payable: int
    coupons: list[QuotedCoupon] = Field(description="Each coupon with what it takes off in the combination")


class Quote(BaseModel):
    model_config = DEFERRED
    stacking: StackingRules = Field(default_factory=StackingRules)
    best: BestCombination | None = Field(
        default=None, description="The allowed combination that takes the most off (one coupon if none stack)"
    )
    applicable: list[QuotedCoupon]
    not_applicable: list[QuotedCoupon]
