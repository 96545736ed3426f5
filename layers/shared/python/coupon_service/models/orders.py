"""The orders feed: what a merchant's order system reports (an order, a refund) through `POST /orders` or
on the bus, and what it reads back. Amounts are integer minor units; nothing is a float."""

from __future__ import annotations

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from coupon_service.models.common import DEFERRED, Name, Strict
from coupon_service.models.parameters import MERCHANT_PATTERN, ORDER_ID_PATTERN
from coupon_service.models.stores import StoreIdPattern
from coupon_service.order_items import OrderRefundItem, ReportedOrderItem
from coupon_service.validity import Instant

MAX_AMOUNT = 100_000_000_00
MAX_LINES = 200
# Ids the merchant chooses (orders, refunds, SKUs) and merchant ids: 1-64 characters safe in a key and a URL.
OrderIdPattern, MerchantPattern = ORDER_ID_PATTERN, MERCHANT_PATTERN
Amount = Field(ge=0, le=MAX_AMOUNT, description="Integer minor units (cents, fen)")
MerchantId = Field(
    default=None,
    pattern=MerchantPattern,
    description="The merchant the order is at: only a platform token names it (a merchant's own id is "
    "implied; on the bus it is required)",
)


class OrderLine(Strict):
    sku: Name
    category: Name | None = Field(default=None, description="The category (issuance rules match it)")
    quantity: int = Field(ge=1, le=100_000)
    unit_price: int = Amount
    amount: int = Field(ge=0, le=MAX_AMOUNT, description="quantity x unit_price")

    @field_validator("amount")
    @classmethod
    def _is_quantity_times_price(cls, amount: int, info: ValidationInfo) -> int:
        quantity, price = info.data.get("quantity"), info.data.get("unit_price")
        if quantity is not None and price is not None and amount != quantity * price:
            raise ValueError(f"must be quantity x unit_price ({quantity * price})")
        return amount


class OrderReport(Strict):
    """An order placed at the merchant, as its order system reports it."""

    merchant_id: str | None = MerchantId
    order_id: Name = Field(description="The merchant's own order id: reporting it again is a replay")
    customer_id: Name = Field(description="The customer's id, as the service's sign-in gives it")
    store_id: str | None = Field(
        default=None, pattern=StoreIdPattern, description="One of the merchant's stores (`/stores`)"
    )
    amount: int = Amount
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")
    lines: list[OrderLine] = Field(min_length=1, max_length=MAX_LINES)
    placed_at: Instant

    @field_validator("lines")
    @classmethod
    def _sum_to_the_amount(cls, lines: list[OrderLine], info: ValidationInfo) -> list[OrderLine]:
        amount = info.data.get("amount")
        total = sum(line.amount for line in lines)
        if amount is not None and total != amount:
            raise ValueError(f"the lines sum to {total}, the order's amount is {amount}")
        return lines


class RefundReport(Strict):
    """A refund of a reported order (the order's id is the route's, or the event's `order_id`)."""

    merchant_id: str | None = MerchantId
    refund_id: Name = Field(description="The merchant's own refund id: reporting it again is a replay")
    amount: int = Field(ge=1, le=MAX_AMOUNT, description="What this refund gives back, minor units")
    refunded_at: Instant


class OrderOut(BaseModel):
    """An order as it was reported (the same report again answers the same)."""

    model_config = DEFERRED
    order_id: str
    merchant_id: str
    customer_id: str
    store_id: str | None = None
    amount: int
    currency: str
    lines: list[OrderLine]
    placed_at: str

    @classmethod
    def from_item(cls, item: ReportedOrderItem) -> OrderOut:
        return cls.model_validate(item.model_dump(include=set(cls.model_fields)))


class OrderView(OrderOut):
    """An order with what its refunds gave back so far."""

    refunded: int
    refundable: int = Field(description="What refunds may still give back")
    refund_count: int

    @classmethod
    def from_item(cls, item: ReportedOrderItem) -> OrderView:
        return cls.model_validate(
            {
                **item.model_dump(include=set(OrderOut.model_fields) | {"refunded", "refund_count"}),
                "refundable": item.amount - item.refunded,
            }
        )


class RefundOut(BaseModel):
    model_config = DEFERRED
    refund_id: str
    order_id: str
    merchant_id: str
    amount: int
    currency: str
    refunded_at: str

    @classmethod
    def from_item(cls, item: OrderRefundItem) -> RefundOut:
        return cls.model_validate(item.model_dump(include=set(cls.model_fields)))
