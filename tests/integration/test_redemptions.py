"""Redemption through the API: staff scan, self-service in store, the refusals, isolation and reversal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from coupon_service import keys
from coupon_service.codes import format_for_display, new_system_code
from coupon_service.events import derive
from coupon_service.store.table import Table, values

from devstack.streams import StreamReader, published
from tests.builders import (
    CART,
    SELF_SERVICE,
    claim,
    held,
    make_coupon,
    redeem_myself,
    redemptions_of,
    scan,
    stored_claim,
)
from tests.support import call, coupon_body, customer, invoke, merchant, platform, staff

pytestmark = pytest.mark.usefixtures("stack")

# --- staff --------------------------------------------------------------------------------------


def test_a_staff_scan_with_an_order_records_the_discount_and_uses_the_coupon():
    # Given a customer holding "10 off 100" with a reminder due before it expires
    mine = held(options={"reminder": {"hours_before_expiry": 24, "message": "use it"}})
    assert "GSI3PK" in stored_claim(mine["claim_id"])
    # When the till scans it, typed as displayed and in lower case, for an order of 120.00 + 8.00 shipping
    typed = format_for_display(mine["code"]).lower()
    reply = scan(typed, store_id="shop-7", order_id="order-1", order=CART)
    # Then 10.00 comes off, all of it on the one line, and the redemption says who, where and what
    assert reply.status == 201, reply.json
    redemption = reply.json
    assert (redemption["discount"], redemption["order_amount"], redemption["currency"]) == (
        1000,
        12800,
        "CNY",
    )
    assert redemption["allocations"] == [{"line": 0, "sku": "tea", "amount": 1000}]
    assert (redemption["method"], redemption["redeemed_by"], redemption["store_id"]) == (
        "staff",
        "staff-m1",
        "shop-7",
    )
    # And the store holds the coupon as used, out of the reminder index, and exactly one redemption
    stored = stored_claim(mine["claim_id"])
    assert stored["state"] == "used" and stored["redemption_id"] == redemption["redemption_id"]
    assert "GSI3PK" not in stored and "GSI3SK" not in stored
    assert [r["redemption_id"] for r in redemptions_of(mine["coupon_id"])] == [redemption["redemption_id"]]
    # And a second use, for another order, is refused
    again = scan(mine["code"], order_id="order-2", order=CART)
    assert again.status == 409 and again.json["error"]["code"] == "already_used"
    wallet = call("GET", "/me/coupons/" + mine["claim_id"], claims=customer("u1")).json
    assert wallet["status"] == "used"


def test_a_till_that_retries_the_same_order_gets_its_own_redemption_back():
    mine = held()
    first = scan(mine["code"], order_id="order-9", order=CART)
    retry = scan(mine["code"], order_id="order-9", order=CART)
    assert first.status == retry.status == 201 and first.json == retry.json
    assert len(redemptions_of(mine["coupon_id"])) == 1


def test_a_scan_without_an_order_records_that_none_was_given():
    # Given a coupon whose terms do not depend on the order (no minimum spend, the whole order)
    mine = held(terms={"kind": "discount", "percent_off": 10})
    reply = scan(mine["code"], order=None)
    assert reply.status == 201 and reply.json["discount"] is None and reply.json["order_id"] is None
    assert reply.json["terms_confirmed_by_staff"] is None
    assert stored_claim(mine["claim_id"])["state"] == "used"


def test_an_order_that_misses_the_terms_is_refused_with_the_numbers_and_changes_nothing():
    mine = held()
    short = {**CART, "lines": [{"sku": "tea", "unit_price": 9999, "quantity": 1}]}
    reply = scan(mine["code"], order_id="o1", order=short)
    assert reply.status == 422 and reply.json["error"]["code"] == "below_min_spend"
    assert reply.json["error"]["field"] == "order"
    assert reply.json["error"]["details"] == {"min_spend": 10000, "eligible_subtotal": 9999, "short_by": 1}
    assert stored_claim(mine["claim_id"])["state"] == "available" and redemptions_of(mine["coupon_id"]) == []
    elsewhere = scan(mine["code"], order={**CART, "merchant_id": "m2"})
    assert elsewhere.status == 422 and elsewhere.json["error"]["field"] == "order.merchant_id"


def test_not_started_expired_and_in_a_pending_gift_are_different_refusals(clock):
    later = held(validity={"type": "relative_days", "starts_after_days": 1, "days": 3})
    not_yet = scan(later["code"])
    assert not_yet.status == 409 and not_yet.json["error"]["code"] == "not_started"
    assert not_yet.json["error"]["details"]["starts_at"] == later["valid_from"]

    short_lived = held(user="u2", validity={"type": "hours", "hours": 1})
    clock.advance(timedelta(hours=2))
    ended = scan(short_lived["code"])
    clock.advance(-timedelta(hours=2))
    assert ended.status == 409 and ended.json["error"]["code"] == "expired"

    giving = held(user="u3")
    until = (clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    Table().update(
        keys.claim(giving["claim_id"]),
        UpdateExpression="SET #s = :g, gift_expires_at = :t",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues=values(g="gifting", t=until),
    )
    pending = scan(giving["code"])
    assert pending.status == 409 and pending.json["error"]["code"] == "in_pending_gift"
    # Once the gift lapses unaccepted the coupon is its holder's again, and usable
    clock.advance(timedelta(hours=2))
    lapsed = scan(giving["code"])
    clock.advance(-timedelta(hours=2))
    assert lapsed.status == 201, lapsed.json
    for c in (later, short_lived):
        assert stored_claim(c["claim_id"])["state"] == "available"


# --- isolation ----------------------------------------------------------------------------------


def test_codes_other_merchants_unknown_and_mistyped_reveal_nothing(dynamodb_requests):
    mine = held()
    # Another merchant's staff get exactly the answer an unknown code gets
    other = scan(mine["code"], merchant_id="m2")
    unknown = scan(new_system_code(), merchant_id="m2")
    assert other.status == unknown.status == 404 and other.json == unknown.json
    assert scan("shop_code_42").json == unknown.json
    # A mistyped system code is caught by its check symbol, before any lookup
    typo = mine["code"][:-2] + _other_symbol(mine["code"][-2]) + mine["code"][-1]
    dynamodb_requests.reset()
    mistyped = scan(typo)
    assert mistyped.status == 422 and mistyped.json["error"]["code"] == "mistyped_code"
    assert dynamodb_requests.total() == 0
    # A customer never reaches another's coupon, and gets what a made-up id gets
    theirs = redeem_myself(mine["claim_id"], user="u2", verification_code="246810")
    made_up = redeem_myself("0" * 32, user="u2", verification_code="246810")
    assert theirs.status == made_up.status == 404 and theirs.json == made_up.json
    # Customers cannot use the till's route, staff cannot reverse
    assert call("POST", "/redemptions", claims=customer("u1"), body={"code": mine["code"]}).status == 403
    assert stored_claim(mine["claim_id"])["state"] == "available"


def _other_symbol(symbol):
    return "2" if symbol != "2" else "3"


def test_a_platform_coupon_is_redeemed_by_the_staff_of_the_merchants_it_lists():
    coupon = call("POST", "/coupons", claims=platform(), body=coupon_body(merchants=["m2", "m3"])).json
    mine = claim(coupon["coupon_id"], user="u1").json
    outsider = scan(mine["code"], merchant_id="m4")
    assert outsider.status == 404 and outsider.json["error"]["code"] == "unknown_code"
    reply = scan(mine["code"], merchant_id="m3", order_id="p1", order={**CART, "merchant_id": "m3"})
    assert reply.status == 201, reply.json
    assert (reply.json["merchant_id"], reply.json["redeemed_at_merchant"]) == ("platform", "m3")


# --- self-service -------------------------------------------------------------------------------


def test_self_service_with_the_right_code_redeems_and_a_wrong_code_says_how_many_tries_are_left():
    mine = held(options=SELF_SERVICE)
    wrong = redeem_myself(mine["claim_id"], verification_code="111111", order=CART)
    assert wrong.status == 422 and wrong.json["error"]["code"] == "wrong_code"
    assert wrong.json["error"]["details"] == {"tries_left": 4}
    assert stored_claim(mine["claim_id"])["state"] == "available"
    right = redeem_myself(mine["claim_id"], verification_code="246810", order_id="s1", order=CART)
    assert right.status == 201, right.json
    assert (right.json["method"], right.json["discount"], right.json["redeemed_at_merchant"]) == (
        "self_service",
        1000,
        "m1",
    )
    assert stored_claim(mine["claim_id"])["state"] == "used"
    # The right code gave its reservation back: only the wrong one still counts for the customer
    assert len(Table().get(keys.customer_guard("u1", "m1"))["attempts"]) == 1


def test_self_service_needs_the_order_when_the_terms_depend_on_it_and_the_staff_code_when_set():
    mine = held(options={"self_service": {"verification_code": "246810", "staff_code": "135791"}})
    no_order = redeem_myself(mine["claim_id"], verification_code="246810", staff_code="135791")
    assert no_order.status == 422 and no_order.json["error"]["field"] == "order"
    no_staff = redeem_myself(mine["claim_id"], verification_code="246810", order=CART)
    assert no_staff.status == 422 and no_staff.json["error"]["field"] == "staff_code"
    wrong_staff = redeem_myself(mine["claim_id"], verification_code="246810", staff_code="999999", order=CART)
    assert wrong_staff.status == 422 and wrong_staff.json["error"]["code"] == "wrong_code"
    ok = redeem_myself(mine["claim_id"], verification_code="246810", staff_code="135791", order=CART)
    assert ok.status == 201, ok.json
    # A coupon without self-service is for the till only
    plain = held(user="u5")
    refused = redeem_myself(plain["claim_id"], user="u5", verification_code="246810", order=CART)
    assert refused.status == 403 and refused.json["error"]["code"] == "self_service_not_allowed"


def test_five_wrong_codes_lock_the_coupon_for_fifteen_minutes_even_for_the_right_code(clock):
    mine = held(options=SELF_SERVICE)
    answers = [redeem_myself(mine["claim_id"], verification_code=f"00000{i}", order=CART) for i in range(5)]
    assert [a.json["error"]["details"]["tries_left"] for a in answers] == [4, 3, 2, 1, 0]
    assert answers[-1].status == 423 and answers[-1].headers["retry-after"] == "900"
    locked_until = answers[-1].json["error"]["details"]["locked_until"]
    during = redeem_myself(mine["claim_id"], verification_code="246810", order=CART)
    assert during.status == 423 and during.json["error"]["details"]["locked_until"] == locked_until
    clock.advance(timedelta(minutes=16))
    after = redeem_myself(mine["claim_id"], verification_code="246810", order=CART)
    assert after.status == 201, after.json


@pytest.mark.parametrize(
    ("self_service", "field"),
    [
        ({"verification_code": "1234"}, "verification_code"),
        ({"verification_code": "246810", "staff_code": "13579"}, "staff_code"),
        ({}, "verification_code"),
        ({"verification": "none", "verification_code": "246810"}, "verification_code"),
        ({"verification": "none", "staff_code": "135791"}, "staff_code"),
        ({"verification": "sms"}, "verification"),
    ],
    ids=["4-digit-code", "5-digit-staff-code", "no-code", "code-with-none", "staff-code-with-none", "sms"],
)
def test_a_store_code_has_at_least_six_digits_and_goes_with_its_mode(self_service, field):
    reply = call(
        "POST", "/coupons", claims=merchant("m1"), body=coupon_body(options={"self_service": self_service})
    )
    assert reply.status == 422, reply.json
    assert reply.json["error"]["field"] == f"body.options.self_service.{field}"


def rotate(coupon_id, who=None, **codes):
    """A merchant's edit of the coupon's store codes, based on the version it reads first."""
    who = who or merchant("m1")
    version = call("GET", f"/coupons/{coupon_id}", claims=who).json["version"]
    body = {"version": version, "options": {"self_service": codes}}
    return call("PATCH", f"/coupons/{coupon_id}", claims=who, body=body)


def test_a_merchant_rotates_the_store_code_and_the_old_one_stops_working_at_once():
    # Given a customer who claimed a self-service coupon before its code changes
    before = held(options=SELF_SERVICE)
    coupon_id = before["coupon_id"]
    # When the merchant sets a new code: a 4-digit one, a stale version and another merchant are refused
    assert rotate(coupon_id, verification_code="1357").json["error"]["field"] == (
        "body.options.self_service.verification_code"
    )
    other = call("PATCH", f"/coupons/{coupon_id}", claims=merchant("m2"), body={"version": 1, "options": {}})
    assert other.status == 404
    rotated = rotate(coupon_id, verification_code="864200")
    assert rotated.status == 200, rotated.json
    assert rotated.json["options"]["self_service"] is True and "864200" not in rotated.raw.decode()
    stale = call(
        "PATCH",
        f"/coupons/{coupon_id}",
        claims=merchant("m1"),
        body={"version": 1, "options": {"self_service": {"verification_code": "975310"}}},
    )
    assert stale.status == 409 and stale.json["error"]["code"] == "version_conflict"
    after = claim(coupon_id, user="u2").json
    # Then the old code is a wrong code for the coupon claimed before, and the new one redeems both
    old = redeem_myself(before["claim_id"], verification_code="246810", order=CART)
    assert old.status == 422 and old.json["error"]["code"] == "wrong_code"
    assert redeem_myself(before["claim_id"], verification_code="864200", order=CART).status == 201
    assert redeem_myself(after["claim_id"], user="u2", verification_code="246810", order=CART).status == 422
    assert redeem_myself(after["claim_id"], user="u2", verification_code="864200", order=CART).status == 201


def test_rotation_sets_removes_or_keeps_the_staff_code_and_holds_for_platform_coupons():
    # Given a platform coupon usable at m1 and m2, claimed before its codes change
    body = coupon_body(merchants=["m1", "m2"], options=SELF_SERVICE)
    coupon = call("POST", "/coupons", claims=platform(), body=body).json
    mine = claim(coupon["coupon_id"]).json
    at_m2 = {**CART, "merchant_id": "m2"}
    # When the operator adds a staff code, then rotates the verification code keeping the staff code
    assert (
        rotate(coupon["coupon_id"], who=platform(), verification_code="111222", staff_code="333444").status
        == 200
    )
    kept = rotate(coupon["coupon_id"], who=platform(), verification_code="555666")
    assert kept.json["options"]["staff_code_required"] is True
    # Then the staff code is asked, and only the newest codes redeem
    no_staff = redeem_myself(mine["claim_id"], verification_code="555666", order=at_m2)
    assert no_staff.status == 422 and no_staff.json["error"]["field"] == "staff_code"
    stale = redeem_myself(mine["claim_id"], verification_code="111222", staff_code="333444", order=at_m2)
    assert stale.status == 422 and stale.json["error"]["code"] == "wrong_code"
    # And with `staff_code: null` the staff code is no longer asked
    removed = rotate(coupon["coupon_id"], who=platform(), verification_code="555666", staff_code=None)
    assert removed.json["options"]["staff_code_required"] is False
    assert "staff_code_hash" not in Table().get(keys.coupon(coupon["coupon_id"]))
    done = redeem_myself(mine["claim_id"], verification_code="555666", order=at_m2)
    assert done.status == 201 and done.json["verified"] is True, done.json


def test_no_claimed_coupon_holds_a_verification_hash_only_the_coupon_does():
    # Given claims of a self-service coupon with a staff code, one of them given to a friend and redeemed
    coupon = make_coupon(options={"self_service": {"verification_code": "246810", "staff_code": "135791"}})
    claims = [claim(coupon["coupon_id"], user=f"u{i}").json for i in range(3)]
    redeem_myself(
        claims[0]["claim_id"], user="u0", verification_code="246810", staff_code="135791", order=CART
    )
    # When the whole table is read
    table = Table()
    stored = table.get(keys.coupon(coupon["coupon_id"]))
    hashes = {stored["verification_hash"], stored["staff_code_hash"]}
    items, start = [], None
    while True:
        page = table._db.scan(TableName=table.name, **({"ExclusiveStartKey": start} if start else {}))
        items.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    # Then only the coupon item holds the hashes, and the claims say only that self-service asks a code
    holding = [i for i in items if any(h in str(i) for h in hashes)]
    assert [(i["PK"]["S"], i["SK"]["S"]) for i in holding] == [(stored["PK"], stored["SK"])]
    claim_items = [i for i in items if i.get("type", {}).get("S") == "claim"]
    assert len(claim_items) == 3
    assert all(i["self_service"] == {"S": "code"} and "verification_hash" not in i for i in claim_items)
    wallet = call("GET", f"/me/coupons/{claims[1]['claim_id']}", claims=customer("u1")).json
    assert (wallet["self_service"], wallet["self_service_verification"]) == (True, "code")


def test_self_service_without_a_code_redeems_and_records_that_no_code_was_checked(emulator, stack):
    # Given a coupon whose merchant chose self-service without a verification code
    coupon = make_coupon(options={"self_service": {"verification": "none"}})
    assert (coupon["options"]["self_service"], coupon["options"]["self_service_verification"]) == (
        True,
        "none",
    )
    mine = claim(coupon["coupon_id"]).json
    assert (mine["self_service"], mine["self_service_verification"]) == (True, "none")
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    # When the customer redeems it in the store without a code
    done = redeem_myself(mine["claim_id"], order_id="o1", order=CART)
    # Then it is used, and the redemption (and its event) says that no code was checked
    assert done.status == 201 and done.json["verified"] is False, done.json
    assert Table().get(keys.redemption(done.json["redemption_id"]))["verified"] is False
    redeemed = [e for r in reader.drain() for e in derive(r) if e.detail_type == "CouponRedeemed"]
    assert [e.verified for e in redeemed] == [False]
    # And no attempt was counted, and such a coupon has no code to rotate
    assert Table().get(keys.redeem_guard(mine["claim_id"])) is None
    refused = rotate(coupon["coupon_id"], verification_code="246810")
    assert refused.status == 422 and refused.json["error"]["field"] == "options.self_service"
    # While a coupon that asks a code refuses a redemption without one, naming the field
    coded = held(user="u2", options=SELF_SERVICE)
    missing = redeem_myself(coded["claim_id"], user="u2", order=CART)
    assert missing.status == 422 and missing.json["error"]["field"] == "verification_code"


# --- reversal -----------------------------------------------------------------------------------


def test_a_reversal_inside_the_window_makes_the_coupon_usable_again_and_back_in_the_reminder_index():
    mine = held(options={"reminder": {"hours_before_expiry": 24, "message": "use it"}})
    first = scan(mine["code"], order_id="order-1", order=CART).json
    reversal = call("POST", f"/redemptions/{first['redemption_id']}/reversal", claims=merchant("m1"))
    assert reversal.status == 200 and reversal.json["usable_again"] is True and reversal.json["reversed_at"]
    again = call("POST", f"/redemptions/{first['redemption_id']}/reversal", claims=merchant("m1"))
    assert again.json == reversal.json
    stored = stored_claim(mine["claim_id"])
    assert stored["state"] == "available" and stored["reversals"] == 1 and "GSI3PK" in stored
    # The same order id redeems anew (a new round, with the coupon's new code), the first stays reversed
    second = scan(stored["code"], order_id="order-1", order=CART)
    assert second.status == 201 and second.json["redemption_id"] != first["redemption_id"]
    assert sorted(r.get("reversed_at") is None for r in redemptions_of(mine["coupon_id"])) == [False, True]
    # Only the issuing (or redeeming) merchant may reverse; staff may not
    other = call("POST", f"/redemptions/{first['redemption_id']}/reversal", claims=merchant("m2"))
    assert other.status == 404
    till = call("POST", f"/redemptions/{first['redemption_id']}/reversal", claims=staff("m1"))
    assert till.status == 403


def test_a_reversal_after_the_window_leaves_the_coupon_used_then_expired(clock):
    mine = held(validity={"type": "hours", "hours": 1})
    redemption = scan(mine["code"]).json
    clock.advance(timedelta(hours=2))
    reversal = call("POST", f"/redemptions/{redemption['redemption_id']}/reversal", claims=merchant("m1"))
    assert reversal.status == 200 and reversal.json["usable_again"] is False
    assert stored_claim(mine["claim_id"])["state"] == "used"


def test_redemption_and_reversal_reach_the_bus_from_the_outbox(emulator, stack):
    mine = held()
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.poll()
    redemption = scan(mine["code"], store_id="s9", order_id="acc-1", order=CART).json
    call("POST", f"/redemptions/{redemption['redemption_id']}/reversal", claims=merchant("m1"))
    assert invoke("publisher", {"Records": reader.poll()}) == {"batchItemFailures": []}
    delivered = {e["detail-type"]: e["detail"] for e in published(emulator.url, stack.events_queue_url)}
    redeemed = delivered["CouponRedeemed"]
    assert (redeemed["redemption_id"], redeemed["order_id"], redeemed["discount"]) == (
        redemption["redemption_id"],
        "acc-1",
        1000,
    )
    assert redeemed["allocations"] == [{"line": 0, "sku": "tea", "amount": 1000}]
    assert (redeemed["customer_id"], redeemed["store_id"], redeemed["order_amount"]) == ("u1", "s9", 12800)
    assert delivered["RedemptionReversed"]["usable_again"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "ABCD", "extra": 1}, "body.extra"),
        ({}, "body.code"),
        ({"code": "ABCD", "order": {**CART, "lines": []}}, "body.order.lines"),
        ({"code": "ABCD", "order": {**CART, "currency": "cny"}}, "body.order.currency"),
        ({"code": "ABCD", "order_id": "has space"}, "body.order_id"),
    ],
)
def test_bad_redemption_input_is_a_422_naming_the_field_and_changes_nothing(body, field):
    mine = held()
    reply = call("POST", "/redemptions", claims=staff("m1"), body=body)
    assert reply.status == 422 and reply.json["error"]["field"] == field, reply.json
    wrong = redeem_myself(mine["claim_id"], verification_code="12ab")
    assert wrong.status == 422 and wrong.json["error"]["field"] == "body.verification_code"
    assert stored_claim(mine["claim_id"])["state"] == "available" and redemptions_of(mine["coupon_id"]) == []


def test_requests_per_redemption(dynamodb_requests):
    # A staff scan: the lookup counted against the staff member's budget of unknown codes, a code lookup
    # and a transaction that gives the count back; self-service: the claim, the coupon with its watch in
    # one request, two counters, a transaction
    scanned, pressed = held(), held(user="u2", options=SELF_SERVICE)
    dynamodb_requests.reset()
    assert scan(scanned["code"], order_id="r1", order=CART).status == 201
    assert dict(dynamodb_requests.calls) == {"UpdateItem": 1, "Query": 1, "TransactWriteItems": 1}
    dynamodb_requests.reset()
    reply = redeem_myself(
        pressed["claim_id"], user="u2", verification_code="246810", order_id="r2", order=CART
    )
    assert reply.status == 201, reply.json
    assert dict(dynamodb_requests.calls) == {
        "GetItem": 1,
        "BatchGetItem": 1,
        "UpdateItem": 2,
        "TransactWriteItems": 1,
    }
