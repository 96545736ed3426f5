"""A coupon's budget, pure: how a cap on the total discount spreads over budget shards, what a redemption
counts against it, and which shards it takes from. The store applies the choice; nothing here reads or
writes the table.

The cap (`options.budget`, minor units) is split over `BUDGET_SHARDS` items, each with its `remaining`
and `spent`, so concurrent redemptions spread over partitions. A redemption takes its amount from one shard
when one can cover it, else from as many as it takes (largest remaining first) in the same transaction:
it is refused only when all the shards together cannot cover it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from coupon_service.errors import Conflict, Invalid
from coupon_service.planning import split

BUDGET_SHARDS = 4


class BudgetExhausted(Conflict):
    """What is left of the coupon's budget cannot cover this redemption's discount."""

    def __init__(self, amount: int) -> None:
        super().__init__(
            "this coupon's budget cannot cover this discount",
            code="budget_exhausted",
            details={"discount": amount},
        )


def shard_amounts(budget: int) -> list[int]:
    """The budget of each shard of a new coupon (never a shard with nothing in it)."""
    return split(budget, min(BUDGET_SHARDS, budget))


def counted(terms: Mapping[str, Any], discount: int | None) -> int:
    """What a redemption counts against the budget: its discount when the order is known; without the
    order (staff confirming the terms, terms that do not depend on it) the most the coupon can take off,
    and where that has no bound (a percentage without `max_discount`, free shipping) the order is needed."""
    if discount is not None:
        return discount
    most = {
        "cash_value": terms.get("amount_off"),
        "cash": terms.get("amount"),
        "discount": terms.get("max_discount"),
    }.get(str(terms.get("kind")))
    if most is None:
        raise Invalid(
            "this coupon has a budget and its discount depends on the order: send the order",
            code="order_required",
            field="order",
        )
    return int(most)


def first_choice(shard_count: int) -> int:
    """The shard a redemption tries first, unread: any, so redemptions spread."""
    return random.randrange(shard_count)


def take(remaining: Mapping[int, int], amount: int) -> dict[int, int]:
    """Which shards give how much of `amount`, from what each has `remaining`: one shard that covers it
    (any of them, so redemptions spread), else the fullest shards first. Refused when together they cannot
    cover it."""
    covering = [shard for shard, left in remaining.items() if left >= amount]
    if covering:
        return {random.choice(covering): amount}
    if sum(max(0, left) for left in remaining.values()) < amount:
        raise BudgetExhausted(amount)
    pieces: dict[int, int] = {}
    still = amount
    for shard in sorted(remaining, key=lambda s: (-remaining[s], s)):
        piece = min(still, remaining[shard])
        if piece > 0:
            pieces[shard] = piece
            still -= piece
        if not still:
            break
    return pieces
