"""A segment's conditions applied to what the orders feed and the directory say of customers (pure: no
store). Money is net of refunds: an order counts `amount - refunded` as its merchant reported them by the
evaluation; an order refunded in full counts as no order at all (for counts, products, recency, newness).
A window of D days is every order placed at or after the evaluation's moment minus D days."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from coupon_service.models.segments import Condition
from coupon_service.order_items import ReportedOrderItem
from coupon_service.validity import to_iso

# Conditions over every customer known (the directory's and every buyer's): they need all orders ever.
UNIVERSAL = ("no_order_for", "new_customers")


@dataclass(frozen=True)
class OrderFact:
    placed_at: str
    net: int  # the amount less what was refunded of it
    currency: str
    skus: frozenset[str] = field(default_factory=frozenset)
    categories: frozenset[str] = field(default_factory=frozenset)
    counts: bool = True  # False: refunded in full, as if it was never placed

    @classmethod
    def of(cls, order: ReportedOrderItem) -> OrderFact:
        lines = order.lines
        return cls(
            placed_at=order.placed_at,
            net=order.amount - order.refunded,
            currency=order.currency,
            skus=frozenset(str(line["sku"]) for line in lines),
            categories=frozenset(str(line["category"]) for line in lines if line.get("category")),
            counts=order.refunded < order.amount or order.amount == 0,
        )


@dataclass
class Inputs:
    """What an evaluation read: each buyer's orders in the window read, the directory (customer ->
    `joined_at`) when a condition needs it, and the customers of each tag named."""

    orders: Mapping[str, list[OrderFact]]
    directory: Mapping[str, str | None] = field(default_factory=dict)
    tagged: Mapping[str, set[str]] = field(default_factory=dict)


def reads_orders(conditions: Iterable[Condition]) -> bool:
    return any(c.type != "has_tag" for c in conditions)


def reads_directory(conditions: Iterable[Condition]) -> bool:
    return any(c.type in UNIVERSAL for c in conditions)


def earliest(conditions: list[Condition], now: datetime) -> str | None:
    """From when orders are read: the widest window, or every order (None) when a condition needs all."""
    if reads_directory(conditions):
        return None
    days = [c.days for c in conditions if c.type != "has_tag"]
    return _since(now, max(days)) if days else to_iso(now)


def _since(now: datetime, days: int) -> str:
    return to_iso(now - timedelta(days=days))


def _spent(facts: list[OrderFact], since: str, currency: str) -> int:
    return sum(f.net for f in facts if f.placed_at >= since and f.currency == currency and f.counts)


def _ordered(facts: list[OrderFact], since: str) -> list[OrderFact]:
    return [f for f in facts if f.placed_at >= since and f.counts]


def _spent_at_least(c: Any, facts: list[OrderFact], since: str, joined: str | None) -> bool:
    return bool(_spent(facts, since, c.currency) >= c.amount)


def _orders_at_least(c: Any, facts: list[OrderFact], since: str, joined: str | None) -> bool:
    return bool(len(_ordered(facts, since)) >= c.count)


def _bought(c: Any, facts: list[OrderFact], since: str, joined: str | None) -> bool:
    products, categories = set(c.products), set(c.categories)
    return any(f.skus & products or f.categories & categories for f in _ordered(facts, since))


def _no_order_for(c: Any, facts: list[OrderFact], since: str, joined: str | None) -> bool:
    return not _ordered(facts, since)


def _new_customer(c: Any, facts: list[OrderFact], since: str, joined: str | None) -> bool:
    if joined is not None:  # the directory's word decides
        return joined >= since
    return not any(f.placed_at < since and f.counts for f in facts)


_TESTS: dict[str, Callable[[Any, list[OrderFact], str, str | None], bool]] = {
    "spent_at_least": _spent_at_least,
    "orders_at_least": _orders_at_least,
    "bought": _bought,
    "no_order_for": _no_order_for,
    "new_customers": _new_customer,
}


def _kept(condition: Condition, customer: str, inputs: Inputs, now: datetime) -> bool:
    if condition.type == "has_tag":
        return customer in inputs.tagged.get(condition.tag, set())
    test = _TESTS.get(condition.type)
    if test is None:  # top_spenders: ranked after the others
        return True
    since = _since(now, condition.days)
    return test(condition, inputs.orders.get(customer, []), since, inputs.directory.get(customer))


def members(conditions: list[Condition], inputs: Inputs, now: datetime) -> list[str]:
    """The customers every condition keeps, by id; a `top_spenders` condition keeps the first `count` of
    those by spend in its window (more is first; ties: the smaller id), never one who spent nothing."""
    if all(c.type in (*UNIVERSAL, "top_spenders") for c in conditions):
        candidates = set(inputs.orders) | set(inputs.directory)
    else:
        candidates = set(inputs.orders)
        for tag in {c.tag for c in conditions if c.type == "has_tag"}:
            candidates |= inputs.tagged.get(tag, set())
    kept = sorted(c for c in candidates if all(_kept(k, c, inputs, now) for k in conditions))
    for top in (c for c in conditions if c.type == "top_spenders"):
        since = _since(now, top.days)
        spent = {c: _spent(inputs.orders.get(c, []), since, top.currency) for c in kept}
        ranked = sorted((c for c in kept if spent[c] > 0), key=lambda c: (-spent[c], c))
        kept = sorted(ranked[: top.count])
    return kept
