"""An export's rows, page by page from a cursor: what each kind's CSV holds and where its rows come from.

A page is a list of rows and the cursor the next page starts from; a run that stops after any page resumes
from that page's cursor and reads exactly the rows that follow, so a file made in several runs is the file
one run makes. Pages are read from the store as the file is written: nothing holds more than a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from coupon_service import keys, pool
from coupon_service.items import CouponItem, RedemptionItem, ShardItem
from coupon_service.merchant_items import ExportJobItem, ExportKind
from coupon_service.models.records import RecordOut
from coupon_service.privacy import mask_code
from coupon_service.spreadsheet import Cell
from coupon_service.store.exports import ExportStore
from coupon_service.store.records import EARLIEST, LATEST, Record, RecordFilter, RecordStore
from coupon_service.validity import to_iso

Cursor = dict[str, Any]
Page = tuple[list[list[Cell]], Cursor]

REDEMPTIONS_PER_PAGE = 500
# Records are merged from one partition per inventory shard and the redemptions', each read a page's worth:
# a coupon of 50 shards holds 51 x 100 items at once.
RECORDS_PER_PAGE = 100
CHUNKS_PER_PAGE = 100  # 10,000 codes: one BatchGetItem of chunks (or none for a seeded generated pool)

HEADERS: dict[ExportKind, list[str]] = {
    "codes": ["code", "state", "shard", "position"],
    "redemptions": [
        "redeemed_at",
        "redemption_id",
        "claim_id",
        "order_id",
        "order_amount",
        "discount",
        "currency",
        "store_id",
        "method",
        "redeemed_by",
        "reversed_at",
    ],
    "records": [
        "kind",
        "at",
        "state",
        "claim_id",
        "redemption_id",
        "customer_id",
        "nickname",
        "name",
        "phone_masked",
        "channel",
        "valid_from",
        "valid_until",
        "store_id",
        "order_id",
        "order_amount",
        "discount",
        "currency",
        "method",
        "reversed_at",
    ],
}

# A pool position's state, one byte each while a shard is read (a shard of 200,000 codes: 200 KB).
FREE, HELD, USED, VOID = range(4)
STATE_NAMES = ("free", "held", "used", "void")
_CLAIM_STATES = {"used": USED, "void": VOID}


# --- codes: the pool's state ------------------------------------------------------------------------


def position_states(store: ExportStore, coupon_id: str, shard: int, size: int) -> bytearray:
    """Each position of a shard's pool: free unless a claim holds it (used, void or held as its claim)."""
    states = bytearray(size)
    for position, state in store.claimed_positions(coupon_id, shard):
        if position < size:
            states[position] = _CLAIM_STATES.get(state, HELD)
    return states


def code_pages(
    store: ExportStore,
    coupon: CouponItem,
    shards: list[ShardItem],
    cursor: Cursor | None,
    chunks_per_page: int = CHUNKS_PER_PAGE,
) -> Iterator[Page]:
    """The pool's codes shard by shard, in position order, each with its state; the cursor names the shard
    and the chunk the next page starts at."""
    first_shard = int(cursor["shard"]) if cursor else 0
    first_chunk = int(cursor["chunk"]) if cursor else 0
    seed = pool.seed_for(coupon.pool_seed, coupon.mode)
    for shard in shards:
        if shard.shard < first_shard:
            continue
        chunk = first_chunk if shard.shard == first_shard else 0
        size = int(shard.pool_size or 0)
        if chunk * keys.CHUNK >= size:
            continue
        states = position_states(store, coupon.coupon_id, shard.shard, size)
        while chunk * keys.CHUNK < size:
            start = chunk * keys.CHUNK
            stop = min(size, start + chunks_per_page * keys.CHUNK)
            count = -(-(stop - start) // keys.CHUNK)
            if seed is not None:  # the same position always has the same code: nothing to read
                codes = pool.keyed_codes(seed, shard.shard, start, stop)
            else:
                read = store.pool_chunks(coupon.coupon_id, shard.shard, chunk, count)
                codes = [code for chunk_codes in read for code in chunk_codes][: stop - start]
            # A held code is a customer's to redeem: shown only by its end (the state is what reconciles).
            rows: list[list[Cell]] = [
                [mask_code(code) if states[start + i] == HELD else code, STATE_NAMES[states[start + i]],
                 shard.shard, start + i]
                for i, code in enumerate(codes)
            ]  # fmt: skip
            chunk += count
            yield rows, {"shard": shard.shard, "chunk": chunk}


# --- redemptions, with their orders -------------------------------------------------------------------


def redemption_row(item: RedemptionItem) -> list[Cell]:
    return [
        item.redeemed_at,
        item.redemption_id,
        item.claim_id,
        item.order_id,
        item.order_amount,
        item.discount,
        item.currency,
        item.store_id,
        item.method,
        item.redeemed_by,
        item.reversed_at,
    ]


def redemption_pages(
    store: ExportStore, job: ExportJobItem, cursor: Cursor | None, per_page: int = REDEMPTIONS_PER_PAGE
) -> Iterator[Page]:
    """The coupon's redemptions in the job's time range, oldest first."""
    if cursor and cursor.get("end"):
        return
    start = cursor.get("after") if cursor else None
    while True:
        items, last = store.redemptions_page(job.coupon_id, start, per_page, job.from_at, job.to_at)
        yield [redemption_row(item) for item in items], ({"after": last} if last else {"end": True})
        if not last:
            return
        start = last


# --- records: claims and redemptions, as the records search reads them ---------------------------------


def record_row(record: Record, now: str) -> list[Cell]:
    """A claim or a redemption as the records search answers it (`RecordOut`): a phone only masked."""
    shown = RecordOut.from_item(record, now)
    row: list[Cell] = []
    for column in HEADERS["records"]:
        value = getattr(shown, column)
        row.append(to_iso(value) if isinstance(value, datetime) else value)
    return row


def record_pages(
    records: RecordStore, job: ExportJobItem, shard_count: int, cursor: Cursor | None, per_page: int
) -> Iterator[Page]:
    """The coupon's claims and redemptions in the job's range (its whole life when none), newest first,
    each claim's state as at the request; the cursor is the sort key the next page continues after."""
    if cursor and cursor.get("end"):
        return
    after = cursor.get("after") if cursor else None
    while True:
        page, after = records.coupon_records_page(
            job.coupon_id,
            shard_count,
            start=job.from_at or EARLIEST,
            end=job.to_at or LATEST,
            filters=RecordFilter(),
            now=job.created_at,
            limit=per_page,
            after=after,
        )
        yield (
            [record_row(record, job.created_at) for record in page],
            ({"after": after} if after else {"end": True}),
        )
        if after is None:
            return
