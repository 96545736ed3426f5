"""Unit tests for shard planning: shard counts, how units spread, and what an edit changes per shard."""

from __future__ import annotations

from typing import Any

import pytest
from coupon_service.errors import Conflict, Invalid
from coupon_service.items import ClaimWindow, CouponItem, ShardItem
from coupon_service.models.common import MAX_GENERATED_CODES
from coupon_service.planning import (
    MAX_SHARDS,
    ShardChange,
    creation_plan,
    default_shard_count,
    inventory_plan,
    split,
    spread,
)
from hypothesis import given
from hypothesis import strategies as st


def coupon(mode: str = "random_on_claim", shard_count: int = 2, kind: str = "discount") -> CouponItem:
    return CouponItem(
        coupon_id="c1",
        merchant_id="m1",
        issuer="merchant",
        version=1,
        title="t",
        description="",
        status="active",
        currency="EUR",
        time_zone="UTC",
        terms={"kind": kind},
        codes={"mode": mode},
        claim_window=ClaimWindow(start="2030-01-01T00:00:00Z", end="2030-02-01T00:00:00Z"),
        validity={"type": "hours", "hours": 24},
        scope={"type": "order"},
        audience_type="everyone",
        options={},
        shard_count=shard_count,
        created_at="2029-12-01T00:00:00Z",
        updated_at="2029-12-01T00:00:00Z",
    )


def shard(index: int, remaining: int | None, claimed: int = 0, **pool: Any) -> ShardItem:
    limited = remaining is not None
    return ShardItem(
        coupon_id="c1",
        merchant_id="m1",
        shard=index,
        status="active",
        claim_start="2030-01-01T00:00:00Z",
        claim_end="2030-02-01T00:00:00Z",
        claimed=claimed,
        limited=limited,
        remaining=remaining,
        units=None if remaining is None else remaining + claimed,
        **pool,
    )


# --- new coupons ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inventory", "count"), [(None, 4), (1, 1), (500, 1), (501, 2), (10_000, 20), (10_000_000, MAX_SHARDS)]
)
def test_default_shard_count_grows_with_the_inventory_up_to_the_cap(inventory, count):
    assert default_shard_count(inventory) == count


def test_split_spreads_evenly_and_the_first_shards_take_the_remainder():
    assert split(10, 3) == [4, 3, 3]
    assert split(2, 4) == [1, 1, 0, 0]


@given(st.integers(0, 10**7), st.integers(1, MAX_SHARDS))
def test_split_loses_no_unit_and_shares_differ_by_at_most_one(total, parts):
    shares = split(total, parts)
    assert len(shares) == parts and sum(shares) == total
    assert max(shares) - min(shares) <= 1


def test_a_new_coupon_has_never_more_shards_than_units():
    assert creation_plan("random_on_claim", 3, 10) == [1, 1, 1]
    assert creation_plan("generated", 1200, None) == [400, 400, 400]


def test_an_unlimited_coupon_has_unlimited_shards_and_an_imported_one_empty_shards():
    assert creation_plan("random_on_claim", None, None) == [None] * 4
    assert creation_plan("imported", None, 3) == [0, 0, 0]


# --- spreading an inventory change ---------------------------------------------------------------


def test_an_addition_spreads_evenly():
    assert spread(5, [0, 10, 3]) == [2, 2, 1]


def test_a_removal_takes_from_the_fullest_shards_first():
    assert spread(-7, [2, 5, 4]) == [0, -5, -2]


def test_a_removal_beyond_what_is_unclaimed_is_a_conflict():
    with pytest.raises(Conflict) as refused:
        spread(-10, [2, 5])
    assert refused.value.code == "below_claimed" and refused.value.field == "inventory"


# --- edits ---------------------------------------------------------------------------------------


def test_a_larger_inventory_adds_units_to_every_shard():
    plan = inventory_plan(coupon(), [shard(0, 40, claimed=10), shard(1, 50)], 200, None)
    # total was 100 (90 remaining + 10 claimed): 100 more, 50 each
    assert plan.changes == (ShardChange(0, 50), ShardChange(1, 50))
    assert plan.added == ()


