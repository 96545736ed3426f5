"""A coupon's records in the table: its claims (GSI4, by claim time, one partition per inventory shard) and
its redemptions (GSI2, by redemption time), newest first over a time range, filtered by the store.

Each partition is one lane read backwards from the range's end; the lanes' answers are merged by sort key
(`{at}#{id}`: one total order over claims and redemptions). A page ends at the oldest key every lane has
read past, so nothing is skipped; its cursor is that key, signed for the merchant, coupon and filters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from coupon_service import keys
from coupon_service.items import ClaimItem, RedemptionItem
from coupon_service.lifecycle import WALLET_STATUSES, Condition, WalletStatus, wallet_view
from coupon_service.store.table import Table, decode_token, encode_token, values

Record = ClaimItem | RedemptionItem
Kind = Literal["claim", "redemption"]
RedemptionState = Literal["redeemed", "reversed"]
RecordState = WalletStatus | RedemptionState
REDEMPTION_STATES: tuple[RedemptionState, ...] = ("redeemed", "reversed")
EARLIEST, LATEST = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"  # every instant the service stores
ROUNDS = 4  # reads of every lane one page may make while filters leave it short
FILTERED_READ = 10  # with filters, each lane reads this many items per item a page still lacks (at most 1000)
_CURSOR = "records"  # the cursor's partition check: its coupon


@dataclass(frozen=True)
class RecordFilter:
    """Exact matches on a coupon's records; None: any. `phone_hash` is the keyed hash of the E.164 number
    (`claims.PHONE`); `store_id` and the redemption states select redemptions only, the claim states claims
    only (a claim is made online, at no store)."""

    nickname: str | None = None
    name: str | None = None
    phone_hash: str | None = None
    channel: str | None = None
    store_id: str | None = None
    state: RecordState | None = None
    kind: Kind | None = None

    def kinds(self) -> tuple[Kind, ...]:
        wanted: list[Kind] = []
        if self.kind != "redemption" and self.store_id is None and self.state not in REDEMPTION_STATES:
            wanted.append("claim")
        if self.kind != "claim" and self.state not in WALLET_STATUSES:
            wanted.append("redemption")
        return tuple(wanted)

    def narrows(self) -> bool:
        return any(v is not None for k, v in asdict(self).items() if k != "kind")

    def digest(self) -> str:
        """What a cursor is signed for besides its coupon: these filters (the phone only as its hash)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:32]

    def condition(self, kind: Kind, now: str) -> Condition | None:
        parts = [
            Condition(f"{attribute} = :{attribute}", {}, {f":{attribute}": value})
            for attribute, value in (
                ("nickname", self.nickname),
                ("phone_hash", self.phone_hash),
                ("channel", self.channel),
            )
            if value is not None
        ]
        if self.name is not None:
            parts.append(Condition("#name = :name", {"#name": "name"}, {":name": self.name}))
        if kind == "redemption" and self.store_id is not None:
            parts.append(Condition("store_id = :store", {}, {":store": self.store_id}))
        if self.state == "redeemed":
            parts.append(Condition("attribute_not_exists(reversed_at)"))
        elif self.state == "reversed":
            parts.append(Condition("attribute_exists(reversed_at)"))
        elif self.state is not None:
            parts.append(wallet_view(self.state, now).filter)
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined


@dataclass(frozen=True)
class _Lane:
    kind: Kind
    index: str
    partition: str

    @property
    def pk(self) -> str:
        return f"{self.index}PK"

    @property
    def sk(self) -> str:
        return f"{self.index}SK"


def _lanes(coupon_id: str, shard_count: int, kinds: tuple[Kind, ...]) -> list[_Lane]:
    lanes = []
    if "claim" in kinds:
        lanes += [_Lane("claim", "GSI4", keys.claim_records(coupon_id, i)) for i in range(shard_count)]
    if "redemption" in kinds:
        lanes.append(_Lane("redemption", "GSI2", keys.coupon_redemptions(coupon_id)))
    return lanes


def _typed(kind: Kind, item: dict[str, Any]) -> Record:
    return ClaimItem.model_validate(item) if kind == "claim" else RedemptionItem.model_validate(item)


def listing(merchant_id: str, coupon_id: str, filters: RecordFilter) -> str:
    """What a records cursor is signed for: one merchant's coupon and filters, and nothing else."""
    return f"records:{merchant_id}:{coupon_id}:{filters.digest()}"


