"""A coupon's budget shards in the table: made with the coupon, taken from in a redemption's transaction
(condition: the shard still has the piece), given back in its reversal, read whole as of one moment when a
shard fell short, and read for the quote. Which shards give what is the pure rule in `coupon_service.budget`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from coupon_service import keys
from coupon_service.budget import first_choice, take
from coupon_service.store.table import Table, to_item, values


def new_shard(coupon_id: str, index: int, amount: int) -> dict[str, Any]:
    """A budget shard as created with its coupon."""
    return {
        **keys.budget_shard(coupon_id, index),
        "type": "budget",
        "coupon_id": coupon_id,
        "shard": index,
        "remaining": amount,
        "spent": 0,
    }


def taking(coupon_id: str, shard: int, amount: int) -> dict[str, Any]:
    """A redemption's piece of one shard: refused when the shard no longer has it."""
    return _moving(coupon_id, shard, amount, "remaining >= :a")


def giving_back(coupon_id: str, shard: int, amount: int) -> dict[str, Any]:
    """A reversal gives a piece back to the shard it came from."""
    return _moving(coupon_id, shard, -amount, "attribute_exists(PK)")


def _moving(coupon_id: str, shard: int, amount: int, condition: str) -> dict[str, Any]:
    """`amount` from the shard's remaining to its spent (negative: back)."""
    return {
        "Update": {
            "Key": to_item(keys.budget_shard(coupon_id, shard)),
            "UpdateExpression": "SET remaining = remaining - :a, spent = spent + :a",
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values(a=amount),
        }
    }


def pieces(taken: Mapping[str, int]) -> list[tuple[int, int]]:
    """(shard, amount) of what a redemption recorded as taken (`budget_taken`: shard -> amount)."""
    return sorted((int(shard), amount) for shard, amount in taken.items())


def recorded(choice: Mapping[int, int]) -> dict[str, int]:
    """What a redemption records as taken: shard (as the map's key) -> amount."""
    return {f"{shard:02d}": amount for shard, amount in sorted(choice.items())}


class BudgetShards:
    def __init__(self, table: Table) -> None:
        self.table = table

    @staticmethod
    def unread_choice(shard_count: int, amount: int) -> dict[int, int]:
        """The first try: all of it from any one shard, without reading."""
        return {first_choice(shard_count): amount}

    def choice_now(self, coupon_id: str, shard_count: int, amount: int) -> dict[int, int]:
        """After a shard fell short: every shard read as of one moment, then the pure rule's choice; a
        refusal here means the whole budget could not cover `amount` at that moment."""
        found = self.table.transact_get([keys.budget_shard(coupon_id, i) for i in range(shard_count)])
        remaining = {i: int(item["remaining"]) for i, item in enumerate(found) if item is not None}
        return take(remaining, amount)

    def remaining(self, coupon_ids: Iterable[tuple[str, int]]) -> dict[str, int]:
        """What is left of each coupon's budget, for a quote (eventually consistent: a hint, the
        redemption's condition is the authority). `coupon_ids`: (coupon id, shard count)."""
        wanted = dict(coupon_ids)
        found = self.table.batch_get(
            [keys.budget_shard(c, i) for c, count in wanted.items() for i in range(count)]
        )
        left = dict.fromkeys(wanted, 0)
        for item in found:
            left[item["coupon_id"]] += int(item["remaining"])
        return left

    def totals(self, coupon_id: str, shard_count: int) -> tuple[int, int]:
        """(remaining, spent) over the coupon's budget shards."""
        found = self.table.batch_get([keys.budget_shard(coupon_id, i) for i in range(shard_count)])
        return sum(int(s["remaining"]) for s in found), sum(int(s["spent"]) for s in found)
