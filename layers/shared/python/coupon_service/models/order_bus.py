"""The orders feed on the bus: the events merchants' order systems put on the service's bus (source
`coupons.orders`, detail-types `OrderPlaced` and `OrderRefunded`), as the orders worker reads them off its
queue. The detail is what `POST /orders` and its refunds take, plus the merchant (and the refund's order)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import Field, Json

from coupon_service.models.common import Name
from coupon_service.models.orders import MerchantPattern, OrderReport, RefundReport

# The merchants' source: never the service's own (`coupons`), so a merchant's `OrderPlaced` and the one the
# outbox publishes are never the same event to a rule.
ORDER_FEED_SOURCE = "coupons.orders"


class OrderPlacedOnBus(OrderReport):
    merchant_id: str = Field(pattern=MerchantPattern, description="The merchant the order is at")


class OrderRefundedOnBus(RefundReport):
    merchant_id: str = Field(pattern=MerchantPattern, description="The merchant the order is at")
    order_id: Name = Field(description="The order refunded (the merchant's own order id)")


DETAILS: dict[str, type[OrderPlacedOnBus | OrderRefundedOnBus]] = {
    "OrderPlaced": OrderPlacedOnBus,
    "OrderRefunded": OrderRefundedOnBus,
}


class MerchantOrderEvent(EventBridgeModel):
    """The envelope as EventBridge delivers it (`account`: the AWS account that put it, which EventBridge
    sets, not the sender); the detail is checked against its detail-type's model by the orders feed."""

    detail: dict[str, Any]


class OrderFeedRecord(SqsRecordModel):
    body: Json[MerchantOrderEvent]
