"""A coupon's public code: the merchant sets, reads and deactivates it; customers quote and redeem it at
checkout without claiming it; another merchant, a guesser and a crafted body get nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service import keys, shared_code_lookup
from coupon_service.store.table import Table

from tests.builders import CART, make_coupon, redemptions_of, report_order
from tests.support import call, customer, merchant, staff

pytestmark = pytest.mark.usefixtures("stack")


def set_code(coupon_id, merchant_id="m1", **body):
    body.setdefault("code", "Summer24")
    return call("PUT", f"/coupons/{coupon_id}/shared-code", claims=merchant(merchant_id), body=body)


def redeem_code(code="summer24", user="u1", order_id="o-1", order=CART, **extra):
    body = {"code": code, "order_id": order_id, "order": order, **extra}
    return call("POST", "/checkout/redemptions", claims=customer(user), body=body)


def quote(code, user="u1", order=CART):
    return call("POST", "/checkout/quote", claims=customer(user), body={"order": order, "code": code})


def test_a_merchant_sets_a_code_customers_quote_and_redeem_it_once_each(stack):
    # Given a coupon with the public code SUMMER24, 2 redemptions in all, one per customer
    coupon = make_coupon()
    made = set_code(coupon["coupon_id"], max_redemptions=2)
    assert made.status == 200, made.json
    assert made.json | {"updated_at": None} == {
        "coupon_id": coupon["coupon_id"],
        "code": "SUMMER24",
        "active": True,
        "max_redemptions": 2,
        "per_customer_limit": 1,
        "redeemed": 0,
        "remaining": 2,
        "updated_at": None,
    }

    # When a customer quotes a cart with the code typed in lower case
    quoted = quote("summer24")
    # Then it is quoted as the coupon, with its saving, and the best choice
    assert quoted.status == 200, quoted.json
    [entry] = quoted.json["applicable"]
    assert entry["shared_code"] == "SUMMER24" and entry["coupon_id"] == coupon["coupon_id"]
    assert entry["discount"] == 1000
    assert quoted.json["best"]["discount"] == 1000

    # When they redeem it for an order, then again for the same order (a retry), then for another order
    first = redeem_code(order_id="o-1")
    again = redeem_code(order_id="o-1")
    other = redeem_code(order_id="o-2")
    # Then the first is a redemption, the retry the same one, the third refused: once per customer
    assert first.status == 201, first.json
    assert first.json["method"] == "shared_code" and first.json["discount"] == 1000
    assert again.status == 201 and again.json["redemption_id"] == first.json["redemption_id"]
    assert other.status == 409 and other.json["error"]["code"] == "limit_reached"
    # And the quote now says why it no longer applies
    assert quote("SUMMER24").json["not_applicable"][0]["reason"] == "limit_reached"

    # When a second customer uses it, then a third: the cap of 2 is reached
    assert redeem_code(user="u2", order_id="o-3").status == 201
    full = redeem_code(user="u3", order_id="o-4")
    assert full.status == 409 and full.json["error"]["code"] == "redemption_cap_reached"
    assert quote("SUMMER24", user="u3").json["not_applicable"][0]["reason"] == "redemption_cap_reached"
    read = call("GET", f"/coupons/{coupon['coupon_id']}/shared-code", claims=merchant())
    assert (read.json["redeemed"], read.json["remaining"]) == (2, 0)
    assert len(redemptions_of(coupon["coupon_id"])) == 2

    # When the merchant reverses the first redemption, its customer and the cap get their use back, once
    reversal = f"/redemptions/{first.json['redemption_id']}/reversal"
    assert call("POST", reversal, claims=merchant()).status == 200
    assert call("POST", reversal, claims=merchant()).status == 200
    read = call("GET", f"/coupons/{coupon['coupon_id']}/shared-code", claims=merchant())
    assert (read.json["redeemed"], read.json["remaining"]) == (1, 1)
    assert redeem_code(order_id="o-5").status == 201
    assert redeem_code(user="u3", order_id="o-6").json["error"]["code"] == "redemption_cap_reached"


def test_a_deactivated_code_answers_as_unknown_and_comes_back_when_set_again(stack):
    coupon = make_coupon()
    assert set_code(coupon["coupon_id"]).status == 200
    off = call("DELETE", f"/coupons/{coupon['coupon_id']}/shared-code", claims=merchant())
    assert off.status == 200 and off.json["active"] is False

    refused = redeem_code()
    never = redeem_code(code="WINTER99")
    assert refused.status == never.status == 404
    assert refused.json == never.json  # the same body: nothing tells a deactivated code from a made-up one
    assert quote("SUMMER24").status == 404

    assert set_code(coupon["coupon_id"]).json["active"] is True
    assert redeem_code().status == 201


def test_codes_are_the_merchants_own(stack):
    # Given m1's coupon with SUMMER24
    coupon = make_coupon()
    assert set_code(coupon["coupon_id"]).status == 200
    # Then an order at m2 cannot use it, and m2 neither reads nor changes nor deactivates it
    at_m2 = redeem_code(order={**CART, "merchant_id": "m2"})
    assert at_m2.status == 404 and at_m2.json["error"]["code"] == "unknown_code"
    assert set_code(coupon["coupon_id"], merchant_id="m2").status == 404
    path = f"/coupons/{coupon['coupon_id']}/shared-code"
    assert call("GET", path, claims=merchant("m2")).status == 404
    assert call("DELETE", path, claims=merchant("m2")).status == 404
    # And the code is unique per merchant: m1's other coupon cannot take it, m2's own coupon may
    second = make_coupon()
    taken = set_code(second["coupon_id"], code="summer24")
    assert taken.status == 409 and taken.json["error"]["code"] == "code_taken"
    # A coupon keeps its code: another one is refused, naming the one it has
    other = set_code(coupon["coupon_id"], code="AUTUMN24")
    assert other.status == 409 and other.json["error"]["details"] == {"code": "SUMMER24"}
    # Staff and customers do not reach the merchant's routes
    assert call("GET", path, claims=staff()).status == 403
    assert call("GET", path, claims=customer()).status == 403


BAD_CODES = [
    ({"code": "AB"}, "code"),
    ({"code": "SUMMER 24"}, "code"),
    ({"code": "x" * 33}, "code"),
    ({"code": "SUMMER24", "max_redemptions": 0}, "max_redemptions"),
    ({"code": "SUMMER24", "per_customer_limit": 0}, "per_customer_limit"),
    ({"code": "SUMMER24", "per_customer_limit": "1"}, "per_customer_limit"),
    ({"code": "SUMMER24", "extra": 1}, "extra"),
]
BAD_REDEMPTIONS = [
    ({"code": "S!", "order_id": "o-1", "order": CART}, "code"),
    ({"code": "SUMMER24", "order": CART}, "order_id"),
    ({"code": "SUMMER24", "order_id": "o-1"}, "order"),
    ({"code": "SUMMER24", "order_id": "o 1", "order": CART}, "order_id"),
    ({"code": "SUMMER24", "order_id": "o-1", "order": CART, "claim_id": "x"}, "claim_id"),
]


def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(stack):
    coupon = make_coupon()
    for body, field in BAD_CODES:
        reply = call("PUT", f"/coupons/{coupon['coupon_id']}/shared-code", claims=merchant(), body=body)
        assert reply.status == 422, (body, reply.json)
        assert field in reply.json["error"]["field"], (body, reply.json)
    assert Table().get(keys.coupon_shared_code(coupon["coupon_id"])) is None
    for body, field in BAD_REDEMPTIONS:
        reply = call("POST", "/checkout/redemptions", claims=customer(), body=body)
        assert reply.status == 422, (body, reply.json)
        assert field in reply.json["error"]["field"], (body, reply.json)
    quoted = call("POST", "/checkout/quote", claims=customer(), body={"order": CART, "code": "a b"})
    assert quoted.status == 422 and quoted.json["error"]["field"] == "code"
    # A malformed code costs no lookup
    assert Table().get(keys.lookup_budget("u1", "m1")) is None


def test_a_code_only_for_coupons_open_to_everyone_and_usable_while_the_coupon_is(stack):
    tagged = make_coupon(audience={"type": "tags", "tags": ["vip"]})
    refused = set_code(tagged["coupon_id"])
    assert refused.status == 403 and refused.json["error"]["field"] == "audience"
    coupon = make_coupon()
    assert set_code(coupon["coupon_id"]).status == 200
    version = call("GET", f"/coupons/{coupon['coupon_id']}", claims=merchant()).json["version"]
    paused = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant(),
        body={"version": version, "status": "paused"},
    )
    assert paused.status == 200, paused.json
    assert redeem_code().json["error"]["code"] == "coupon_paused"


def test_guessing_codes_spends_the_customers_lookup_budget(stack):
    coupon = make_coupon()
    assert set_code(coupon["coupon_id"]).status == 200
    answers = [redeem_code(code=f"GUESS{i:03d}", order_id=f"g-{i}").status for i in range(31)]
    assert answers == [404] * 30 + [429]
    # Then even the right code waits for the window to end; another customer is not affected
    assert redeem_code().status == 429
    assert quote("SUMMER24").status == 429
    assert redeem_code(user="u2").status == 201


def test_a_code_keeps_its_coupons_rules_for_new_customers_and_never_stands_in_for_a_passphrase(stack):
    # Given a coupon for new customers only, with a public code
    coupon = make_coupon(options={"new_customers_only": True})
    assert set_code(coupon["coupon_id"]).status == 200
    # When a customer who already ordered at the merchant types it on a later order, they are refused
    report_order("o-1", "u1", "2026-01-01T08:00:00+08:00")
    refused = redeem_code(order_id="o-2")
    assert refused.status == 403 and refused.json["error"]["code"] == "not_new_customer", refused.json
    # And a new customer redeems it
    assert redeem_code(user="u2", order_id="n-1").status == 201
    # A coupon claimed with a passphrase, or limited per device, gets no public code
    secret = make_coupon(options={"passphrase": "tea-club-2026"})
    denied = set_code(secret["coupon_id"], code="TEACLUB")
    assert denied.status == 403 and denied.json["error"]["field"] == "options.passphrase"
    per_device = make_coupon(options={"per_device_limit": 1})
    denied = set_code(per_device["coupon_id"], code="ONEPERPHONE")
    assert denied.status == 403 and denied.json["error"]["field"] == "options.per_device_limit"


def test_a_passphrase_added_after_the_code_stops_the_code(stack):
    # Given a coupon with a public code that a customer redeemed
    coupon = make_coupon()
    assert set_code(coupon["coupon_id"]).status == 200
    assert redeem_code().status == 201
    # When the merchant adds a passphrase to the coupon
    edited = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": coupon["version"], "options": {"passphrase": "tea-club-2026"}},
    )
    assert edited.status == 200, edited.json
    shared_code_lookup.forget_terms()  # the terms a redemption reads are cached for seconds
    # Then the code no longer redeems or prices, for anyone
    refused = redeem_code(user="u2", order_id="o-2")
    assert refused.status == 403 and refused.json["error"]["field"] == "options.passphrase", refused.json
    assert quote("SUMMER24", user="u2").status == 403


def test_what_a_code_costs_the_quote_and_the_redemption(stack, dynamodb_requests):
    coupon = make_coupon()
    assert set_code(coupon["coupon_id"], max_redemptions=1).status == 200
    dynamodb_requests.reset()
    assert call("POST", "/checkout/quote", claims=customer("u1"), body={"order": CART}).status == 200
    without = Counter(dynamodb_requests.calls)
    dynamodb_requests.reset()
    assert quote("summer24").status == 200
    # A quote with a code: the code with the caller's budget, the coupon with their uses, two reads more
    assert Counter(dynamodb_requests.calls) - without == {"BatchGetItem": 2}
    dynamodb_requests.reset()
    assert redeem_code().status == 201
    # A redemption: the code with the budget, the coupon's terms, one transaction
    assert dict(dynamodb_requests.calls) == {"BatchGetItem": 1, "GetItem": 1, "TransactWriteItems": 1}
    dynamodb_requests.reset()
    # A full code is refused from its one read, nothing written
    assert redeem_code(user="u2").json["error"]["code"] == "redemption_cap_reached"
    assert dict(dynamodb_requests.calls) == {"BatchGetItem": 1}
