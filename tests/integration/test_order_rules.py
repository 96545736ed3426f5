"""What an order must carry at redemption: the order itself when the coupon's terms depend on it (unless
the merchant lets staff confirm them by hand), and one coupon per order, under concurrency and faults."""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service import keys
from coupon_service.models.redemptions import StaffRedemption
from coupon_service.redemptions import Redemptions
from coupon_service.store.table import Table

from tests.builders import CART, SELF_SERVICE, held, redeem_myself, redemptions_of, scan, stored_claim
from tests.support import call, caller_for, concurrently, customer, merchant, outcome, staff

pytestmark = pytest.mark.usefixtures("stack")

ITEMS_ONLY = {"type": "items", "categories": ["tea"]}
WHOLE_ORDER = {"kind": "discount", "percent_off": 10}


def order_item(order_id, merchant_id="m1"):
    return Table().get(keys.order(merchant_id, order_id))


# --- the order is needed when the terms depend on it -----------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [{}, {"terms": WHOLE_ORDER, "scope": ITEMS_ONLY}],
    ids=["minimum spend", "items only"],
)
def test_a_scan_without_the_order_is_refused_when_the_terms_depend_on_it(overrides):
    # Given a coupon with a minimum spend, or one for some items only
    mine = held(**overrides)
    # When staff scan it without the order
    reply = scan(mine["code"], order=None, order_id="o-1")
    # Then it is a 422 naming the order, and nothing changed
    assert reply.status == 422, reply.json
    assert reply.json["error"]["code"] == "order_required" and reply.json["error"]["field"] == "order"
    assert stored_claim(mine["claim_id"])["state"] == "available"
    assert redemptions_of(mine["coupon_id"]) == [] and order_item("o-1") is None


def test_staff_confirm_the_terms_by_hand_only_where_the_merchant_allows_it():
    # Given a coupon with a minimum spend whose merchant lets staff confirm the terms by hand
    mine = held(options={"staff_confirms_terms": True})
    coupon = call("GET", f"/coupons/{mine['coupon_id']}", claims=merchant("m1")).json
    assert coupon["options"]["staff_confirms_terms"] is True
    # When staff scan it without the order
    reply = scan(mine["code"], order=None, order_id="o-2")
    # Then it is redeemed, and the redemption records that staff confirmed the terms
    assert reply.status == 201, reply.json
    assert reply.json["terms_confirmed_by_staff"] is True and reply.json["discount"] is None
    (stored,) = redemptions_of(mine["coupon_id"])
    assert stored["terms_confirmed_by_staff"] is True
    # While a scan with the order prices it and records no confirmation
    other = held(user="u2", options={"staff_confirms_terms": True})
    priced = scan(other["code"], order_id="o-3")
    assert priced.status == 201 and priced.json["discount"] == 1000
    assert priced.json["terms_confirmed_by_staff"] is None


def test_the_option_is_read_as_claimed():
    # The claim carries the option from claim time, as every other term
    mine = held(options={"staff_confirms_terms": True})
    assert stored_claim(mine["claim_id"])["staff_confirms_terms"] is True
    plain = held(user="u2")
    assert stored_claim(plain["claim_id"])["staff_confirms_terms"] is False


# --- one coupon per order --------------------------------------------------------------------------


def test_a_second_coupon_for_the_same_order_is_a_409_naming_the_first_redemption():
    first, second = held(), held()
    # Given one coupon redeemed for order o-7
    taken = scan(first["code"], order_id="o-7")
    assert taken.status == 201
    # When a second coupon is redeemed for the same order
    refused = scan(second["code"], order_id="o-7")
    # Then it is a 409 naming the redemption that holds the order, and the second coupon is untouched
    assert refused.status == 409, refused.json
    error = refused.json["error"]
    assert error["code"] == "order_already_discounted" and error["field"] == "order_id"
    assert error["details"] == {"redemption_id": taken.json["redemption_id"]}
    assert stored_claim(second["claim_id"])["state"] == "available"
    assert redemptions_of(second["coupon_id"]) == []
    assert order_item("o-7")["redemption_id"] == taken.json["redemption_id"]
    # And the till's retry of the first still gets its own redemption
    retry = scan(first["code"], order_id="o-7")
    assert retry.status == 201 and retry.json == taken.json
    # And the same order id at another merchant is another order
    assert order_item("o-7", "m2") is None


