"""Figures in the table: the aggregator's records (per claimed coupon, per customer at a merchant) and the
counters they move, written together in one transaction; the counters read back per coupon and per
merchant; the records the reconciliation recounts from.

A record is written on condition it is still the version read, with the event's id in its `seen` list and
the counters moved by the record's change of contribution: a re-delivered event finds its id there and
writes nothing, and a retry after a lost answer either carries the transaction's request token or reads
its own write back. Counter cells are spread over `keys.FIGURE_SHARDS` partitions by the event's id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from coupon_service import keys
from coupon_service.errors import Changed
from coupon_service.store.table import Cancelled, Table, decode_token, encode_token, to_item, values

CLAIM_TYPE, CUSTOMER_TYPE = "figures_claim", "figures_customer"
CELL_TYPE, TOTAL_TYPE = "figures_cell", "figures_total"


@dataclass(frozen=True)
class Move:
    """Counters to move: a coupon's cell (day, channel, store) and its merchant's total for the coupon."""

    merchant_id: str
    coupon_id: str
    day: str
    channel: str
    store_id: str
    counts: dict[str, int]
    shard: int


@dataclass(frozen=True)
class Written:
    """A record to write: its key, its new body and the version it was read at (0: did not exist)."""

    key: dict[str, str]
    kind: str
    body: dict[str, Any]
    as_read: int


def _adds(counts: dict[str, int], extra: dict[str, Any]) -> dict[str, Any]:
    names = {f"#f{i}": name for i, name in enumerate(counts)}
    named = {f"f{i}": value for i, value in enumerate(counts.values())}
    sets = {f"#s{i}": name for i, name in enumerate(extra)}
    set_values = {f"s{i}": value for i, value in enumerate(extra.values())}
    return {
        "UpdateExpression": "ADD "
        + ", ".join(f"#f{i} :f{i}" for i in range(len(counts)))
        + " SET "
        + ", ".join(f"#s{i} = :s{i}" for i in range(len(extra))),
        "ExpressionAttributeNames": {**names, **sets},
        "ExpressionAttributeValues": values(**named, **set_values),
    }


def cell_of(item: dict[str, Any]) -> dict[str, Any]:
    coupon_id, day, channel, store_id = keys.figures_cell_of(item)
    return {**item, "coupon_id": coupon_id, "day": day, "channel": channel, "store_id": store_id}


class FiguresStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def records(self, key_list: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        """The records at these keys (strongly consistent), None where there is none yet, in order."""
        found = {(i["PK"], i["SK"]): i for i in self.table.batch_get(key_list)}
        return [found.get((k["PK"], k["SK"])) for k in key_list]

    def commit(self, written: list[Written], moves: list[Move]) -> None:
        """Records and counters in one transaction; `Changed` when a record is no longer as read."""
        operations: list[dict[str, Any]] = []
        for record in written:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
            if record.as_read:
                condition = {
                    "ConditionExpression": "#v = :v",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": values(v=record.as_read),
                }
            item = {**record.body, **record.key, "type": record.kind}
            operations.append({"Put": {"Item": to_item(item), **condition}})
        totals: dict[tuple[int, str, str], dict[str, int]] = {}
        for move in moves:
            key = keys.figures_cell(move.coupon_id, move.shard, move.day, move.channel, move.store_id)
            extra = {"type": CELL_TYPE}  # the rest is in its key (`cell_of`)
            operations.append({"Update": {"Key": to_item(key), **_adds(move.counts, extra)}})
            summed = totals.setdefault((move.shard, move.merchant_id, move.coupon_id), {})
            for name, n in move.counts.items():
                summed[name] = summed.get(name, 0) + n
        for (shard, merchant_id, coupon_id), counts in totals.items():
            counts = {k: v for k, v in counts.items() if v}
            if counts:
                key = keys.figures_total(merchant_id, shard, coupon_id)
                extra = {"type": TOTAL_TYPE}
                operations.append({"Update": {"Key": to_item(key), **_adds(counts, extra)}})
        try:
            self.table.transact(operations)
        except Cancelled as refused:
            raise Changed("a figures record changed since it was read") from refused

    def cells(self, coupon_id: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        """Every shard's counter cells of the coupon from `first_day` to `last_day` (inclusive), each with
        its coupon, day, channel and store read from its key."""
        found: list[dict[str, Any]] = []
        for shard in range(keys.FIGURE_SHARDS):
            found.extend(
                self.table.query_all(
                    key_condition="PK = :pk AND SK BETWEEN :a AND :b",
                    ExpressionAttributeValues=values(
                        pk=keys.figures_partition(coupon_id, shard),
                        a=first_day,
                        b=keys.figures_day_bound(last_day),
                    ),
                )
            )
        return [cell_of(item) for item in found]

    def totals(self, merchant_id: str) -> list[dict[str, Any]]:
        """Every shard of every coupon's totals of the merchant (one item per coupon and shard; its
        `coupon_id` is its sort key)."""
        found: list[dict[str, Any]] = []
        for shard in range(keys.FIGURE_SHARDS):
            found.extend(
                self.table.query_all(
                    key_condition="PK = :pk",
                    ExpressionAttributeValues=values(pk=keys.figures_totals_partition(merchant_id, shard)),
                )
            )
        return [{**item, "coupon_id": item["SK"]} for item in found]

    def merchant_coupons(self, merchant_id: str) -> list[dict[str, Any]]:
        """The merchant's coupons (deleted ones left the listing): id, title and status of each."""
        return list(
            self.table.query_all(
                index="GSI1",
                key_condition="GSI1PK = :p",
                ExpressionAttributeValues=values(p=keys.merchant_coupons(merchant_id)),
                ProjectionExpression="coupon_id, title, #s",
                ExpressionAttributeNames={"#s": "status"},
            )
        )

    @staticmethod
    def overview_token(merchant_id: str, offset: int, listing: str) -> str | None:
        """A page token of the merchant's overview in one order: where the next page starts, signed."""
        key = {"PK": {"S": keys.merchant_coupons(merchant_id)}, "offset": {"N": str(offset)}}
        return encode_token(key, listing=listing)

    @staticmethod
    def overview_offset(merchant_id: str, token: str | None, listing: str) -> int:
        found = decode_token(token, partition=("PK", keys.merchant_coupons(merchant_id)), listing=listing)
        return int(found["offset"]["N"]) if found and "offset" in found else 0

    def everything(self) -> Iterator[dict[str, Any]]:
        """Every item of the table, page by page: the reconciliation's recount (an operator's command)."""
        start: dict[str, Any] | None = None
        while True:
            page = self.table.scan(start)
            yield from (cell_of(item) if item.get("type") == CELL_TYPE else item for item in page[0])
            start = page[1]
            if not start:
                return
