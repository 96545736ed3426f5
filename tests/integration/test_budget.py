"""Budget caps: a coupon's total discount never passes its budget, exactly, under many real threads with
and without faults; reversals give the budget back to the shards it came from."""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service import keys
from coupon_service.checkout import Checkout
from coupon_service.pricing import Order
from coupon_service.redemptions import Redemptions
from coupon_service.store.table import Table

from tests.builders import CART, claim_now, make_coupon, redemptions_of, scan, stored_claim, till
from tests.support import (
    FAULT_MODES,
    call,
    caller_for,
    concurrently,
    coupon_body,
    customer,
    inject,
    merchant,
    outcome,
)

pytestmark = pytest.mark.usefixtures("stack")

DISCOUNT = 1000  # the default coupon: 10 off an order of 100 or more; CART qualifies


@pytest.fixture(params=list(FAULT_MODES))
def fault_mode(request, emulator):
    """clean; 15% of writes refused (conflicts, throttling); 30% failed, half with the answer lost."""
    yield request.param
    emulator.faults.set(0.0)


def capped(budget, inventory=400, **overrides):
    options = {"budget": budget, **overrides.pop("options", {})}
    return make_coupon(
        codes={"mode": "random_on_claim", "inventory": inventory}, options=options, **overrides
    )


def hand_out(coupon, count, first=0):
    """`count` customers each holding one of the coupon (claimed at once, through the claim path)."""
    answers = concurrently(lambda i: claim_now(coupon["coupon_id"], f"c{first + i}"), count, threads=16)
    assert {a.status for a in answers} == {201}, [a.json for a in answers if a.status != 201][:3]
    return [a.json for a in answers]


def budget_shards(coupon_id):
    count = Table().get(keys.coupon(coupon_id))["budget_shards"]
    return [Table().get(keys.budget_shard(coupon_id, i)) for i in range(count)]


def spent_and_left(coupon_id):
    shards = budget_shards(coupon_id)
    return sum(s["spent"] for s in shards), sum(s["remaining"] for s in shards)


def live_discounts(coupon_id):
    """The discounts of the coupon's redemptions that stand (not reversed), read from the table."""
    return [r["budget_counted"] for r in redemptions_of(coupon_id) if not r.get("reversed_at")]


def test_a_budget_is_spread_over_shards_and_shown_on_the_coupon():
    coupon = capped(57_999)
    shards = budget_shards(coupon["coupon_id"])
    assert [s["remaining"] for s in shards] == [14_500, 14_500, 14_500, 14_499]
    assert {s["spent"] for s in shards} == {0}
    assert coupon["options"]["budget"] == 57_999


def test_a_budget_only_caps_coupons_that_take_money_off():
    refused = call(
        "POST",
        "/coupons",
        claims=merchant("m1"),
        body=coupon_body(terms={"kind": "gift", "item": "a cup"}, options={"budget": 100}),
    )
    assert refused.status == 422 and "options.budget" in refused.json["error"]["message"], refused.json
    zero = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(options={"budget": 0}))
    assert zero.status == 422 and zero.json["error"]["field"] == "body.options.budget", zero.json


def test_two_hundred_redemptions_against_a_budget_for_57_commit_exactly_57(emulator, fault_mode):
    # Given 200 customers holding a coupon whose budget covers 57 discounts and not a 58th
    coupon = capped(57 * DISCOUNT + DISCOUNT - 1)
    held = hand_out(coupon, 200)

    # When 200 tills redeem them at once (with faults and lost answers injected)
    inject(emulator, fault_mode)
    answers = concurrently(lambda i: till(held[i]["code"], f"o-{i}"), 200, threads=25)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)

    # Then exactly 57 commit; every other is told the budget is exhausted
    statuses = Counter(a.status for a in answers)
    assert statuses[201] == 57, (
        statuses,
        Counter(a.json["error"]["code"] for a in answers if a.status != 201),
    )
    assert {a.json["error"]["code"] for a in answers if a.status != 201} == {"budget_exhausted"}
    # And the table holds 57 redemptions whose discounts sum to the budget's spent total
    discounts = live_discounts(coupon["coupon_id"])
    assert len(discounts) == 57
    spent, left = spent_and_left(coupon["coupon_id"])
    assert spent == sum(discounts) == 57 * DISCOUNT
    assert left == DISCOUNT - 1 and spent + left == 57 * DISCOUNT + DISCOUNT - 1
    # And each redemption recorded the shards it took from, which add up to its discount
    for stored in redemptions_of(coupon["coupon_id"]):
        assert sum(stored["budget_taken"].values()) == stored["budget_counted"] == DISCOUNT
    # And the refused coupons are untouched
    refused = [held[i] for i, a in enumerate(answers) if a.status != 201]
    assert {stored_claim(c["claim_id"])["state"] for c in refused} == {"available"}
    if fault_mode != "clean":
        assert injected > 0


