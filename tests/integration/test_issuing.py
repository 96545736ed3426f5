"""Issuing (coupon_service.issuing): the service gives a customer a coupon as a claimed coupon, once per key,
through the claim's own take: inventory, per-customer limit, claim window and a customer list hold; a lost
answer or a second run never issues twice; the claimed coupon says why, and the outbox says so."""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service import keys
from coupon_service.errors import Busy
from coupon_service.events import derive
from coupon_service.issuing import Issuer, issued_claim_id
from coupon_service.models.issuing import IssueOutcome, IssueReason
from coupon_service.store.table import Table

from tests.builders import claim, claim_items, make_coupon, shards, stored_claim, stream_record
from tests.support import call, concurrently, customer, inject, merchant

pytestmark = pytest.mark.usefixtures("stack")

WHY = IssueReason(kind="grant", source_id="g-1", detail="spring list")


def test_issuing_twice_with_one_key_issues_one_claimed_coupon_that_says_why_in_the_outbox():
    coupon = make_coupon()
    first = Issuer().issue(coupon["coupon_id"], "u1", key="grant:g-1", reason=WHY)
    again = Issuer().issue(coupon["coupon_id"], "u1", key="grant:g-1", reason=WHY)

    assert first.status == "issued" and again.status == "already"
    assert first.claim_id == again.claim_id == issued_claim_id("u1", coupon["coupon_id"], "grant:g-1")
    (held,) = claim_items(coupon["coupon_id"])
    assert held["claim_id"] == first.claim_id and held["owner_id"] == held["claimer_id"] == "u1"
    assert held["channel"] == "grant"
    assert held["issue_reason"] == {"kind": "grant", "source_id": "g-1", "detail": "spring list"}
    assert sum(s["claimed"] for s in shards(coupon)) == 1
    # The customer holds it as a claimed coupon: in their wallet, with a code
    wallet = call("GET", "/me/coupons", claims=customer("u1")).json["items"]
    assert [(c["claim_id"], c["coupon_id"]) for c in wallet] == [(first.claim_id, coupon["coupon_id"])]
    assert wallet[0]["code"] == held["code"]
    # The outbox says why the coupon was issued, beside the claim (never its code)
    outcome = Issuer().issue(coupon["coupon_id"], "u4", key="rule:r1:o-1", reason=IssueReason(
        kind="rule", source_id="r1", detail="order o-1"))  # fmt: skip
    found = {
        e.detail_type: e.model_dump(mode="json")
        for e in derive(stream_record(stored_claim(outcome.claim_id)))
    }
    assert set(found) == {"CouponClaimed", "CouponGranted"}
    granted = found["CouponGranted"]
    assert granted["claim_id"] == outcome.claim_id and granted["customer_id"] == "u4"
    assert granted["channel"] == "rule" and found["CouponClaimed"]["channel"] == "rule"
    assert granted["reason"] == {"kind": "rule", "source_id": "r1", "detail": "order o-1"}
    assert "code" not in granted
    # A customer's own claim is no grant
    mine = claim(coupon["coupon_id"], user="u2")
    assert [e.detail_type for e in derive(stream_record(stored_claim(mine.json["claim_id"])))] == [
        "CouponClaimed"
    ]


def test_another_key_is_another_issue_within_the_per_customer_limit():
    coupon = make_coupon(options={"per_customer_limit": 2})
    outcomes = [
        Issuer().issue(coupon["coupon_id"], "u1", key=key, reason=WHY).status
        for key in ("rule:r1:o-1", "rule:r1:o-2", "rule:r1:o-3")
    ]
    assert outcomes == ["issued", "issued", "limit_reached"]
    assert len(claim_items(coupon["coupon_id"])) == 2
    assert Table().get(keys.holder("u1", coupon["coupon_id"]))["count"] == 2
    # A customer at the limit through their own claim is not issued another
    assert claim(coupon["coupon_id"], user="u2").status == 201
    assert claim(coupon["coupon_id"], user="u2").status == 201
    outcome = Issuer().issue(coupon["coupon_id"], "u2", key="grant:g-1", reason=WHY)
    assert (outcome.status, outcome.claim_id) == ("limit_reached", None)
    # A customer who sends an issue's key as their Idempotency-Key claims a coupon of their own
    mine = claim(coupon["coupon_id"], user="u3", key="grant:g-1")
    issued = Issuer().issue(coupon["coupon_id"], "u3", key="grant:g-1", reason=WHY)
    assert mine.status == 201 and issued.status == "issued" and issued.claim_id != mine.json["claim_id"]
    assert len(claim_items(coupon["coupon_id"])) == 6


