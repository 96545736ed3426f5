"""Attacks on what the service stores and shows: a crafted display name on a public page, and store codes
that a reader of the idempotency table could recover from a request's hash."""

from __future__ import annotations

import hashlib
import json

import pytest
from coupon_service.models.coupons import CouponCreate
from coupon_service.settings import settings
from coupon_service.store.table import Table, from_item

from tests.builders import held
from tests.support import call, coupon_body, customer, merchant

pytestmark = pytest.mark.usefixtures("stack")

SELF_SERVICE = {"self_service": {"verification_code": "246810"}}


@pytest.mark.parametrize("name", ["Ann\u202egpj.exe", "Ann\x00", "Ann\nCall +1 555 0100"])
def test_a_giver_name_that_could_hide_or_reorder_text_never_reaches_the_public_gift_page(name):
    # Given a customer who set their own nickname (the user pool lets users edit it) to hostile text
    mine = held("giver", options={"giftable": True}, terms={"kind": "gift", "item": "a coffee"})
    # When they give a coupon
    gift = call("POST", f"/me/coupons/{mine['claim_id']}/gifts", claims=customer("giver", nickname=name))
    assert gift.status == 201, gift.json
    # Then the friend's public view names the giver without the hostile characters
    seen = call("GET", f"/gifts/{gift.json['token']}")
    assert seen.status == 200 and seen.json["giver_name"] == "a friend"
    # And a plain name, or the name when only the nickname is hostile, is shown as it is
    other = held("giver2", options={"giftable": True}, terms={"kind": "gift", "item": "a coffee"})
    who = customer("giver2", nickname=name, name="Ann Lee")
    token = call("POST", f"/me/coupons/{other['claim_id']}/gifts", claims=who).json["token"]
    assert call("GET", f"/gifts/{token}").json["giver_name"] == "Ann Lee"


def test_a_store_code_cannot_be_recovered_from_the_idempotency_record_of_its_coupon():
    # Given a coupon created with an Idempotency-Key and the store's code 246810
    body = coupon_body(options={"self_service": {"verification_code": "246810"}})
    keyed = {"Idempotency-Key": "key-00001"}
    reply = call("POST", "/coupons", claims=merchant("m1"), body=body, headers=keyed)
    assert reply.status == 201, reply.json
    # When someone who reads the idempotency table hashes the request with every candidate code, as
    # Powertools hashes a payload (the rest of the body is what the coupon shows)
    table = Table()
    records = [from_item(i) for i in table._db.scan(TableName=settings().idempotency_table_name)["Items"]]
    stored = {r.get("validation") for r in records} - {None}
    assert stored, records
    payload = CouponCreate.model_validate(body).model_dump(mode="json")

    def guessed(code: str) -> str:
        payload["options"]["self_service"]["verification_code"] = code
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    found = [code for code in (f"{n:06d}" for n in range(246000, 247000)) if guessed(code) in stored]
    # Then no candidate matches: the code is kept only as the stack's keyed hash
    assert found == []


@pytest.mark.parametrize("code", ["123456", "000000", "654321", "7777777", "890123", "1234567890"])
def test_a_store_code_a_guesser_would_try_first_is_refused_on_creation_and_rotation(code):
    # Given the codes a guesser tries first at every coupon: one digit repeated, the digits in order
    body = coupon_body(options={"self_service": {"verification_code": code}})
    # When a merchant creates a coupon with one, or a staff code of one, Then it is a 422 naming the field
    reply = call("POST", "/coupons", claims=merchant("m1"), body=body)
    field = "body.options.self_service.verification_code"
    assert reply.status == 422 and reply.json["error"]["field"] == field, reply.json
    staff = coupon_body(options={"self_service": {"verification_code": "246810", "staff_code": code}})
    reply = call("POST", "/coupons", claims=merchant("m1"), body=staff)
    assert reply.status == 422 and reply.json["error"]["field"] == "body.options.self_service.staff_code"
    # And a rotation to one is refused the same way, leaving the coupon as it was
    coupon = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(options=SELF_SERVICE)).json
    path = f"/coupons/{coupon['coupon_id']}"
    patch = {"version": coupon["version"], "options": {"self_service": {"verification_code": code}}}
    reply = call("PATCH", path, claims=merchant("m1"), body=patch)
    assert reply.status == 422 and reply.json["error"]["field"] == field, reply.json
    after = call("GET", path, claims=merchant("m1")).json
    assert after == coupon


def test_a_coupon_created_without_a_staff_code_does_not_say_it_asks_one():
    # Given a self-service coupon created with the store's code only
    created = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(options=SELF_SERVICE))
    assert created.status == 201, created.json
    # Then the answer to its creation says what the coupon is, as reading it back does: no staff code
    read = call("GET", f"/coupons/{created.json['coupon_id']}", claims=merchant("m1")).json
    assert created.json["options"]["staff_code_required"] is read["options"]["staff_code_required"] is False
