"""The figures aggregator on small, hand-counted histories: every event twice, in every order that matters
(an order before the redemption that carries it, a reversal before its redemption, a redemption before
its claim), counts once; the function reports a message it cannot read, alone."""

from __future__ import annotations

import json
import random

from coupon_service import keys
from coupon_service.figures.aggregator import Aggregator
from coupon_service.figures.reading import summed
from coupon_service.store.figures import FiguresStore

from tests.support import invoke, sqs_message

M, C = "m1", "c-figures"


def ev(kind, eid, at, **detail):
    return kind, {"event_id": eid, "occurred_at": at, "version": "1", **detail}


def history():
    claim = {"coupon_id": C, "merchant_id": M}
    return [
        ev("CouponClaimed", "e1", "2026-11-20T02:00:00Z", claim_id="k1", customer_id="u1", channel="wechat",
           valid_from="2026-11-20T02:00:00Z", valid_until="2026-11-22T00:00:00Z", **claim),
        ev("CouponClaimed", "e2", "2026-11-20T03:00:00Z", claim_id="k2", customer_id="u2", channel="poster",
           valid_from="2026-11-20T03:00:00Z", valid_until="2026-11-22T00:00:00Z", **claim),
        ev("CouponClaimed", "e3", "2026-11-21T03:00:00Z", claim_id="k3", customer_id="u3", channel="other",
           valid_from="2026-11-21T03:00:00Z", valid_until="2026-11-23T00:00:00Z", **claim),
        ev("CouponRedeemed", "e4", "2026-11-20T05:00:00Z", redemption_id="r1", claim_id="k1",
           customer_id="u1", method="staff", redeemed_by="s1", store_id="sh-1", order_id="o1",
           order_amount=10000, discount=1500, **claim),
        ev("CouponRedeemed", "e5", "2026-11-21T05:00:00Z", redemption_id="r2", claim_id="k2",
           customer_id="u2", method="staff", redeemed_by="s1", store_id="sh-2", order_id="o2",
           order_amount=8000, discount=1000, **claim),
        ev("RedemptionReversed", "e6", "2026-11-21T06:00:00Z", redemption_id="r2", claim_id="k2",
           usable_again=True, **claim),
        ev("CouponVoided", "e7", "2026-11-21T07:00:00Z", claim_id="k3", customer_id="u3", voided_by="m1",
           reason="fraud", **claim),
        ev("GiftAccepted", "e8", "2026-11-20T04:00:00Z", claim_id="k2", title="t", giver_id="u9",
           friend_id="u2", friend_name="F", notify_giver=False, **claim),
        ev("OrderPlaced", "e9", "2026-11-20T05:00:00Z", order_id="o1", merchant_id=M, customer_id="u1",
           store_id="sh-1", amount=10000, currency="CNY", line_count=2, placed_at="2026-11-20T05:00:00Z"),
        ev("OrderPlaced", "e10", "2026-11-25T05:00:00Z", order_id="o3", merchant_id=M, customer_id="u1",
           store_id="sh-1", amount=4000, currency="CNY", line_count=1, placed_at="2026-11-25T05:00:00Z"),
        ev("OrderRefunded", "e11", "2026-11-26T05:00:00Z", order_id="o1", merchant_id=M, customer_id="u1",
           store_id="sh-1", refund_id="f1", amount=2500, refunded_at="2026-11-26T05:00:00Z"),
    ]  # fmt: skip


def figures_by_day(coupon_id=C):
    cells = FiguresStore().cells(coupon_id, "2026-01-01", "2026-12-31")
    by_day: dict[str, dict[str, int]] = {}
    for (day, _channel, _store), counts in summed(cells).items():
        for name, n in counts.items():
            by_day.setdefault(day, {})[name] = by_day.setdefault(day, {}).get(name, 0) + n
    return {day: {k: v for k, v in counts.items() if v} for day, counts in by_day.items()}


