"""Coupons the service issues to a customer (grants, issuance rules): why, and what came of it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from coupon_service.models.common import DEFERRED

IssueStatus = Literal["issued", "already", "sold_out", "limit_reached", "closed", "not_in_audience"]
# The statuses that leave the customer without the coupon (a grant counts them as skipped, by reason).
REFUSALS: tuple[IssueStatus, ...] = ("sold_out", "limit_reached", "closed", "not_in_audience")


class IssueReason(BaseModel):
    """Why a coupon was issued: kept on the claimed coupon and in its `CouponGranted` event; never secret."""

    model_config = DEFERRED

    kind: Literal["grant", "rule"]
    source_id: str = Field(min_length=1, max_length=128, description="The grant's or the rule's id")
    detail: str = Field(
        default="", max_length=200, description="Short and not secret: an order id, `birthday 2026`..."
    )


class IssueOutcome(BaseModel):
    """What one issue did: `issued` now, `already` (this key issued it before: the same claimed coupon), or
    why the customer did not get it."""

    model_config = DEFERRED

    status: IssueStatus
    claim_id: str | None = None

    @property
    def holds(self) -> bool:
        """The customer holds the coupon this key issued (now or before)."""
        return self.status in ("issued", "already")