def encode_cursor(
    after: str | None, *, merchant_id: str, coupon_id: str, filters: RecordFilter
) -> str | None:
    if after is None:
        return None
    key = {_CURSOR: {"S": keys.coupon(coupon_id)["PK"]}, "after": {"S": after}}
    return encode_token(key, listing=listing(merchant_id, coupon_id, filters))


def decode_cursor(
    token: str | None, *, merchant_id: str, coupon_id: str, filters: RecordFilter
) -> str | None:
    """The sort key a page token continues after; a token of another listing is a 422 naming `next_token`."""
    partition = (_CURSOR, keys.coupon(coupon_id)["PK"])
    key = decode_token(token, partition=partition, listing=listing(merchant_id, coupon_id, filters))
    return None if key is None else str(key["after"]["S"])


class RecordStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def coupon_records_page(
        self,
        coupon_id: str,
        shard_count: int,
        *,
        start: str,
        end: str,
        filters: RecordFilter,
        now: str,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[Record], str | None]:
        """Up to `limit` of the coupon's claims and redemptions made in [start, end) that match `filters`,
        newest first, continuing after the sort key `after`; with the sort key the next page continues after
        (None: no more). Selective filters may leave a page short, even empty, with more to come."""
        lanes = _lanes(coupon_id, shard_count, filters.kinds())
        found: list[Record] = []
        for _ in range(ROUNDS):
            got, after = self._round(
                lanes, start=start, end=end, after=after, filters=filters, now=now, wanted=limit - len(found)
            )
            found += got
            if after is None or len(found) >= limit:
                break
        return found, after

    def _round(
        self,
        lanes: list[_Lane],
        *,
        start: str,
        end: str,
        after: str | None,
        filters: RecordFilter,
        now: str,
        wanted: int,
    ) -> tuple[list[Record], str | None]:
        high = end if after is None else min(end, after)
        if start > high:
            return [], None
        # One more than wanted after a cursor: its own item comes first, and each lane must read past it.
        read = (min(wanted * FILTERED_READ, 1000) if filters.narrows() else wanted) + (after is not None)
        found: list[tuple[str, Record]] = []
        frontier: str | None = None  # the newest key some lane has not read past
        for lane in lanes:
            items, last = self._read(lane, start, high, filters.condition(lane.kind, now), read)
            found += [(i[lane.sk], _typed(lane.kind, i)) for i in items if i[lane.sk] != after]
            if last is not None:
                frontier = last if frontier is None else max(frontier, last)
        found.sort(key=lambda pair: pair[0], reverse=True)
        complete = [pair for pair in found if frontier is None or pair[0] >= frontier]
        page = complete[:wanted]
        if len(complete) > wanted:
            return [r for _, r in page], page[-1][0]
        return [r for _, r in page], frontier

    def _read(
        self, lane: _Lane, start: str, high: str, condition: Condition | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        named: dict[str, Any] = {"p": lane.partition, "lo": start, "hi": high}
        request: dict[str, Any] = {}
        if condition is not None:
            named.update({k.removeprefix(":"): v for k, v in condition.values.items()})
            request["FilterExpression"] = condition.expression
            if condition.names:
                request["ExpressionAttributeNames"] = dict(condition.names)
        items, last = self.table.query(
            index=lane.index,
            key_condition=f"{lane.pk} = :p AND {lane.sk} BETWEEN :lo AND :hi",
            forward=False,
            limit=limit,
            ExpressionAttributeValues=values(**named),
            **request,
        )
        return items, None if last is None else str(last[lane.sk]["S"])


def coupon_records(
    coupon_id: str,
    shard_count: int,
    *,
    now: str,
    start: str = EARLIEST,
    end: str = LATEST,
    filters: RecordFilter | None = None,
    page_size: int = 500,
    table: Table | None = None,
) -> Iterator[Record]:
    """Every claim and redemption of a coupon in [start, end) matching `filters`, newest first, page by
    page (constant memory: one page at a time), as typed items (`ClaimItem`, `RedemptionItem`). The caller
    has checked the coupon is the merchant's; `shard_count` is the coupon's (`CouponItem.shard_count`)."""
    store = RecordStore(table or Table())
    after: str | None = None
    while True:
        page, after = store.coupon_records_page(
            coupon_id,
            shard_count,
            start=start,
            end=end,
            filters=filters or RecordFilter(),
            now=now,
            limit=page_size,
            after=after,
        )
        yield from page
        if after is None:
            return