EXPECTED = {
    "2026-11-20": {"claimed": 2, "used": 1, "discount": 1500, "orders": 1, "order_value": 7500,
                   "new_customers": 1, "gifted": 1},
    "2026-11-21": {"claimed": 1, "reversed": 1, "voided": 1},
    "2026-11-22": {"expired_unused": 1},  # k2: its redemption reversed, nothing else used it
    "2026-11-25": {"repeat_orders": 1},  # o3, five days after r1
}  # fmt: skip


def test_every_event_twice_in_any_order_counts_once(stack):
    events = history()
    for seed in range(3):
        shuffled = events * 2
        random.Random(seed).shuffle(shuffled)
        aggregator = Aggregator()
        counted = [aggregator.apply(kind, detail) for kind, detail in shuffled]
        assert sum(counted) == (len(events) if seed == 0 else 0)
        assert figures_by_day() == EXPECTED


def test_a_reversal_and_an_order_before_what_they_follow(stack):
    events = dict((d["event_id"], (k, d)) for k, d in history())
    order = ["e11", "e9", "e6", "e5", "e4", "e8", "e2", "e1", "e10", "e7", "e3"]
    aggregator = Aggregator()
    for eid in order:
        assert aggregator.apply(*events[eid])
    assert figures_by_day() == EXPECTED


def test_counter_writes_land_on_the_shard_of_the_event_id(stack):
    aggregator = Aggregator()
    for kind, detail in history()[:3]:
        aggregator.apply(kind, detail)
    shards = {keys.figure_shard(eid) for eid in ("e1", "e2", "e3")}
    found = {
        shard for shard in range(keys.FIGURE_SHARDS)
        if FiguresStore().table.query(key_condition="PK = :p", ExpressionAttributeValues={
            ":p": {"S": keys.figures_partition(C, shard)}})[0]
    }  # fmt: skip
    assert found == shards


def bus(kind, detail):
    return json.dumps({"version": "0", "id": "x", "detail-type": kind, "source": "coupons",
                       "account": "123456789012", "time": "2026-11-20T02:00:00Z", "region": "us-east-1",
                       "resources": [], "detail": detail})  # fmt: skip


def test_the_function_counts_its_batch_and_reports_an_unreadable_message_alone(stack):
    kind, detail = history()[0]
    broken = {**detail, "claim_id": None}
    records = [
        sqs_message(bus(kind, detail), "a"),
        sqs_message(bus(kind, detail), "b"),  # the same event again
        sqs_message("not json", "c"),
        sqs_message(bus(kind, broken), "d"),
    ]
    answer = invoke("aggregator", {"Records": records})
    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == ["c", "d"]
    assert figures_by_day() == {"2026-11-20": {"claimed": 1}, "2026-11-22": {"expired_unused": 1}}


def test_an_event_whose_own_write_fails_fails_alone_and_its_neighbours_are_counted(stack, monkeypatch):
    # Given a customer whose record DynamoDB refuses every time (grown past what an item may hold)
    poisoned = keys.figures_customer(M, "u1")
    original = FiguresStore.commit

    def commit(self, written, moves):
        if any(w.key == poisoned for w in written):
            raise ValueError("Item size has exceeded the maximum allowed size")
        return original(self, written, moves)

    monkeypatch.setattr(FiguresStore, "commit", commit)
    events = {d["event_id"]: (k, d) for k, d in history()}
    # When one batch holds that customer's order (e10) beside two claims of other customers (e2, e3)
    records = [sqs_message(bus(*events[eid]), eid) for eid in ("e2", "e10", "e3")]
    answer = invoke("aggregator", {"Records": records})
    # Then only its message fails, and the two claims are counted
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == ["e10"]
    assert figures_by_day() == {
        "2026-11-20": {"claimed": 1},
        "2026-11-21": {"claimed": 1},
        "2026-11-22": {"expired_unused": 1},
        "2026-11-23": {"expired_unused": 1},
    }
