"""The orders feed's events, as the outbox publishes them (source `coupons`): one per order a merchant
reported and one per refund. A contract consumers (the campaign figures) are built against: fields are
only ever added."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from coupon_service.models.events import Event


class OrderPlaced(Event):
    """A merchant reported an order (once per order: the same report again is no second event)."""

    detail_type: ClassVar[str] = "OrderPlaced"
    order_id: str = Field(description="The merchant's own order id")
    merchant_id: str
    customer_id: str
    store_id: str | None = Field(description="One of the merchant's stores, or null")
    amount: int = Field(description="The order's amount, integer minor units")
    currency: str
    line_count: int
    placed_at: str = Field(description="When the order was placed (UTC)")


class OrderRefunded(Event):
    """A merchant reported a refund of an order (once per refund id)."""

    detail_type: ClassVar[str] = "OrderRefunded"
    order_id: str
    merchant_id: str
    customer_id: str
    store_id: str | None = Field(description="The order's store, or null")
    refund_id: str = Field(description="The merchant's own refund id")
    amount: int = Field(description="What this refund gave back, integer minor units")
    refunded_at: str = Field(description="When the refund was made (UTC)")


ORDER_EVENTS: tuple[type[Event], ...] = (OrderPlaced, OrderRefunded)
