"""Stacking: an order takes at most one coupon that does not stack and at most the merchant's number of
stackable ones, under many real threads with and without faults; stacked coupons are priced on what the
ones before them left; a reversal gives the order's place back; the quote shows the best combination."""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service import keys
from coupon_service.store.table import Table

from tests.builders import CART, claim_now, make_coupon, redemptions_of, scan, stored_claim, till
from tests.support import (
    FAULT_MODES,
    call,
    concurrently,
    coupon_body,
    customer,
    inject,
    merchant,
    staff,
)

pytestmark = pytest.mark.usefixtures("stack")

STACKS = {"stacking": {"stackable": True}}
PERCENT = {"kind": "discount", "percent_off": 5}


@pytest.fixture(params=list(FAULT_MODES))
def fault_mode(request, emulator):
    yield request.param
    emulator.faults.set(0.0)


def coupon(inventory=100, **overrides):
    return make_coupon(codes={"mode": "random_on_claim", "inventory": inventory}, **overrides)


def holders(made, count, prefix):
    """`count` customers each holding one of the coupon `made`."""
    answers = concurrently(lambda i: claim_now(made["coupon_id"], f"{prefix}{i}"), count, threads=8)
    assert {a.status for a in answers} == {201}, [a.json for a in answers if a.status != 201][:2]
    return [a.json for a in answers]


def order_item(order_id, merchant_id="m1"):
    return Table().get(keys.order(merchant_id, order_id))


def settings(max_stacked, merchant_id="m1"):
    reply = call(
        "PUT",
        "/merchant/settings",
        claims=merchant(merchant_id),
        body={"max_stacked_coupons": max_stacked},
    )
    assert reply.status == 200, reply.json
    return reply.json


# --- the merchant's setting ----------------------------------------------------------------------


def test_a_merchant_reads_and_replaces_its_stacking_limit_and_nobody_else_can():
    fresh = call("GET", "/merchant/settings", claims=merchant("m7"))
    assert fresh.status == 200 and fresh.json["max_stacked_coupons"] == 2 and fresh.json["updated_at"] is None
    assert settings(4, "m7")["max_stacked_coupons"] == 4
    assert call("GET", "/merchant/settings", claims=merchant("m7")).json["max_stacked_coupons"] == 4
    # Each merchant has its own; staff and customers may not change it; bad values are refused
    assert call("GET", "/merchant/settings", claims=merchant("m8")).json["max_stacked_coupons"] == 2
    for who in (staff("m7"), customer("u1")):
        put = call("PUT", "/merchant/settings", claims=who, body={"max_stacked_coupons": 5})
        assert put.status == 403, put.json
    for body in ({"max_stacked_coupons": 0}, {"max_stacked_coupons": 6}, {"max_stacked_coupons": "3"}):
        bad = call("PUT", "/merchant/settings", claims=merchant("m7"), body=body)
        assert bad.status == 422 and bad.json["error"]["field"].endswith("max_stacked_coupons"), bad.json
    unknown = call("PUT", "/merchant/settings", claims=merchant("m7"), body={"max_stacked": 3})
    assert unknown.status == 422
    assert call("GET", "/merchant/settings", claims=merchant("m7")).json["max_stacked_coupons"] == 4


def test_stacking_is_declared_on_the_coupon_and_checked():
    made = coupon(options={"stacking": {"stackable": True, "with_kinds": ["discount", "free_shipping"]}})
    assert made["options"]["stacking"] == {"stackable": True, "with_kinds": ["discount", "free_shipping"]}
    assert coupon()["options"]["stacking"] is None  # not stackable unless it says so
    for stacking in ({"stackable": False, "with_kinds": ["cash"]}, {"stackable": True, "with_kinds": ["x"]}):
        reply = call(
            "POST", "/coupons", claims=merchant("m1"), body=coupon_body(options={"stacking": stacking})
        )
        assert reply.status == 422 and "stacking" in reply.json["error"]["field"], reply.json


# --- two tills, one order ------------------------------------------------------------------------