def test_a_reversal_frees_the_order_for_another_coupon():
    first, second = held(), held()
    taken = scan(first["code"], order_id="o-8").json
    reversal = call("POST", f"/redemptions/{taken['redemption_id']}/reversal", claims=merchant("m1"))
    assert reversal.status == 200, reversal.json
    freed = order_item("o-8")  # the order holds nothing now (its item stays, one change further)
    assert freed["holds"] == {} and "redemption_id" not in freed
    # The order now takes another coupon, and holds it
    again = scan(second["code"], order_id="o-8")
    assert again.status == 201, again.json
    assert order_item("o-8")["redemption_id"] == again.json["redemption_id"]
    # And the reversed coupon, usable again (under the code its holder sees now), cannot join the order
    code = call("GET", f"/me/coupons/{first['claim_id']}", claims=customer("u1")).json["code"]
    assert scan(code, order_id="o-8").status == 409


def test_a_customer_cannot_add_their_coupon_to_an_order_that_has_one():
    # Given an order a till already discounted, and a customer holding a self-service coupon
    taken = scan(held()["code"], order_id="o-9").json
    mine = held(user="u2", options=SELF_SERVICE)
    # When the customer redeems theirs in the store for the same order
    press = {"user": "u2", "verification_code": "246810", "order": CART}
    reply = redeem_myself(mine["claim_id"], order_id="o-9", **press)
    # Then it is the same 409, and their coupon stays theirs and usable
    assert reply.status == 409 and reply.json["error"]["code"] == "order_already_discounted"
    assert reply.json["error"]["details"] == {"redemption_id": taken["redemption_id"]}
    assert stored_claim(mine["claim_id"])["state"] == "available"
    assert not (Table().get(keys.redeem_guard(mine["claim_id"])) or {}).get("attempts")  # no try counted
    other = redeem_myself(mine["claim_id"], order_id="o-10", **press)
    assert other.status == 201, other.json


@pytest.mark.concurrency
@pytest.mark.parametrize(
    ("rate", "kinds"),
    [(0.0, ()), (0.15, ("conflict", "throttle")), (0.15, ("lost",))],
    ids=["clean", "faults", "lost"],
)
def test_ten_coupons_on_one_order_at_once_redeem_exactly_one(emulator, rate, kinds):
    # Given a customer holding ten different coupons of one merchant
    mine = [held(title=f"c{i}") for i in range(10)]
    if rate:
        emulator.faults.set(rate, kinds)

    # When ten tills redeem them all at once for the same order
    def redeem(i):
        body = StaffRedemption(code=mine[i]["code"], order_id="o-42", order=CART)
        return outcome(lambda: Redemptions().by_staff(caller_for(staff("m1")), "m1", body))

    answers = concurrently(redeem, 10, threads=10)
    emulator.faults.set(0.0)

    # Then exactly one is redeemed; the others are told which redemption holds the order
    statuses = Counter(a.status for a in answers)
    assert statuses[201] == 1, [a.json for a in answers]
    (winner,) = [a.json for a in answers if a.status == 201]
    for answer in answers:
        if answer.status != 201:
            assert answer.status == 409 and answer.json["error"]["code"] == "order_already_discounted"
            assert answer.json["error"]["details"]["redemption_id"] == winner["redemption_id"]
    # And the store holds one used coupon, one redemption, and the order naming it
    states = Counter(stored_claim(c["claim_id"])["state"] for c in mine)
    assert states == {"used": 1, "available": 9}
    assert sum(len(redemptions_of(c["coupon_id"])) for c in mine) == 1
    assert order_item("o-42")["redemption_id"] == winner["redemption_id"]