def test_a_generated_pool_grows_by_new_codes_and_shrinks_only_where_its_counter_has_not_reached():
    generated = coupon("generated")
    pools = [
        shard(0, 7, claimed=3, next_position=3, pool_size=10),
        shard(1, 10, next_position=0, pool_size=10),
    ]
    grown = inventory_plan(generated, pools, 24, None)
    assert grown.changes == (ShardChange(0, 2, pool_size=12), ShardChange(1, 2, pool_size=12))
    assert [c.codes_to_append for c in grown.changes] == [2, 2]
    shrunk = inventory_plan(generated, pools, 13, None)
    # 7 fewer, taken from the shard with the most positions left (10 unused on shard 1)
    assert shrunk.changes == (ShardChange(0, 0, pool_size=10), ShardChange(1, -7, pool_size=3))
    assert [c.codes_to_append for c in shrunk.changes] == [0, 0]


def test_an_inventory_below_what_is_claimed_is_refused_with_the_claimed_count():
    with pytest.raises(Conflict) as refused:
        inventory_plan(coupon(), [shard(0, 5, claimed=30), shard(1, 5, claimed=20)], 49, None)
    assert refused.value.code == "below_claimed" and refused.value.details == {"claimed": 50}


@pytest.mark.parametrize(
    ("item", "shards", "total", "message"),
    [
        (coupon(kind="cash"), [shard(0, 5)], 10, "a cash coupon's quantity is fixed"),
        (coupon("imported"), [shard(0, 0)], 10, "grows by importing codes"),
        (coupon(), [shard(0, None)], 10, "an unlimited coupon stays unlimited"),
        (coupon("generated"), [shard(0, 5)], MAX_GENERATED_CODES + 1, "at most"),
    ],
)
def test_inventories_a_coupon_cannot_change_are_refused(item, shards, total, message):
    with pytest.raises(Invalid) as refused:
        inventory_plan(item, shards, total, None)
    assert refused.value.field == "inventory" and message in refused.value.message


def test_new_shards_of_a_limited_coupon_take_remaining_units_at_once():
    plan = inventory_plan(coupon(), [shard(0, 100), shard(1, 100, claimed=40)], None, 4)
    assert [c.delta for c in plan.changes] == [-50, -50]
    assert plan.added == (50, 50)


def test_new_shards_of_an_unlimited_coupon_are_unlimited():
    plan = inventory_plan(coupon(), [shard(0, None), shard(1, None)], None, 3)
    assert [c.delta for c in plan.changes] == [0, 0] and plan.added == (None,)


def test_the_same_shard_count_changes_nothing():
    plan = inventory_plan(coupon(), [shard(0, 10), shard(1, 10)], None, 2)
    assert [c.delta for c in plan.changes] == [0, 0] and plan.added == ()


@pytest.mark.parametrize(
    ("item", "count", "message"),
    [
        (coupon(shard_count=2), 1, "shards can be added, not removed"),
        (coupon("generated", shard_count=2), 3, "keeps the shards it was created with"),
    ],
)
def test_shards_are_never_removed_nor_added_to_a_code_pool(item, count, message):
    with pytest.raises(Invalid) as refused:
        inventory_plan(item, [shard(0, 10, next_position=0, pool_size=10), shard(1, 10)], None, count)
    assert refused.value.field == "shard_count" and message in refused.value.message


@given(
    st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 1000)), min_size=1, max_size=8),
    st.integers(0, 20_000),
    st.integers(0, 10),
)
def test_an_edit_of_a_limited_coupon_ends_at_the_total_asked_and_never_below_zero(state, total, more):
    # Given shards with what remains and what was claimed on each
    shards = [shard(i, remaining, claimed=claimed) for i, (remaining, claimed) in enumerate(state)]
    claimed = sum(c for _, c in state)
    item = coupon(shard_count=len(shards))
    if total < claimed:
        with pytest.raises(Conflict):
            inventory_plan(item, shards, total, len(shards) + more)
        return
    # When the total and the shard count change at once
    plan = inventory_plan(item, shards, total, len(shards) + more)
    after = [s.remaining + c.delta for s, c in zip(shards, plan.changes, strict=True)]
    # Then no shard goes below zero, the new shards are limited, and the units add up to the total asked
    assert all(r >= 0 for r in after)
    assert len(plan.added) == more and all(u is not None and u >= 0 for u in plan.added)
    assert sum(after) + sum(u or 0 for u in plan.added) + claimed == total
