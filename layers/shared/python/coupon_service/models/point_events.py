"""Points events, as the outbox publishes them (source `coupons`): one per ledger entry. A contract
consumers are built against: fields are only ever added."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from coupon_service.models.events import Event


class PointsEvent(Event):
    customer_id: str
    programme: str = Field(description="The merchant's id, or `platform`")
    entry_id: str = Field(description="The ledger entry (one per source: the same source never twice)")
    reason: str
    points: int = Field(description="Signed: a debit is negative")
    repaid: int = Field(
        default=0, description="Of a credit's points, what paid the debt take-backs left (not the balance)"
    )


class PointsEarned(PointsEvent):
    """Points credited for something the programme rewards (an order, a check-in, a void's return...)."""

    detail_type: ClassVar[str] = "PointsEarned"
    expires_at: str | None = Field(default=None, description="When they expire (UTC), or `never`")


class PointsSpent(PointsEvent):
    """Points debited for a coupon claimed with them."""

    detail_type: ClassVar[str] = "PointsSpent"


class PointsExpired(PointsEvent):
    """Points that expired unspent (oldest lots first)."""

    detail_type: ClassVar[str] = "PointsExpired"


class PointsAdjusted(PointsEvent):
    """A merchant's manual change, or points taken back for a refunded order or a reversed redemption of a
    points coupon (`shortfall`: what the balance could not give back)."""

    detail_type: ClassVar[str] = "PointsAdjusted"
    shortfall: int = 0
    by: str | None = Field(default=None, description="The adjusting user's id (a manual adjustment)")


POINT_EVENTS: tuple[type[Event], ...] = (PointsEarned, PointsSpent, PointsExpired, PointsAdjusted)
