"""Figures: the events the aggregator reads off its queue (only the fields it counts; anything else an
event carries is ignored), and what the figures routes answer."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import BaseModel, ConfigDict, Field, Json, field_validator

from coupon_service.models.common import DEFERRED
from coupon_service.validity import from_iso, to_iso

INSTANTS = ("occurred_at", "valid_until", "placed_at", "refunded_at")


class Fact(BaseModel):
    """An event's detail as the aggregator reads it; instants are normalised to the table's UTC form."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    event_id: str = Field(min_length=1)
    occurred_at: str

    @field_validator(*INSTANTS, mode="after", check_fields=False)
    @classmethod
    def _utc(cls, value: str) -> str:
        return to_iso(from_iso(value))


class ClaimedFact(Fact):
    claim_id: str
    coupon_id: str
    merchant_id: str
    customer_id: str
    channel: str
    valid_until: str
    test_release: bool | None = None


class RedeemedFact(Fact):
    redemption_id: str
    claim_id: str
    coupon_id: str
    merchant_id: str
    customer_id: str
    redeemed_at_merchant: str | None = None
    store_id: str | None = None
    order_id: str | None = None
    order_amount: int | None = None
    discount: int | None = None
    test_release: bool | None = None


class ReversedFact(Fact):
    redemption_id: str
    claim_id: str
    coupon_id: str
    merchant_id: str


class ClaimFact(Fact):
    """A void or an accepted gift: what happened to which claimed coupon, when."""

    claim_id: str
    coupon_id: str
    merchant_id: str


class ExtendedFact(Fact):
    """A held coupon's window grown: its new last instant."""

    claim_id: str
    coupon_id: str
    merchant_id: str
    valid_until: str


class OrderPlacedFact(Fact):
    order_id: str
    merchant_id: str
    customer_id: str
    store_id: str | None = None
    amount: int = Field(ge=0)
    placed_at: str


class OrderRefundedFact(Fact):
    order_id: str
    merchant_id: str
    customer_id: str
    refund_id: str
    amount: int = Field(ge=0)
    refunded_at: str


FACTS: dict[str, type[Fact]] = {
    "CouponClaimed": ClaimedFact,
    "CouponRedeemed": RedeemedFact,
    "RedemptionReversed": ReversedFact,
    "CouponVoided": ClaimFact,
    "GiftAccepted": ClaimFact,
    "CouponExtended": ExtendedFact,
    "OrderPlaced": OrderPlacedFact,
    "OrderRefunded": OrderRefundedFact,
}


class BusEvent(EventBridgeModel):
    """An event as the bus's rule puts it on the aggregator's queue."""

    detail: dict[str, Any]

    def fact(self) -> Fact | None:
        """Its detail parsed for counting; None for an event the figures do not count."""
        model = FACTS.get(self.detail_type)
        return model.model_validate(self.detail) if model else None


class FiguresRecord(SqsRecordModel):
    body: Json[BusEvent]


def readable(records: list[dict[str, Any]]) -> dict[str, FiguresRecord]:
    """The messages of an SQS batch that parse, by message id (the batch processor reports the others)."""
    found: dict[str, FiguresRecord] = {}
    for raw in records:
        try:
            record = FiguresRecord.model_validate(raw)
        except ValueError:
            continue
        found[record.messageId] = record
    return found


# --- what the figures routes answer ------------------------------------------------------------------------

By = Literal["day", "channel", "store"]
SortBy = Literal["claimed", "used", "redemption_rate", "discount", "order_value"]


class FigureCounts(BaseModel):
    model_config = DEFERRED
    claimed: int = 0
    used: int = Field(default=0, description="Redemptions standing (reversed ones are not used)")
    reversed: int = 0
    voided: int = 0
    expired_unused: int = Field(default=0, description="On the coupon's last day, once that day ended")
    gifted: int = Field(default=0, description="Gifts accepted")
    discount: int = Field(default=0, description="Discount given by standing redemptions, minor units")
    orders: int = Field(default=0, description="Orders that came with the coupon")
    order_value: int = Field(default=0, description="Their value less refunds, minor units")
    new_customers: int = Field(default=0, description="Customers whose first order here came with it")
    repeat_orders: int = Field(default=0, description="Other orders within 30 days after a redemption")
    redemption_rate: float | None = Field(default=None, description="used / claimed; None without claims")

    @classmethod
    def of(cls, counts: dict[str, int], **extra: Any) -> Any:
        claimed, used = counts.get("claimed", 0), counts.get("used", 0)
        rate = round(used / claimed, 4) if claimed else None
        return cls.model_validate({**counts, "redemption_rate": rate, **extra})


class FigureRow(FigureCounts):
    day: str | None = None
    channel: str | None = Field(default=None, description="None: figures of no channel (orders, customers)")
    store_id: str | None = Field(default=None, description="None: figures of no store (claims, voids, gifts)")


class CouponFigures(BaseModel):
    model_config = DEFERRED
    coupon_id: str
    time_zone: str = Field(description="The merchant's zone the days are in")
    first_day: str
    last_day: str
    by: By
    channel: str | None = None
    store_id: str | None = None
    totals: FigureCounts
    rows: list[FigureRow]


class OverviewItem(FigureCounts):
    coupon_id: str
    title: str
    status: str


class OverviewPage(BaseModel):
    model_config = DEFERRED
    items: list[OverviewItem]
    next_token: str | None = None
