"""A customer at a merchant, pure: the orders and redemptions the aggregator was told of, and what they
contribute to each coupon's figures: orders that came with the coupon and their value, new customers (the
customer's first order at the merchant came with the coupon) and repeat orders (another order within 30
days after a redemption of the coupon). Facts are sets keyed by their own ids, so their order of arrival
and repeats change nothing (see `facts`)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from coupon_service.figures.facts import REPEAT_WINDOW, Contribution, Record, add, cell, day_of
from coupon_service.validity import from_iso


def customer_record(merchant_id: str, customer_id: str) -> Record:
    return {"merchant_id": merchant_id, "customer_id": customer_id, "version": 0, "seen": [],
            "orders": {}, "refunds": {}, "redemptions": {}, "contributed": {}}  # fmt: skip


def order_placed(record: Record, detail: dict[str, Any]) -> Record:
    fact = {"at": detail["placed_at"], "store": detail.get("store_id"), "amount": int(detail["amount"])}
    return {**record, "orders": {**record["orders"], detail["order_id"]: fact}}


def order_refunded(record: Record, detail: dict[str, Any]) -> Record:
    fact = {"order_id": detail["order_id"], "amount": int(detail["amount"])}
    return {**record, "refunds": {**record["refunds"], detail["refund_id"]: fact}}


def redemption(record: Record, rid: str, fact: dict[str, Any], *, reversed_: bool) -> Record:
    """A redemption by this customer (as the claimed coupon's record holds it), reversed or not."""
    keep = ("coupon_id", "merchant_id", "order_id", "at", "store", "order_amount")
    entry = {**{k: fact.get(k) for k in keep}, "reversed": reversed_}
    return {**record, "redemptions": {**record["redemptions"], rid: entry}}


def _value(record: Record, order_id: str, fallback: int) -> int:
    order = record["orders"].get(order_id)
    if order is None:  # not reported (yet): the amount the till recorded
        return fallback
    refunded = sum(int(r["amount"]) for r in record["refunds"].values() if r["order_id"] == order_id)
    return int(order["amount"]) - refunded


def _with_coupon(record: Record, standing: list[dict[str, Any]], zone: ZoneInfo, out: Contribution) -> None:
    done: set[tuple[str, str]] = set()
    for r in standing:
        if not r["order_id"] or (r["coupon_id"], r["order_id"]) in done:
            continue
        done.add((r["coupon_id"], r["order_id"]))
        order = record["orders"].get(r["order_id"])
        at, store = (order["at"], order["store"]) if order else (r["at"], r["store"])
        key = cell(r["merchant_id"], r["coupon_id"], day_of(at, zone), None, store)
        add(out, key, orders=1, order_value=_value(record, r["order_id"], int(r["order_amount"] or 0)))


def _new_customer(record: Record, standing: list[dict[str, Any]], zone: ZoneInfo, out: Contribution) -> None:
    if not record["orders"]:
        return
    first_id, first = min(record["orders"].items(), key=lambda kv: (kv[1]["at"], kv[0]))
    coupons = {(r["merchant_id"], r["coupon_id"]) for r in standing if r["order_id"] == first_id}
    for merchant, coupon in sorted(coupons):
        add(out, cell(merchant, coupon, day_of(first["at"], zone), None, first["store"]), new_customers=1)


def _repeats(record: Record, standing: list[dict[str, Any]], zone: ZoneInfo, out: Contribution) -> None:
    for order_id, order in record["orders"].items():
        placed = from_iso(order["at"])
        coupons = {
            (r["merchant_id"], r["coupon_id"])
            for r in standing
            if r["order_id"] != order_id and from_iso(r["at"]) < placed <= from_iso(r["at"]) + REPEAT_WINDOW
        }
        for merchant, coupon in sorted(coupons):
            add(out, cell(merchant, coupon, day_of(order["at"], zone), None, order["store"]), repeat_orders=1)


def customer_contribution(record: Record, zone: ZoneInfo) -> Contribution:
    """Per coupon with a standing redemption: its orders (the feed's amount less refunds; the till's
    amount for an order not reported), the customer as new when their first order at the merchant (by
    time placed, then id) came with it, and every other order placed within 30 days after a redemption of
    it. Days and stores are the order's (the redemption's for an order not reported); no channel."""
    out: Contribution = {}
    standing = [r for r in record["redemptions"].values() if not r["reversed"]]
    _with_coupon(record, standing, zone, out)
    _new_customer(record, standing, zone, out)
    _repeats(record, standing, zone, out)
    return out
