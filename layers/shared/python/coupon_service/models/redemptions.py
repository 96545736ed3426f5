"""Redemption: what a till and a customer in store send, and the redemption they get back."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from coupon_service.models.common import DEFERRED, Name, Strict, Text
from coupon_service.pricing import Allocation, Order

# Codes set before the 6-digit minimum may be shorter: a redemption still takes 4 to 12 digits.
VerificationCode = Field(
    default=None, pattern=r"^[0-9]{4,12}$", description="The store's code, when the coupon asks one"
)


class StaffRedemption(Strict):
    """A staff scan or a code typed at the till."""

    code: Text = Field(min_length=4, max_length=80, description="The code as scanned or typed")
    store_id: Name | None = None
    order_id: Name | None = Field(default=None, description="Makes a till's retry return its redemption")
    order: Order | None = Field(default=None, description="When given, the terms are enforced and priced")


class SelfRedemption(Strict):
    """The customer redeems in the store, with the store's verification code if the coupon asks it."""

    verification_code: str | None = VerificationCode
    staff_code: str | None = Field(default=None, pattern=r"^[0-9]{4,12}$")
    store_id: Name | None = None
    order_id: Name | None = None
    order: Order | None = None


class RedemptionOut(BaseModel):
    model_config = DEFERRED
    redemption_id: str
    claim_id: str
    coupon_id: str
    merchant_id: str = Field(description="The coupon's issuer")
    redeemed_at_merchant: str | None = Field(description="Where it was used")
    method: Literal["staff", "self_service", "shared_code"]
    redeemed_by: str
    verified: bool | None = Field(
        default=None, description="Self-service: whether the store's verification code was checked"
    )
    store_id: str | None = None
    order_id: str | None = None
    order_amount: int | None = None
    currency: str | None = None
    discount: int | None = Field(default=None, description="None when no order was given")
    line_discount: int | None = None
    shipping_discount: int | None = None
    allocations: list[Allocation] = []
    points: int | None = None
    item: str | None = None
    terms_confirmed_by_staff: bool | None = Field(
        default=None, description="Redeemed without the order: staff confirmed the minimum spend or scope"
    )
    redeemed_at: str
    reversed_at: str | None = None
    usable_again: bool | None = Field(default=None, description="After a reversal: usable again or expired")
    budget_counted: int | None = Field(
        default=None,
        description="Coupons with a budget: what this redemption counts against it (the discount; without "
        "the order, the most the coupon can take off)",
    )


class RedemptionCheck(RedemptionOut):
    """What redeeming this code for this order would record right now (`POST /redemptions/validation`),
    with nothing written; a code that would be refused answers the redemption's own error."""

    valid: Literal[True] = True
    redemption_id: str | None = Field(  # type: ignore[assignment]  # narrower in the redemption itself
        default=None,
        description="The id a redemption with this `order_id` gets (none without an `order_id`: each "
        "redemption without one gets a new id)",
    )
    redeemed_at: str = Field(description="When it was checked: the moment the answer holds for")
