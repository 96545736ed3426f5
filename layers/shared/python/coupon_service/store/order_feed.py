"""The orders feed in the table: an order as its merchant reported it, and its refunds. An order is one
transaction (its item, on condition that it is new, and the check that its store is the merchant's); a
refund is one transaction (its item, new, and the order's `refunded` raised on condition that it stays
within the order's amount). Each item's insert is the outbox record of its event. A write whose answer was
lost recognises itself: the item in the way is the same report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict, Invalid, NotFound
from coupon_service.order_items import OrderRefundItem, ReportedOrderItem
from coupon_service.store.table import Cancelled, Table, to_item, values

FAILED = "ConditionalCheckFailed"
# What makes a refund the same refund: reported again (a retry), it answers as the first time.
_SAME_REFUND = ("order_id", "amount", "refunded_at", "currency")


def _no_order() -> NotFound:
    # Another merchant's order and a missing one look the same.
    return NotFound("no such order", field="order_id")


class OrderBook:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def order_of(self, merchant_id: str, order_id: str) -> ReportedOrderItem:
        found = self.table.get(keys.reported_order(merchant_id, order_id))
        if found is None:
            raise _no_order()
        return ReportedOrderItem.model_validate(found)

    def placed_since(self, merchant_id: str, since: str | None) -> Iterator[ReportedOrderItem]:
        """The merchant's orders placed at or after `since` (None: all), shard by shard of GSI2 (segments)."""
        for shard_index in range(keys.ORDER_SHARDS):
            condition, bounds = (
                "GSI2PK = :p",
                values(p=keys.merchant_order_partition(merchant_id, shard_index)),
            )
            if since is not None:
                condition, bounds = f"{condition} AND GSI2SK >= :s", {**bounds, **values(s=since)}
            for item in self.table.query_all(
                index="GSI2", key_condition=condition, ExpressionAttributeValues=bounds
            ):
                yield ReportedOrderItem.model_validate(item)

    def place(self, order: ReportedOrderItem) -> ReportedOrderItem:
        """The order, new; or the order already reported under its id when it is the same report."""
        key = keys.reported_order(order.merchant_id, order.order_id)
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "Item": to_item(
                        {
                            **key,
                            "type": "reported_order",
                            **order.model_dump(exclude_none=True),
                            **keys.merchant_order_index(order.merchant_id, order.placed_at, order.order_id),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        ]
        if order.store_id is not None:
            operations.append(
                {
                    "ConditionCheck": {
                        "Key": to_item(keys.store(order.merchant_id, order.store_id)),
                        "ConditionExpression": "attribute_exists(PK)",
                    }
                }
            )
        try:
            self.table.transact(operations)
        except Cancelled as refused:
            return _placed_already(refused, order)
        return order

    def refund(self, order: ReportedOrderItem, refund: OrderRefundItem) -> OrderRefundItem:
        """The refund, new, raising the order's `refunded` only while it stays within the order's amount (the
        amount never changes, so the bound needs no read of `refunded`); or the refund already reported under
        its id when it is the same refund."""
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "Item": to_item(
                        {
                            **keys.order_refund(refund.merchant_id, refund.refund_id),
                            "type": "order_refund",
                            **refund.model_dump(exclude_none=True),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Update": {
                    "Key": to_item(keys.reported_order(order.merchant_id, order.order_id)),
                    "UpdateExpression": "SET refunded = refunded + :a, refund_count = refund_count + :one",
                    "ConditionExpression": "attribute_exists(PK) AND refunded <= :most",
                    "ExpressionAttributeValues": values(
                        a=refund.amount, one=1, most=order.amount - refund.amount
                    ),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
        ]
        try:
            self.table.transact(operations)
        except Cancelled as refused:
            return _refunded_already(refused, order, refund)
        return refund


def _placed_already(refused: Cancelled, order: ReportedOrderItem) -> ReportedOrderItem:
    if refused.code_at(0) == FAILED:
        existing = refused.old(0) or {}
        if existing.get("digest") == order.digest:
            return ReportedOrderItem.model_validate(existing)
        raise Conflict(
            "another order was reported under this order id", code="order_exists", field="order_id"
        )
    if len(refused.reasons) > 1 and refused.code_at(1) == FAILED:
        raise Invalid("not one of this merchant's stores", code="unknown_store", field="store_id")
    raise refused


def _refunded_already(
    refused: Cancelled, order: ReportedOrderItem, refund: OrderRefundItem
) -> OrderRefundItem:
    if refused.code_at(0) == FAILED:
        existing = refused.old(0) or {}
        if all(existing.get(f) == getattr(refund, f) for f in _SAME_REFUND):
            return OrderRefundItem.model_validate(existing)
        raise Conflict(
            "another refund was reported under this refund id", code="refund_exists", field="refund_id"
        )
    if refused.code_at(1) == FAILED:
        current = refused.old(1)
        if current is None:
            raise _no_order()
        left = int(current["amount"]) - int(current.get("refunded", 0))
        raise Invalid(
            f"more than the order has left to refund ({left})",
            code="over_refund",
            field="amount",
            details={"refundable": left},
        )
    raise refused
