"""The figures' records, pure: the same events in any order, any of them repeated, leave records that
contribute the same figures (what makes the aggregator's counters independent of the order of arrival)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from coupon_service.figures import customers, facts
from hypothesis import given, settings
from hypothesis import strategies as st

ZONE = ZoneInfo("Asia/Shanghai")
COMMON = {"coupon_id": "c1", "merchant_id": "m1"}


def events():
    """Two claims of one customer's coupons, both redeemed with orders, one reversed, one given; orders
    before and after, one refunded."""
    found = [
        ("claim", "k1", facts.claimed, {**COMMON, "event_id": "e1", "occurred_at": "2026-11-20T15:30:00Z",
         "customer_id": "u1", "channel": "wechat", "valid_until": "2026-11-23T00:00:00Z"}),
        ("claim", "k2", facts.claimed, {**COMMON, "event_id": "e2", "occurred_at": "2026-11-20T16:30:00Z",
         "customer_id": "u1", "channel": "poster", "valid_until": "2026-11-23T00:00:00Z"}),
        ("claim", "k1", facts.redeemed, {**COMMON, "event_id": "e3", "occurred_at": "2026-11-21T02:00:00Z",
         "redemption_id": "r1", "customer_id": "u1", "store_id": "s1", "order_id": "o1",
         "order_amount": 9000, "discount": 900}),
        ("claim", "k2", facts.redeemed, {**COMMON, "event_id": "e4", "occurred_at": "2026-11-22T02:00:00Z",
         "redemption_id": "r2", "customer_id": "u1", "store_id": "s2", "order_id": "o2",
         "order_amount": 5000, "discount": 500}),
        ("claim", "k2", facts.reversed_, {**COMMON, "event_id": "e5", "occurred_at": "2026-11-22T03:00:00Z",
         "redemption_id": "r2"}),
        ("claim", "k1", facts.gifted, {**COMMON, "event_id": "e6", "occurred_at": "2026-11-20T17:00:00Z"}),
        ("customer", "u1", customers.order_placed, {"event_id": "e7", "order_id": "o1", "store_id": "s1",
         "amount": 9000, "placed_at": "2026-11-21T01:59:00Z"}),
        ("customer", "u1", customers.order_placed, {"event_id": "e8", "order_id": "o3", "store_id": "s1",
         "amount": 3000, "placed_at": "2026-11-25T01:00:00Z"}),
        ("customer", "u1", customers.order_placed, {"event_id": "e9", "order_id": "o0", "store_id": "s2",
         "amount": 1000, "placed_at": "2026-11-19T01:00:00Z"}),
        ("customer", "u1", customers.order_refunded, {"event_id": "e10", "order_id": "o1", "refund_id": "f1",
         "amount": 1000}),
    ]  # fmt: skip
    return found


def fold(order):
    """The records after the events in this order, as the aggregator keeps them (a redemption's customer
    learns it, reversed or not, whenever the claim's record knows it); their figures."""
    claims = {"k1": facts.claim_record("k1"), "k2": facts.claim_record("k2")}
    person = customers.customer_record("m1", "u1")
    for kind, key, transition, detail in order:
        if kind == "claim":
            claims[key] = transition(claims[key], detail)
            for rid, fact in claims[key]["redemptions"].items():
                reversed_ = rid in claims[key]["reversals"]
                person = customers.redemption(person, rid, fact, reversed_=reversed_)
        else:
            person = transition(person, detail)
    parts = [facts.claim_contribution(r, ZONE) for r in claims.values()]
    return facts.total([*parts, customers.customer_contribution(person, ZONE)])


@settings(max_examples=200)
@given(st.permutations(list(range(10))), st.lists(st.integers(0, 9), max_size=6))
def test_any_order_and_any_repeats_make_the_same_figures(order, repeats):
    happened = events()
    arrived = [happened[i] for i in order] + [happened[i] for i in repeats]
    assert fold(arrived) == fold(happened)


def test_the_figures_of_the_history():
    figures = {tuple(k.split("|")[2:]): v for k, v in fold(events()).items()}
    # Days in Shanghai: 15:30Z on the 20th is the 20th 23:30; 16:30Z is the 21st
    assert figures[("2026-11-20", "wechat", "-")] == {"claimed": 1}
    assert figures[("2026-11-21", "wechat", "-")] == {"gifted": 1}  # 17:00Z is the 21st 01:00
    assert figures[("2026-11-21", "poster", "-")] == {"claimed": 1}
    assert figures[("2026-11-21", "wechat", "s1")] == {"used": 1, "discount": 900}
    assert figures[("2026-11-22", "poster", "s2")] == {"reversed": 1}
    assert figures[("2026-11-23", "poster", "-")] == {"expired_unused": 1}
    # o1 came with the coupon (its value less the refund); o0, earlier, was the first order: not new
    assert figures[("2026-11-21", "-", "s1")] == {"orders": 1, "order_value": 8000}
    # o3, four days after r1: a repeat order; o2's redemption was reversed
    assert figures[("2026-11-25", "-", "s1")] == {"repeat_orders": 1}
    assert not any(v.get("new_customers") for v in figures.values())


def test_an_extended_coupon_expires_unused_on_its_latest_end_whatever_order_the_events_came_in():
    claim = {**COMMON, "event_id": "x1", "occurred_at": "2026-11-20T01:00:00Z", "customer_id": "u2",
             "channel": "wechat", "valid_until": "2026-11-23T00:00:00Z"}  # fmt: skip
    longer = {
        **COMMON,
        "event_id": "x2",
        "occurred_at": "2026-11-21T00:00:00Z",
        "valid_until": "2026-12-01T00:00:00Z",
    }
    longest = {
        **COMMON,
        "event_id": "x3",
        "occurred_at": "2026-11-22T00:00:00Z",
        "valid_until": "2026-12-31T00:00:00Z",
    }
    steps = [(facts.claimed, claim), (facts.extended, longer), (facts.extended, longest)]
    found = set()
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1, 2, 1]):
        record = facts.claim_record("k3")
        for i in order:
            transition, detail = steps[i]
            record = transition(record, detail)
        contribution = facts.claim_contribution(record, ZONE)
        found.add(tuple(sorted((k.split("|")[2], tuple(sorted(v.items()))) for k, v in contribution.items())))
    # One outcome: claimed on the 20th, expired unused on the last end (Shanghai: Dec 31st 08:00)
    assert found == {(("2026-11-20", (("claimed", 1),)), ("2026-12-31", (("expired_unused", 1),)))}
