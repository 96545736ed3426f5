"""Voiding one customer's coupon: what the merchant sends and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from coupon_service.items import ClaimItem
from coupon_service.models.common import DEFERRED, Strict, Text


class VoidRequest(Strict):
    reason: Text = Field(
        min_length=1, max_length=200, description="Why it is voided; shown to the coupon's holder"
    )


class VoidedCouponOut(BaseModel):
    """A claimed coupon its merchant voided: whose it is, when, by whom and why (never its code)."""

    model_config = DEFERRED
    claim_id: str
    coupon_id: str
    customer_id: str = Field(description="Who held it when it was voided")
    status: Literal["void"] = "void"
    voided_at: datetime
    voided_by: str
    void_reason: str

    @classmethod
    def from_item(cls, claim: ClaimItem) -> VoidedCouponOut:
        return cls.model_validate({**claim.record(), "customer_id": claim.owner_id, "status": "void"})
