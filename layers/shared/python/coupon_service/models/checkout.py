"""The checkout quote: the cart a customer sends, and their coupons quoted for it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from coupon_service.models.common import DEFERRED, Strict
from coupon_service.pricing import Allocation, Order


class QuoteRequest(Strict):
    order: Order


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


class Quote(BaseModel):
    model_config = DEFERRED
    stacking: Literal["one_coupon_per_order"] = "one_coupon_per_order"
    applicable: list[QuotedCoupon]
    not_applicable: list[QuotedCoupon]
