"""Bad input gets a 4xx naming the field and the reason, and writes nothing."""

from __future__ import annotations

import pytest
from coupon_service.store.table import Table

from tests.support import call, coupon_body, merchant

pytestmark = pytest.mark.usefixtures("stack")


def _item_count() -> int:
    return len(Table()._db.scan(TableName=Table().name)["Items"])


def _post(body, **kwargs):
    return call("POST", "/coupons", claims=merchant("m1"), body=body, **kwargs)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (coupon_body(colour="red"), "body.colour"),
        (coupon_body(terms={"kind": "discount", "percent_off": 100}), "body.terms.discount.percent_off"),
        (coupon_body(terms={"kind": "discount", "percent_off": "ten"}), "body.terms.discount.percent_off"),
        (coupon_body(terms={"kind": "discount", "percent_off": 10, "extra": 1}), "body.terms.discount.extra"),
        (coupon_body(terms={"kind": "bogus"}), "body.terms"),
        (
            coupon_body(terms={"kind": "cash_value", "amount_off": 100, "min_spend": 100}),
            "body.terms.cash_value",
        ),
        (coupon_body(currency="yuan"), "body.currency"),
        (coupon_body(time_zone="Mars/Olympus"), "body.time_zone"),
        (coupon_body(codes={"mode": "generated", "inventory": 100_001}), "body.codes.generated.inventory"),
        (
            coupon_body(codes={"mode": "random_on_claim", "inventory": 0}),
            "body.codes.random_on_claim.inventory",
        ),
        (
            coupon_body(claim_window={"start": "2030-01-01T00:00:00Z", "end": "2029-01-01T00:00:00Z"}),
            "body.claim_window",
        ),
        (
            coupon_body(claim_window={"start": "2030-01-01T00:00:00", "end": "2031-01-01T00:00:00Z"}),
            "body.claim_window.start",
        ),
        (coupon_body(validity={"type": "hours", "hours": 24}), "body.validity.hours.hours"),
        (coupon_body(options={"giftable": True}, terms={"kind": "points", "points": 5}), "body"),
        (
            coupon_body(options={"self_service": {"verification_code": "12"}}),
            "body.options.self_service.verification_code",
        ),
        (coupon_body(options={"per_customer_limit": 0}), "body.options.per_customer_limit"),
        (coupon_body(title=""), "body.title"),
        (coupon_body(title=123), "body.title"),
        (coupon_body(shard_count=51), "body.shard_count"),
        ({"title": "x"}, "body.currency"),
    ],
)
def test_invalid_coupon_is_refused_naming_the_field(body, field):
    reply = _post(body)
    assert reply.status == 422, reply.json
    error = reply.json["error"]
    assert error["code"] == "invalid"
    fields = {".".join(map(str, d["loc"])) for d in reply.json["detail"]}
    assert field in fields or error["field"].startswith(field), (field, fields)
    assert all(d["msg"] for d in reply.json["detail"])
    assert _item_count() == 0


def test_malformed_json_is_a_4xx():
    reply = call("POST", "/coupons", claims=merchant("m1"), body='{"title": "x",')
    assert reply.status == 422 and reply.json["detail"][0]["type"] == "json_invalid"
    assert _item_count() == 0


def test_a_body_that_is_not_an_object_is_a_4xx():
    reply = call("POST", "/coupons", claims=merchant("m1"), body="[1, 2, 3]")
    assert reply.status == 422
    assert _item_count() == 0


def test_an_oversized_body_is_413():
    reply = _post(coupon_body(description="x" * 300_000))
    assert reply.status == 413 and reply.json["error"]["field"] == "body"
    assert _item_count() == 0


@pytest.mark.parametrize("path", ["/coupons/not-an-id", "/coupons/ABCDEF0123456789abcdef0123456789"])
def test_a_malformed_coupon_id_is_a_4xx(path):
    reply = call("GET", path, claims=merchant("m1"))
    assert reply.status == 422 and "couponId" in reply.json["error"]["field"]


def test_a_bad_idempotency_key_is_refused():
    reply = _post(coupon_body(), headers={"Idempotency-Key": "x"})
    assert reply.status == 422 and "idempotency-key" in reply.json["error"]["field"].lower()
    assert _item_count() == 0


@pytest.mark.parametrize(
    ("query", "field"), [({"limit": "0"}, "limit"), ({"limit": "abc"}, "limit"), ({"limit": "101"}, "limit")]
)
def test_bad_listing_parameters(query, field):
    reply = call("GET", "/coupons", claims=merchant("m1"), query=query)
    assert reply.status == 422 and field in reply.json["error"]["field"]


def test_a_patch_with_unknown_or_wrong_fields_changes_nothing():
    coupon = _post(coupon_body()).json
    path = f"/coupons/{coupon['coupon_id']}"
    for body in [
        {"version": 1, "status": "deleted"},
        {"version": 1, "inventory": -1},
        {"version": 1, "owner": "m2"},
        {"status": "paused"},
        {"version": 1, "merchant_id": "m2"},
    ]:
        reply = call("PATCH", path, claims=merchant("m1"), body=body)
        assert reply.status == 422, body
    assert call("GET", path, claims=merchant("m1")).json == coupon