def test_two_tills_redeeming_two_non_stacking_coupons_for_one_order_never_both(emulator, fault_mode):
    # Given two coupons that do not stack, each held by 20 customers
    first, second = holders(coupon(), 20, "a"), holders(coupon(), 20, "b")
    inject(emulator, fault_mode)
    for run in range(20):
        # When two tills redeem one of each for the same order at once
        order_id = f"race-{run}"
        codes = [first[run]["code"], second[run]["code"]]
        answers = concurrently(lambda i, c=codes, o=order_id: till(c[i], o, user=f"till-{i}"), 2, threads=2)
        # Then exactly one commits; the other is told the order already has its coupon, naming it
        statuses = sorted(a.status for a in answers)
        assert statuses == [201, 409], (run, [a.json for a in answers])
        won = next(a.json for a in answers if a.status == 201)
        lost = next(a.json for a in answers if a.status == 409)["error"]
        assert lost["code"] == "order_already_discounted"
        assert lost["details"] == {"redemption_id": won["redemption_id"]}
        # And the order holds exactly the winner
        held = order_item(order_id)
        assert list(held["holds"]) == [won["redemption_id"]] and held["redemption_id"] == won["redemption_id"]
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    used = [c for c in first + second if stored_claim(c["claim_id"])["state"] == "used"]
    assert len(used) == 20
    if fault_mode != "clean":
        assert injected > 0


def test_an_order_takes_at_most_the_merchants_number_of_stacking_coupons_at_once(emulator, fault_mode):
    # Given a merchant whose orders take two stackable coupons, and five stackable and two plain coupons
    settings(2)
    stacking = [holders(coupon(terms=PERCENT, options=STACKS), 4, f"s{k}-") for k in range(5)]
    plain = [holders(coupon(), 4, f"p{k}-") for k in range(2)]
    inject(emulator, fault_mode)
    for run in range(4):
        # When all seven are redeemed for one order at once
        order_id = f"stack-{run}"
        codes = [s[run]["code"] for s in stacking] + [p[run]["code"] for p in plain]
        answers = concurrently(lambda i, c=codes, o=order_id: till(c[i], o, user=f"till-{i}"), 7, threads=7)
        # Then exactly two stackable coupons and one plain one commit
        won = [i for i, a in enumerate(answers) if a.status == 201]
        assert sum(i < 5 for i in won) == 2 and sum(i >= 5 for i in won) == 1, [a.json for a in answers]
        refused = Counter(a.json["error"]["code"] for a in answers if a.status != 201)
        assert set(refused) <= {"stacking_limit", "order_already_discounted"}, refused
        # And the order holds exactly those three, whose discounts never pass the cart
        held = order_item(order_id)
        assert sorted(held["holds"]) == sorted(answers[i].json["redemption_id"] for i in won)
        discounts = [answers[i].json["discount"] for i in won]
        assert sum(held["taken"].values()) + held["shipping_taken"] == sum(discounts) <= 12800
    emulator.faults.set(0.0)


def test_a_till_retrying_a_stacked_coupon_at_once_gets_one_redemption(emulator):
    settings(3)
    base = holders(coupon(terms=PERCENT, options=STACKS), 1, "r")[0]
    extra = holders(coupon(options=STACKS), 1, "r")[0]
    assert till(base["code"], "retry-1").status == 201
    emulator.faults.set(0.3, ("lost",))
    answers = concurrently(lambda i: till(extra["code"], "retry-1"), 8, threads=8)
    emulator.faults.set(0.0)
    assert {a.status for a in answers} == {201}, [a.json for a in answers if a.status != 201]
    assert len({a.json["redemption_id"] for a in answers}) == 1
    assert len(order_item("retry-1")["holds"]) == 2
    assert len(redemptions_of(extra["coupon_id"])) == 1


# --- how stacked coupons are priced, and given back ------------------------------------------------


def test_a_stacked_coupon_takes_its_discount_from_what_the_first_left_and_a_reversal_gives_it_back():
    settings(2)
    twenty = holders(coupon(terms={"kind": "discount", "percent_off": 20}), 2, "t")
    ten_off = holders(coupon(options={"stacking": {"stackable": True, "with_kinds": ["discount"]}}), 1, "x")
    # Given an order discounted 20% (24.00 of 120.00 of goods)
    first = scan(twenty[0]["code"], order_id="priced")
    assert (first.status, first.json["discount"]) == (201, 2400)
    # When a stackable 10 off joins it: 10.00 off the 96.00 left
    second = scan(ten_off[0]["code"], order_id="priced")
    assert (second.status, second.json["discount"]) == (201, 1000), second.json
    held = order_item("priced")
    assert held["taken"] == {"0": 3400} and held["shipping_taken"] == 0
    # And the same order id with another cart is refused
    other_cart = {**CART, "lines": [{"sku": "tea", "unit_price": 7000, "quantity": 2}]}
    five = holders(coupon(terms=PERCENT, options=STACKS), 1, "f")[0]
    changed = scan(five["code"], order_id="priced", order=other_cart)
    assert (changed.status, changed.json["error"]["code"]) == (409, "order_cart_changed")
    # When the 20% is reversed, the order holds only the 10 off, and another 20% coupon may join
    reversal = call("POST", f"/redemptions/{first.json['redemption_id']}/reversal", claims=merchant("m1"))
    assert reversal.status == 200, reversal.json
    held = order_item("priced")
    assert list(held["holds"]) == [second.json["redemption_id"]] and "redemption_id" not in held
    assert held["taken"] == {"0": 1000}
    again = scan(twenty[1]["code"], order_id="priced")
    assert (again.status, again.json["discount"]) == (201, 2200)  # 20% of the 110.00 left


