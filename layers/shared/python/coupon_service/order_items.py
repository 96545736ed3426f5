"""What the table holds of orders, typed: an order as its merchant reported it and each refund of it (the
orders feed), and the coupons redeemed on one order (docs/data-model.md describes them). Apart from
`items.py`, which holds the coupons' items."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class ReportedOrderItem(BaseModel):
    """An order as its merchant reported it (`ORDER#{merchantId}#{orderId}` / `REPORTED`). Its insert is the
    outbox record of `OrderPlaced`; refunds add to `refunded`, never above `amount`."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    order_id: str
    merchant_id: str
    customer_id: str
    store_id: str | None = None
    amount: int
    currency: str
    lines: list[dict[str, Any]]
    placed_at: str  # fixed-width UTC, as every stored instant
    received_at: str
    reported_via: Literal["api", "bus"]
    digest: str  # of what was reported: the same report again is a replay, another one a conflict
    refunded: int = 0
    refund_count: int = 0


class OrderRefundItem(BaseModel):
    """One refund of a reported order (`REFUND#{merchantId}#{refundId}` / `REFUND`), keyed by the merchant's
    own refund id. Its insert is the outbox record of `OrderRefunded`, so it carries what the event needs of
    its order (customer, store)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    refund_id: str
    order_id: str
    merchant_id: str
    customer_id: str
    store_id: str | None = None
    amount: int
    currency: str
    refunded_at: str
    received_at: str
    reported_via: Literal["api", "bus"]


class OrderCouponsItem(BaseModel):
    """The coupons on one order at one merchant (`ORDER#{merchantId}#{orderId}` / `ORDER`; coupon_service.
    stacking): each redemption's hold, the main coupon (one that does not stack: `redemption_id`,
    `claim_id`, `locked_at`), what the coupons took off each line (`taken`: line index -> amount) and the
    shipping, the cart they were priced on, and `seq`, its changes so far. An item written before stacking
    has only the main coupon. None fields are not stored."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    type: str = "order"
    merchant_id: str | None = None
    order_id: str | None = None
    seq: int | None = None
    holds: dict[str, dict[str, Any]] | None = None
    redemption_id: str | None = None
    claim_id: str | None = None
    locked_at: str | None = None
    cart: str | None = None
    taken: dict[str, int] | None = None
    shipping_taken: int | None = None
