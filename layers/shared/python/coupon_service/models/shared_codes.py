"""A coupon's public code: what the merchant sets, what it reads, and what a customer's checkout sends to
redeem it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from coupon_service.models.common import DEFERRED, Name, Strict
from coupon_service.pricing import Order
from coupon_service.shared_code_items import SharedCodeItem
from coupon_service.shared_code_rules import CODE_PATTERN

SharedCode = Annotated[
    str,
    Field(
        pattern=CODE_PATTERN,
        description="4 to 32 letters, digits or dashes; customers may type it in any case",
        examples=["SUMMER24"],
    ),
]


class SharedCodeIn(Strict):
    """The coupon's public code, active, with its caps (`PUT /coupons/{couponId}/shared-code`)."""

    code: SharedCode
    max_redemptions: int | None = Field(
        default=None, ge=1, le=10_000_000, description="Redemptions in all (none: no total cap)"
    )
    per_customer_limit: int = Field(default=1, ge=1, le=100, description="Redemptions per customer")


class SharedCodeOut(BaseModel):
    model_config = DEFERRED
    coupon_id: str
    code: str
    active: bool
    max_redemptions: int | None
    per_customer_limit: int
    redeemed: int = Field(description="Standing redemptions (reversed ones given back)")
    remaining: int | None = Field(description="Redemptions left under the total cap (none: no cap)")
    updated_at: str

    @classmethod
    def from_item(cls, item: SharedCodeItem) -> SharedCodeOut:
        cap = item.max_redemptions
        return cls(
            coupon_id=item.coupon_id,
            code=item.code,
            active=item.active,
            max_redemptions=cap,
            per_customer_limit=item.per_customer_limit,
            redeemed=item.redeemed,
            remaining=None if cap is None else max(0, cap - item.redeemed),
            updated_at=item.updated_at,
        )


class SharedCodeRedemption(Strict):
    """A customer's checkout redeeming a coupon's public code for an order (`POST /checkout/redemptions`)."""

    code: SharedCode
    order_id: Name = Field(description="Makes a retry for the same order return its redemption")
    order: Order
    store_id: Name | None = Field(default=None, description="The store, for a coupon valid at some only")
