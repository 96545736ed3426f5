"""Where and when a coupon may be used: store lists checked against the merchant's registry, staff tokens
naming their store, self-service naming the store the customer is in, weekly time frames; every refusal a
4xx naming the field, with nothing changed and no attempt or lookup counted wrongly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import claims, keys
from coupon_service.store.table import Table

from tests.builders import (
    CART,
    SELF_SERVICE,
    claim,
    make_coupon,
    make_store,
    redeem_myself,
    redemptions_of,
    stored_claim,
    table_snapshot,
)
from tests.support import call, coupon_body, merchant, platform, staff

pytestmark = pytest.mark.usefixtures("stack")

MONDAY_NOON = datetime(2030, 1, 7, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
LUNCH = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "11:00", "end": "14:00"}]


def till(code, store=None, user="till", merchant_id="m1", **body):
    body.setdefault("order", {**CART, "merchant_id": merchant_id})
    return call(
        "POST", "/redemptions", claims=staff(merchant_id, user=user, store=store), body={"code": code, **body}
    )


def holding(user="u1", **overrides):
    coupon = make_coupon(**overrides)
    reply = claim(coupon["coupon_id"], user=user)
    assert reply.status == 201, reply.json
    return coupon, reply.json


@pytest.fixture
def stores(stack):
    for store_id in ("A", "B"):
        make_store(store_id)
    make_store("C", merchant_id="m2")


# --- store lists on coupons ---------------------------------------------------------------------------


@pytest.mark.usefixtures("stores")
def test_an_unknown_store_or_another_merchants_is_a_422_naming_it_and_nothing_is_made():
    before = table_snapshot()
    for listed, field in ((["A", "nope"], "stores.1"), (["C"], "stores.0"), ({"m1": ["A"]}, "stores")):
        reply = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(stores=listed))
        assert reply.status == 422, (listed, reply.json)
        assert reply.json["error"]["field"] == field, reply.json
    assert reply.json["error"]["field"] == "stores"
    assert (
        call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(stores=["A", "nope"])).json["error"][
            "code"
        ]
        == "unknown_store"
    )
    assert table_snapshot() == before
    # And the merchant's own stores are accepted, answered as sent
    assert make_coupon(stores=["B", "A"])["stores"] == ["B", "A"]


@pytest.mark.usefixtures("stores")
def test_a_platform_coupon_lists_stores_per_merchant_each_in_that_merchants_registry():
    body = coupon_body(merchants=["m1", "m2"])
    for listed, field in (
        ({"m1": ["A"], "m2": ["A"]}, "stores.m2.0"),  # A is m1's, not m2's
        ({"m3": ["A"]}, "stores.m3"),  # not a merchant of the coupon
        (["A"], "stores"),
    ):
        reply = call("POST", "/coupons", claims=platform(), body={**body, "stores": listed})
        assert reply.status == 422, (listed, reply.json)
        assert reply.json["error"]["field"] == field
    made = call("POST", "/coupons", claims=platform(), body={**body, "stores": {"m2": ["C"]}})
    assert made.status == 201, made.json
    assert made.json["stores"] == {"m2": ["C"]}
    # m2's staff redeem it only at C; m1's, which the list leaves out, at any store
    code = claim(made.json["coupon_id"]).json["code"]
    refused = till(code, store="D", merchant_id="m2")
    assert (refused.status, refused.json["error"]["code"]) == (422, "not_valid_at_store")
    assert refused.json["error"]["details"] == {"store_id": "D", "stores": ["C"]}
    assert till(code, store="anything", merchant_id="m1").status == 201


@pytest.mark.usefixtures("stores")
def test_staff_of_store_a_cannot_redeem_a_coupon_valid_only_at_b_and_nothing_changes():
    coupon, held = holding(stores=["B"])
    before = stored_claim(held["claim_id"])
    # When a till at A scans it
    refused = till(held["code"], store="A")
    # Then it is refused naming the store, the coupon untouched, no redemption recorded
    assert refused.status == 422, refused.json
    assert refused.json["error"]["code"] == "not_valid_at_store"
    assert refused.json["error"]["field"] == "store_id"
    assert refused.json["error"]["details"] == {"store_id": "A", "stores": ["B"]}
    assert stored_claim(held["claim_id"]) == before
    assert redemptions_of(coupon["coupon_id"]) == []
    # And the refusal told the till the code exists: the lookup stays counted, like an expired code's
    assert len(Table().get(keys.lookup_budget("till", "m1"))["lookups"]) == 1
    # A till at B redeems it, and the redemption records the store
    done = till(held["code"], store="B", user="till-b")
    assert done.status == 201, done.json
    assert done.json["store_id"] == "B"
    assert [r["store_id"] for r in redemptions_of(coupon["coupon_id"])] == ["B"]


@pytest.mark.usefixtures("stores")
def test_a_staff_token_without_a_store_redeems_only_coupons_without_a_store_list():
    _, limited = holding(stores=["A"])
    _, anywhere = holding(user="u2")
    refused = till(limited["code"], store_id="A")  # the body's word is not the account's
    assert (refused.status, refused.json["error"]["code"]) == (422, "not_valid_at_store")
    done = till(anywhere["code"], store_id="front-desk")
    assert done.status == 201, done.json
    assert done.json["store_id"] == "front-desk"  # recorded as before, free text
    # The merchant itself may name any of its stores
    owner = call(
        "POST",
        "/redemptions",
        claims=merchant("m1"),
        body={"code": limited["code"], "store_id": "A", "order": CART},
    )
    assert owner.status == 201, owner.json
    assert owner.json["store_id"] == "A"


def test_a_till_cannot_claim_to_be_at_another_store_than_its_account():
    _, held = holding()
    refused = till(held["code"], store="A", store_id="B")
    assert (refused.status, refused.json["error"]["code"], refused.json["error"]["field"]) == (
        422,
        "other_store",
        "store_id",
    )
    assert stored_claim(held["claim_id"])["state"] == "available"
    assert Table().get(keys.lookup_budget("till", "m1")) is None  # refused before any lookup


@pytest.mark.usefixtures("stores")
def test_self_service_at_an_unlisted_store_is_refused_without_counting_an_attempt():
    coupon, held = holding(stores=["A"], options=SELF_SERVICE)
    for body, code in (
        ({"store_id": "B"}, "not_valid_at_store"),
        ({}, "store_required"),
    ):
        refused = redeem_myself(held["claim_id"], verification_code="246810", order=CART, **body)
        assert refused.status == 422, refused.json
        assert (refused.json["error"]["code"], refused.json["error"]["field"]) == (code, "store_id")
    # Nothing counted against the customer, on the coupon or across the merchant; nothing used
    assert Table().get(keys.redeem_guard(held["claim_id"])) is None
    assert Table().get(keys.customer_guard("u1", "m1")) is None
    assert stored_claim(held["claim_id"])["state"] == "available"
    # In the listed store it is redeemed and records the store
    done = redeem_myself(held["claim_id"], verification_code="246810", order=CART, store_id="A")
    assert done.status == 201, done.json
    assert [r["store_id"] for r in redemptions_of(coupon["coupon_id"])] == ["A"]


@pytest.mark.usefixtures("stores")
def test_an_edited_store_list_reaches_claims_made_after_it():
    coupon, before = holding(stores=["A"])
    edit = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "stores": ["B"]},
    )
    assert edit.status == 200, edit.json
    assert edit.json["stores"] == ["B"]
    claims.cache.clear()  # terms a claim cached for a few seconds (docs/decisions.md, "Claims")
    after = claim(coupon["coupon_id"], user="u2").json
    assert stored_claim(before["claim_id"])["stores"] == {"m1": ["A"]}
    assert stored_claim(after["claim_id"])["stores"] == {"m1": ["B"]}
    bad = call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 2, "stores": ["C"]},
    )
    assert (bad.status, bad.json["error"]["field"]) == (422, "stores.0")
    cleared = call(
        "PATCH", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"), body={"version": 2, "stores": None}
    )
    assert cleared.json["stores"] is None


# --- time frames ----------------------------------------------------------------------------------------


def test_inside_a_time_frame_the_coupon_is_redeemed_outside_it_is_refused_with_the_next_opening(clock):
    clock.set(MONDAY_NOON)
    coupon, held = holding(time_frames=LUNCH)
    assert coupon["time_frames"] == LUNCH
    clock.set(MONDAY_NOON + timedelta(hours=3))  # 15:00 in Shanghai
    refused = till(held["code"], order_id="o-1")
    assert refused.status == 409, refused.json
    assert refused.json["error"]["code"] == "outside_time_frame"
    assert refused.json["error"]["details"]["next_opening"] == "2030-01-08T03:00:00Z"  # Tuesday 11:00
    assert stored_claim(held["claim_id"])["state"] == "available"
    clock.set(datetime(2030, 1, 8, 3, 0, tzinfo=UTC))
    done = till(held["code"], order_id="o-1")
    assert done.status == 201, done.json


def test_self_service_and_the_quote_refuse_outside_the_time_frame_without_an_attempt(clock):
    clock.set(MONDAY_NOON)
    _, held = holding(time_frames=LUNCH, options=SELF_SERVICE)
    clock.set(datetime(2030, 1, 12, 4, 0, tzinfo=UTC))  # Saturday noon
    refused = redeem_myself(held["claim_id"], verification_code="246810", order=CART)
    assert refused.status == 409, refused.json
    assert refused.json["error"]["code"] == "outside_time_frame"
    assert refused.json["error"]["details"]["next_opening"] == "2030-01-14T03:00:00Z"
    assert Table().get(keys.redeem_guard(held["claim_id"])) is None
    quote = call(
        "POST", "/checkout/quote", claims={"sub": "u1", "cognito:groups": "customers"}, body={"order": CART}
    )
    assert quote.status == 200, quote.json
    (listed,) = quote.json["not_applicable"]
    assert listed["reason"] == "outside_time_frame"
    assert listed["details"]["next_opening"] == "2030-01-14T03:00:00Z"
    assert quote.json["applicable"] == []


def test_a_time_frame_across_a_daylight_saving_change_opens_by_the_wall_clock(clock):
    # New York, Sunday 2030-03-10: clocks go from 02:00 EST to 03:00 EDT
    clock.set(datetime(2030, 3, 9, 15, 0, tzinfo=UTC))  # Saturday 10:00 EST
    _, held = holding(
        time_zone="America/New_York", time_frames=[{"days": ["sun"], "start": "09:00", "end": "10:00"}]
    )
    refused = till(held["code"])
    assert refused.json["error"]["details"]["next_opening"] == "2030-03-10T13:00:00Z"  # 09:00 EDT
    clock.set(datetime(2030, 3, 10, 13, 30, tzinfo=UTC))
    assert till(held["code"]).status == 201


@pytest.mark.parametrize(
    ("frames", "field"),
    [
        ([{"days": [], "start": "11:00", "end": "14:00"}], "body.time_frames.0.days"),
        ([{"days": ["mon"], "start": "11:00", "end": "11:00"}], "body.time_frames.0"),
        ([{"days": ["mon"], "start": "25:00", "end": "11:00"}], "body.time_frames.0.start"),
        ([], "body.time_frames"),
    ],
)
def test_a_time_frame_that_never_opens_is_a_422_naming_the_field(frames, field):
    reply = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(time_frames=frames))
    assert reply.status == 422, reply.json
    assert reply.json["error"]["field"] == field, reply.json


def test_time_frames_that_never_open_inside_a_fixed_validity_are_a_422():
    # Valid Monday to Friday only, usable on Saturdays only
    body = coupon_body(
        validity={"type": "fixed", "start": "2030-01-07T00:00:00+08:00", "end": "2030-01-11T23:59:59+08:00"},
        claim_window={"start": "2030-01-01T00:00:00Z", "end": "2030-01-10T00:00:00Z"},
        time_frames=[{"days": ["sat"], "start": "10:00", "end": "12:00"}],
    )
    reply = call("POST", "/coupons", claims=merchant("m1"), body=body)
    assert reply.status == 422, reply.json
    assert (reply.json["error"]["code"], reply.json["error"]["field"]) == ("never_opens", "time_frames")
    body["time_frames"][0]["days"].append("fri")
    assert call("POST", "/coupons", claims=merchant("m1"), body=body).status == 201


@pytest.mark.usefixtures("stores")
def test_the_wallet_shows_where_and_when_a_held_coupon_is_usable():
    _, held = holding(stores=["A"], time_frames=LUNCH)
    shown = call(
        "GET", f"/me/coupons/{held['claim_id']}", claims={"sub": "u1", "cognito:groups": "customers"}
    )
    assert shown.status == 200, shown.json
    assert (shown.json["stores"], shown.json["time_frames"], shown.json["time_zone"]) == (
        {"m1": ["A"]},
        LUNCH,
        "Asia/Shanghai",
    )
    assert held["stores"] == {"m1": ["A"]}
