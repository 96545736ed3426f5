"""What every claim's shard condition checks, beside its Python twin that names the refusal."""

from __future__ import annotations

from typing import Any

from coupon_service.errors import ClaimsClosed
from coupon_service.items import ShardItem

# The shard takes claims: active and inside the claim window copied from the coupon.
OPEN = "#s = :active AND claim_start <= :now AND claim_end > :now"


def open_values(now: str, expected: str = "active") -> dict[str, Any]:
    """`expected`: the status claims take from, `draft` for a test release's (coupon_service.access)."""
    return {"active": expected, "now": now}


def is_open(shard: ShardItem, now: str, expected: str = "active") -> bool:
    return shard.status == expected and shard.claim_start <= now < shard.claim_end


def check_open(status: str, start: str, end: str, now: str, expected: str = "active") -> None:
    """The shard condition's refusals as errors a customer can read (nothing when it is open)."""
    if status == "deleted":
        raise ClaimsClosed("this coupon was withdrawn", code="coupon_deleted")
    if status != expected:
        raise ClaimsClosed("this coupon is paused", code="coupon_paused")
    if now < start:
        raise ClaimsClosed("claiming has not started", code="claim_not_started", details={"starts_at": start})
    if now >= end:
        raise ClaimsClosed("claiming has ended", code="claim_ended", details={"ended_at": end})


def refuse_closed(shard: ShardItem | None, now: str, expected: str = "active") -> None:
    """A refused shard is empty unless it no longer takes claims: then that refusal."""
    if shard is not None and not is_open(shard, now, expected):
        check_open(shard.status, shard.claim_start, shard.claim_end, now, expected)


def shard_as_read(item: dict[str, Any] | None) -> ShardItem | None:
    """A shard as a read or a refusal returned it (None: there is none)."""
    return ShardItem.model_validate(item) if item else None
