"""What take-backs could not take is owed: a take-back that finds too few points records its shortfall and
adds it to the ledger's `owed` in the same transaction, and every later credit (an order, a points coupon,
a check-in, a void's return, a batch of credits) pays that debt first. So buying, spending and refunding, or
redeeming, spending and reversing, gains nothing however often it is repeated; and under concurrent credits
and take-backs with injected faults and lost answers the balance stays the sum of the entries' net points,
the debt the shortfalls not repaid, neither below zero."""

from __future__ import annotations

import pytest
from coupon_service.errors import NotEnoughPoints
from coupon_service.identity import Caller
from coupon_service.point_items import PointsSettingsItem
from coupon_service.points.ledger import Ledger
from coupon_service.points.service import Points
from coupon_service.store.point_settings import PointSettingsStore

from tests.integration.test_points_ledger import assert_consistent
from tests.integration.test_points_take_backs import deliver, order, redeemed, refund, reversed_
from tests.support import bus_message, concurrently, inject

pytestmark = pytest.mark.usefixtures("stack")


def programme():
    PointSettingsStore().replace(
        PointsSettingsItem(
            merchant_id="m1",
            earning={"order": {"points": 1, "per_amount": 100}},
            updated_at="2030-01-01T00:00:00Z",
        )
    )


def ledger_state(customer="u1"):
    stored, entries = assert_consistent(customer, "m1")
    return (stored["balance"], stored.get("owed", 0)), {e["source"]: e for e in entries}


def test_buying_spending_and_refunding_again_and_again_gains_nothing():
    programme()
    # Given an order that earned 10, spent on a points coupon, then refunded whole
    deliver([bus_message("OrderPlaced", order("o1", 1000), "o1")])
    Ledger().debit("u1", "m1", "claim:c1", "coupon_claim", 10)
    deliver([bus_message("OrderRefunded", refund("o1", "r1", 1000), "r1")] * 2)
    # Then the refund took nothing and the customer owes its 10 points
    state, entries = ledger_state()
    assert state == (0, 10)
    assert (entries["refund:r1"]["points"], entries["refund:r1"]["shortfall"]) == (0, 10)
    # When they buy again: the order's 10 points pay the debt, and there is nothing to spend
    deliver([bus_message("OrderPlaced", order("o2", 1000), "o2")])
    state, entries = ledger_state()
    assert state == (0, 0) and entries["order:o2"]["repaid"] == 10
    with pytest.raises(NotEnoughPoints):
        Ledger().debit("u1", "m1", "claim:c2", "coupon_claim", 10)
    # And refunding that order too leaves a debt again, never points gained
    deliver([bus_message("OrderRefunded", refund("o2", "r2", 1000), "r2")])
    assert ledger_state()[0] == (0, 10)


def test_redeeming_spending_and_reversing_a_points_coupon_again_and_again_gains_nothing():
    # Given a points coupon of 50 redeemed, its 50 points spent, and the redemption reversed
    deliver([bus_message("CouponRedeemed", redeemed("r1", "2030-05-09T10:00:00Z"), "r1")])
    Ledger().debit("u1", "m1", "claim:c9", "coupon_claim", 50)
    x1 = reversed_("r1", "2030-05-09T10:00:00Z", "2030-05-09T10:05:00Z")
    deliver([bus_message("RedemptionReversed", x1, "x1")] * 2)
    assert ledger_state()[0] == (0, 50)
    # When it is redeemed again: the redemption's points pay the debt
    deliver([bus_message("CouponRedeemed", redeemed("r2", "2030-05-09T11:00:00Z"), "r2")] * 2)
    state, entries = ledger_state()
    assert state == (0, 0) and entries["points_coupon:r2"]["repaid"] == 50
    # Then the loop cannot be run again: nothing to spend, and a second reversal is owed again
    with pytest.raises(NotEnoughPoints):
        Ledger().debit("u1", "m1", "claim:c10", "coupon_claim", 50)
    x2 = reversed_("r2", "2030-05-09T11:00:00Z", "2030-05-09T11:05:00Z")
    deliver([bus_message("RedemptionReversed", x2, "x2")])
    assert ledger_state()[0] == (0, 50)


def in_debt(points, customer="u1"):
    """`customer` owes `points` at m1: credited, spent, then taken back."""
    ledger = Ledger()
    ledger.credit(customer, "m1", f"seed:{customer}", "order", points)
    ledger.debit(customer, "m1", f"spend:{customer}", "coupon_claim", points)
    taken = ledger.take_back(customer, "m1", f"refund:{customer}", "refund", points)
    assert (taken.points, taken.shortfall) == (0, points)
    return ledger


