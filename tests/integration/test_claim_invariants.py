"""The claim invariants under many real threads against the serialized local store, with and without faults.

Each test checks the final state of the store, not only the answers.
"""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service import keys
from coupon_service.store.table import Table

from tests.builders import claim, claim_items, claim_now, make_coupon, shards
from tests.support import FAULT_MODES, concurrently, inject

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]


@pytest.fixture(params=list(FAULT_MODES))
def fault_mode(request, emulator):
    """The fault mode a test runs under (its name; the test switches it on when the coupon exists)."""
    return request.param


def _consistent(coupon, stored):
    """Counters equal the records: each shard's `claimed` is its claims, no position left marked."""
    for shard in shards(coupon):
        mine = [c for c in stored if c["shard"] == shard["shard"]]
        assert shard["claimed"] == len(mine), (shard, len(mine))
        assert not [name for name in shard if name.startswith("taker_")], shard
        if "pool_size" in shard:
            given = (shard.get("returned") or []) + (shard.get("given_back") or [])
            assert shard["remaining"] == shard["pool_size"] - shard["next_position"] + len(given), shard
            assert sorted(c["position"] for c in mine) == sorted(
                set(range(shard["next_position"])) - set(given)
            ), shard


def _pool_codes(coupon):
    table = Table()
    held = []
    for shard in shards(coupon):
        for chunk in range(shard["pool_size"] // keys.CHUNK + 1):
            item = table.get(keys.pool_chunk(coupon["coupon_id"], shard["shard"], chunk))
            held.extend((item or {}).get("codes", []))
    return held


@pytest.mark.parametrize(
    "codes", [{"mode": "random_on_claim", "inventory": 300}, {"mode": "generated", "inventory": 300}]
)
def test_no_oversell(emulator, fault_mode, codes):
    # Given a coupon of 300 units over 4 shards
    coupon = make_coupon(codes=codes, shard_count=4)
    inject(emulator, fault_mode)

    # When 2,000 distinct customers claim at once from 32 threads
    replies = concurrently(lambda i: claim_now(coupon["coupon_id"], f"c{i}"), 2000, threads=32)
    emulator.faults.rate = 0.0

    # Then exactly 300 succeed and every other answer is "sold out"
    statuses = [r.status for r in replies]
    assert statuses.count(201) == 300, {s: statuses.count(s) for s in set(statuses)}
    refusals = Counter(r.json["error"]["code"] for r in replies if r.status != 201)
    assert set(refusals) == {"sold_out"}, refusals
    # And the store holds exactly 300 claims, 300 distinct codes, and the shards are empty
    stored = claim_items(coupon["coupon_id"])
    assert len(stored) == 300 and len({c["code"] for c in stored}) == 300
    assert sorted(c["claim_id"] for c in stored) == sorted(
        r.json["claim_id"] for r in replies if r.status == 201
    )
    after = shards(coupon)
    assert sum(s["remaining"] for s in after) == 0 and sum(s["claimed"] for s in after) == 300
    if codes["mode"] == "generated":
        # Every handed-out code comes from the pool, and no returned position is left unaccounted
        assert {c["code"] for c in stored} == set(_pool_codes(coupon))
        assert all(not s.get("returned") for s in after)
    _consistent(coupon, stored)
    if fault_mode != "clean":
        assert emulator.faults.injected > 0


def test_per_customer_limit_under_concurrency(emulator, fault_mode):
    coupon = make_coupon(options={"per_customer_limit": 2})
    inject(emulator, fault_mode)
    replies = concurrently(lambda i: claim_now(coupon["coupon_id"], "greedy"), 50, threads=50)
    emulator.faults.rate = 0.0
    statuses = [r.status for r in replies]
    assert statuses.count(201) == 2, statuses
    assert {r.json["error"]["code"] for r in replies if r.status != 201} == {"limit_reached"}
    stored = claim_items(coupon["coupon_id"])
    assert len(stored) == 2
    holder = Table().get(keys.holder("greedy", coupon["coupon_id"]))
    assert holder["count"] == 2 and sum(s["claimed"] for s in shards(coupon)) == 2
    _consistent(coupon, stored)


@pytest.mark.parametrize("mode", ["random_on_claim", "generated"])
def test_idempotency_key_under_concurrency(emulator, fault_mode, mode):
    coupon = make_coupon(codes={"mode": mode, "inventory": 50}, options={"per_customer_limit": 5})
    inject(emulator, fault_mode)
    replies = concurrently(lambda i: claim_now(coupon["coupon_id"], "u1", key="same-key-123"), 20, threads=20)
    emulator.faults.rate = 0.0
    stored = claim_items(coupon["coupon_id"])
    assert len(stored) == 1
    for reply in replies:
        assert reply.status == 201 or (reply.status == 409 and "retry-after" in reply.headers), reply.json
        if reply.status == 201:
            assert reply.json["claim_id"] == stored[0]["claim_id"] and reply.json["code"] == stored[0]["code"]
    later = claim(coupon["coupon_id"], key="same-key-123")
    assert later.status == 201 and later.json["claim_id"] == stored[0]["claim_id"]
    after = shards(coupon)
    assert sum(s["claimed"] for s in after) == 1 and sum(s["remaining"] for s in after) == 49
    _consistent(coupon, stored)