def test_sold_out_is_told_and_inventory_holds():
    coupon = make_coupon(codes={"mode": "generated", "inventory": 2}, shard_count=1)
    outcomes = [Issuer().issue(coupon["coupon_id"], f"c{i}", key="grant:g-1", reason=WHY) for i in range(3)]
    assert [o.status for o in outcomes] == ["issued", "issued", "sold_out"]
    # Issued before it sold out, the first customer is told `already` on a second run, never sold out
    assert Issuer().issue(coupon["coupon_id"], "c0", key="grant:g-1", reason=WHY).status == "already"
    assert len(claim_items(coupon["coupon_id"])) == 2
    assert [s["remaining"] for s in shards(coupon)] == [0]


def test_a_coupon_that_takes_no_claims_or_is_for_others_is_not_issued():
    paused = make_coupon()
    edit = {"version": 1, "status": "paused"}
    assert call("PATCH", f"/coupons/{paused['coupon_id']}", claims=merchant("m1"), body=edit).status == 200
    cases = [
        (paused, "u1", "closed"),
        (make_coupon(status="draft"), "u1", "closed"),
        (
            make_coupon(claim_window={"start": "2020-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}),
            "u1",
            "closed",
        ),
        (
            listed := make_coupon(audience={"type": "customers", "customer_ids": ["u9"]}),
            "u1",
            "not_in_audience",
        ),
        (listed, "u9", "issued"),
    ]
    for coupon, user, status in cases:
        outcome = Issuer().issue(coupon["coupon_id"], user, key="grant:g-1", reason=WHY)
        assert outcome.status == status, (coupon["status"], user, outcome)
        assert len(claim_items(coupon["coupon_id"])) == (status == "issued")


@pytest.mark.concurrency
def test_lost_answers_and_duplicate_runs_issue_once(emulator):
    # 20 customers of a pooled coupon (its take is two writes), each issued by 3 runs at once with the same
    # key, under lost answers and conflicts
    coupon = make_coupon(codes={"mode": "generated", "inventory": 15}, shard_count=2)
    inject(emulator, "lost")
    outcomes = concurrently(
        lambda i: Issuer().issue(coupon["coupon_id"], f"c{i % 20}", key="grant:g-1", reason=WHY),
        60,
        threads=8,
    )
    emulator.faults.rate = 0.0
    assert emulator.faults.by_kind["lost"] > 0
    # A run may see `busy` (503) after its retries: a later run settles it; no other failure
    assert all(isinstance(o, IssueOutcome | Busy) for o in outcomes), outcomes
    settled = [Issuer().issue(coupon["coupon_id"], f"c{i}", key="grant:g-1", reason=WHY) for i in range(20)]
    stored = claim_items(coupon["coupon_id"])
    per_customer = Counter(c["owner_id"] for c in stored)
    assert len(stored) == 15 and set(per_customer.values()) == {1}
    assert Counter(o.status for o in settled) == {"already": 15, "sold_out": 5}
    assert {o.claim_id for o in settled if o.claim_id} == {c["claim_id"] for c in stored}
    after = shards(coupon)
    assert sum(s["claimed"] for s in after) == 15 and sum(s["remaining"] for s in after) == 0
    for c in stored:
        assert Table().get(keys.holder(c["owner_id"], coupon["coupon_id"]))["count"] == 1
