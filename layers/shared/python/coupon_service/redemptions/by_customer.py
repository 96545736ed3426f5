"""Self-service in the store: the customer redeems their own coupon with the store's verification code
(and staff code), or without one when the merchant chose so. Every compared code is counted first, on the
claimed coupon and on the customer's coupons of the merchant; a coupon under attack slows its guessers."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from coupon_service import keys
from coupon_service.clock import Clock
from coupon_service.errors import DomainError, Forbidden, Invalid, NotFound
from coupon_service.identity import Caller
from coupon_service.items import ClaimItem
from coupon_service.models.redemptions import RedemptionOut, SelfRedemption
from coupon_service.privacy import matches
from coupon_service.redemptions.writing import Redeeming, decide, depends_on_order, redeem, replayed
from coupon_service.secret import hmac_key
from coupon_service.self_service import STAFF_CODE, VERIFICATION, self_service_mode, self_service_of
from coupon_service.store.guards import AttemptGuard, CouponWatch, coupon_and_watch, release_all
from coupon_service.store.redemptions import RedemptionStore
from coupon_service.store.table import Table
from coupon_service.validity import from_iso, to_iso
from coupon_service.wrong_codes import (
    ATTACK_PACE,
    LOCK,
    WRONG_CODES_PER_COUPON,
    WRONG_CODES_PER_CUSTOMER,
)


def _asks_code(claim: ClaimItem, coupon: dict[str, Any] | None, body: SelfRedemption) -> bool:
    """Whether the store's code is asked; refused when the customer may not redeem it themselves, or the
    request lacks what the coupon needs. Allowed as claimed; checked against the coupon's codes as they
    are now (a merchant rotates them)."""
    # As claimed (claims written before the choice existed hold the code's hash).
    claimed = self_service_mode(claim.self_service, (claim.model_extra or {}).get("verification_hash"))
    mode = self_service_of(coupon) if coupon is not None and claimed else None
    if not mode:
        raise Forbidden("store staff redeem this coupon", code="self_service_not_allowed")
    asked = mode == "code"
    if asked and body.verification_code is None:
        raise Invalid("this coupon needs the store's verification code", field="verification_code")
    if asked and coupon is not None and coupon.get("staff_code_hash") and not body.staff_code:
        raise Invalid("this coupon also needs the staff code", field="staff_code")
    if body.order is None and depends_on_order(claim):
        raise Invalid("this coupon's terms depend on the order: send it", field="order")
    return asked


def _codes_match(coupon: dict[str, Any], body: SelfRedemption) -> bool:
    secret = hmac_key()
    verification = matches(secret, VERIFICATION, body.verification_code or "", coupon["verification_hash"])
    staff = not coupon.get("staff_code_hash") or matches(
        secret, STAFF_CODE, body.staff_code or "", coupon["staff_code_hash"]
    )
    return verification & staff  # both compared, always


def _guards(table: Table, claim: ClaimItem, caller: Caller, under_attack: bool) -> list[AttemptGuard]:
    """The claimed coupon's own counter (paced while its coupon is under attack), then the customer's."""
    return [
        AttemptGuard(
            table,
            keys.redeem_guard(claim.claim_id),
            WRONG_CODES_PER_COUPON,
            "this coupon",
            ATTACK_PACE if under_attack else None,
        ),
        AttemptGuard(
            table,
            keys.customer_guard(caller.user_id, claim.merchant_id),
            WRONG_CODES_PER_CUSTOMER,
            "your coupons of this merchant",
        ),
    ]


def _reserve(table: Table, guards: list[AttemptGuard], attempt: str, now: str) -> list[int]:
    """Count the attempt on every guard (the attempts each has counted); none counted when one refuses."""
    counted = [guards[0].reserve(attempt, now)]
    try:
        counted.append(guards[1].reserve(attempt, now))
    except DomainError:
        release_all(table, [guards[0].reservation(attempt)])
        raise
    return counted


def _wrong(guards: list[AttemptGuard], counted: list[int], now: str) -> DomainError:
    """The answer to a wrong code: the tries left, or the lock of the counter it spent."""
    tries_left = min(g.limit - n for g, n in zip(guards, counted, strict=True))
    if tries_left <= 0:
        spent = next(g for g, n in zip(guards, counted, strict=True) if g.limit - n <= 0)
        return spent.locked(to_iso(from_iso(now) + LOCK), now)
    return Invalid(
        "wrong verification code",
        code="wrong_code",
        field="verification_code",
        details={"tries_left": tries_left},
    )


def by_customer(
    store: RedemptionStore, caller: Caller, claim_id: str, body: SelfRedemption, *, clock: Clock
) -> RedemptionOut:
    claim = store.claim(claim_id)
    if not claim or claim.owner_id != caller.user_id:
        raise NotFound("no such coupon in your wallet", field="claimId")
    coupon, watched = coupon_and_watch(store.table, claim.coupon_id)
    asks_code = _asks_code(claim, coupon, body)
    replay = replayed(store, claim, body.order_id)
    if replay:
        return replay
    now = to_iso(clock.now())
    asked = Redeeming(
        method="self_service",
        by=caller.user_id,
        at_merchant=body.order.merchant_id if body.order else None,
        store_id=body.store_id,
        order_id=body.order_id,
        order=body.order,
    )
    # A coupon refused as it is (its state, this store, this hour, this cart) costs no attempt.
    decide(claim, asked, now)
    if not asks_code or coupon is None:  # self-service without a code: nothing to guess, nothing counted
        return redeem(store, claim, replace(asked, verified=False), now=now)
    watch = CouponWatch(store.table, coupon, watched)
    guards = _guards(store.table, claim, caller, watch.under_attack(now))
    attempt = uuid.uuid4().hex
    counted = _reserve(store.table, guards, attempt, now)
    if not _codes_match(coupon, body):
        watch.wrong(attempt, caller.user_id, now)
        raise _wrong(guards, counted, now)
    taken = tuple(g.reservation(attempt) for g in guards)
    try:
        return redeem(store, claim, replace(asked, verified=True, give_back=taken), now=now)
    except DomainError:  # the right code, refused for another reason: it was no guess
        release_all(store.table, taken)
        raise
