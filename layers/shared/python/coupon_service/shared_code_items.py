"""A coupon's public code in the table, typed (docs/data-model.md): the code with its caps and count, the
coupon's note of which code it has, and one customer's redemptions of it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SharedCodeItem(BaseModel):
    """A public code at its merchant (`SHARED_CODE#{merchantId}#{code}` / `SHARED_CODE`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    code: str  # upper case: customers type it in any case
    coupon_id: str
    merchant_id: str
    active: bool
    max_redemptions: int | None = None  # the total cap (None: none)
    per_customer_limit: int = 1
    redeemed: int = 0  # standing redemptions (a reversal takes its one back)
    created_at: str
    updated_at: str

    def full(self) -> bool:
        return self.max_redemptions is not None and self.redeemed >= self.max_redemptions


class CouponSharedCodeItem(BaseModel):
    """Which public code a coupon has (`COUPON#{couponId}` / `SHARED_CODE`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    coupon_id: str
    merchant_id: str
    code: str


class SharedUseItem(BaseModel):
    """A customer's standing redemptions of a public code (`SHARED_USE#{couponId}#{customerId}`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    redemptions: dict[str, str] = {}  # redemption id -> when
