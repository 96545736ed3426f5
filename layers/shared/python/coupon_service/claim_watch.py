"""Where claims come from, as a heuristic against one person with many accounts: the device the app names
(`X-Device-Id`) and the caller's IP, each kept only as a keyed hash (never in clear in the table, an event
or a log). Pure rules; the counters ride in the claim's own transaction (`store.claim_watch`).

- A coupon with `options.per_device_limit` takes at most that many claims from one device: a claim to it
  must name its device (422 otherwise: an app that leaves the header out would pass any limit).
- More than `ACCOUNTS_PER_DEVICE` accounts claiming a merchant's coupons from one device, or more than
  `ACCOUNTS_PER_IP` from one IP, in one fixed window raises `ClaimAbuseSuspected` once per window.

A device id is whatever the app sends and an IP may be a whole office's: neither is an identity, so the
watch raises an event for the merchant to look at and refuses nothing; only the per-device limit the
merchant chose refuses.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any, Literal

from coupon_service.errors import Conflict, Invalid
from coupon_service.items import CouponItem
from coupon_service.privacy import keyed_hash
from coupon_service.secret import hmac_key
from coupon_service.validity import from_iso, to_iso

Kind = Literal["device", "ip"]
ACCOUNTS_PER_DEVICE = 3  # more accounts than this from one device in a window is suspect
ACCOUNTS_PER_IP = 20  # an IP is often shared (a household, an office, a carrier's NAT): more room
WINDOW = timedelta(hours=1)
KEPT = timedelta(days=2)  # a window's item lives this long after it closes (TTL)
DEVICE_PURPOSE = "claim-device"
IP_PURPOSE = "claim-ip"
THRESHOLDS: dict[str, int] = {"device": ACCOUNTS_PER_DEVICE, "ip": ACCOUNTS_PER_IP}


class DeviceLimitReached(Conflict):
    code = "device_limit_reached"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"this coupon was claimed on this device as often as it may be ({limit})",
            details={"per_device_limit": limit},
        )


def window_of(now: str) -> str:
    """The start of the fixed window `now` falls in (whole hours, UTC)."""
    moment = from_iso(now)
    return to_iso(moment.replace(minute=0, second=0, microsecond=0))


def window_end(window: str) -> str:
    return to_iso(from_iso(window) + WINDOW)


def expires_at(window: str) -> int:
    return int((from_iso(window) + WINDOW + KEPT).timestamp())


def marks(coupon: CouponItem, device_id: str | None, source_ip: str | None, now: str) -> dict[str, Any]:
    """What a claim records of where it came from: the keyed hashes, the per-device limit as claimed, the
    watch's window. Nothing (and no secret read) for a claim that names neither."""
    limit = coupon.options.get("per_device_limit")
    if limit and not device_id:
        raise Invalid(
            "this coupon is limited per device: the app sends its device id",
            code="device_required",
            field="X-Device-Id",
        )
    source_ip = source_ip if source_ip and names_a_client(source_ip) else None
    if not (device_id or source_ip):
        return {}
    secret = hmac_key()
    found: dict[str, Any] = {"watch_window": window_of(now)}
    if device_id:
        found["device_hash"] = keyed_hash(secret, DEVICE_PURPOSE, device_id)
    if source_ip:
        found["ip_hash"] = keyed_hash(secret, IP_PURPOSE, source_ip)
    if limit:
        found["per_device_limit"] = int(limit)
    return found


def names_a_client(address: str) -> bool:
    """Whether an address can tell clients apart: a global one. A loopback, private or carrier-shared
    (100.64.0.0/10) address is a proxy's or thousands of phones' at once, so it is not watched."""
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def crossed(kind: str, before: int, after: int) -> bool:
    """Whether a window's count of accounts just went past its kind's threshold (once per window)."""
    threshold = THRESHOLDS.get(kind)
    return threshold is not None and before <= threshold < after
