"""Coupons priced in points: the claim debits the points and takes the unit in one transaction (both or
neither) under many real threads with faults and lost answers; a void of the unused coupon returns them."""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service.points.ledger import Ledger

from tests.builders import claim, claim_items, claim_now, make_coupon, shards
from tests.integration.test_points_ledger import assert_consistent
from tests.support import call, customer, merchant

pytestmark = pytest.mark.usefixtures("stack")

PRICED = {"points_price": 30, "per_customer_limit": 10}


@pytest.mark.concurrency
@pytest.mark.parametrize(
    "codes", [{"mode": "random_on_claim", "inventory": 50}, {"mode": "generated", "inventory": 50}]
)
def test_ten_concurrent_claims_with_faults_and_lost_answers_take_exactly_three(emulator, codes):
    # Given a customer with 100 points and a coupon priced at 30
    from devstack.emulator import WITH_LOST
    from tests.support import concurrently

    coupon = make_coupon(codes=codes, options=PRICED, shard_count=2)
    Ledger().credit("u1", "m1", "seed", "adjustment", 100)
    # When 10 claims run at once, with 15% of writes refused or applied with their answer lost
    emulator.faults.set(0.3, WITH_LOST)
    replies = concurrently(lambda i: claim_now(coupon["coupon_id"], "u1"), 10, threads=10)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    # Then exactly 3 claims, the rest refused for want of points, nothing else
    statuses = Counter(r.status for r in replies)
    assert statuses[201] == 3, [r.json for r in replies]
    refusals = {r.json["error"]["code"] for r in replies if r.status != 201}
    assert refusals <= {"insufficient_points"}, refusals
    stored = claim_items(coupon["coupon_id"])
    assert len(stored) == 3 and all(c["points_price"] == 30 for c in stored)
    # And the balance is 10, the entries sum to it, one debit per claim
    balance, entries = assert_consistent("u1", "m1")
    assert balance["balance"] == 10
    assert sorted(e["source"] for e in entries if e["reason"] == "coupon_claim") == sorted(
        f"claim:{c['claim_id']}" for c in stored
    )
    # And the inventory went down by exactly 3
    assert sum(s["claimed"] for s in shards(coupon)) == 3
    assert sum(s["remaining"] for s in shards(coupon)) == 47
    assert injected > 0


def test_a_claim_without_enough_points_takes_nothing_and_a_void_returns_the_points():
    coupon = make_coupon(options=PRICED)
    poor = claim(coupon["coupon_id"], user="poor")
    assert poor.status == 409 and poor.json["error"]["code"] == "insufficient_points"
    assert claim_items(coupon["coupon_id"]) == [] and sum(s["claimed"] for s in shards(coupon)) == 0
    Ledger().credit("u1", "m1", "seed", "adjustment", 40)
    held = claim(coupon["coupon_id"], user="u1").json
    assert call("GET", "/me/points?programme=m1", claims=customer("u1")).json["balance"] == 10
    path = f"/coupons/{coupon['coupon_id']}/claims/{held['claim_id']}/void"
    voided = call("POST", path, claims=merchant("m1"), body={"reason": "sold in error"})
    assert voided.status == 200, voided.json
    again = call("POST", path, claims=merchant("m1"), body={"reason": "sold in error"})
    assert again.status == 200
    balance, entries = assert_consistent("u1", "m1")
    assert balance["balance"] == 40
    assert [e["points"] for e in entries if e["reason"] == "claim_voided"] == [30]


def test_a_granted_points_coupon_costs_nothing():
    from coupon_service.claims import Claims
    from coupon_service.identity import Caller

    coupon = make_coupon(options=PRICED)
    terms = Claims().terms(coupon["coupon_id"])
    extra = {"request_hash": "h", "channel": "grant", "issue_reason": {"kind": "grant", "source_id": "g1"}}
    issued = Claims().issue(
        terms, Caller(user_id="u9", groups=frozenset({"customers"})), "c" * 32, extra, "2030-01-01T00:00:00Z"
    )
    assert issued.points_price is None
    assert call("GET", "/me/points?programme=m1", claims=customer("u9")).json["balance"] == 0


def test_the_center_and_the_offer_show_a_coupon_s_points_price():
    from tests.support import coupon_body

    made = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(options={"points_price": 30}))
    plain = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(title="Free"))
    assert made.status == 201 and plain.status == 201, (made.json, plain.json)
    coupon_id = made.json["coupon_id"]

    def priced(path, who=None):
        reply = call("GET", path, claims=who)
        assert reply.status == 200, reply.json
        return {o["coupon_id"]: o.get("points_price") for o in reply.json["items"]}

    for shown in (priced("/offers"), priced("/me/offers", customer("u1"))):
        assert shown[coupon_id] == 30 and shown[plain.json["coupon_id"]] is None
    assert call("GET", f"/offers/{coupon_id}").json["points_price"] == 30
