"""The orders feed: merchants' order systems report their orders and refunds (through `POST /orders` or on
the bus), each checked the same way and stored once; the outbox publishes `OrderPlaced` and
`OrderRefunded` from what is stored. Campaign figures are measured against this feed."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Literal

from pydantic import ValidationError

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Forbidden, Invalid
from coupon_service.models.order_bus import (
    DETAILS,
    ORDER_FEED_SOURCE,
    MerchantOrderEvent,
    OrderPlacedOnBus,
    OrderRefundedOnBus,
)
from coupon_service.models.orders import OrderOut, OrderReport, OrderView, RefundOut, RefundReport
from coupon_service.order_items import OrderRefundItem, ReportedOrderItem
from coupon_service.senders import invalid_detail, may_report
from coupon_service.senders import refusal as refusal  # the orders worker logs with it
from coupon_service.store.order_feed import OrderBook
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

Via = Literal["api", "bus"]
# How far ahead of our clock a reported time may be: order systems' clocks drift, but an order placed
# tomorrow is a mistake (or an attempt to move figures), not drift.
FUTURE_SKEW = timedelta(minutes=5)


def _digest(fields: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class OrderFeed:
    """Every method works within `merchant_id`'s orders: another merchant's order is a 404."""

    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.book = OrderBook(table)
        self.clock = clock

    def _not_ahead(self, moment: datetime, field: str) -> None:
        if moment > self.clock.now() + FUTURE_SKEW:
            raise Invalid(
                f"lies in the future (more than {FUTURE_SKEW} ahead)", code="in_future", field=field
            )

    def place(self, merchant_id: str, report: OrderReport, *, via: Via = "api") -> OrderOut:
        """The order stored once (one transaction, which also checks that its store is the merchant's); the
        same report again answers the same, another report under the same order id is a 409."""
        self._not_ahead(report.placed_at, "placed_at")
        reported = {
            **report.model_dump(mode="json", exclude={"merchant_id", "placed_at"}, exclude_none=True),
            "placed_at": to_iso(report.placed_at),
        }
        order = ReportedOrderItem(
            merchant_id=merchant_id,
            received_at=to_iso(self.clock.now()),
            reported_via=via,
            digest=_digest(reported),
            **reported,
        )
        return OrderOut.from_item(self.book.place(order))

    def refund(self, merchant_id: str, order_id: str, report: RefundReport, *, via: Via = "api") -> RefundOut:
        """The refund stored once, never taking the order's refunds above its amount (422 naming `amount`);
        the same refund again answers the same, another under the same refund id is a 409."""
        self._not_ahead(report.refunded_at, "refunded_at")
        order = self.book.order_of(merchant_id, order_id)
        refunded_at = to_iso(report.refunded_at)
        if refunded_at < order.placed_at:
            raise Invalid("is before the order was placed", code="before_order", field="refunded_at")
        if report.amount > order.amount:
            raise Invalid(
                f"more than the order's amount ({order.amount})",
                code="over_refund",
                field="amount",
                details={"refundable": order.amount - order.refunded},
            )
        refund = OrderRefundItem(
            refund_id=report.refund_id,
            order_id=order.order_id,
            merchant_id=merchant_id,
            customer_id=order.customer_id,
            store_id=order.store_id,
            amount=report.amount,
            currency=order.currency,
            refunded_at=refunded_at,
            received_at=to_iso(self.clock.now()),
            reported_via=via,
        )
        return RefundOut.from_item(self.book.refund(order, refund))

    def get(self, merchant_id: str, order_id: str) -> OrderView:
        return OrderView.from_item(self.book.order_of(merchant_id, order_id))

    def take(self, event: MerchantOrderEvent) -> OrderOut | RefundOut:
        """An event a merchant's order system put on the bus, checked as `POST /orders` checks a report and
        stored by the same write; refused (a DomainError) when it is not the merchants' source, its detail
        is invalid, or the account that sent it may not report for the merchant it names."""
        if event.source != ORDER_FEED_SOURCE:
            raise Invalid(f"not an event of {ORDER_FEED_SOURCE}", code="wrong_source", field="source")
        report = _detail(event)
        if not may_report(event.account, report.merchant_id):
            raise Forbidden("this account does not report for this merchant", field="merchant_id")
        if isinstance(report, OrderRefundedOnBus):
            return self.refund(report.merchant_id, report.order_id, report, via="bus")
        return self.place(report.merchant_id, report, via="bus")


def _detail(event: MerchantOrderEvent) -> OrderPlacedOnBus | OrderRefundedOnBus:
    model = DETAILS.get(event.detail_type)
    if model is None:
        raise Invalid("not OrderPlaced or OrderRefunded", code="unknown_detail_type", field="detail-type")
    try:
        return model.model_validate(event.detail)
    except ValidationError as error:
        raise invalid_detail(error) from None
