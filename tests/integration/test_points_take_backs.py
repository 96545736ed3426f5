"""Taking points back: an order's refunds take back floor(E * min(R, A) / A) in all, however they are split,
repeated or applied at once (with injected conflicts and lost answers); a points coupon's reversal takes its
redemption's credit back and a later redemption credits again, whatever the events' order or repetition."""

from __future__ import annotations

import random

import pytest
from coupon_service import keys
from coupon_service.point_items import PointsSettingsItem
from coupon_service.point_rules import order_points
from coupon_service.points.earning import Earning
from coupon_service.points.ledger import Ledger
from coupon_service.store.point_settings import PointSettingsStore
from coupon_service.store.points import entry_id
from coupon_service.store.table import Table

from tests.integration.test_points_ledger import assert_consistent
from tests.support import bus_message, concurrently, inject, invoke

pytestmark = pytest.mark.usefixtures("stack")

RULE = {"points": 1, "per_amount": 100}


def programme():
    PointSettingsStore().replace(
        PointsSettingsItem(merchant_id="m1", earning={"order": RULE}, updated_at="2030-01-01T00:00:00Z")
    )


def order(order_id, amount, customer="u1"):
    return {
        "order_id": order_id,
        "merchant_id": "m1",
        "customer_id": customer,
        "amount": amount,
        "currency": "CNY",
    }


def refund(order_id, refund_id, amount, customer="u1"):
    return {
        "order_id": order_id,
        "merchant_id": "m1",
        "customer_id": customer,
        "refund_id": refund_id,
        "amount": amount,
    }


def deliver(messages, rounds=4):
    """Through the worker as its queue does: the failed messages delivered again (a few times at most);
    returns the messages the worker refused at least once."""
    refused, pending = [], messages
    for _ in range(rounds):
        answer = invoke("points_worker", {"Records": pending})
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        refused += [m for m in pending if m["messageId"] in failed]
        pending = [m for m in pending if m["messageId"] in failed]
        if not pending:
            return refused
    raise AssertionError(f"still refused after {rounds} deliveries: {pending}")


def credit_entry(source):
    return Table().get(keys.points_entry("u1", "m1", entry_id(source)))


def holds(points, field, expected):
    """u1's ledger at m1 is consistent, holds `points`, and its entries' `field`s are `expected` (sorted)."""
    stored, entries = assert_consistent("u1", "m1")
    assert stored["balance"] == points
    assert sorted(e[field] for e in entries) == expected


def balance():
    return Table().get(keys.points_balance("u1", "m1"))["balance"]


def test_ten_refunds_of_99_on_an_order_of_1000_take_back_9_and_never_more_than_it_earned():
    programme()
    deliver(
        [
            bus_message("OrderPlaced", order("o1", 1000), "p1"),
            bus_message("OrderPlaced", order("o2", 1000), "p2"),
        ]
    )
    # Ten refunds of 99, each in a batch of its own and each delivered twice (once more at the end)
    tens = [bus_message("OrderRefunded", refund("o1", f"r{n}", 99), f"r{n}") for n in range(10)]
    for message in tens:
        deliver([message])
    deliver(tens[::-1])
    # Three refunds of 600 on the other order: it gives back its 10 points, no more
    over = [bus_message("OrderRefunded", refund("o2", f"x{n}", 600), f"x{n}") for n in range(3)]
    deliver(over + over)
    stored, entries = assert_consistent("u1", "m1")
    back = {
        o: -sum(
            e["points"]
            for e in entries
            if (e.get("detail") or {}).get("order_id") == o and e["reason"] == "refund"
        )
        for o in ("o1", "o2")
    }
    assert back == {"o1": 9, "o2": 10}  # floor(10 * 990 / 1000), and all of the second order's 10
    assert stored["balance"] == 1
    first = credit_entry("order:o1")
    assert (first["refunded"], first["taken_back"], first["refund_count"]) == (990, 9, 10)
    assert credit_entry("order:o2")["taken_back"] == 10
    # Only refunds that took something wrote an entry: no zero entries for the ones that wanted nothing yet
    assert all(e["points"] < 0 for e in entries if e["reason"] == "refund")


