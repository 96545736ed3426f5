"""Where and when a claimed coupon may be used: at the stores it lists, inside its time frames. Pure rules on
the claimed coupon as claimed (its store list and frames are copied into it), so checking them reads
nothing; `writing.decide` applies them to every redemption and every check."""

from __future__ import annotations

from coupon_service.errors import Conflict, Invalid
from coupon_service.items import ClaimItem
from coupon_service.lifecycle import REFUSAL_CODES
from coupon_service.time_frames import outside

# Refusals that tell a till the code exists without anything wrong with the order: a staff lookup that
# ends in one of them stays counted against the unknown-code budget, as an unknown code's does.
STATE_REFUSALS = REFUSAL_CODES["redeem"] | {"not_valid_at_store", "outside_time_frame"}


def allowed_stores(claim: ClaimItem, at_merchant: str | None) -> list[str] | None:
    """The stores it may be used at, where the redemption is (None: every store). At an unknown merchant
    (self-service on a platform coupon without the order), every store any of its merchants allows."""
    stores: dict[str, list[str]] | None = claim.stores
    if not stores:
        return None
    merchant = at_merchant or (claim.merchant_id if not claim.merchants else None)
    if merchant is not None:
        return stores.get(merchant)
    if any(m not in stores for m in claim.merchants or []):
        return None
    return sorted({s for ids in stores.values() for s in ids})


def refuse_store(claim: ClaimItem, *, at_merchant: str | None, store_id: str | None, trusted: bool) -> None:
    """A coupon listing stores is used only at one of them, named by a source the service trusts: the
    staff account's store, the merchant owner's word, or the customer naming the store they are in."""
    allowed = allowed_stores(claim, at_merchant)
    if allowed is None:
        return
    if not trusted:
        raise Invalid(
            "this staff account names no store, and this coupon is valid at the stores listed only",
            code="not_valid_at_store",
            field="store_id",
            details={"store_id": None, "stores": allowed},
        )
    if store_id is None:
        raise Invalid(
            "this coupon is valid at some stores only: name the store",
            code="store_required",
            field="store_id",
        )
    if store_id not in allowed:
        raise Invalid(
            "this coupon is not valid at this store: it is valid at the stores listed",
            code="not_valid_at_store",
            field="store_id",
            details={"store_id": store_id, "stores": allowed},
        )


def refuse_time(claim: ClaimItem, now: str) -> None:
    """Outside every time frame: refused, with the next opening while the coupon is still valid."""
    details = outside(claim, now)
    if details is None:
        return
    opening = details["next_opening"]
    raise Conflict(
        "this coupon is not usable at this time" + (f"; it opens next at {opening}" if opening else ""),
        code="outside_time_frame",
        details=details,
    )