def test_reversals_give_the_budget_back_and_exactly_that_much_fits_again(emulator, fault_mode):
    # Given a budget for 57 discounts, spent
    coupon = capped(57 * DISCOUNT + DISCOUNT - 1)
    held = hand_out(coupon, 57 + 40)
    first = concurrently(lambda i: till(held[i]["code"], f"o-{i}"), 57, threads=32)
    assert {a.status for a in first} == {201}
    # When 20 of its redemptions are reversed at once, twice each (with faults and lost answers)
    inject(emulator, fault_mode)
    reverse = [a.json["redemption_id"] for a in first[:20]]
    reversals = concurrently(
        lambda i: outcome(lambda: Redemptions().reverse("m1", reverse[i % 20])), 40, threads=40
    )
    emulator.faults.set(0.0)
    assert {r.status for r in reversals} == {201}, [r.json for r in reversals if r.status != 201][:3]
    # Then the budget has exactly those 20 discounts back
    spent, left = spent_and_left(coupon["coupon_id"])
    assert (spent, left) == (37 * DISCOUNT, 20 * DISCOUNT + DISCOUNT - 1)
    assert spent == sum(live_discounts(coupon["coupon_id"]))

    # When 40 other customers' coupons are redeemed at once
    inject(emulator, fault_mode)
    second = concurrently(lambda i: till(held[57 + i]["code"], f"p-{i}"), 40, threads=40)
    emulator.faults.set(0.0)
    # Then exactly 20 fit, and the budget's figures are the table's
    statuses = Counter(a.status for a in second)
    assert statuses[201] == 20, statuses
    spent, left = spent_and_left(coupon["coupon_id"])
    assert (spent, left) == (57 * DISCOUNT, DISCOUNT - 1)
    assert spent == sum(live_discounts(coupon["coupon_id"]))


def test_varying_discounts_are_refused_only_when_the_whole_budget_cannot_cover_them(emulator):
    # Given a 10% coupon without minimum whose budget is far below what 60 orders of varying size ask
    coupon = capped(20_000, terms={"kind": "discount", "percent_off": 10})
    held = hand_out(coupon, 60)

    def order(i):
        return {**CART, "lines": [{"sku": "tea", "unit_price": 1000 + 997 * i, "quantity": 1}]}

    # When they are all redeemed at once
    inject(emulator, "faults")
    answers = concurrently(lambda i: till(held[i]["code"], f"v-{i}", order(i)), 60, threads=30)
    emulator.faults.set(0.0)
    # Then the spent total is the sum of the committed discounts and never passes the budget
    spent, left = spent_and_left(coupon["coupon_id"])
    committed = [a.json["discount"] for a in answers if a.status == 201]
    assert spent == sum(committed) == sum(live_discounts(coupon["coupon_id"])) and spent + left == 20_000
    # And every refused redemption asked more than what is left even now (the budget never grew)
    refused = [a.json["error"]["details"]["discount"] for a in answers if a.status != 201]
    assert refused and min(refused) > left
    assert {a.json["error"]["code"] for a in answers if a.status != 201} == {"budget_exhausted"}


def test_without_the_order_a_capped_coupon_counts_the_most_it_can_take_off():
    # Given a capped coupon staff may redeem without the order (its minimum spend confirmed by hand)
    coupon = capped(2500, options={"staff_confirms_terms": True})
    a, b, c = (claim_now(coupon["coupon_id"], f"n{i}").json for i in range(3))
    # When staff redeem two without the order
    first = scan(a["code"], order=None, order_id="n-1")
    second = scan(b["code"], order=None, order_id="n-2")
    # Then each counts the face value; the third would pass the budget
    assert (first.status, first.json["budget_counted"], first.json["discount"]) == (201, 1000, None)
    assert second.status == 201
    third = scan(c["code"], order=None, order_id="n-3")
    assert (third.status, third.json["error"]["code"]) == (409, "budget_exhausted")
    assert spent_and_left(coupon["coupon_id"]) == (2000, 500)
    # And its merchant sees what is spent and left; another merchant sees nothing
    stats = call("GET", f"/coupons/{coupon['coupon_id']}/stats", claims=merchant("m1"))
    assert stats.json["budget"] == {"total": 2500, "spent": 2000, "remaining": 500}, stats.json
    assert call("GET", f"/coupons/{coupon['coupon_id']}/stats", claims=merchant("m2")).status == 404


def test_a_percentage_without_a_ceiling_needs_the_order_when_capped():
    coupon = capped(5000, terms={"kind": "discount", "percent_off": 10})
    mine = claim_now(coupon["coupon_id"], "p1").json
    reply = scan(mine["code"], order=None, order_id="q-1")
    assert (reply.status, reply.json["error"]["code"], reply.json["error"]["field"]) == (
        422,
        "order_required",
        "order",
    )
    assert spent_and_left(coupon["coupon_id"]) == (0, 5000)
    assert stored_claim(mine["claim_id"])["state"] == "available"


def test_the_quote_marks_a_capped_coupon_its_budget_cannot_cover():
    # Given a customer holding two capped coupons: one with budget left, one spent down
    rich = capped(10_000)
    poor = capped(1500)
    other = claim_now(poor["coupon_id"], "someone").json
    assert scan(other["code"], order_id="spend").status == 201
    claim_now(rich["coupon_id"], "q1")
    claim_now(poor["coupon_id"], "q1")
    # When the customer asks for a quote
    quote = Checkout().quote(caller_for(customer("q1")), Order.model_validate(CART))
    # Then the spent-down coupon is not applicable, with the reason
    assert [q.coupon_id for q in quote.applicable] == [rich["coupon_id"]]
    (refused,) = quote.not_applicable
    assert (refused.coupon_id, refused.reason, refused.details) == (
        poor["coupon_id"],
        "budget_exhausted",
        {"discount": DISCOUNT},
    )
