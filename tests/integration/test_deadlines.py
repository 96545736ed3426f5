"""Deadlines, not retry counts: under sustained throttling every route answers a clean 503 `busy` with
Retry-After well inside its invocation's remaining time, and leaves nothing taken or counted."""

from __future__ import annotations

import base64
import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from coupon_service import keys
from coupon_service.store.table import Table
from PIL import Image

from devstack.apigw import routes
from devstack.emulator import READS, WRITES
from tests.builders import CART, claim, claim_items, make_coupon, order_body, scan, shards
from tests.support import call, coupon_body, customer, merchant, staff

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.slow]

REMAINING_MS = 3_000
COUNTERS = ("remaining", "claimed", "next_position", "pool_size")
GIFTABLE = {"giftable": True, "self_service": {"verification_code": "246810"}}


def _stored(coupon, claim_id):
    """What a refused request must not have changed: shard counters and positions, holders, guards."""
    table = Table()
    return {
        "shards": [
            {k: s.get(k) for k in ("remaining", "claimed", "next_position", "pool_size")}
            for s in shards(coupon)
        ],
        "claims": sorted(c["claim_id"] for c in claim_items(coupon["coupon_id"])),
        "holder": table.get(keys.holder("u1", coupon["coupon_id"])),
        "holder_u2": table.get(keys.holder("u2", coupon["coupon_id"])),
        "claim_guard": table.get(keys.redeem_guard(claim_id)),
        "customer_guard": table.get(keys.customer_guard("u1", "m1")),
        "claim": table.get(keys.claim(claim_id)),
    }


def _png() -> str:
    """A small logo a merchant could upload: a valid PNG, base64."""
    image = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(image, format="PNG")
    return base64.b64encode(image.getvalue()).decode()


def _timed_answers(requests):
    """Each route's answer and how long it took, two routes at a time: each spends most of its deadline
    waiting between retries."""
    answers = {}

    def answer(route, request):
        started = time.monotonic()
        reply = call(route[0], request.pop("path"), remaining_ms=REMAINING_MS, **request)
        answers[route] = (reply, time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(answer, requests, requests.values()))
    return answers


