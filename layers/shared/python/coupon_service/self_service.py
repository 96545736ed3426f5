"""Self-service redemption rules shared by coupons, claims and redemptions: which mode an item asks,
and the purposes the store's codes are hashed under (keyed hashes only, one purpose each)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from coupon_service.privacy import keyed_hash

VERIFICATION = "store-verification-code"
STAFF_CODE = "store-staff-code"

Mode = Literal["code", "none"]


def self_service_mode(chosen: Mode | None, verification_hash: str | None) -> Mode | None:
    """`code`, `none`, or None when staff redeem it. Items written before the choice existed only hold
    the code's hash."""
    return chosen or ("code" if verification_hash else None)


def self_service_of(item: Mapping[str, Any]) -> Mode | None:
    """A coupon's or a claimed coupon's self-service, from its stored attributes."""
    return self_service_mode(item.get("self_service"), item.get("verification_hash"))


def store_code_hashes(secret: bytes, verification_code: str, staff_code: str | None) -> dict[str, str | None]:
    """The coupon attributes that keep a store's codes: keyed hashes only, one purpose each."""
    return {
        "verification_hash": keyed_hash(secret, VERIFICATION, verification_code),
        "staff_code_hash": keyed_hash(secret, STAFF_CODE, staff_code) if staff_code else None,
    }
