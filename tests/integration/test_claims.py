"""Claiming and the wallet: checks, codes, windows, idempotency, and the invariants under many threads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from coupon_service import claims, codes, keys
from coupon_service.models.claims import ClaimRequest
from coupon_service.store.table import Table, values

from devstack.emulator import LOSABLE
from tests.builders import claim, claim_items, make_coupon, shards
from tests.support import call, caller_for, customer, merchant

pytestmark = pytest.mark.usefixtures("stack")


def test_a_claim_gives_a_system_code_and_a_window_and_shows_in_the_wallet():
    coupon = make_coupon()
    reply = claim(coupon["coupon_id"], channel="qr", phone_number="+86 138-1234-5678")
    assert reply.status == 201, reply.json
    held = reply.json
    assert codes.is_system_code(held["code"]) and held["status"] == "available"
    assert held["channel"] == "other"  # the coupon defines no channels
    wallet = call("GET", "/me/coupons", claims=customer("u1")).json["items"]
    assert [w["claim_id"] for w in wallet] == [held["claim_id"]]
    item = Table().get(keys.claim(held["claim_id"]))
    assert item["phone_masked"] == "+86*******5678" and "13812345678" not in str(item)
    assert call("GET", f"/me/coupons/{held['claim_id']}", claims=customer("u2")).status == 404
    png = call("GET", f"/me/coupons/{held['claim_id']}/qr", claims=customer("u1"))
    assert png.status == 200 and png.raw[:4] == b"\x89PNG"
    assert call("GET", f"/me/coupons/{held['claim_id']}/qr", claims=customer("u2")).status == 404


def test_a_defined_channel_is_recorded():
    coupon = make_coupon(options={"channels": ["qr", "sms"]})
    assert claim(coupon["coupon_id"], channel="sms").json["channel"] == "sms"


@pytest.mark.parametrize(
    ("overrides", "code", "status"),
    [
        ({"status": "draft"}, "not_found", 404),
        (
            {"claim_window": {"start": "2090-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z"}},
            "claim_not_started",
            409,
        ),
        (
            {"claim_window": {"start": "2000-01-01T00:00:00Z", "end": "2001-01-01T00:00:00Z"}},
            "claim_ended",
            409,
        ),
        ({"audience": {"type": "customers", "customer_ids": ["u9"]}}, "not_in_audience", 403),
        ({"audience": {"type": "tags", "tags": ["vip"]}}, "not_in_audience", 403),
    ],
)
def test_refusals_each_with_their_own_error_and_nothing_written(overrides, code, status):
    coupon = make_coupon(**overrides)
    reply = claim(coupon["coupon_id"])
    assert reply.status == status and reply.json["error"]["code"] == code
    assert claim_items(coupon["coupon_id"]) == []
    assert sum(s["claimed"] for s in shards(coupon)) == 0


def test_paused_and_deleted_coupons_are_refused():
    coupon = make_coupon()
    call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "status": "paused"},
    )
    claims.cache.clear()
    assert claim(coupon["coupon_id"]).json["error"]["code"] == "coupon_paused"
    call("DELETE", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"))
    claims.cache.clear()
    assert claim(coupon["coupon_id"]).json["error"]["code"] == "coupon_deleted"
    assert claim_items(coupon["coupon_id"]) == []


def test_a_stale_cache_never_beats_the_shard():
    coupon = make_coupon()
    assert claim(coupon["coupon_id"]).status == 201  # the terms are now cached as active
    call(
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "status": "paused"},
    )
    reply = claim(coupon["coupon_id"], user="u2")
    assert reply.status == 409 and reply.json["error"]["code"] == "coupon_paused"
    assert len(claim_items(coupon["coupon_id"])) == 1


def test_audience_members_and_tags_may_claim():
    listed = make_coupon(audience={"type": "customers", "customer_ids": ["u1"]})
    assert claim(listed["coupon_id"], user="u1").status == 201
    tagged = make_coupon(audience={"type": "tags", "tags": ["vip"]})
    assert claim(tagged["coupon_id"], user="u2", **{"custom:tags": "vip,new"}).status == 201


def test_sold_out_is_a_409_with_a_reason():
    coupon = make_coupon(codes={"mode": "random_on_claim", "inventory": 2}, shard_count=2)
    assert [claim(coupon["coupon_id"], user=f"u{i}").status for i in range(2)] == [201, 201]
    reply = claim(coupon["coupon_id"], user="u9")
    assert reply.status == 409 and reply.json["error"]["code"] == "sold_out"


@pytest.mark.parametrize(
    ("validity", "at", "expected"),
    [
        # A minute before midnight in Shanghai (UTC+8): the day of the claim ends a minute later.
        (
            {"type": "relative_days", "starts_after_days": 0, "days": 1},
            "2030-03-10T15:59:00Z",
            ("2030-03-10T15:59:00Z", "2030-03-10T16:00:00Z"),
        ),
        (
            {"type": "relative_days", "starts_after_days": 1, "days": 2},
            "2030-03-10T15:59:00Z",
            ("2030-03-10T16:00:00Z", "2030-03-12T16:00:00Z"),
        ),
        (
            {"type": "hours", "hours": 23},
            "2030-03-10T15:59:00Z",
            ("2030-03-10T15:59:00Z", "2030-03-11T14:59:00Z"),
        ),
        (
            {"type": "fixed", "start": "2030-01-01T00:00:00Z", "end": "2030-06-01T00:00:00Z"},
            "2030-03-10T15:59:00Z",
            ("2030-01-01T00:00:00Z", "2030-06-01T00:00:00Z"),
        ),
    ],
)
def test_validity_windows(validity, at, expected, clock):
    # Claims close by the end of a fixed validity (docs/decisions.md)
    coupon = make_coupon(
        validity=validity, claim_window={"start": "2020-01-01T00:00:00Z", "end": "2030-06-01T00:00:00Z"}
    )
    clock.set(datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC))
    held = claim(coupon["coupon_id"]).json
    got = (held["valid_from"].replace("+00:00", "Z"), held["valid_until"].replace("+00:00", "Z"))
    assert got == expected


def test_wallet_filters_and_orders_by_expiry(clock):
    soon = make_coupon(validity={"type": "hours", "hours": 2})
    later = make_coupon(validity={"type": "hours", "hours": 5})
    b = claim(later["coupon_id"]).json
    a = claim(soon["coupon_id"]).json
    assert [c["claim_id"] for c in call("GET", "/me/coupons", claims=customer("u1")).json["items"]] == [
        a["claim_id"],
        b["claim_id"],
    ]
    clock.advance(__import__("datetime").timedelta(hours=3))
    expired = call("GET", "/me/coupons?status=expired", claims=customer("u1")).json["items"]
    available = call("GET", "/me/coupons?status=available", claims=customer("u1")).json["items"]
    assert [c["claim_id"] for c in expired] == [a["claim_id"]] and expired[0]["status"] == "expired"
    assert [c["claim_id"] for c in available] == [b["claim_id"]]
    assert call("GET", "/me/coupons?status=bogus", claims=customer("u1")).status == 422


def test_idempotent_claim_returns_the_same_coupon_and_consumes_one_unit():
    coupon = make_coupon()
    first = claim(coupon["coupon_id"], key="phone-retry-1")
    again = claim(coupon["coupon_id"], key="phone-retry-1")
    other_channel = claim(coupon["coupon_id"], key="phone-retry-1", channel="sms")
    assert first.status == again.status == 201 and first.json == again.json
    assert other_channel.status == 422
    assert len(claim_items(coupon["coupon_id"])) == 1 and sum(s["claimed"] for s in shards(coupon)) == 1
    # The same key from another customer is that customer's own claim, never the first one's
    theirs = claim(coupon["coupon_id"], user="u2", key="phone-retry-1")
    assert theirs.status == 201 and theirs.json["claim_id"] != first.json["claim_id"]


def test_per_customer_limit():
    coupon = make_coupon(options={"per_customer_limit": 2})
    statuses = [claim(coupon["coupon_id"]).status for _ in range(3)]
    assert statuses == [201, 201, 409]


def test_generated_codes_are_handed_out_by_position():
    coupon = make_coupon(codes={"mode": "generated", "inventory": 5}, shard_count=1)
    chunk = Table().get(keys.pool_chunk(coupon["coupon_id"], 0, 0))["codes"]
    handed = [claim(coupon["coupon_id"], user=f"u{i}").json["code"] for i in range(5)]
    assert handed == chunk
    assert claim(coupon["coupon_id"], user="u9").json["error"]["code"] == "sold_out"


def test_a_refused_pool_claim_gives_its_position_back():
    coupon = make_coupon(codes={"mode": "generated", "inventory": 3}, shard_count=1)
    first = claim(coupon["coupon_id"]).json
    over_limit = claim(coupon["coupon_id"])  # takes a position, then the limit refuses it
    assert over_limit.json["error"]["code"] == "limit_reached"
    shard = shards(coupon)[0]
    assert shard["returned"] == [1] and shard["remaining"] == 2 and shard["claimed"] == 1
    assert not [name for name in shard if name.startswith("taker_")]
    rest = [claim(coupon["coupon_id"], user=f"u{i}").json for i in (2, 3)]
    chunk = Table().get(keys.pool_chunk(coupon["coupon_id"], 0, 0))["codes"]
    assert sorted([first["code"]] + [r["code"] for r in rest]) == sorted(chunk)


def _lost_once(emulator, kind="lost", operations=LOSABLE):
    """The next write is applied and its answer lost, once; every retry is answered."""
    emulator.faults.set(1.0, (kind,), operations=frozenset(operations), limit=1)


@pytest.mark.parametrize(
    "kind, operation",
    [
        ("lost", "UpdateItem"),
        ("lost", "TransactWriteItems"),
        ("timeout", "UpdateItem"),
        ("timeout", "TransactWriteItems"),
    ],
)
def test_a_pool_claim_whose_answer_is_lost_keeps_its_one_code(emulator, kind, operation):
    # Given a pool of two codes on one shard
    coupon = make_coupon(codes={"mode": "generated", "inventory": 2}, shard_count=1)
    pool = Table().get(keys.pool_chunk(coupon["coupon_id"], 0, 0))["codes"]
    # When the first claim's position take, or its transaction, commits but its answer is lost (a 500 or
    # a dropped connection), and the claim retries
    _lost_once(emulator, kind, {operation})
    first = claim(coupon["coupon_id"], user="u1")
    assert emulator.faults.injected == 1
    # Then that customer gets the first code, and the next customer the second: no code twice, none lost
    second = claim(coupon["coupon_id"], user="u2")
    assert (first.status, second.status) == (201, 201), (first.json, second.json)
    assert [first.json["code"], second.json["code"]] == pool
    assert claim(coupon["coupon_id"], user="u3").json["error"]["code"] == "sold_out"
    stored = claim_items(coupon["coupon_id"])
    assert sorted(c["code"] for c in stored) == sorted(pool)
    shard = shards(coupon)[0]
    assert (shard["next_position"], shard["remaining"], shard["claimed"]) == (2, 0, 2)
    assert not shard.get("returned") and not [name for name in shard if name.startswith("taker_")]


def test_a_random_code_claim_whose_answer_is_lost_is_claimed_once(emulator):
    coupon = make_coupon(codes={"mode": "random_on_claim", "inventory": 5}, shard_count=1)
    _lost_once(emulator)
    first = claim(coupon["coupon_id"], user="u1")
    assert first.status == 201 and emulator.faults.injected == 1
    stored = claim_items(coupon["coupon_id"])
    assert [c["claim_id"] for c in stored] == [first.json["claim_id"]]
    assert (shards(coupon)[0]["claimed"], shards(coupon)[0]["remaining"]) == (1, 4)


def test_positions_put_back_by_the_old_claims_are_checked_before_they_are_handed_out():
    # Given a shard as claims before one-transaction claims could leave it: position 0 put back by the
    # retry of a claim that had committed (the code is held), position 1 put back by a refused claim
    coupon = make_coupon(codes={"mode": "generated", "inventory": 4}, shard_count=1)
    pool = Table().get(keys.pool_chunk(coupon["coupon_id"], 0, 0))["codes"]
    first = claim(coupon["coupon_id"], user="u1").json
    refused = claim(coupon["coupon_id"], user="u2").json
    Table().delete(keys.claim(refused["claim_id"]))
    third = claim(coupon["coupon_id"], user="u3").json
    Table().update(
        keys.shard(coupon["coupon_id"], 0),
        UpdateExpression="SET given_back = :back, remaining = :remaining, claimed = :claimed",
        ExpressionAttributeValues=values(back=[0, 1], remaining=3, claimed=1),
    )
    # When customers claim until it is sold out
    later = [claim(coupon["coupon_id"], user=f"u{i}") for i in (4, 5, 6)]
    # Then the counter's last position and the free put-back one are handed out, the held one never again
    assert [r.status for r in later] == [201, 201, 409]
    assert [later[0].json["code"], later[1].json["code"]] == [pool[3], pool[1]]
    stored = claim_items(coupon["coupon_id"])
    assert sorted(c["code"] for c in stored) == sorted(pool) and first["code"] == pool[0]
    assert third["code"] == pool[2]
    # And the counters agree with the claims again
    shard = shards(coupon)[0]
    assert (shard["claimed"], shard["remaining"], shard["given_back"]) == (4, 0, [])


def test_a_generated_pool_claim_is_two_requests_in_a_fresh_environment(dynamodb_requests):
    # Given a generated coupon whose terms an execution environment has read, and nothing else cached
    coupon = make_coupon(codes={"mode": "generated", "inventory": 150}, shard_count=1)
    pool = [code for n in (0, 1) for code in Table().get(keys.pool_chunk(coupon["coupon_id"], 0, n))["codes"]]
    handed = []
    for i in range(3):
        claims.cache.clear()
        claims.Claims().terms(coupon["coupon_id"])
        dynamodb_requests.reset()
        # When a customer claims
        caller = caller_for(customer(f"u{i}"))
        held = claims.Claims().claim(caller, coupon["coupon_id"], None, None, ClaimRequest())
        # Then the claim takes a position and commits: no chunk is read for the code
        assert dict(dynamodb_requests.calls) == {"UpdateItem": 1, "TransactWriteItems": 1}
        handed.append(held.code)
    # And the codes handed out are the pool's, by position
    assert handed == pool[:3]