@pytest.mark.concurrency
@pytest.mark.parametrize("mode", ["faults", "lost"])
def test_refunds_delivered_twice_and_at_once_take_back_exactly_the_share_of_their_total(emulator, mode):
    # Given three orders credited, and five refunds of each (the last order's refunds exceed it)
    programme()
    chance = random.Random(mode)
    amounts = {"o1": 1000, "o2": 12_345, "o3": 7_777}
    deliver([bus_message("OrderPlaced", order(o, a), o) for o, a in amounts.items()])
    refunds = []
    for o, a in amounts.items():
        share = a // 4 if o == "o3" else a // 6
        refunds += [refund(o, f"{o}-r{n}", chance.randrange(1, share + 1)) for n in range(5)]
    jobs = refunds + refunds
    chance.shuffle(jobs)
    # When each is applied twice by workers running at once, with conflicts, throttling and lost answers
    inject(emulator, mode)

    def work(i):
        earning = Earning()
        for _ in range(30):  # the queue delivers a failed message again
            try:
                return earning.apply("OrderRefunded", jobs[i])
            except Exception as error:
                last = error
        raise last

    results = concurrently(work, len(jobs), threads=6)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert [r for r in results if isinstance(r, Exception)] == []
    # Then each order gives back floor(E * min(R, A) / A), once, and the ledger stays consistent
    stored, entries = assert_consistent("u1", "m1")
    expected_back = 0
    for o, a in amounts.items():
        earned = order_points(RULE, a, "CNY")
        total = sum(r["amount"] for r in refunds if r["order_id"] == o)
        wanted = earned * min(total, a) // a
        expected_back += wanted
        credit = credit_entry(f"order:{o}")
        assert (credit["refunded"], credit["taken_back"], credit["refund_count"]) == (total, wanted, 5), o
        took = [e for e in entries if e["reason"] == "refund" and e["detail"]["order_id"] == o]
        assert -sum(e["points"] for e in took) == wanted, o
        assert all(e["shortfall"] == 0 for e in took)
    assert stored["balance"] == sum(order_points(RULE, a, "CNY") for a in amounts.values()) - expected_back
    assert injected > 0


# --- points coupons -----------------------------------------------------------------------------------


def redeemed(redemption_id, at, claim_id="c1", points=50):
    return {
        "event_id": f"e-{redemption_id}",
        "occurred_at": at,
        "redemption_id": redemption_id,
        "claim_id": claim_id,
        "coupon_id": "k1",
        "merchant_id": "m1",
        "customer_id": "u1",
        "method": "staff",
        "redeemed_by": "s1",
        "points": points,
    }


def reversed_(redemption_id, redeemed_at, at, claim_id="c1", points=50):
    return {
        "event_id": f"x-{redemption_id}",
        "occurred_at": at,
        "redemption_id": redemption_id,
        "claim_id": claim_id,
        "coupon_id": "k1",
        "merchant_id": "m1",
        "usable_again": True,
        "customer_id": "u1",
        "redeemed_at": redeemed_at,
        "points": points,
    }


def test_redeem_reverse_redeem_with_every_event_twice_and_out_of_order_credits_the_points_once():
    r1, x1, r2 = (
        bus_message("CouponRedeemed", redeemed("r1", "2030-05-09T10:00:00Z"), "r1"),
        bus_message(
            "RedemptionReversed", reversed_("r1", "2030-05-09T10:00:00Z", "2030-05-09T10:05:00Z"), "x1"
        ),
        bus_message("CouponRedeemed", redeemed("r2", "2030-05-09T11:00:00Z"), "r2"),
    )
    # The reversal arrives first, twice: both go back to the queue until the credit it takes back is there
    first = invoke("points_worker", {"Records": [x1, {**x1, "messageId": "x1-again"}, r2]})
    assert {f["itemIdentifier"] for f in first["batchItemFailures"]} == {"x1", "x1-again"}
    assert balance() == 50  # r2's credit
    # Then everything again, the credit among it, the reversals last in the batch
    deliver([x1, r1, r2, {**x1, "messageId": "x1-again"}, r1])
    deliver([r1, x1, r2])
    stored, entries = assert_consistent("u1", "m1")
    assert stored["balance"] == 50
    assert sorted((e["source"], e["points"]) for e in entries) == [
        ("points_coupon:r1", 50),
        ("points_coupon:r2", 50),
        ("points_coupon_reversed:r1", -50),
    ]


def test_a_reversal_after_the_points_were_spent_takes_what_is_left_and_records_the_shortfall():
    deliver([bus_message("CouponRedeemed", redeemed("r1", "2030-05-09T10:00:00Z"), "r1")])
    Ledger().debit("u1", "m1", "spent", "coupon_claim", 30)
    x1 = bus_message(
        "RedemptionReversed", reversed_("r1", "2030-05-09T10:00:00Z", "2030-05-09T10:05:00Z"), "x1"
    )
    deliver([x1, x1])
    stored, entries = assert_consistent("u1", "m1")
    taken = next(e for e in entries if e["source"] == "points_coupon_reversed:r1")
    assert stored["balance"] == 0 and (taken["points"], taken["shortfall"], taken["wanted"]) == (-20, 30, 50)
    assert taken["reason"] == "points_coupon_reversed"


