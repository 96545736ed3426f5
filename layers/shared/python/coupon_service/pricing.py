"""What a coupon takes off an order: one exact rule, in integer minor units, for checkout, till and accounts.

Pure functions, no I/O. A result is either ``Priced`` (the saving, split over the order's lines) or
``NotApplicable`` (a machine-readable reason and the numbers behind it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from coupon_service.items import ClaimItem
from coupon_service.models import rules
from coupon_service.models import terms as models
from coupon_service.models.common import DEFERRED, Name, Strict

MAX_MINOR_UNITS = 100_000_000_00
MinorUnits = Annotated[int, Field(ge=0, le=MAX_MINOR_UNITS, description="Integer minor units (cents, fen)")]


class OrderLine(Strict):
    sku: Name
    category: Name | None = None
    brand: Name | None = None
    unit_price: MinorUnits
    quantity: int = Field(ge=1, le=10_000)

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


class Order(Strict):
    """A cart at one merchant, in one currency."""

    merchant_id: Name = Field(description="The merchant the order is placed with")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lines: list[OrderLine] = Field(min_length=1, max_length=500)
    shipping_fee: MinorUnits = 0


class Allocation(BaseModel):
    model_config = DEFERRED
    line: int = Field(description="Index of the line in the order")
    sku: str
    amount: int


class Priced(BaseModel):
    model_config = DEFERRED
    applies: Literal[True] = True
    discount: int = Field(description="Everything the coupon takes off: line_discount + shipping_discount")
    line_discount: int
    shipping_discount: int
    allocations: list[Allocation] = Field(description="line_discount split over the eligible lines")
    points: int | None = None
    item: str | None = Field(default=None, description="Gift coupons: the item handed over")
    terms_text: str | None = Field(default=None, description="Generic coupons: what the coupon grants")
    payable: int = Field(description="Order total (lines and shipping) less the discount")


class Taken(BaseModel):
    """What coupons already on an order took off each of its lines and its shipping (stacking)."""

    model_config = DEFERRED
    lines: list[int]
    shipping: int = 0

    @classmethod
    def nothing(cls, order: Order) -> Taken:
        return cls(lines=[0] * len(order.lines))

    def total(self) -> int:
        return sum(self.lines) + self.shipping

    def plus(self, priced: Priced) -> Taken:
        lines = list(self.lines)
        for allocation in priced.allocations:
            lines[allocation.line] += allocation.amount
        return Taken(lines=lines, shipping=self.shipping + priced.shipping_discount)


class NotApplicable(BaseModel):
    model_config = DEFERRED
    applies: Literal[False] = False
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)


_terms: TypeAdapter[models.Terms] = TypeAdapter(models.Terms, config=DEFERRED)
_scope: TypeAdapter[rules.Scope] = TypeAdapter(rules.Scope, config=DEFERRED)


def order_total(order: Order) -> int:
    return sum(line.total for line in order.lines) + order.shipping_fee


def in_scope(scope: rules.WholeOrder | rules.Items, line: OrderLine) -> bool:
    if isinstance(scope, rules.WholeOrder):
        return True
    return (
        line.sku in scope.products
        or (line.category is not None and line.category in scope.categories)
        or (line.brand is not None and line.brand in scope.brands)
    )


def allocate(amount: int, line_totals: list[int]) -> list[int]:
    """Split ``amount`` over lines pro rata: floors first, the remainder one unit at a time to the largest
    lines (ties by line order). Requires 0 <= amount <= sum(line_totals)."""
    total = sum(line_totals)
    if not 0 <= amount <= total:
        raise ValueError("amount must lie between 0 and the lines' total")
    if amount == 0:
        return [0] * len(line_totals)
    shares = [amount * line // total for line in line_totals]
    largest_first = sorted(range(len(line_totals)), key=lambda i: (-line_totals[i], i))
    for i in largest_first[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def price(
    terms: models.Terms | dict[str, Any],
    scope: rules.WholeOrder | rules.Items | dict[str, Any],
    currency: str,
    order: Order,
    *,
    issuer_id: str,
    merchants: list[str] | None = None,
    taken: Taken | None = None,
) -> Priced | NotApplicable:
    """What one coupon takes off ``order``. ``merchants`` lists where a platform coupon is usable; a
    merchant's own coupon (``merchants`` None) is usable only at its issuer. ``taken``: what coupons
    stacked before it already took off each line and the shipping; it takes its share of what is left
    (its conditions, such as a minimum spend, are read on the order as sent)."""
    terms = _terms.validate_python(terms) if isinstance(terms, dict) else terms
    scope = _scope.validate_python(scope) if isinstance(scope, dict) else scope
    refusal = _place_refusal(currency, order, issuer_id, merchants)
    if refusal is not None:
        return refusal
    eligible = [i for i, line in enumerate(order.lines) if in_scope(scope, line)]
    outside = [i for i, line in enumerate(order.lines) if not in_scope(scope, line)]
    if not eligible:
        return NotApplicable(reason="no_eligible_lines", details={})
    subtotal = sum(order.lines[i].total for i in eligible)
    refusal = _terms_refusal(terms, order, subtotal, outside)
    if refusal is not None:
        return refusal
    taken = taken or Taken.nothing(order)
    left = [order.lines[i].total - taken.lines[i] for i in eligible]
    line_discount = min(_line_discount(terms, sum(left)), sum(left))
    free_shipping = isinstance(terms, models.FreeShippingTerms)
    shipping_discount = order.shipping_fee - taken.shipping if free_shipping else 0
    shares = allocate(line_discount, left)
    discount = line_discount + shipping_discount
    return Priced(
        discount=discount,
        line_discount=line_discount,
        shipping_discount=shipping_discount,
        allocations=[
            Allocation(line=i, sku=order.lines[i].sku, amount=share)
            for i, share in zip(eligible, shares, strict=True)
            if share
        ],
        payable=order_total(order) - taken.total() - discount,
        **_granted(terms),
    )


def _place_refusal(
    currency: str, order: Order, issuer_id: str, merchants: list[str] | None
) -> NotApplicable | None:
    """The coupon's currency or merchants do not fit the order's."""
    if currency != order.currency:
        return NotApplicable(
            reason="wrong_currency", details={"coupon_currency": currency, "order_currency": order.currency}
        )
    usable_at = merchants if merchants is not None else [issuer_id]
    if order.merchant_id not in usable_at:
        return NotApplicable(
            reason="not_at_this_merchant", details={"merchant_id": order.merchant_id, "usable_at": usable_at}
        )
    return None


def _terms_refusal(
    terms: models.Terms, order: Order, subtotal: int, outside: list[int]
) -> NotApplicable | None:
    """The terms refuse this order: a percent coupon any cart holding a product outside its scope, a
    minimum spend the eligible lines miss, free shipping on an order without a shipping fee."""
    if isinstance(terms, models.DiscountTerms) and outside:
        first = outside[0]
        return NotApplicable(
            reason="out_of_scope_line", details={"line": first, "sku": order.lines[first].sku}
        )
    if (
        isinstance(terms, models.CashValueTerms)
        and terms.min_spend is not None
        and subtotal < terms.min_spend
    ):
        return NotApplicable(
            reason="below_min_spend",
            details={
                "min_spend": terms.min_spend,
                "eligible_subtotal": subtotal,
                "short_by": terms.min_spend - subtotal,
            },
        )
    if isinstance(terms, models.FreeShippingTerms) and order.shipping_fee == 0:
        return NotApplicable(reason="no_shipping_fee", details={})
    return None


def _line_discount(terms: models.Terms, subtotal: int) -> int:
    """What the terms take off the eligible lines (``subtotal``): nothing for the terms that grant a thing."""
    match terms:
        case models.DiscountTerms(percent_off=percent, max_discount=cap):
            rounded_up = -(-subtotal * percent // 100)  # in the customer's favour
            return rounded_up if cap is None else min(rounded_up, cap)
        case models.CashValueTerms(amount_off=amount) | models.CashTerms(amount=amount):
            return min(amount, subtotal)
    return 0


def _granted(terms: models.Terms) -> dict[str, Any]:
    """What the terms grant besides money: an item, points, the text of a generic coupon."""
    match terms:
        case models.GiftTerms(item=item):
            return {"item": item}
        case models.PointsTerms(points=points):
            return {"points": points}
        case models.GenericTerms(terms=text):
            return {"terms_text": text}
    return {}


def points_granted(terms: models.Terms | dict[str, Any]) -> int | None:
    """The points a `points` coupon grants, whatever the order (a redemption without one grants them too).
    Terms as claimed are read as stored, not validated again: a redemption without an order prices nothing,
    and terms of another kind (or a shape older than today's models) must not cost it a 5xx."""
    if not isinstance(terms, dict):
        return terms.points if isinstance(terms, models.PointsTerms) else None
    points = terms.get("points") if terms.get("kind") == "points" else None
    return points if isinstance(points, int) and not isinstance(points, bool) and points > 0 else None


def price_claim(claim: ClaimItem, order: Order, taken: Taken | None = None) -> Priced | NotApplicable:
    """What a claimed coupon takes off ``order`` (after what ``taken`` took), by the terms it was claimed
    with."""
    return price(
        claim.terms,
        claim.scope,
        claim.currency,
        order,
        issuer_id=claim.merchant_id,
        merchants=claim.merchants,
        taken=taken,
    )
