"""A code scanned or typed at the till: found within the staff member's budget of unknown codes, then
redeemed; to anyone but the staff member who redeemed it, a used code is unknown."""

from __future__ import annotations

import itertools
from dataclasses import replace

from coupon_service.clock import Clock
from coupon_service.codes import has_system_shape, is_valid_imported_code, normalise_system_code
from coupon_service.errors import DomainError, Invalid, NotFound
from coupon_service.identity import PLATFORM, Caller
from coupon_service.items import ClaimItem
from coupon_service.models.redemptions import RedemptionOut, StaffRedemption
from coupon_service.redemptions.placement import STATE_REFUSALS
from coupon_service.redemptions.writing import Redeeming, redeem, unknown_code
from coupon_service.store.lookups import UnknownCodes
from coupon_service.store.redemptions import RedemptionStore
from coupon_service.validity import to_iso


def typed_code(text: str) -> str:
    """The code as the till sent it, a system code in canonical form; a mistyped one before any lookup."""
    code = normalise_system_code(text)
    if code is None and has_system_shape(text):
        raise Invalid(
            "this code was mistyped: its check symbol does not match", code="mistyped_code", field="code"
        )
    return code or text.strip()


def find_code(store: RedemptionStore, code: str, merchant_id: str) -> ClaimItem:
    """The claimed coupon behind a code this merchant's staff may redeem; any other code is unknown."""
    # Imported codes of a coupon that ignores case are stored in upper case.
    spellings = dict.fromkeys((code, code.upper())) if not normalise_system_code(code) else {code: None}
    if is_valid_imported_code(code) or normalise_system_code(code):
        for issuer, spelled in itertools.product(dict.fromkeys((merchant_id, PLATFORM)), spellings):
            for item in store.claims_with_code(issuer, spelled):
                if issuer == merchant_id or merchant_id in (item.merchants or []):
                    return item
    raise unknown_code()


def _redeemed_by(store: RedemptionStore, claim: ClaimItem, caller: Caller) -> bool:
    if claim.redemption_id is None:
        return False
    redemption = store.redemption(claim.redemption_id)
    return redemption is not None and redemption.redeemed_by == caller.user_id


def known_claim(store: RedemptionStore, caller: Caller, code: str, merchant_id: str) -> ClaimItem:
    """The claimed coupon behind the code, as this till may learn of it."""
    claim = find_code(store, code, merchant_id)
    if claim.state == "used" and not _redeemed_by(store, claim, caller):
        # Only whoever redeemed it learns it was used: to anyone else a used code is unknown.
        raise unknown_code()
    return claim


def _look_up(
    store: RedemptionStore, budget: UnknownCodes, caller: Caller, *, code: str, merchant_id: str, now: str
) -> ClaimItem:
    """The claimed coupon behind the code, the lookup counted before it is made."""
    budget.spend_lookup(now)  # given back by the redemption if the code is known
    try:
        return known_claim(store, caller, code, merchant_id)
    except NotFound:
        budget.unknown(now)
        raise


def _till_store(caller: Caller, body: StaffRedemption) -> tuple[str | None, bool]:
    """Where the till is, and whether that is known: a staff account's own store (a body naming another is
    refused), the merchant's word for its own stores; a staff account without a store sends free text,
    recorded as before but trusted by no coupon that lists stores."""
    if caller.store_id:
        if body.store_id is not None and body.store_id != caller.store_id:
            raise Invalid(
                f"this staff account works at store {caller.store_id}", code="other_store", field="store_id"
            )
        return caller.store_id, True
    return body.store_id, "merchants" in caller.groups


def staff_asks(caller: Caller, merchant_id: str, body: StaffRedemption) -> Redeeming:
    """What a till asks, before any lookup: an order at this merchant, from this store."""
    if body.order is not None and body.order.merchant_id != merchant_id:
        raise Invalid("an order at another merchant", field="order.merchant_id")
    store_id, trusted = _till_store(caller, body)
    return Redeeming(
        method="staff",
        by=caller.user_id,
        at_merchant=merchant_id,
        store_id=store_id,
        store_trusted=trusted,
        order_id=body.order_id,
        order=body.order,
    )


def by_staff(
    store: RedemptionStore, caller: Caller, merchant_id: str, body: StaffRedemption, *, clock: Clock
) -> RedemptionOut:
    asked = staff_asks(caller, merchant_id, body)
    code = typed_code(body.code)
    now = to_iso(clock.now())
    budget = UnknownCodes(store.table, caller.user_id, merchant_id, clock=clock)
    claim = _look_up(store, budget, caller, code=code, merchant_id=merchant_id, now=now)
    if claim.state == "used":  # this till's own: a retry gets its redemption back, else "used"
        budget.release()
        return redeem(store, claim, asked, now=now)
    try:
        return redeem(store, claim, replace(asked, give_back=(budget.reservation(),)), now=now)
    except NotFound:  # the code moved on while it was redeemed (a gift accepted, a reversal)
        budget.unknown(now)
        raise
    except DomainError as refused:
        if refused.code in STATE_REFUSALS:
            # A code that exists but cannot be used now (not started, in a gift, expired, not at this
            # store or hour) tells a guesser it exists: it costs the lookup, as an unknown code does.
            budget.unknown(now)
        else:  # a known code refused for the order: no guess
            budget.release()
        raise
