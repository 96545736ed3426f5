"""Claims and the wallet: what a customer sends to claim and what their wallet shows."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from coupon_service.models.common import Strict, Text
from coupon_service.models.coupons import Scope, SelfServiceVerification, Terms

# --- claims and the wallet -----------------------------------------------------------------------


class ClaimRequest(Strict):
    """An optional body for a claim; the channel comes as a query parameter."""

    note: Text | None = Field(default=None, max_length=200, description="Free text kept with the claim")


WalletStatus = Literal["available", "used", "expired", "gifting"]


class ClaimedCouponOut(BaseModel):
    """One customer's coupon: what they hold, its code and its window."""

    claim_id: str
    coupon_id: str
    merchant_id: str
    merchants: list[str] | None = None
    title: str
    description: str
    currency: str
    terms: Terms
    scope: Scope
    status: WalletStatus
    code: str
    valid_from: datetime
    valid_until: datetime
    claimed_at: datetime
    channel: str
    self_service: bool
    self_service_verification: SelfServiceVerification | None = Field(
        default=None, description="With self-service: whether the store's code is asked"
    )
    giftable: bool


class WalletPage(BaseModel):
    items: list[ClaimedCouponOut]
    next_token: str | None = None