def test_a_claim_credited_once_before_credits_were_per_redemption_is_not_credited_twice():
    # Given a claim credited under the old per-claim source, after its redemption r1
    Ledger().credit("u1", "m1", "points_coupon:c1", "points_coupon", 50)
    credited_at = credit_entry("points_coupon:c1")["at"]
    early = "2000-01-01T00:00:00Z"  # r1 was redeemed before that credit
    # When r1's redemption is delivered again, then reversed, then the coupon redeemed again (r2, later)
    deliver([bus_message("CouponRedeemed", redeemed("r1", early), "r1")])
    assert balance() == 50
    deliver([bus_message("RedemptionReversed", reversed_("r1", early, credited_at), "x1")] * 2)
    assert balance() == 0
    deliver([bus_message("CouponRedeemed", redeemed("r2", "2100-01-01T00:00:00Z"), "r2")])
    # Then the customer holds the points of the one redemption that stands
    holds(50, "source", ["points_coupon:c1", "points_coupon:r2", "points_coupon_reversed:c1"])


def test_a_points_coupon_redeemed_reversed_and_redeemed_again_through_the_outbox_and_the_bus(emulator, stack):
    from devstack.streams import StreamReader, published
    from tests.builders import held, scan, stored_claim
    from tests.support import call, merchant

    # Given a customer holding a points coupon of 50, redeemed, reversed and redeemed again at the till
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.poll()
    mine = held(terms={"kind": "points", "points": 50})
    first = scan(mine["code"], order=None)
    assert first.status == 201, first.json
    reversal = call("POST", f"/redemptions/{first.json['redemption_id']}/reversal", claims=merchant("m1"))
    assert reversal.status == 200 and reversal.json["usable_again"] is True
    assert scan(stored_claim(mine["claim_id"])["code"], order=None).status == 201
    # When the outbox publishes them and the points rule's queue hands them to the worker, twice
    assert invoke("publisher", {"Records": reader.poll()}) == {"batchItemFailures": []}
    queued = published(emulator.url, stack.refs["PointsQueue"])
    kinds = sorted(e["detail-type"] for e in queued)
    assert kinds == ["CouponRedeemed", "CouponRedeemed", "RedemptionReversed"]
    messages = [bus_message(e["detail-type"], e["detail"], f"q{n}") for n, e in enumerate(queued)]
    deliver(messages[::-1] + messages)
    # Then the customer holds the 50 points once: the standing redemption's
    holds(50, "reason", ["points_coupon", "points_coupon", "points_coupon_reversed"])


def test_a_reversal_of_a_redemption_never_credited_takes_nothing_once_past_the_catch_up_window():
    from datetime import UTC, datetime, timedelta

    from coupon_service.clock import ManualClock
    from coupon_service.validity import to_iso

    now = datetime.now(UTC)
    hour_ago, two_hours_ago = to_iso(now - timedelta(hours=1)), now - timedelta(hours=2)
    # Given c1 credited once under the old per-claim source two hours ago, for a redemption before it
    Ledger(clock=ManualClock(two_hours_ago)).credit("u1", "m1", "points_coupon:c1", "points_coupon", 50)
    # When reversals come of redemptions an hour old that no credit stands for: r1 redeemed after c1's
    # per-claim credit (it predates per-redemption credits), and r9 of a claim never credited at all
    stale = [
        bus_message("RedemptionReversed", reversed_("r1", hour_ago, to_iso(now)), "x1"),
        bus_message("RedemptionReversed", reversed_("r9", hour_ago, to_iso(now), claim_id="c9"), "x9"),
    ]
    # Then each is taken at its first delivery (never back to the queue), and takes nothing: its entry
    # says so with 0 points
    assert invoke("points_worker", {"Records": stale * 2}) == {"batchItemFailures": []}
    holds(50, "source", ["points_coupon:c1", "points_coupon_reversed:r1", "points_coupon_reversed:r9"])
    assert credit_entry("points_coupon_reversed:r9")["points"] == 0
    # But a reversal of a redemption a minute old without its credit yet goes back to the queue, and takes
    # its credit back once the credit is there
    recent = to_iso(now - timedelta(minutes=1))
    x2 = bus_message("RedemptionReversed", reversed_("r2", recent, to_iso(now)), "x2")
    answer = invoke("points_worker", {"Records": [x2]})
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == ["x2"]
    deliver([bus_message("CouponRedeemed", redeemed("r2", recent), "r2"), x2])
    holds(
        50,
        "source",
        [
            "points_coupon:c1",
            "points_coupon:r2",
            "points_coupon_reversed:r1",
            "points_coupon_reversed:r2",
            "points_coupon_reversed:r9",
        ],
    )