def test_a_stackable_coupon_does_not_join_a_kind_it_does_not_list():
    only_percent = holders(
        coupon(options={"stacking": {"stackable": True, "with_kinds": ["discount"]}}), 1, "k"
    )
    plain_cash = holders(coupon(terms={"kind": "cash_value", "amount_off": 500}), 1, "k")
    taken = scan(plain_cash[0]["code"], order_id="kinds")
    assert taken.status == 201
    refused = scan(only_percent[0]["code"], order_id="kinds")
    assert (refused.status, refused.json["error"]["code"]) == (409, "not_combinable"), refused.json
    assert refused.json["error"]["details"] == {"redemption_ids": [taken.json["redemption_id"]]}
    assert stored_claim(only_percent[0]["claim_id"])["state"] == "available"


# --- the quote ------------------------------------------------------------------------------------


def test_the_quote_picks_the_best_allowed_combination_within_the_merchants_limit():
    thirty = coupon(terms={"kind": "cash_value", "amount_off": 3000})
    twenty = coupon(terms={"kind": "discount", "percent_off": 20}, options=STACKS)
    shipping = coupon(terms={"kind": "free_shipping"}, options=STACKS)
    for made in (thirty, twenty, shipping):
        claim_now(made["coupon_id"], "buyer")
    # With two stackable coupons per order: 20% (24.00), then 30 off (30.00), then shipping (8.00)
    settings(2)
    quote = call("POST", "/checkout/quote", claims=customer("buyer"), body={"order": CART})
    assert quote.status == 200, quote.json
    best = quote.json["best"]
    assert [c["coupon_id"] for c in best["coupons"]] == [
        twenty["coupon_id"],
        thirty["coupon_id"],
        shipping["coupon_id"],
    ]
    assert [c["discount"] for c in best["coupons"]] == [2400, 3000, 800]
    assert (best["discount"], best["payable"]) == (6200, 12800 - 6200)
    assert quote.json["stacking"]["max_stacked_coupons"] == 2
    # With one: the plain 30 off and the better stackable one (20%)
    settings(1)
    best = call("POST", "/checkout/quote", claims=customer("buyer"), body={"order": CART}).json["best"]
    assert [c["coupon_id"] for c in best["coupons"]] == [twenty["coupon_id"], thirty["coupon_id"]]
    assert best["discount"] == 5400


# --- what a redemption costs ----------------------------------------------------------------------


def test_requests_per_redemption(dynamodb_requests):
    settings(2)
    plain = holders(coupon(), 1, "cost")[0]
    capped = holders(coupon(options={"budget": 100_000}), 1, "cost")[0]
    stacked = holders(coupon(terms=PERCENT, options=STACKS), 2, "cost")
    counts = {}
    for name, code, order_id in (
        ("plain", plain["code"], "cost-1"),
        ("capped", capped["code"], "cost-2"),
        ("stacking, first on its order", stacked[0]["code"], "cost-3"),
        ("stacking, joining an order", stacked[1]["code"], "cost-1"),
    ):
        dynamodb_requests.reset()
        assert till(code, order_id, user=f"cost-{len(counts)}").status == 201  # a fresh till each
        counts[name] = dict(dynamodb_requests.calls)
    print(counts)
    # An uncapped coupon that does not stack: the lookup's count, the code's query, one transaction
    assert counts["plain"] == {"UpdateItem": 1, "Query": 1, "TransactWriteItems": 1}
    assert counts["capped"] == counts["plain"] == counts["stacking, first on its order"]
    # Joining an order that holds a coupon: the refused first try brings the order back, the merchant's
    # limit is read, and one more transaction
    assert counts["stacking, joining an order"] == {
        "UpdateItem": 1,
        "Query": 1,
        "TransactWriteItems": 2,
        "GetItem": 1,
    }
