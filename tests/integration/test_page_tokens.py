"""Page tokens are signed for one listing: a crafted, altered or borrowed token is a 422 naming
`next_token`, never a 5xx and never another partition's data."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from tests.support import call, coupon_body, customer, merchant

pytestmark = pytest.mark.usefixtures("stack")


def _b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _coupons(who: str, **query: str):
    return call("GET", "/coupons", claims=merchant(who), query=query)


def _wallet(who: str, **query: str):
    return call("GET", "/me/coupons", claims=customer(who), query=query)


def _refused(reply) -> None:
    assert reply.status == 422, (reply.status, reply.json)
    assert reply.json["error"] == {
        "code": "invalid",
        "message": "not a page token of this listing",
        "field": "next_token",
    }


@pytest.fixture
def listings():
    """Three coupons of m1, one of m2; u1 and u2 each hold all four."""
    ids = []
    for merchant_id, count in (("m1", 3), ("m2", 1)):
        for i in range(count):
            body = coupon_body(title=f"{merchant_id}-{i}", validity={"type": "hours", "hours": i + 1})
            ids.append(call("POST", "/coupons", claims=merchant(merchant_id), body=body).json["coupon_id"])
    for user in ("u1", "u2"):
        for coupon_id in ids:
            assert call("POST", f"/coupons/{coupon_id}/claims", claims=customer(user)).status == 201
    return ids


def _crafted(token: str, partition_key: str, partition: str) -> list[str]:
    payload, _, mac = token.partition(".")
    key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = {**key, partition_key: {"S": partition}}
    return [
        payload,  # the unsigned form tokens had before
        _b64(key),
        f"{_b64(forged)}.{mac}",  # another partition under this token's signature
        f"{payload}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",  # the signature altered
        f"{payload[:-2]}{'x' if payload[-2] != 'x' else 'y'}{payload[-1]}.{mac}",  # the key altered
        f"{payload}.",
        f".{mac}",
        ".",
        "%%%.%%%",
        "not-a-token",
        "e30.AAAAAAAAAAAAAAAAAAAAAA",
        "A" * 2048,
        f"{_b64({partition_key: {'S': partition}, 'PK': {'B': 'AA=='}})}.{mac}",
        f"{_b64([1, 2])}.{mac}",
    ]


def test_coupon_listing_pages_with_its_own_tokens_and_refuses_any_other(listings):
    first = _coupons("m1", limit="1").json
    token = first["next_token"]
    assert "." in token
    # The token pages on for its own merchant
    rest = _coupons("m1", limit="5", next_token=token).json
    assert len(first["items"]) + len(rest["items"]) == 3
    # Another merchant's use of it, and every crafted variant, is a 422 naming next_token
    _refused(_coupons("m2", next_token=token))
    for crafted in _crafted(token, "GSI1PK", "MERCHANT#m2"):
        _refused(_coupons("m1", next_token=crafted))
        _refused(_coupons("m2", next_token=crafted))
    # A wallet's token is no coupon listing's token
    _refused(_coupons("m1", next_token=_wallet("u1", limit="1").json["next_token"]))


def test_wallet_pages_with_its_own_tokens_and_refuses_any_other(listings):
    first = _wallet("u1", limit="1").json
    token = first["next_token"]
    rest = _wallet("u1", limit="10", next_token=token).json
    owners = {i["claim_id"] for i in first["items"] + rest["items"]}
    assert len(owners) == 4
    # Another customer, another status filter, or a coupon listing's token: refused
    _refused(_wallet("u2", next_token=token))
    _refused(_wallet("u1", status="used", next_token=token))
    _refused(_wallet("u1", status="available", next_token=token))
    _refused(_wallet("u1", next_token=_coupons("m1", limit="1").json["next_token"]))
    for crafted in _crafted(token, "GSI1PK", "OWNER#u2"):
        _refused(_wallet("u1", next_token=crafted))
        _refused(_wallet("u2", next_token=crafted))


def test_a_filtered_wallet_token_pages_on_for_the_same_filter(listings):
    first = _wallet("u1", status="available", limit="2").json
    rest = _wallet("u1", status="available", limit="10", next_token=first["next_token"]).json
    assert len(first["items"]) + len(rest["items"]) == 4


def test_a_token_whose_place_has_expired_since_is_still_a_4xx(listings, clock):
    # Given a token into the available coupons, When every coupon it pointed past has expired
    token = _wallet("u1", status="available", limit="1").json["next_token"]
    clock.advance(timedelta(hours=5))
    # Then paging on is an answer, never a 5xx
    reply = _wallet("u1", status="available", next_token=token)
    assert reply.status in (200, 422), reply.json
    if reply.status == 200:
        assert reply.json["items"] == []


def test_a_start_key_the_store_refuses_is_a_422_not_a_5xx(listings, monkeypatch):
    # Given DynamoDB refusing a start key outside the query's bounds (moto does not check this)
    from botocore.exceptions import ClientError
    from coupon_service.store.table import Table

    token = _wallet("u1", status="available", limit="1").json["next_token"]
    real = Table._db.fget

    class Refusing:
        def __init__(self, db):
            self.db = db

        def __getattr__(self, name):
            return getattr(self.db, name)

        def query(self, **params):
            if "ExclusiveStartKey" in params:
                error = {"Code": "ValidationException", "Message": "The provided starting key is outside"}
                raise ClientError({"Error": error}, "Query")
            return self.db.query(**params)

    monkeypatch.setattr(Table, "_db", property(lambda self: Refusing(real(self))))
    # When the token is used, Then it is a 422 naming next_token
    _refused(_wallet("u1", status="available", next_token=token))
    # And a listing without a token is unaffected
    assert _wallet("u1", status="available").status == 200
