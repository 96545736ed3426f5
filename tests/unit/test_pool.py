"""The code pool's pure rules: keyed codes of a generated pool, and the chunks that hold a pool's codes."""

from __future__ import annotations

import pytest
from coupon_service import keys, pool
from coupon_service.codes import LENGTH, is_system_code

SEED = "00112233445566778899aabbccddeeff"


def test_a_keyed_code_is_a_system_code_and_the_same_for_the_same_position():
    code = pool.keyed_code(SEED, 2, 17)
    assert len(code) == LENGTH and is_system_code(code)
    assert pool.keyed_code(SEED, 2, 17) == code


def test_keyed_codes_differ_by_position_shard_and_seed():
    codes = {pool.keyed_code(SEED, shard, p) for shard in range(4) for p in range(2_500)}
    assert len(codes) == 10_000
    assert pool.keyed_code(SEED, 0, 0) != pool.keyed_code("ff" * 16, 0, 0)
    assert pool.keyed_code(SEED, 1, 10) != pool.keyed_code(SEED, 11, 0)  # no ambiguity in the message


def test_keyed_code_symbols_are_spread_over_the_alphabet():
    # Every symbol at every place: a code's body says nothing about its position.
    codes = pool.keyed_codes(SEED, 0, 0, 3_000)
    for place in range(LENGTH - 1):
        assert len({code[place] for code in codes}) == 31, place


def test_seed_of_is_for_generated_pools_only():
    assert pool.seed_of({"codes": {"mode": "generated"}, "pool_seed": SEED}) == SEED
    assert pool.seed_of({"codes": {"mode": "generated"}}) is None  # generated before seeds: chunks
    assert pool.seed_of({"codes": {"mode": "imported"}, "pool_seed": SEED}) is None
    new = pool.new_seed()
    assert len(bytes.fromhex(new)) == 16 and new != pool.new_seed()


def test_chunks_hold_codes_by_position():
    codes = [f"C{n}" for n in range(250)]
    items = pool.chunk_items("cp", 3, codes, start=200)
    assert [(i["PK"], i["SK"]) for i in items] == [
        (keys.pool_chunk("cp", 3, n)["PK"], keys.pool_chunk("cp", 3, n)["SK"]) for n in (2, 3, 4)
    ]
    assert [len(i["codes"]) for i in items] == [100, 100, 50]
    number, offset = pool.chunk_of(200 + 137)
    assert items[number - 2]["codes"][offset] == codes[137]
    with pytest.raises(ValueError, match="multiple"):
        pool.chunk_items("cp", 0, codes, start=50)


def test_a_new_generated_pool_holds_its_keyed_codes():
    items = pool.generated_chunks("cp", SEED, [150, 0, 30])
    by_shard = {}
    for item in items:
        shard = int(item["PK"].rsplit("#", 1)[1])
        by_shard.setdefault(shard, []).extend(item["codes"])
    assert by_shard == {0: pool.keyed_codes(SEED, 0, 0, 150), 2: pool.keyed_codes(SEED, 2, 0, 30)}
