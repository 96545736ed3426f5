"""Shard planning, pure: how many shards a coupon gets, how its units spread over them, and what an
edit of its inventory or shard count changes on each shard. The store applies a plan; nothing here reads
or writes the table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from coupon_service.errors import Conflict, Invalid
from coupon_service.items import CouponItem, ShardItem
from coupon_service.models.common import MAX_GENERATED_CODES
from coupon_service.models.coupons import Inventory

MAX_SHARDS = 50
UNITS_PER_SHARD = 500  # a shard serves ~1,000 claims/s on DynamoDB; more shards only for big inventories
DEFAULT_UNLIMITED_SHARDS = 4


def default_shard_count(inventory: int | None) -> int:
    if inventory is None:
        return DEFAULT_UNLIMITED_SHARDS
    return max(1, min(MAX_SHARDS, math.ceil(inventory / UNITS_PER_SHARD)))


def split(total: int, parts: int) -> list[int]:
    """Spread units over shards as evenly as integers allow (the first shards take the remainder)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def spread(delta: int, available: Sequence[int]) -> list[int]:
    """Per-shard share of an inventory change: additions evenly, removals from the fullest shards (each
    giving up at most what it has `available`)."""
    if delta >= 0:
        return split(delta, len(available))
    take = -delta
    shares = [0] * len(available)
    for index in sorted(range(len(available)), key=lambda i: -available[i]):
        share = min(take, available[index])
        shares[index] = -share
        take -= share
    if take:
        raise Conflict("inventory: not enough unclaimed units left", code="below_claimed", field="inventory")
    return shares


def creation_plan(mode: str, units: int | None, requested: int | None) -> list[int | None]:
    """The units of each shard of a new coupon (None: unlimited). Never more shards than units; an
    imported coupon's shards start empty and grow with each import."""
    count = requested or default_shard_count(units)
    if units is not None:
        count = min(count, units)
    if mode == "imported":
        return [0] * count
    if units is None:
        return [None] * count
    return list(split(units, count))


# --- edits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShardChange:
    """An existing shard's share of an inventory change."""

    shard: int
    delta: int = 0  # units added (or, negative, taken away: only from what no claim took yet)
    pool_size: int | None = None  # a generated pool's size after the change; its counter must not pass it

    @property
    def codes_to_append(self) -> int:
        """New codes a generated pool needs before its shard grows."""
        return self.delta if self.pool_size is not None and self.delta > 0 else 0


@dataclass(frozen=True)
class InventoryPlan:
    changes: tuple[ShardChange, ...]  # one per existing shard, in shard order
    added: tuple[int | None, ...] = ()  # the units of each shard added after the last (None: unlimited)


@dataclass(frozen=True)
class CouponEdit:
    """One edit as the store applies it, in one transaction conditioned on `version`."""

    version: int  # the version the edit was based on
    changes: dict[str, Any]  # coupon attributes set (`version` moves on by itself)
    removed: list[str] = field(default_factory=list)  # coupon attributes removed
    shard_changes: dict[str, Any] = field(default_factory=dict)  # what every shard copies (status, window)
    inventory: InventoryPlan = InventoryPlan(changes=())
    new_shards: list[ShardItem] = field(default_factory=list)
    record: dict[str, Any] | None = None  # the history entry, written in the same transaction
    after: CouponItem | None = None  # the coupon as the edit leaves it (the coupon center's listing)


def inventory_plan(
    coupon: CouponItem, shards: Sequence[ShardItem], inventory: int | None, shard_count: int | None
) -> InventoryPlan:
    """What a new total `inventory` and a new `shard_count` (either None: unchanged) change per shard.

    Refuses what the coupon cannot do: a cash coupon's quantity, an imported or unlimited inventory, a
    total below what is claimed, removing shards, or adding shards to a code pool."""
    deltas = [0] * len(shards)
    if inventory is not None:
        deltas = _inventory_deltas(coupon, shards, inventory)
    added: list[int | None] = []
    if shard_count is not None and shard_count != coupon.shard_count:
        _check_shard_count(coupon, shard_count)
        deltas, added = _added_shards(shards, deltas, shard_count, shard_count - coupon.shard_count)
    generated = coupon.mode == "generated"
    changes = tuple(
        ShardChange(shard=s.shard, delta=d, pool_size=(s.pool_size or 0) + d if generated else None)
        for s, d in zip(shards, deltas, strict=True)
    )
    return InventoryPlan(changes=changes, added=tuple(added))


def _inventory_deltas(coupon: CouponItem, shards: Sequence[ShardItem], total: int) -> list[int]:
    mode = coupon.mode
    if coupon.terms["kind"] == "cash":
        raise Invalid("inventory: a cash coupon's quantity is fixed once created", field="inventory")
    if mode == "imported":
        raise Invalid("inventory: an imported coupon's inventory grows by importing codes", field="inventory")
    if not all(s.limited for s in shards):
        raise Invalid("inventory: an unlimited coupon stays unlimited", field="inventory")
    if mode == "generated" and total > MAX_GENERATED_CODES:
        raise Invalid(  # the same cap as creation: the new codes are generated in this request
            f"inventory: a generated coupon has at most {MAX_GENERATED_CODES} codes", field="inventory"
        )
    current = Inventory.of(mode, shards)
    if total < current.claimed:
        raise Conflict(
            f"inventory: {current.claimed} are already claimed",
            code="below_claimed",
            field="inventory",
            details={"claimed": current.claimed},
        )
    # A pool can only give up positions its counter has not reached: codes after `next_position`.
    available = [
        (s.pool_size or 0) - (s.next_position or 0) if mode == "generated" else s.remaining or 0
        for s in shards
    ]
    return spread(total - (current.total or 0), available)


def _check_shard_count(coupon: CouponItem, shard_count: int) -> None:
    if shard_count < coupon.shard_count:
        raise Invalid("shard_count: shards can be added, not removed", field="shard_count")
    if coupon.mode != "random_on_claim":
        raise Invalid(
            "shard_count: a coupon with a code pool keeps the shards it was created with", field="shard_count"
        )


def _added_shards(
    shards: Sequence[ShardItem], deltas: list[int], shard_count: int, count: int
) -> tuple[list[int], list[int | None]]:
    """The existing shards' deltas and the new shards' units: a limited coupon moves remaining units onto
    the new shards, so the load spreads at once."""
    if not all(s.limited for s in shards):
        return deltas, [None] * count
    remaining = [(s.remaining or 0) + d for s, d in zip(shards, deltas, strict=True)]
    target = sum(remaining) // shard_count
    moved = [max(0, r - target) for r in remaining]
    return [d - m for d, m in zip(deltas, moved, strict=True)], list(split(sum(moved), count))
