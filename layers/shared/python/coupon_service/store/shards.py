"""What every claim's shard condition checks, beside its Python twin that names the refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coupon_service.errors import ClaimsClosed

# The shard takes claims: active and inside the claim window copied from the coupon.
OPEN = "#s = :active AND claim_start <= :now AND claim_end > :now"


def open_values(now: str) -> dict[str, Any]:
    return {"active": "active", "now": now}


def is_open(shard: Mapping[str, Any], now: str) -> bool:
    return shard.get("status") == "active" and shard["claim_start"] <= now < shard["claim_end"]


def check_open(status: str, start: str, end: str, now: str) -> None:
    """The shard condition's refusals as errors a customer can read (nothing when it is open)."""
    if status == "deleted":
        raise ClaimsClosed("this coupon was withdrawn", code="coupon_deleted")
    if status != "active":
        raise ClaimsClosed("this coupon is paused", code="coupon_paused")
    if now < start:
        raise ClaimsClosed("claiming has not started", code="claim_not_started", details={"starts_at": start})
    if now >= end:
        raise ClaimsClosed("claiming has ended", code="claim_ended", details={"ended_at": end})


def refuse_closed(shard: Mapping[str, Any] | None, now: str) -> None:
    """A refused shard is empty unless it no longer takes claims: then that refusal."""
    if shard and not is_open(shard, now):
        check_open(str(shard.get("status", "")), shard["claim_start"], shard["claim_end"], now)
