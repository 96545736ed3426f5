"""Voiding one customer's coupon: what the merchant sends and what they get back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

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
    def from_item(cls, claim: Mapping[str, Any]) -> VoidedCouponOut:
        return cls.model_validate({**claim, "customer_id": claim["owner_id"], "status": "void"})
