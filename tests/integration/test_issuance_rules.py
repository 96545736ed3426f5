"""Issuance rules, the merchant's routes: each trigger's rule is created, read, listed, edited and deleted
within its merchant; a rule names only the merchant's own coupons (404 naming the field); bad input is a 422
naming the field and writes nothing; another merchant's rule is a 404 for every route."""

from __future__ import annotations

import pytest

from tests.builders import make_coupon
from tests.support import call, coupon_body, customer, merchant, platform, staff

pytestmark = pytest.mark.usefixtures("stack")
RULES = "/merchant/issuance-rules"


def order_rule(coupon_id, **trigger):
    return {
        "name": "Over 100",
        "trigger": {"type": "order_placed", "min_amount": 10000, "coupon_id": coupon_id, **trigger},
    }


def their_coupon(merchant_id="m2"):
    return call("POST", "/coupons", claims=merchant(merchant_id), body=coupon_body()).json["coupon_id"]


def test_a_rule_of_each_trigger_is_created_read_listed_edited_and_deleted():
    a, b, c = (make_coupon()["coupon_id"] for _ in range(3))
    triggers = [
        {"type": "order_placed", "min_amount": 0, "coupon_id": a, "products": ["sku-1"], "currency": "CNY"},
        {"type": "customer_joined", "coupon_ids": [a, b, c], "reissue_when_expired_unused": True},
        {"type": "invitation_accepted", "inviter_coupon_id": a, "invitee_coupon_id": b},
        {"type": "birthday", "coupon_id": c},
        {"type": "tier_upgraded", "tier": "gold", "coupon_id": b},
    ]
    made = []
    for n, trigger in enumerate(triggers):
        created = call("POST", RULES, claims=merchant(), body={"name": f"r{n}", "trigger": trigger})
        assert created.status == 201, created.json
        assert created.json["enabled"] is True
        assert {k: v for k, v in created.json["trigger"].items() if k in trigger} == trigger
        made.append(created.json)
    # Read and listed (by id), paged with a signed token
    one = call("GET", f"{RULES}/{made[1]['rule_id']}", claims=merchant())
    assert one.status == 200 and one.json == made[1]
    first = call("GET", RULES, claims=merchant(), query={"limit": "3"}).json
    rest = call("GET", RULES, claims=merchant(), query={"limit": "3", "next_token": first["next_token"]}).json
    assert sorted(r["rule_id"] for r in first["items"] + rest["items"]) == sorted(r["rule_id"] for r in made)
    # Edited: paused, its trigger replaced (another type)
    rule_id = made[0]["rule_id"]
    edited = call(
        "PATCH",
        f"{RULES}/{rule_id}",
        claims=merchant(),
        body={"enabled": False, "trigger": {"type": "birthday", "coupon_id": b}},
    )
    assert edited.status == 200, edited.json
    assert edited.json["enabled"] is False and edited.json["trigger"] == {"type": "birthday", "coupon_id": b}
    assert call("GET", f"{RULES}/{rule_id}", claims=merchant()).json == edited.json
    # Deleted: gone, and deleting again is a 404
    deleted = call("DELETE", f"{RULES}/{rule_id}", claims=merchant())
    assert deleted.json == {"rule_id": rule_id, "deleted": True}
    assert call("GET", f"{RULES}/{rule_id}", claims=merchant()).status == 404
    assert call("DELETE", f"{RULES}/{rule_id}", claims=merchant()).status == 404


BAD = [
    ({"type": "order_placed", "min_amount": -1}, "min_amount"),
    ({"type": "order_placed", "min_amount": "100"}, "min_amount"),
    ({"type": "customer_joined", "coupon_ids": []}, "coupon_ids"),
    ({"type": "customer_joined", "coupon_ids": ["0" * 32] * 11}, "coupon_ids"),
    ({"type": "invitation_accepted", "inviter_coupon_id": None}, "trigger"),
    ({"type": "tier_upgraded", "tier": "gold", "coupon_id": "../x"}, "coupon_id"),
    ({"type": "weekly"}, "trigger"),
    ({"type": "birthday", "when": "now"}, "when"),
]


def test_bad_input_is_a_422_naming_the_field_and_writes_nothing():
    coupon_id = make_coupon()["coupon_id"]
    for trigger, field in BAD:
        body = {"name": "bad", "trigger": {"coupon_id": coupon_id, **trigger}}
        answer = call("POST", RULES, claims=merchant(), body=body)
        assert answer.status == 422, answer.json
        assert field in answer.json["error"]["field"], answer.json
    # A negative threshold is named as its field, in an edit too
    rule = call("POST", RULES, claims=merchant(), body=order_rule(coupon_id)).json
    edit = {"trigger": {"type": "order_placed", "min_amount": -5, "coupon_id": coupon_id}}
    answer = call("PATCH", f"{RULES}/{rule['rule_id']}", claims=merchant(), body=edit)
    assert answer.status == 422 and answer.json["error"]["field"].endswith("min_amount"), answer.json
    assert call("GET", RULES, claims=merchant()).json["items"] == [rule]


def test_a_rule_names_only_the_merchants_own_live_coupons_and_another_merchants_rule_is_a_404():
    mine = make_coupon()["coupon_id"]
    theirs = their_coupon()
    gone = make_coupon()["coupon_id"]
    assert call("DELETE", f"/coupons/{gone}", claims=merchant()).status == 200
    for coupon_id in (theirs, gone, "f" * 32):
        body = {"name": "x", "trigger": {"type": "customer_joined", "coupon_ids": [mine, coupon_id]}}
        answer = call("POST", RULES, claims=merchant(), body=body)
        assert answer.status == 404, answer.json
        assert answer.json["error"]["field"] == "trigger.coupon_ids.1"
    # An edit too
    rule = call("POST", RULES, claims=merchant(), body=order_rule(mine)).json
    edit = {"trigger": {"type": "invitation_accepted", "invitee_coupon_id": theirs}}
    answer = call("PATCH", f"{RULES}/{rule['rule_id']}", claims=merchant(), body=edit)
    assert (answer.status, answer.json["error"]["field"]) == (404, "trigger.invitee_coupon_id")
    assert call("GET", f"{RULES}/{rule['rule_id']}", claims=merchant()).json == rule
    assert len(call("GET", RULES, claims=merchant()).json["items"]) == 1
    # Another merchant's rule is a 404 on every route; other roles are refused
    rule = call("POST", RULES, claims=merchant("m2"), body=order_rule(their_coupon()))
    path = f"{RULES}/{rule.json['rule_id']}"
    assert call("GET", path, claims=merchant()).status == 404
    assert call("PATCH", path, claims=merchant(), body={"enabled": False}).status == 404
    assert call("DELETE", path, claims=merchant()).status == 404
    assert len(call("GET", RULES, claims=merchant()).json["items"]) == 1
    assert call("GET", RULES, claims=platform()).json["items"] == []
    assert call("GET", path, claims=merchant("m2")).json == rule.json
    # And m2's page token cannot page m1's rules (nor m1 read m2's through it)
    call("POST", RULES, claims=merchant("m2"), body=order_rule(their_coupon()))
    token = call("GET", RULES, claims=merchant("m2"), query={"limit": "1"}).json["next_token"]
    crafted = call("GET", RULES, claims=merchant(), query={"limit": "1", "next_token": token})
    assert (crafted.status, crafted.json["error"]["field"]) == (422, "next_token")
    assert call("GET", RULES, claims=customer()).status == 403
    assert call("POST", RULES, claims=staff(), body=order_rule("0" * 32)).status == 403
    assert call("GET", RULES).status == 401