def test_every_route_answers_busy_inside_the_deadline_under_full_throttling(emulator):
    # Given a pooled, giftable, self-service coupon, one claimed coupon, a gift, a redemption and an import
    coupon = make_coupon(codes={"mode": "generated", "inventory": 20}, options=GIFTABLE)
    coupon_id = coupon["coupon_id"]
    mine = claim(coupon_id, user="u1").json
    claim_id = mine["claim_id"]
    token = call("POST", f"/me/coupons/{claim_id}/gifts", claims=customer("u1")).json["token"]
    used = claim(coupon_id, user="u3").json
    redemption_id = scan(used["code"], order_id="o-1").json["redemption_id"]
    before = _stored(coupon, claim_id)
    job_id = "0" * 32
    store = {"store_id": "sh-001", "name": "A", "time_zone": "Asia/Shanghai"}
    assert call("POST", "/stores", claims=merchant(), body=store).status == 201
    store_before = call("GET", "/stores/sh-001", claims=merchant()).json
    settings_before = call("GET", "/merchant/settings", claims=merchant()).json
    segment_before = call(
        "POST",
        "/merchant/segments",
        claims=merchant(),
        body={"name": "V", "conditions": [{"type": "has_tag", "tag": "v"}]},
    ).json
    segment_path = f"/merchant/segments/{segment_before['segment_id']}"
    assert call("POST", "/orders", claims=merchant(), body=order_body()).status == 201
    order_before = call("GET", "/orders/o-1", claims=merchant()).json
    rule_body = {"name": "Birthday", "trigger": {"type": "birthday", "coupon_id": coupon_id}}
    rule_before = call("POST", "/merchant/issuance-rules", claims=merchant(), body=rule_body).json
    rule_path = f"/merchant/issuance-rules/{rule_before['rule_id']}"

    requests = {
        ("POST", "/coupons"): dict(path="/coupons", claims=merchant(), body=coupon_body()),
        ("GET", "/coupons"): dict(path="/coupons", claims=merchant()),
        ("GET", "/coupons/{couponId}"): dict(path=f"/coupons/{coupon_id}", claims=merchant()),
        ("PATCH", "/coupons/{couponId}"): dict(
            path=f"/coupons/{coupon_id}", claims=merchant(), body={"version": 1, "inventory": 30}
        ),
        ("DELETE", "/coupons/{couponId}"): dict(path=f"/coupons/{coupon_id}", claims=merchant()),
        ("GET", "/coupons/{couponId}/stats"): dict(path=f"/coupons/{coupon_id}/stats", claims=merchant()),
        ("GET", "/coupons/{couponId}/history"): dict(path=f"/coupons/{coupon_id}/history", claims=merchant()),
        ("GET", "/coupons/{couponId}/records"): dict(path=f"/coupons/{coupon_id}/records", claims=merchant()),
        ("GET", "/merchant/audit"): dict(path="/merchant/audit", claims=merchant()),
        ("GET", "/coupons/{couponId}/figures"): dict(path=f"/coupons/{coupon_id}/figures", claims=merchant()),
        ("GET", "/merchant/overview"): dict(path="/merchant/overview", claims=merchant()),
        ("GET", "/coupons/{couponId}/promotion"): dict(
            path=f"/coupons/{coupon_id}/promotion", claims=merchant()
        ),
        ("GET", "/coupons/{couponId}/promotion/qr"): dict(
            path=f"/coupons/{coupon_id}/promotion/qr", claims=merchant()
        ),
        ("GET", "/offers/{couponId}"): dict(path=f"/offers/{coupon_id}"),
        ("GET", "/offers"): dict(path="/offers"),
        ("GET", "/me/offers"): dict(path="/me/offers", claims=customer("u1")),
        ("POST", "/coupons/{couponId}/claims/{claimId}/void"): dict(
            path=f"/coupons/{coupon_id}/claims/{claim_id}/void", claims=merchant(), body={"reason": "x"}
        ),
        ("POST", "/coupons/{couponId}/claims"): dict(
            path=f"/coupons/{coupon_id}/claims", claims=customer("u2")
        ),
        ("GET", "/me/coupons"): dict(path="/me/coupons", claims=customer("u1")),
        ("GET", "/me/coupons/{claimId}"): dict(path=f"/me/coupons/{claim_id}", claims=customer("u1")),
        ("GET", "/me/coupons/{claimId}/qr"): dict(path=f"/me/coupons/{claim_id}/qr", claims=customer("u1")),
        ("POST", "/redemptions"): dict(path="/redemptions", claims=staff(), body={"code": mine["code"]}),
        ("POST", "/me/coupons/{claimId}/redemption"): dict(
            path=f"/me/coupons/{claim_id}/redemption",
            claims=customer("u1"),
            body={"verification_code": "135790"},
        ),
        ("POST", "/redemptions/{redemptionId}/reversal"): dict(
            path=f"/redemptions/{redemption_id}/reversal", claims=merchant()
        ),
        ("POST", "/checkout/quote"): dict(
            path="/checkout/quote", claims=customer("u1"), body={"order": CART}
        ),
        ("POST", "/me/coupons/{claimId}/gifts"): dict(
            path=f"/me/coupons/{claim_id}/gifts", claims=customer("u1")
        ),
        ("GET", "/gifts/{token}"): dict(path=f"/gifts/{token}"),
        ("POST", "/gifts/{token}/accept"): dict(path=f"/gifts/{token}/accept", claims=customer("u2")),
        ("DELETE", "/me/gifts/{token}"): dict(path=f"/me/gifts/{token}", claims=customer("u1")),
        ("POST", "/coupons/{couponId}/imports"): dict(
            path=f"/coupons/{coupon_id}/imports", claims=merchant()
        ),
        ("GET", "/coupons/{couponId}/imports"): dict(path=f"/coupons/{coupon_id}/imports", claims=merchant()),
        ("GET", "/coupons/{couponId}/imports/{jobId}"): dict(
            path=f"/coupons/{coupon_id}/imports/{job_id}", claims=merchant()
        ),
        ("PUT", "/coupons/{couponId}/promotion/logo"): dict(
            path=f"/coupons/{coupon_id}/promotion/logo", claims=merchant(), body={"image": _png()}
        ),
        ("POST", "/redemptions/validation"): dict(
            path="/redemptions/validation", claims=staff(), body={"code": mine["code"]}
        ),
        ("GET", "/merchant/settings"): dict(path="/merchant/settings", claims=merchant()),
        ("PUT", "/merchant/settings"): dict(
            path="/merchant/settings", claims=merchant(), body={"max_stacked_coupons": 3}
        ),
        ("POST", "/stores"): dict(
            path="/stores", claims=merchant(), body={"store_id": "sh-002", "name": "B", "time_zone": "UTC"}
        ),
        ("GET", "/stores"): dict(path="/stores", claims=merchant()),
        ("GET", "/stores/{storeId}"): dict(path="/stores/sh-001", claims=merchant()),
        ("PATCH", "/stores/{storeId}"): dict(path="/stores/sh-001", claims=merchant(), body={"name": "C"}),
        ("DELETE", "/stores/{storeId}"): dict(path="/stores/sh-001", claims=merchant()),
        ("POST", "/orders"): dict(path="/orders", claims=merchant(), body=order_body("o-2")),
        ("GET", "/orders/{orderId}"): dict(path="/orders/o-1", claims=merchant()),
        ("POST", "/orders/{orderId}/refunds"): dict(
            path="/orders/o-1/refunds",
            claims=merchant(),
            body={"refund_id": "rf-1", "amount": 100, "refunded_at": "2026-01-02T00:00:00Z"},
        ),
        ("POST", "/coupons/{couponId}/exports"): dict(
            path=f"/coupons/{coupon_id}/exports", claims=merchant(), body={"kind": "redemptions"}
        ),
        ("GET", "/exports/{jobId}"): dict(path=f"/exports/{job_id}", claims=merchant()),
        ("POST", "/merchant/issuance-rules"): dict(
            path="/merchant/issuance-rules", claims=merchant(), body=rule_body
        ),
        ("GET", "/merchant/issuance-rules"): dict(path="/merchant/issuance-rules", claims=merchant()),
        ("GET", "/merchant/issuance-rules/{ruleId}"): dict(path=rule_path, claims=merchant()),
        ("PATCH", "/merchant/issuance-rules/{ruleId}"): dict(
            path=rule_path, claims=merchant(), body={"enabled": False}
        ),
        ("DELETE", "/merchant/issuance-rules/{ruleId}"): dict(path=rule_path, claims=merchant()),
        ("POST", "/merchant/customer-events"): dict(
            path="/merchant/customer-events",
            claims=merchant(),
            body={
                "detail_type": "TierUpgraded",
                "detail": {
                    "event_id": "t-1",
                    "customer_id": "u1",
                    "tier": "gold",
                    "upgraded_at": "2026-01-01T00:00:00Z",
                },
            },
        ),
        ("PUT", "/merchant/customers/{customerId}"): dict(
            path="/merchant/customers/u1", claims=merchant(), body={"tags": ["vip"]}
        ),
        ("GET", "/merchant/customers/{customerId}"): dict(path="/merchant/customers/u1", claims=merchant()),
        ("PUT", "/coupons/{couponId}/shared-code"): dict(
            path=f"/coupons/{coupon_id}/shared-code", claims=merchant(), body={"code": "SUMMER24"}
        ),
        ("GET", "/coupons/{couponId}/shared-code"): dict(
            path=f"/coupons/{coupon_id}/shared-code", claims=merchant()
        ),
        ("DELETE", "/coupons/{couponId}/shared-code"): dict(
            path=f"/coupons/{coupon_id}/shared-code", claims=merchant()
        ),
        ("POST", "/checkout/redemptions"): dict(
            path="/checkout/redemptions",
            claims=customer("u1"),
            body={"code": "SUMMER24", "order_id": "o-9", "order": CART},
        ),
        ("POST", "/coupons/{couponId}/grants"): dict(
            path=f"/coupons/{coupon_id}/grants", claims=merchant(), body={"customer_ids": ["u9"]}
        ),
        ("GET", "/coupons/{couponId}/grants"): dict(path=f"/coupons/{coupon_id}/grants", claims=merchant()),
        ("GET", "/coupons/{couponId}/grants/{grantId}"): dict(
            path=f"/coupons/{coupon_id}/grants/{job_id}", claims=merchant()
        ),
        ("POST", "/merchant/segments"): dict(
            path="/merchant/segments",
            claims=merchant(),
            body={"name": "VIP", "conditions": [{"type": "has_tag", "tag": "vip"}]},
        ),
        ("GET", "/merchant/segments"): dict(path="/merchant/segments", claims=merchant()),
        ("GET", "/merchant/segments/{segmentId}"): dict(path=segment_path, claims=merchant()),
        ("PATCH", "/merchant/segments/{segmentId}"): dict(
            path=segment_path, claims=merchant(), body={"version": 1, "name": "Gold"}
        ),
        ("DELETE", "/merchant/segments/{segmentId}"): dict(path=segment_path, claims=merchant()),
        ("POST", "/merchant/segments/{segmentId}/evaluations"): dict(
            path=f"{segment_path}/evaluations", claims=merchant()
        ),
        ("GET", "/merchant/segments/{segmentId}/members"): dict(
            path=f"{segment_path}/members", claims=merchant()
        ),
        ("GET", "/me/points"): dict(path="/me/points?programme=m1", claims=customer("u1")),
        ("GET", "/me/points/entries"): dict(path="/me/points/entries?programme=m1", claims=customer("u1")),
        ("POST", "/me/check-ins"): dict(
            path="/me/check-ins", claims=customer("u1"), body={"programme": "m1"}
        ),
        ("GET", "/merchant/points/customers/{customerId}"): dict(
            path="/merchant/points/customers/u1", claims=merchant()
        ),
        ("GET", "/merchant/points/customers/{customerId}/entries"): dict(
            path="/merchant/points/customers/u1/entries", claims=merchant()
        ),
        ("POST", "/merchant/points/customers/{customerId}/adjustments"): dict(
            path="/merchant/points/customers/u1/adjustments",
            claims=merchant(),
            body={"points": 5, "reason": "r"},
        ),
        ("GET", "/merchant/points/settings"): dict(path="/merchant/points/settings", claims=merchant()),
        ("PUT", "/merchant/points/settings"): dict(
            path="/merchant/points/settings", claims=merchant(), body={}
        ),
    }
    # Every route of the template that reaches the store is here (the docs pages never do)
    served = {(r["method"], r["path"]) for r in routes() if not r["path"].endswith("/docs")}
    assert served == set(requests), served ^ set(requests)

    # When every DynamoDB request is throttled, and each function has 3 seconds left
    emulator.faults.set(1.0, ("throttle",), operations=READS | WRITES)
    try:
        answers = _timed_answers(requests)
        # The same for an Idempotency-Key request: Powertools' idempotency table is throttled too
        started = time.monotonic()
        keyed = call(
            "POST",
            "/coupons",
            claims=merchant(),
            body=coupon_body(),
            headers={"Idempotency-Key": "create-12345"},
            remaining_ms=REMAINING_MS,
        )
        answers[("POST", "/coupons with Idempotency-Key")] = (keyed, time.monotonic() - started)
    finally:
        emulator.faults.set(0.0)

    # Then each answers 503 busy with Retry-After, well before the function would time out
    for route, (reply, took) in answers.items():
        assert reply.status == 503, (route, reply.status, reply.json)
        assert reply.json["error"]["code"] == "busy", route
        assert int(reply.headers["retry-after"]) >= 1, route
        assert took < 0.85 * REMAINING_MS / 1000, (route, took)
    # And nothing was taken or counted: no position, no unit, no holding, no attempt, no state change
    assert _stored(coupon, claim_id) == before
    assert call("GET", "/stores/sh-001", claims=merchant()).json == store_before
    assert call("GET", "/stores/sh-002", claims=merchant()).status == 404
    assert call("GET", "/merchant/settings", claims=merchant()).json == settings_before
    assert call("GET", "/orders/o-1", claims=merchant()).json == order_before
    assert call("GET", "/orders/o-2", claims=merchant()).status == 404
    assert call("GET", "/merchant/issuance-rules", claims=merchant()).json["items"] == [rule_before]
    assert call("GET", f"/coupons/{coupon_id}", claims=merchant()).json["has_logo"] is False
    assert Table().get(keys.customer_entry("m1", "u1")) is None
    assert call("GET", segment_path, claims=merchant()).json == segment_before
    assert Table().get(keys.points_balance("u1", "m1")) is None
    assert Table().get(keys.points_settings("m1")) is None
