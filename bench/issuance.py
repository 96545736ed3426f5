"""Issuance rules' cost: DynamoDB requests per coupon a rule issued, by trigger, as the rules worker takes
its queue's batches of 10 (an order rule over orders a quarter of which are under its threshold, each order
delivered twice; a joined pack of three coupons) and as the scheduled run issues birthdays."""

from __future__ import annotations

from collections import Counter
from typing import Any

from coupon_service import aws
from coupon_service.customers import CustomerDirectory
from coupon_service.issuance.apply import RuleWorker, cache
from coupon_service.issuance.daily import ScheduledRules
from coupon_service.issuance.rules import IssuanceRules
from coupon_service.models.customer_events import CustomerJoinedEvent
from coupon_service.models.issuance import RuleCreate
from coupon_service.models.order_events import OrderPlaced

from bench.claims import coupon
from devstack.metering import RequestCounter

ORDERS = 200  # 150 at or over the threshold
JOINED = 50
BORN = 100
MERCHANT = "bench-merchant"


def _rule(trigger: dict[str, Any]) -> str:
    made = IssuanceRules().create(MERCHANT, RuleCreate.model_validate({"name": "bench", "trigger": trigger}))
    cache.clear()  # the worker keeps a merchant's rules 5 seconds: measure with the new rule from the start
    return made.rule_id


def _apply(counter: RequestCounter, events: list[tuple[str, dict[str, Any]]]) -> Counter[str]:
    """The events in batches of 10, as the queue hands them over; the issues' outcomes by status."""
    worker, outcomes = RuleWorker(), Counter[str]()
    counter.reset()
    for start in range(0, len(events), 10):
        for applied in worker.apply_all([("coupons", t, d) for t, d in events[start : start + 10]]):
            assert not isinstance(applied, Exception), applied
            outcomes.update(applied.outcomes)
    return outcomes


def _row(name: str, counter: RequestCounter, issued: int, deliveries: int) -> dict[str, Any]:
    calls = dict(counter.calls)
    total = sum(calls.values())
    return {
        "name": name,
        "issued": issued,
        "deliveries": deliveries,
        "per_coupon": total / issued if issued else 0.0,
        "requests": {op: n / issued for op, n in calls.items()} if issued else calls,
        "total": total,
    }


def measure() -> list[dict[str, Any]]:
    counter = RequestCounter().attach(aws.client("dynamodb"))
    rows = []
    # Orders: 150 of 200 over 100.00, each delivered twice (the second half of the stream is the duplicate)
    over = coupon({"mode": "random_on_claim", "inventory": 10_000}, 4, MERCHANT)
    _rule({"type": "order_placed", "min_amount": 10_000, "coupon_id": over})
    orders = [
        (
            "OrderPlaced",
            OrderPlaced(
                event_id=f"bench-order-{n}", occurred_at="2026-05-09T10:00:00Z", order_id=f"bo-{n}",
                merchant_id=MERCHANT, customer_id=f"bench-c{n}", store_id=None,
                amount=12_000 if n % 4 else 5_000, currency="CNY", line_count=1, placed_at="2026-05-09T10:00:00Z",
            ).model_dump(mode="json"),
        )
        for n in range(ORDERS)
    ]  # fmt: skip
    first = _apply(counter, orders)
    rows.append(_row("order_placed, first delivery", counter, first["issued"], ORDERS))
    again = _apply(counter, orders)
    assert not again.get("issued")
    rows.append(_row("order_placed, delivered again", counter, first["issued"], ORDERS))
    # A joined pack of three coupons
    pack = [coupon({"mode": "random_on_claim", "inventory": 10_000}, 4, MERCHANT) for _ in range(3)]
    _rule({"type": "customer_joined", "coupon_ids": pack})
    joined = [
        (
            "CustomerJoined",
            CustomerJoinedEvent(
                event_id=f"bench-joined-{n}", occurred_at="2026-05-09T10:00:00Z", merchant_id=MERCHANT,
                customer_id=f"bench-j{n}", joined_at="2026-05-09T10:00:00Z", reported_id=f"crm-{n}",
            ).model_dump(mode="json"),
        )
        for n in range(JOINED)
    ]  # fmt: skip
    outcomes = _apply(counter, joined)
    rows.append(_row("customer_joined (pack of 3, directory recorded)", counter, outcomes["issued"], JOINED))
    # Birthdays: today's customers, one scheduled run
    gift = coupon({"mode": "random_on_claim", "inventory": 10_000}, 4, MERCHANT)
    _rule({"type": "birthday", "coupon_id": gift})
    directory, scheduled = CustomerDirectory(), ScheduledRules()
    today = scheduled.today(MERCHANT).strftime("%m-%d")
    for n in range(BORN):
        directory.record(MERCHANT, f"bench-b{n}", birthday=today)
    counter.reset()
    report = scheduled.run(lambda: 900.0)
    rows.append(
        _row(
            "birthday (scheduled run, customers born today)", counter, report.outcomes.get("issued", 0), BORN
        )
    )
    return rows


def section(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "## Issuance rules",
        "",
        "DynamoDB requests per coupon a rule issued (counted on the client), the worker taking its queue's",
        "batches of 10; a quarter of the orders are under the threshold (they issue nothing and cost nothing:",
        'the merchant\'s rules are kept 5 seconds); "delivered again" is the same stream once more, its',
        "requests still divided by the coupons the first delivery issued:",
        "",
        "| trigger | events (customers) | coupons issued | requests per coupon | by operation |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        ops = ", ".join(f"{op} {n:.2f}" for op, n in sorted(r["requests"].items()))
        lines.append(f"| {r['name']} | {r['deliveries']} | {r['issued']} | {r['per_coupon']:.2f} | {ops} |")
    lines += [
        "",
        "An issued coupon is one claim transaction (shard, holder, claim); an event that issues also has its",
        "mark read and written with its batch's (one `BatchGetItem` and one `BatchWriteItem` per 10 events);",
        "a pack also records its customer in the directory and reads its claims once; the birthday run reads",
        "the scheduled rules, the merchant's time zone and the day's mark, then issues.",
    ]
    return lines
