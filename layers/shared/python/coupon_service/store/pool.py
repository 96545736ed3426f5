"""The code pool's DynamoDB side: positions taken from a shard's counter and marked with the claim's id,
given back while the mark is there, the code at a position, and the chunks that hold a pool's codes.

A pooled claim takes its position with one conditional update that also marks it (`taker_<claimId>`:
the position before the counter moved); the claim's transaction removes the mark (`release`). A take
retried after a lost answer and refused finds its own mark; a claim refused for a business reason gives
the position back (`returned`) with the mark as the condition, so a committed claim's position is never
given back (docs/decisions.md, "Pool claims are exactly once under lost answers").
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from coupon_service import keys, pool
from coupon_service.codes import new_system_codes
from coupon_service.items import CouponItem
from coupon_service.store.shards import OPEN, open_values, refuse_closed, shard_as_read
from coupon_service.store.table import Cancelled, Table, cleanup, to_item, values

RETURNED_TRIES = 8  # races for the head of a shard's returned positions before it counts as empty


class _Chunks:
    """Per execution environment: pool chunks read (a code once written at a position never changes, so a
    chunk is read again only when it does not reach a position yet: an import may still be filling it)."""

    SIZE = 2_000  # about 4 MB of 14-byte codes

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.chunks: OrderedDict[tuple[str, int, int], list[str]] = OrderedDict()

    def clear(self) -> None:
        with self.lock:
            self.chunks.clear()

    def get(self, key: tuple[str, int, int]) -> list[str] | None:
        with self.lock:
            codes = self.chunks.get(key)
            if codes is not None:
                self.chunks.move_to_end(key)
            return codes

    def keep(self, key: tuple[str, int, int], codes: list[str]) -> None:
        with self.lock:
            self.chunks[key] = codes
            self.chunks.move_to_end(key)
            while len(self.chunks) > self.SIZE:
                self.chunks.popitem(last=False)


chunks = _Chunks()


def taker(claim_id: str) -> str:
    """The shard attribute marking the position a claim took, until its claim commits or gives it back."""
    return f"taker_{claim_id}"


class Pool:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- taking and giving back positions ----------------------------------------------------------

    def take_position(
        self, coupon_id: str, shard: int, claim_id: str, now: str, expected: str = "active"
    ) -> int | None:
        """The shard's next position, marked as this claim's; None if the shard has none left. A shard
        that no longer takes claims raises its refusal (ClaimsClosed). `expected`: the shard's status
        (`draft` for a test release's claim)."""
        mark = taker(claim_id)
        try:
            taken = self.table.update(
                keys.shard(coupon_id, shard),
                # SET reads the item as it was: the mark holds the position before the counter moved.
                UpdateExpression="SET remaining = remaining - :one, claimed = claimed + :one, "
                "#n = #n + :one, #t = #n",
                ConditionExpression=OPEN + " AND remaining > :zero AND #n < pool_size "
                "AND attribute_not_exists(#t)",
                ExpressionAttributeNames={"#n": "next_position", "#s": "status", "#t": mark},
                ExpressionAttributeValues=values(one=1, zero=0, **open_values(now, expected)),
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return int((taken or {})[mark])
        except Cancelled as cancelled:
            old = cancelled.old(0)
        if old and mark in old:
            # This claim's mark: our own take whose answer was lost, or a request with the same
            # Idempotency-Key that took it (its transaction and ours put the same claim: one commits).
            return int(old[mark])
        refuse_closed(shard_as_read(old), now, expected)
        if not old or not (old.get("returned") or old.get("given_back")) or old.get("remaining", 0) <= 0:
            return None
        return self._take_returned(coupon_id, shard, claim_id, now, expected)

    def _take_returned(
        self, coupon_id: str, shard: int, claim_id: str, now: str, expected: str = "active"
    ) -> int | None:
        """Positions given back by refused claims (`returned`), once the counter is exhausted: the first is
        taken (and marked) with the list's head as the condition.

        `given_back` lists were written before claims marked their positions and may hold a position whose
        claim committed (its lost answer was retried, refused as a duplicate and given back): each is
        checked against the shard's claim records (not the code index: a held coupon's code may have been
        reissued), and one already held is dropped with the counters set right."""
        key = keys.shard(coupon_id, shard)
        mark = taker(claim_id)
        for _ in range(RETURNED_TRIES):
            item = self.table.get(key)
            if item and mark in item:
                return int(item[mark])  # taken for this claim already (see take_position)
            refuse_closed(shard_as_read(item), now, expected)
            if not item or item.get("remaining", 0) <= 0:
                return None
            listed = "returned" if item.get("returned") else "given_back"
            if not item.get(listed):
                return None
            position = int(item[listed][0])
            held = listed == "given_back" and self.position_held(coupon_id, shard, position)
            try:
                self.table.update(
                    key,
                    UpdateExpression="SET remaining = remaining - :one, claimed = claimed + :one"
                    + ("" if held else ", #t = :p")
                    + f" REMOVE {listed}[0]",
                    ConditionExpression=OPEN + f" AND remaining > :zero AND {listed}[0] = :p "
                    "AND attribute_not_exists(#t)",
                    ExpressionAttributeNames={"#s": "status", "#t": mark},
                    ExpressionAttributeValues=values(one=1, zero=0, p=position, **open_values(now, expected)),
                )
            except Cancelled:
                continue
            if not held:
                return position
        return None

    def position_held(self, coupon_id: str, shard: int, position: int) -> bool:
        """Whether a claim record of the shard (GSI4) holds this position."""
        records = self.table.query_all(
            index="GSI4",
            key_condition="GSI4PK = :records",
            FilterExpression="#p = :p",
            ExpressionAttributeNames={"#p": "position"},
            ExpressionAttributeValues=values(records=keys.claim_records(coupon_id, shard), p=position),
        )
        return next(records, None) is not None

    def give_back(self, coupon_id: str, shard: int, position: int, claim_id: str) -> None:
        """Return a position whose claim was refused, only while it still carries this claim's mark."""
        mark = taker(claim_id)
        with cleanup(), contextlib.suppress(Cancelled):  # the mark is gone: nothing of ours to give back
            self.table.update(
                keys.shard(coupon_id, shard),
                UpdateExpression="SET returned = list_append(if_not_exists(returned, :empty), :ps), "
                "remaining = remaining + :one, claimed = claimed - :one REMOVE #t",
                ConditionExpression="#t = :p",
                ExpressionAttributeNames={"#t": mark},
                ExpressionAttributeValues=values(empty=[], ps=[position], p=position, one=1),
                mine=lambda old: old is not None and mark not in old,  # only this claim removes its mark
            )

    @staticmethod
    def release(coupon_id: str, shard: int, position: int, claim_id: str) -> dict[str, Any]:
        """The claim transaction's part that removes the mark (condition: still this claim's position)."""
        return {
            "Update": {
                "Key": to_item(keys.shard(coupon_id, shard)),
                "UpdateExpression": "REMOVE #t",
                "ConditionExpression": "#t = :p",
                "ExpressionAttributeNames": {"#t": taker(claim_id)},
                "ExpressionAttributeValues": values(p=position),
            }
        }

    # --- codes ----------------------------------------------------------------------------------

    def position_code(self, coupon: CouponItem, shard: int, position: int) -> str | None:
        """The code at a position: computed for a seeded generated pool, else read from its chunk (cached
        per execution environment); None if no code is written there yet."""
        seed = pool.seed_for(coupon.pool_seed, coupon.mode)
        if seed is not None:
            return pool.keyed_code(seed, shard, position)
        coupon_id = coupon.coupon_id
        number, offset = pool.chunk_of(position)
        cache_key = (coupon_id, shard, number)
        codes = chunks.get(cache_key)
        if codes is None or offset >= len(codes):  # a chunk an import is still filling: read it again
            chunk = self.table.get(keys.pool_chunk(coupon_id, shard, number))
            codes = list((chunk or {}).get("codes") or [])
            chunks.keep(cache_key, codes)
        return codes[offset] if offset < len(codes) else None

    def codes_written(self, coupon_id: str, shard: int, start: int, stop: int) -> list[str]:
        """The codes written at positions start..stop-1 (start on a chunk boundary), as far as they go."""
        written: list[str] = []
        while start + len(written) < stop:
            chunk = self.table.get(keys.pool_chunk(coupon_id, shard, (start + len(written)) // pool.CHUNK))
            codes = list((chunk or {}).get("codes") or [])
            written.extend(codes)
            if len(codes) < pool.CHUNK:
                break
        return written[: stop - start]

    def tail(self, coupon_id: str, shard: int) -> tuple[int, list[str]]:
        """A pool's size and the codes of its last, partly filled chunk (what an append continues)."""
        item = self.table.get(keys.shard(coupon_id, shard)) or {}
        size = int(item.get("pool_size", 0))
        start = size - size % pool.CHUNK
        return size, self.codes_written(coupon_id, shard, start, size) if size % pool.CHUNK else []

    def appended_chunks(
        self, coupon: Mapping[str, Any], shard: int, size: int, count: int
    ) -> list[dict[str, Any]]:
        """The chunk items after growing a generated pool of `size` codes by `count` positions. A code once
        written at a position never changes (claims cache chunks): codes still written there, left by an
        earlier reduction and never handed out, are kept; only positions without a code get new ones."""
        start = size - size % pool.CHUNK
        seed = pool.seed_of(coupon)
        if seed is not None:  # the same position always has the same code: nothing to read
            return pool.chunk_items(
                coupon["coupon_id"], shard, pool.keyed_codes(seed, shard, start, size + count), start
            )
        codes = self.codes_written(coupon["coupon_id"], shard, start, size + count)
        codes += new_system_codes(size + count - start - len(codes))
        return pool.chunk_items(coupon["coupon_id"], shard, codes, start)

    def write_chunks(self, items: list[dict[str, Any]]) -> None:
        self.table.batch_write(items)


def append_operations(
    coupon_id: str, shard: int, size: int, tail: list[str], codes: list[str]
) -> list[dict[str, Any]]:
    """The transaction parts that put `codes` after a pool's `size` codes (`tail`: those of its last,
    partly filled chunk), guarded by that size: another writer that grew the pool makes them fail."""
    first = size - len(tail)
    chunk_puts = [
        {"Put": {"Item": to_item(item)}} for item in pool.chunk_items(coupon_id, shard, tail + codes, first)
    ]
    grow = {
        "Update": {
            "Key": to_item(keys.shard(coupon_id, shard)),
            "UpdateExpression": "SET pool_size = pool_size + :n, remaining = remaining + :n, "
            "units = units + :n",
            "ConditionExpression": "pool_size = :size",
            "ExpressionAttributeValues": values(n=len(codes), size=size),
        }
    }
    return [grow, *chunk_puts]
