"""A credit that lands after what undoes it credits nothing: a reversal of a redemption not credited yet
(past the catch-up window) writes its entry with 0 points, and the redemption's credit, however late, twice
or out of order, finds it and credits nothing; a refund of an order not credited yet closes the order the
same way. And a batch of credits refused for one ledger in debt writes the others together, the one in debt
alone, paying its debt at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service.errors import CreditUndone
from coupon_service.events import derive
from coupon_service.points.earning import Earning
from coupon_service.points.ledger import Ledger
from coupon_service.store.points import PointsStore
from coupon_service.validity import to_iso

from tests.builders import seed_orders, stream_record
from tests.integration.test_points_ledger import assert_consistent
from tests.integration.test_points_owed import in_debt
from tests.integration.test_points_take_backs import (
    credit_entry,
    deliver,
    order,
    programme,
    redeemed,
    refund,
    reversed_,
)
from tests.support import bus_message, concurrently, inject, invoke

pytestmark = pytest.mark.usefixtures("stack")


def ago(**delta):
    return to_iso(datetime.now(UTC) - timedelta(**delta))


def delivered(kind, detail, *, alone=False):
    """The event applied as the queue delivers it, again while it fails: in a batch of its own, or alone."""
    for _ in range(30):
        try:
            outcome = Earning().apply(kind, detail) if alone else Earning().apply_all([(kind, detail)])[0]
        except Exception as error:
            outcome = error
        if not isinstance(outcome, Exception):
            return outcome
    raise outcome


def sources(customer="u1"):
    stored, entries = assert_consistent(customer, "m1")
    return stored["balance"], sorted((e["source"], e["points"]) for e in entries)


def test_a_reversal_before_its_late_credit_leaves_no_points_whatever_the_deliveries():
    # Given u1 holding 50 of a redemption that stands, and r1 redeemed an hour ago, its credit delayed
    deliver([bus_message("CouponRedeemed", redeemed("r0", ago(hours=2)), "r0")])
    at = ago(hours=1)
    r1 = bus_message("CouponRedeemed", redeemed("r1", at), "r1")
    x1 = bus_message("RedemptionReversed", reversed_("r1", at, ago(minutes=40)), "x1")
    # When the reversal comes first: it takes nothing, at once (never back to the queue)
    assert invoke("points_worker", {"Records": [x1]}) == {"batchItemFailures": []}
    assert derive(stream_record(credit_entry("points_coupon_reversed:r1"))) == []  # changed nothing: no event
    # Then the credit lands (a dead-letter redrive), twice in a batch, again with the reversal, alone
    deliver([r1, {**r1, "messageId": "r1-again"}])
    deliver([x1, r1, bus_message("CouponRedeemed", redeemed("r2", ago(minutes=5)), "r2")])
    # The batch's read finds the reversal's entry; without that read, the credit's transaction is refused
    assert Earning().apply("CouponRedeemed", redeemed("r1", at)) is None
    credit = Ledger().entry("u1", "m1", "points_coupon:r1", "points_coupon", 50, expires_at="never")
    with pytest.raises(CreditUndone):
        PointsStore().change(credit)
    # Then u1 holds the 100 of the redemptions that stand, and r1 earned nothing
    assert sources() == (
        100,
        [("points_coupon:r0", 50), ("points_coupon:r2", 50), ("points_coupon_reversed:r1", 0)],
    )


@pytest.mark.concurrency
def test_reversals_and_late_credits_at_once_with_lost_answers_net_zero_per_redemption(emulator):
    # Given 8 redemptions an hour old, their credits late, each credit and reversal delivered twice at once
    at = ago(hours=1)
    jobs = [
        (kind, make(f"r{n}", at) if kind == "CouponRedeemed" else make(f"r{n}", at, ago(minutes=30)))
        for n in range(8)
        for kind, make in (("CouponRedeemed", redeemed), ("RedemptionReversed", reversed_))
    ] * 2
    inject(emulator, "lost")

    # each in a batch (its read first) or alone (the transaction's check)
    results = concurrently(lambda i: delivered(*jobs[i], alone=i % 2 == 0), len(jobs), threads=6)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert [r for r in results if isinstance(r, Exception)] == []
    # Then each redemption is either credited and taken back, or undone with nothing credited
    balance, entries = sources()
    assert balance == 0
    for n in range(8):
        mine = {s: p for s, p in entries if s.endswith(f":r{n}")}
        assert mine in ({f"points_coupon:r{n}": 50, f"points_coupon_reversed:r{n}": -50},
                        {f"points_coupon_reversed:r{n}": 0}), mine  # fmt: skip
    assert injected > 0


def test_a_refund_before_its_late_order_credit_closes_the_order():
    programme()
    # Given two orders of u1 that came in an hour ago (10 points each), neither credited yet
    placed = ago(hours=1)
    seed_orders([("o1", "u1", 1000, placed, 0), ("o2", "u1", 1000, placed, 0)])
    deliver([bus_message("OrderPlaced", order("o3", 500), "o3")])  # 5 points of an order that stands
    # When o1 is refunded in part and o2 in whole, before their credits
    deliver([bus_message("OrderRefunded", refund("o1", "f1", 400), "f1")])
    deliver([bus_message("OrderRefunded", refund("o2", "f2", 1000), "f2")] * 2)
    closed = credit_entry("order:o1")
    assert (closed["points"], closed["refunded"], closed["refunds"]) == (0, 400, {"f1": 400})
    assert derive(stream_record(closed)) == []
    # Then their credits land late, twice and out of order, and another refund of o1 after them
    late = [bus_message("OrderPlaced", order(o, 1000), o) for o in ("o1", "o2")]
    deliver(late[::-1] + late)
    deliver([bus_message("OrderRefunded", refund("o1", "f3", 100), "f3"), late[0]])
    assert Earning().apply("OrderPlaced", order("o1", 1000)).points == 0  # answered by the closing entry
    # Then an order refunded before its points landed earned nothing, in part or whole
    assert sources() == (5, [("order:o1", 0), ("order:o2", 0), ("order:o3", 5)])


def test_a_batch_of_ten_credits_with_one_ledger_in_debt_costs_three_transactions(dynamodb_requests):
    programme()
    in_debt(4, "c3")
    orders = [bus_message("OrderPlaced", order(f"o{n}", 1000, f"c{n}"), f"o{n}") for n in range(10)]
    dynamodb_requests.reset()
    assert invoke("points_worker", {"Records": orders}) == {"batchItemFailures": []}
    # The chunk refused for c3's debt; sent again without c3; c3 alone, paying its debt at once
    # (one by one, as before: 12 transactions); the reads are the batch's entries and the settings
    assert dynamodb_requests.calls["TransactWriteItems"] == 3
    assert dynamodb_requests.total() == 5
    for n in range(10):
        stored, entries = assert_consistent(f"c{n}", "m1")
        assert (stored["balance"], stored.get("owed", 0)) == ((6, 0) if n == 3 else (10, 0))
        credit = next(e for e in entries if e["source"] == f"order:o{n}")
        assert (credit["points"], credit["repaid"]) == (10, 4 if n == 3 else 0)


@pytest.mark.concurrency
def test_refunds_and_late_order_credits_at_once_with_lost_answers_credit_an_order_or_close_it(emulator):
    # Given 6 orders of u1 (10 points each) that came in an hour ago, their credits late; each order's
    # credit and a refund of 400 delivered twice, all at once, with lost answers
    programme()
    placed = ago(hours=1)
    seed_orders([(f"o{n}", "u1", 1000, placed, 0) for n in range(6)])
    deliver([bus_message("OrderPlaced", order("seed", 3000), "seed")])  # 30 points that stand
    credits = {n: ("OrderPlaced", order(f"o{n}", 1000)) for n in range(6)}
    refunds = {n: ("OrderRefunded", refund(f"o{n}", f"f{n}", 400)) for n in range(6)}
    # the even orders' refunds first, the odd orders' credits first
    jobs = [(refunds if n % 2 == 0 else credits)[n] for n in range(6)]
    jobs = (jobs + [(credits if n % 2 == 0 else refunds)[n] for n in range(6)]) * 2
    inject(emulator, "lost")

    results = concurrently(lambda i: delivered(*jobs[i]), len(jobs), threads=6)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert [r for r in results if isinstance(r, Exception)] == []
    # Then each order is either credited 10 with its refund's 4 taken back, or closed with nothing credited
    balance, entries = sources()
    kept = 0
    for n in range(6):
        mine = {s: p for s, p in entries if s in (f"order:o{n}", f"refund:f{n}")}
        assert mine in ({f"order:o{n}": 10, f"refund:f{n}": -4}, {f"order:o{n}": 0}), mine
        kept += sum(mine.values())
    assert balance == 30 + kept
    assert injected > 0
