"""The code pool of a `generated` or `imported` coupon, as pure rules: a shard's codes by position.

Each shard of a pooled coupon hands out positions 0, 1, 2, ... (its counter, `next_position`); the code
at a position is stored in chunks of `keys.CHUNK` codes (`POOL#{couponId}#{nn}` / `{chunk:07d}`), so
a claim that took position `p` finds its code at chunk `p // CHUNK`, index `p % CHUNK`, never by
searching. A code once written at a position never changes.

A `generated` pool created with a seed (`pool_seed`, on the coupon item, made at creation) has as its
code at a position a keyed function of the seed, the shard and the position: the chunks hold exactly
those codes (the pool's record, what an inventory edit keeps), and a claim computes its code instead of
reading a chunk. Pools made before seeds existed, and imported pools, are read from their chunks.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from coupon_service import keys
from coupon_service.codes import ALPHABET, RANDOM_SYMBOLS, check_symbol

CHUNK = keys.CHUNK
_SPACE = len(ALPHABET) ** RANDOM_SYMBOLS  # 31^13: 64.4 bits, as a random system code
_PURPOSE = b"pool-code"


def new_seed() -> str:
    """A generated pool's seed: 128 random bits. It names every code of the pool, as the chunks do, and
    is kept as they are: in the table only, never in an answer, event or log."""
    return secrets.token_hex(16)


def keyed_code(seed: str, shard: int, position: int) -> str:
    """The system code at a position of a seeded pool: 13 symbols from HMAC-SHA256(seed, shard,
    position) and a check symbol. As unguessable as a random code without the seed, and as unlikely to
    meet another code; the same position always gives the same code."""
    message = b"\x00".join((_PURPOSE, str(shard).encode(), str(position).encode()))
    number = int.from_bytes(hmac.new(bytes.fromhex(seed), message, hashlib.sha256).digest(), "big") % _SPACE
    symbols = []
    for _ in range(RANDOM_SYMBOLS):
        number, digit = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[digit])
    body = "".join(symbols)
    return body + check_symbol(body)


def keyed_codes(seed: str, shard: int, start: int, stop: int) -> list[str]:
    return [keyed_code(seed, shard, p) for p in range(start, stop)]


def seed_of(coupon: Mapping[str, Any]) -> str | None:
    """A generated pool's seed, or None (imported, or generated before seeds: read from chunks)."""
    return seed_for(coupon.get("pool_seed"), coupon["codes"]["mode"])


def seed_for(pool_seed: str | None, mode: str) -> str | None:
    """The seed of a pool whose codes are made in `mode`, as its coupon stores it."""
    return str(pool_seed) if pool_seed and mode == "generated" else None


def chunk_of(position: int) -> tuple[int, int]:
    """(chunk number, index in the chunk) of a position."""
    return divmod(position, CHUNK)


def chunk_items(coupon_id: str, shard: int, codes: list[str], start: int = 0) -> list[dict[str, Any]]:
    """The chunk items holding `codes` at positions start.. of a shard (start on a chunk boundary)."""
    if start % CHUNK:
        raise ValueError(f"pool chunks start on a multiple of {CHUNK}, not {start}")
    return [
        {
            **keys.pool_chunk(coupon_id, shard, (start + offset) // CHUNK),
            "type": "pool",
            "codes": codes[offset : offset + CHUNK],
        }
        for offset in range(0, len(codes), CHUNK)
    ]


def generated_chunks(coupon_id: str, seed: str, sizes: list[int]) -> list[dict[str, Any]]:
    """The chunk items of a new generated pool with `sizes[i]` codes on shard i."""
    return [
        item
        for shard, size in enumerate(sizes)
        for item in chunk_items(coupon_id, shard, keyed_codes(seed, shard, 0, size))
    ]
