"""Self-service redemption rules shared by coupons, claims and redemptions: which mode an item asks,
and the purposes the store's codes are hashed under (keyed hashes only, one purpose each)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coupon_service.privacy import keyed_hash
from coupon_service.secret import hmac_key

VERIFICATION = "store-verification-code"
STAFF_CODE = "store-staff-code"


def self_service_of(item: Mapping[str, Any]) -> str | None:
    """A coupon's or a claimed coupon's self-service: `code`, `none`, or None when staff redeem it.

    Items written before the choice existed only hold the code's hash."""
    mode = item.get("self_service") or ("code" if item.get("verification_hash") else None)
    return str(mode) if mode is not None else None


def store_code_hashes(verification_code: str, staff_code: str | None) -> dict[str, str | None]:
    """The coupon attributes that keep a store's codes: keyed hashes only, one purpose each."""
    secret = hmac_key()
    return {
        "verification_hash": keyed_hash(secret, VERIFICATION, verification_code),
        "staff_code_hash": keyed_hash(secret, STAFF_CODE, staff_code) if staff_code else None,
    }
