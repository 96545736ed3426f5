"""The orders feed's part of the outbox: an order item's insert is `OrderPlaced`, a refund item's insert
`OrderRefunded` (registered in `coupon_service.events`, which derives every event from the stream)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from coupon_service.event_ids import event_id
from coupon_service.models.events import Event
from coupon_service.models.order_events import OrderPlaced, OrderRefunded


def _placed(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if name != "INSERT":
        return []  # refunds only add to the order's `refunded`: each is its own item and event
    return [
        OrderPlaced(
            # One order per merchant and order id: the same report again writes nothing.
            event_id=event_id("OrderPlaced", f"{new['merchant_id']}|{new['order_id']}"),
            occurred_at=new["received_at"],
            order_id=new["order_id"],
            merchant_id=new["merchant_id"],
            customer_id=new["customer_id"],
            store_id=new.get("store_id"),
            amount=new["amount"],
            currency=new["currency"],
            line_count=len(new.get("lines") or []),
            placed_at=new["placed_at"],
        )
    ]


def _refunded(new: dict[str, Any], old: dict[str, Any], name: str) -> list[Event]:
    if name != "INSERT":
        return []
    return [
        OrderRefunded(
            event_id=event_id("OrderRefunded", f"{new['merchant_id']}|{new['refund_id']}"),
            occurred_at=new["received_at"],
            order_id=new["order_id"],
            merchant_id=new["merchant_id"],
            customer_id=new["customer_id"],
            store_id=new.get("store_id"),
            refund_id=new["refund_id"],
            amount=new["amount"],
            refunded_at=new["refunded_at"],
        )
    ]


# By item `type`, as `coupon_service.events` looks derivers up.
DERIVERS: dict[str, Callable[[dict[str, Any], dict[str, Any], str], list[Event]]] = {
    "reported_order": _placed,
    "order_refund": _refunded,
}