def test_a_credit_pays_the_debt_first_and_the_rest_goes_to_the_balance():
    ledger = in_debt(5)
    first = ledger.credit("u1", "m1", "adjustment:a", "adjustment", 3)
    assert (first.points, first.repaid) == (3, 3)
    assert ledger_state()[0] == (0, 2)
    second = ledger.credit("u1", "m1", "adjustment:b", "adjustment", 10)
    assert (second.points, second.repaid) == (10, 2)
    assert ledger_state()[0] == (8, 0)
    # Delivered again, each credit is answered by its entry and pays nothing twice
    assert ledger.credit("u1", "m1", "adjustment:a", "adjustment", 3).repaid == 3
    assert ledger_state()[0] == (8, 0)
    # And the next credit is blind again: all of it to the balance
    assert ledger.credit("u1", "m1", "adjustment:c", "adjustment", 1).repaid == 0
    assert ledger_state()[0] == (9, 0)


def test_a_check_in_pays_the_debt_first_and_a_summary_shows_it():
    programme()
    in_debt(1)
    points = Points()
    caller = Caller(user_id="u1", groups=frozenset({"customer"}))
    summary = points.summary("u1", "m1")
    assert (summary.balance, summary.owed) == (0, 1)
    done = points.check_in(caller, "m1")
    assert (done.points, done.repaid, done.first) == (1, 1, True)
    assert points.check_in(caller, "m1").repaid == 1  # answered again, the same
    assert ledger_state()[0] == (0, 0)
    assert (points.summary("u1", "m1").owed, points.customer_summary("m1", "u1").owed) == (0, 0)


def test_a_batch_of_credits_with_a_ledger_in_debt_pays_that_debt_and_credits_the_others():
    programme()
    in_debt(4, "u1")
    # Two customers' orders in one batch: the debt refuses the batch's transaction, each is then written
    deliver(
        [
            bus_message("OrderPlaced", order("o1", 1000, "u1"), "a"),
            bus_message("OrderPlaced", order("o2", 700, "u2"), "b"),
        ]
    )
    assert ledger_state("u1")[0] == (6, 0)
    assert ledger_state("u2")[0] == (7, 0)


@pytest.mark.concurrency
@pytest.mark.parametrize("mode", ["faults", "lost"])
def test_credits_and_take_backs_at_once_keep_balance_and_debt_the_entries_sums(emulator, mode):
    # Given 20 points earned, 15 spent, and a take-back of 15 that found 5: 10 owed
    ledger = Ledger()
    ledger.credit("u1", "m1", "seed", "order", 20)
    ledger.debit("u1", "m1", "spent", "coupon_claim", 15)
    assert ledger.take_back("u1", "m1", "refund:before", "refund", 15).shortfall == 10
    inject(emulator, mode)

    # When two take-backs of 30 and 10, and eight credits of 10, each delivered twice, run at once
    def work(i):
        job = i // 2
        for _ in range(20):  # the queue delivers a failed message again
            try:
                if job < 2:
                    return Ledger().take_back("u1", "m1", f"refund:{job}", "refund", (30, 10)[job])
                return Ledger().credit("u1", "m1", f"order:{job}", "order", 10)
            except Exception as error:
                last = error
        raise last

    results = concurrently(work, 20, threads=4)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert [r for r in results if isinstance(r, Exception)] == []
    # Then every point is in the balance or owed: 20 - 15 - 15 + 80 - 40 = 30, whatever the order; the debt
    # (the 10 and whatever the take-backs at once could not take) was repaid by the credits
    (balance, owed), entries = ledger_state()
    assert (balance, owed) == (30, 0)
    repaid = sum(e["repaid"] for e in entries.values())
    assert repaid == sum(e["shortfall"] for e in entries.values()) >= 10
    assert injected > 0


def test_a_void_of_a_points_coupon_pays_the_debt_first_and_the_points_routes_show_it():
    from tests.builders import claim, make_coupon
    from tests.support import call, customer, merchant

    # Given a customer who claimed a coupon for 30 of their 30 points, then owes 20 (a take-back)
    coupon = make_coupon(options={"points_price": 30})
    ledger = Ledger()
    ledger.credit("u1", "m1", "seed", "adjustment", 30)
    held = claim(coupon["coupon_id"], user="u1").json
    ledger.take_back("u1", "m1", "refund:x", "refund", 20)
    mine = call("GET", "/me/points?programme=m1", claims=customer("u1")).json
    assert (mine["balance"], mine["owed"]) == (0, 20)
    # When the merchant voids the unused coupon (twice)
    path = f"/coupons/{coupon['coupon_id']}/claims/{held['claim_id']}/void"
    for _ in range(2):
        assert call("POST", path, claims=merchant("m1"), body={"reason": "sold in error"}).status == 200
    # Then its 30 points pay the 20 owed first, once, and the customer and the merchant both see it
    state, entries = ledger_state()
    assert state == (10, 0) and entries[f"void:{held['claim_id']}"]["repaid"] == 20
    theirs = call("GET", "/merchant/points/customers/u1", claims=merchant("m1")).json
    assert (theirs["balance"], theirs["owed"]) == (10, 0)
    listed = call("GET", "/me/points/entries?programme=m1", claims=customer("u1")).json["items"]
    assert ("claim_voided", 30, 20) in [(e["reason"], e["points"], e["repaid"]) for e in listed]
