"""Redeeming a claimed coupon exactly once (staff scan or self-service in store), and reversing it.

One transaction flips the claimed coupon to used and records the redemption; the claim's conditions
(state, window, owner, reversal round) make every other concurrent redemption fail. A redemption's id
is derived from (claim, reversal round, order id), so a till's retry for the same order finds its own.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from coupon_service import clock, keys
from coupon_service.codes import has_system_shape, is_valid_imported_code, normalise_system_code
from coupon_service.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    Locked,
    NotFound,
    TooManyRequests,
)
from coupon_service.identity import PLATFORM, Caller
from coupon_service.lifecycle import REFUSAL_CODES, refuse
from coupon_service.lookup_budget import UnknownCodes
from coupon_service.models.common import Name, Strict, Text
from coupon_service.pricing import Allocation, NotApplicable, Order, order_total, price_claim
from coupon_service.privacy import matches
from coupon_service.secret import hmac_key
from coupon_service.self_service import STAFF_CODE, VERIFICATION, self_service_of
from coupon_service.store.reissue import fresh_code, retiring
from coupon_service.store.table import Cancelled, Table, cleanup, to_item, values
from coupon_service.validity import from_iso, to_iso

WRONG_CODES_PER_COUPON = 5  # per claimed coupon
WRONG_CODES_PER_CUSTOMER = 10  # per merchant, across all the customer's coupons of that merchant
LOCK = timedelta(minutes=15)
# Across every customer of one coupon: this many wrong codes in one window put it under attack until the
# end of the next window; meanwhile a claimed coupon with a wrong code waits ATTACK_PACE between tries.
ATTACK_WRONG_CODES = 50
ATTACK_WINDOW = timedelta(minutes=10)
ATTACK_PACE = timedelta(minutes=1)
_NAMESPACE = uuid.UUID("5b0f4c1e-2f0a-4e8e-9a53-6f1d2f7c9a01")

# Codes set before the 6-digit minimum may be shorter: a redemption still takes 4 to 12 digits.
VerificationCode = Field(
    default=None, pattern=r"^[0-9]{4,12}$", description="The store's code, when the coupon asks one"
)


class StaffRedemption(Strict):
    """A staff scan or a code typed at the till."""

    code: Text = Field(min_length=4, max_length=80, description="The code as scanned or typed")
    store_id: Name | None = None
    order_id: Name | None = Field(default=None, description="Makes a till's retry return its redemption")
    order: Order | None = Field(default=None, description="When given, the terms are enforced and priced")


class SelfRedemption(Strict):
    """The customer redeems in the store, with the store's verification code if the coupon asks it."""

    verification_code: str | None = VerificationCode
    staff_code: str | None = Field(default=None, pattern=r"^[0-9]{4,12}$")
    store_id: Name | None = None
    order_id: Name | None = None
    order: Order | None = None


class RedemptionOut(BaseModel):
    redemption_id: str
    claim_id: str
    coupon_id: str
    merchant_id: str = Field(description="The coupon's issuer")
    redeemed_at_merchant: str | None = Field(description="Where it was used")
    method: Literal["staff", "self_service"]
    redeemed_by: str
    verified: bool | None = Field(
        default=None, description="Self-service: whether the store's verification code was checked"
    )
    store_id: str | None = None
    order_id: str | None = None
    order_amount: int | None = None
    currency: str | None = None
    discount: int | None = Field(default=None, description="None when no order was given")
    line_discount: int | None = None
    shipping_discount: int | None = None
    allocations: list[Allocation] = []
    points: int | None = None
    item: str | None = None
    terms_confirmed_by_staff: bool | None = Field(
        default=None, description="Redeemed without the order: staff confirmed the minimum spend or scope"
    )
    redeemed_at: str
    reversed_at: str | None = None
    usable_again: bool | None = Field(default=None, description="After a reversal: usable again or expired")


def redemption_id_for(claim_id: str, round_: int, order_id: str | None) -> str:
    if order_id is None:
        return uuid.uuid4().hex  # without an order id a repeat is a second redemption, and refused
    return uuid.uuid5(_NAMESPACE, f"{claim_id}\n{round_}\n{order_id}").hex


_STATE_CODES = REFUSAL_CODES["redeem"]


def refuse_state(claim: dict[str, Any], now: str) -> None:
    """The claimed coupon's own state, as errors a till and a customer can read."""
    refuse("redeem", claim, now)


def _priced(claim: dict[str, Any], order: Order | None) -> dict[str, Any]:
    if order is None:
        return {}
    result = price_claim(claim, order)
    if isinstance(result, NotApplicable):
        raise Invalid(
            "the order does not meet this coupon's terms",
            code=result.reason,
            field="order",
            details=result.details,
        )
    return {
        "order_amount": order_total(order),
        "discount": result.discount,
        "line_discount": result.line_discount,
        "shipping_discount": result.shipping_discount,
        "allocations": [a.model_dump() for a in result.allocations],
        "points": result.points,
        "item": result.item,
    }


def _depends_on_order(claim: dict[str, Any]) -> bool:
    return bool(claim["terms"].get("min_spend")) or claim["scope"]["type"] != "order"


def _confirmed_by_staff(claim: dict[str, Any], method: str, order: Order | None) -> bool | None:
    """A coupon whose terms depend on the order needs the order, unless its merchant lets staff confirm
    the terms by hand (then recorded on the redemption)."""
    if order is not None or not _depends_on_order(claim):
        return None
    if method == "staff" and claim.get("staff_confirms_terms"):
        return True
    raise Invalid(
        "this coupon has a minimum spend or applies to some items only: send the order",
        code="order_required",
        field="order",
    )


def _order_lock(
    claim: dict[str, Any], at_merchant: str | None, order_id: str | None, redemption_id: str, now: str
) -> dict[str, Any] | None:
    """The item that holds an order's one redemption, when the order and its merchant are known."""
    merchant_id = at_merchant or (claim["merchant_id"] if not claim.get("merchants") else None)
    if order_id is None or merchant_id is None:
        return None
    return {
        **keys.order(merchant_id, order_id),
        "type": "order",
        "merchant_id": merchant_id,
        "order_id": order_id,
        "redemption_id": redemption_id,
        "claim_id": claim["claim_id"],
        "locked_at": now,
    }


def _free_order(redemption: dict[str, Any]) -> dict[str, Any]:
    """Reversing a redemption frees its order (only if the order still names it)."""
    key = keys.order(redemption["order_merchant"], redemption["order_id"])
    return {
        "Delete": {
            "Key": to_item(key),
            "ConditionExpression": "attribute_not_exists(PK) OR redemption_id = :rid",
            "ExpressionAttributeValues": values(rid=redemption["redemption_id"]),
        }
    }


def _lock_order(lock: dict[str, Any]) -> dict[str, Any]:
    # Free, or already this redemption's (a till's retry): anything else names its holder, unread.
    return {
        "Put": {
            "Item": to_item(lock),
            "ConditionExpression": "attribute_not_exists(PK) OR redemption_id = :rid",
            "ExpressionAttributeValues": values(rid=lock["redemption_id"]),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _first_that_holds(
    table: Table,
    key: dict[str, str],
    requests: Iterable[dict[str, Any]],
    settled: Callable[[dict[str, Any]], bool],
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Try conditional updates in turn. The item after the first that holds, or as a refused one found it
    when that is `settled` (nothing more to do); else None. Second: the item as last refused."""
    old: dict[str, Any] = {}
    for request in requests:
        try:
            new = table.update(
                key, **request, ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD"
            )
            return new or {}, old
        except Cancelled as cancelled:
            old = cancelled.old(0) or {}
            if settled(old):
                return old, old
    return None, old


def unknown_code() -> NotFound:
    """The one answer for a code this caller may not learn anything about: never issued, another
    merchant's, retired by a gift or a reversal, or used by someone else."""
    return NotFound("no coupon with this code", code="unknown_code", field="code")


def _typed_code(text: str) -> str:
    """The code as the till sent it, a system code in canonical form; a mistyped one before any lookup."""
    code = normalise_system_code(text)
    if code is None and has_system_shape(text):
        raise Invalid(
            "this code was mistyped: its check symbol does not match", code="mistyped_code", field="code"
        )
    return code or text.strip()


def _place(attempts: dict[str, Any], attempt_id: str) -> int:
    """How many of the attempts still counted were counted up to this one (itself included)."""
    mine = attempts[attempt_id]
    return sum(1 for number in attempts.values() if not isinstance(number, int) or number <= mine)


class _Guard:
    """Counted attempts with a sliding lock: `attempts` maps each attempt's id to its sequence number (`seq`
    counts up), `lock_ends` is 15 minutes after the last attempt. An attempt is reserved (counted) before
    the code is compared, so parallel guesses cannot pass the limit; a right code takes its own id back out
    in the redemption's transaction. The ids make each write recognisable as one's own: a reservation
    retried after its answer was lost finds its id, counts once and reads its own place (the attempts up to
    its number, not the count since grown by others), and a give-back applied twice removes the one id once.

    With `pace` (the coupon is under attack), a claimed coupon that already has a counted attempt waits
    `pace` after its last attempt; one without any is compared at once."""

    def __init__(
        self, table: Table, key: dict[str, str], limit: int, what: str, pace: timedelta | None = None
    ) -> None:
        self.table, self.key, self.limit, self.what, self.pace = table, key, limit, what, pace

    def reserve(self, attempt_id: str, now: str) -> int:
        """Count one attempt; the attempts counted so far, this one included. Refused when none is left."""
        later = to_iso(from_iso(now) + LOCK)
        cleanup = int((from_iso(now) + timedelta(days=1)).timestamp())  # TTL: gone a day after
        fresh = {  # no live counter (none yet, or its last attempt is over 15 minutes old): start again
            "UpdateExpression": "SET attempts = :mine, seq = :one, lock_ends = :later, last_at = :now, "
            "#t = :guard, expires_at = :ttl",
            "ConditionExpression": "attribute_not_exists(attempts) OR lock_ends <= :now",
            "ExpressionAttributeNames": {"#t": "type"},
            "ExpressionAttributeValues": values(
                mine={attempt_id: 1}, one=1, later=later, now=now, guard="guard", ttl=cleanup
            ),
        }
        condition = "lock_ends > :now AND size(attempts) < :limit AND attribute_not_exists(attempts.#id)"
        named = values(now=now, later=later, limit=self.limit, ttl=cleanup, zero=0, one=1)
        if self.pace:
            condition += " AND (size(attempts) = :zero OR last_at <= :paced)"
            named.update(values(paced=to_iso(from_iso(now) - self.pace)))
        counted = {  # a live counter with attempts left
            "UpdateExpression": "SET attempts.#id = if_not_exists(seq, :zero) + :one, "
            "seq = if_not_exists(seq, :zero) + :one, lock_ends = :later, last_at = :now, "
            "expires_at = :ttl",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#id": attempt_id},
            "ExpressionAttributeValues": named,
        }
        # Twice each: a concurrent restart can move the counter.
        done, old = _first_that_holds(
            self.table,
            self.key,
            (fresh, counted, fresh, counted),
            # This attempt's own write, whose answer was lost.
            lambda item: attempt_id in (item.get("attempts") or {}),
        )
        if done is None:
            raise self._refusal(old, now)
        return _place(done["attempts"], attempt_id)

    def _refusal(self, old: dict[str, Any], now: str) -> DomainError:
        attempts = old.get("attempts") or {}
        if self.pace and 0 < len(attempts) < self.limit:
            ready = from_iso(old.get("last_at", now)) + self.pace
            seconds = max(1, math.ceil((ready - from_iso(now)).total_seconds()))
            return TooManyRequests(
                "many wrong codes are being tried on this coupon: wait before trying again",
                code="slowed_down",
                field="verification_code",
                details={"retry_at": to_iso(ready)},
                retry_after=seconds,
            )
        return self.locked(old.get("lock_ends") or to_iso(from_iso(now) + LOCK), now)

    def locked(self, ends: str, now: str) -> Locked:
        seconds = max(1, int((from_iso(ends) - from_iso(now)).total_seconds()))
        return Locked(
            f"too many wrong codes for {self.what}; try again after {ends}",
            code="too_many_attempts",
            field="verification_code",
            details={"tries_left": 0, "locked_until": ends},
            retry_after=seconds,
        )

    def give_back(self, attempt_id: str) -> dict[str, Any]:
        """The transaction operation that takes a right code's attempt out of the count (idempotent)."""
        return {"Update": {"Key": to_item(self.key), **self._without(attempt_id)}}

    def release(self, attempt_id: str) -> None:
        """Take back an attempt whose code was never compared, or was right but refused for another reason."""
        self.table.update(self.key, **self._without(attempt_id))

    @staticmethod
    def _without(attempt_id: str) -> dict[str, Any]:
        # Removing a map entry that is not there changes nothing: a repeated give-back is harmless.
        return {"UpdateExpression": "REMOVE attempts.#id", "ExpressionAttributeNames": {"#id": attempt_id}}


class _CouponWatch:
    """Wrong codes on one coupon from all its customers, per fixed window. When ATTACK_WRONG_CODES of them
    fall in one window, the coupon is under attack until the end of the next window: the guard item records
    it once per window (`attack_window`), and the publisher turns that change into
    `VerificationUnderAttack`. Wrong codes are kept by attempt id (a retried write counts once) with the
    customer who sent them, and only up to the threshold, so an attack cannot grow the item."""

    def __init__(self, table: Table, coupon: dict[str, Any], guard: dict[str, Any] | None) -> None:
        self.table, self.coupon, self.guard = table, coupon, guard or {}
        self.key = keys.coupon_guard(coupon["coupon_id"])

    def under_attack(self, now: str) -> bool:
        return self.guard.get("attack_until", "") > now

    def wrong(self, attempt_id: str, customer_id: str, now: str) -> None:
        """Count a wrong code, and mark the coupon under attack when it is the window's threshold."""
        moment = from_iso(now)
        start = datetime.fromtimestamp(
            moment.timestamp() // ATTACK_WINDOW.total_seconds() * ATTACK_WINDOW.total_seconds(), tz=UTC
        )
        window, window_end = to_iso(start), to_iso(start + ATTACK_WINDOW)
        same = {
            "UpdateExpression": "SET wrong.#id = :customer",
            "ConditionExpression": "#w = :window AND size(wrong) < :limit "
            "AND attribute_not_exists(wrong.#id)",
            "ExpressionAttributeNames": {"#w": "window", "#id": attempt_id},
            "ExpressionAttributeValues": values(
                customer=customer_id, window=window, limit=ATTACK_WRONG_CODES
            ),
        }
        new = {
            "UpdateExpression": "SET #w = :window, window_end = :end, wrong = :mine, coupon_id = :coupon, "
            "merchant_id = :merchant, #t = :type, expires_at = :ttl",
            "ConditionExpression": "attribute_not_exists(#w) OR #w < :window",
            "ExpressionAttributeNames": {"#w": "window", "#t": "type"},
            "ExpressionAttributeValues": values(
                window=window,
                end=window_end,
                mine={attempt_id: customer_id},
                coupon=self.coupon["coupon_id"],
                merchant=self.coupon["merchant_id"],
                type="coupon_guard",
                ttl=int((moment + timedelta(days=1)).timestamp()),
            ),
        }
        counted, _ = _first_that_holds(
            self.table,
            self.key,
            (same, new, same, new),
            # Counted already (an answer lost), or the window is past its threshold.
            lambda item: (
                item.get("window") == window
                and (
                    attempt_id in (item.get("wrong") or {})
                    or len(item.get("wrong") or {}) >= ATTACK_WRONG_CODES
                )
            ),
        )
        if not counted or len(counted.get("wrong") or {}) < ATTACK_WRONG_CODES:
            return
        if counted.get("attack_window") == window:
            return
        # Refused when raised already: by a concurrent wrong code, or by this one whose answer was lost.
        with contextlib.suppress(Cancelled):
            self.table.update(
                self.key,
                UpdateExpression="SET attack_window = :window, attack_at = :now, attack_until = :until",
                ConditionExpression="#w = :window AND size(wrong) >= :limit AND "
                "(attribute_not_exists(attack_window) OR attack_window < :window)",
                ExpressionAttributeNames={"#w": "window"},
                ExpressionAttributeValues=values(
                    window=window,
                    now=now,
                    until=to_iso(start + 2 * ATTACK_WINDOW),
                    limit=ATTACK_WRONG_CODES,
                ),
            )


class Redemptions:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- staff -----------------------------------------------------------------------------------

    def by_staff(self, caller: Caller, merchant_id: str, body: StaffRedemption) -> RedemptionOut:
        if body.order is not None and body.order.merchant_id != merchant_id:
            raise Invalid("an order at another merchant", field="order.merchant_id")
        code = _typed_code(body.code)
        now = to_iso(clock.now())
        budget = UnknownCodes(self.table, caller.user_id, merchant_id)
        budget.reserve(now)  # counted before the lookup, given back below if the code is known
        try:
            claim = self._find_code(code, merchant_id)
            if claim["state"] == "used" and not self._redeemed_by(claim, caller):
                # Only whoever redeemed it learns it was used: to anyone else a used code is unknown.
                raise unknown_code()
        except NotFound:
            budget.unknown(now)
            raise
        redeem = functools.partial(
            self._redeem,
            claim,
            method="staff",
            by=caller.user_id,
            at_merchant=merchant_id,
            store_id=body.store_id,
            order_id=body.order_id,
            order=body.order,
        )
        if claim["state"] == "used":  # this till's own: a retry gets its redemption back, else "used"
            budget.release()
            return redeem()
        try:
            return redeem(also=[budget.give_back()])
        except NotFound:  # the code moved on while it was redeemed (a gift accepted, a reversal)
            budget.unknown(now)
            raise
        except DomainError as refused:
            if refused.code in _STATE_CODES:
                # A code that exists but cannot be used now (not started, in a gift, expired) tells a
                # guesser it exists: it costs the lookup, as an unknown code does.
                budget.unknown(now)
            else:  # a known code refused for the order: no guess
                budget.release()
            raise

    def _redeemed_by(self, claim: dict[str, Any], caller: Caller) -> bool:
        redemption = self.table.get(keys.redemption(claim["redemption_id"]))
        return redemption is not None and redemption["redeemed_by"] == caller.user_id

    def _find_code(self, code: str, merchant_id: str) -> dict[str, Any]:
        """The claimed coupon behind a code this merchant's staff may redeem; any other code is unknown."""
        # Imported codes of a coupon that ignores case are stored in upper case.
        spellings = dict.fromkeys((code, code.upper())) if not normalise_system_code(code) else {code: None}
        if is_valid_imported_code(code) or normalise_system_code(code):
            for issuer, spelled in itertools.product(dict.fromkeys((merchant_id, PLATFORM)), spellings):
                items, _ = self.table.query(
                    index="GSI2",
                    key_condition="GSI2PK = :p AND GSI2SK = :s",
                    ExpressionAttributeValues=values(p=keys.code_lookup(issuer, spelled), s="CLAIM"),
                )
                for item in items:
                    if issuer == merchant_id or merchant_id in (item.get("merchants") or []):
                        return item
        raise unknown_code()

    # --- self-service ----------------------------------------------------------------------------

    def by_customer(self, caller: Caller, claim_id: str, body: SelfRedemption) -> RedemptionOut:
        claim = self.table.get(keys.claim(claim_id))
        if not claim or claim["owner_id"] != caller.user_id:
            raise NotFound("no such coupon in your wallet", field="claimId")
        # Allowed as claimed; checked against the coupon's codes as they are now (a merchant rotates them).
        coupon, guard = self._coupon_and_guard(claim["coupon_id"])
        mode = self_service_of(claim) and coupon and self_service_of(coupon)
        if not mode:
            raise Forbidden("store staff redeem this coupon", code="self_service_not_allowed")
        asked = mode == "code"
        if asked and body.verification_code is None:
            raise Invalid("this coupon needs the store's verification code", field="verification_code")
        if asked and coupon.get("staff_code_hash") and not body.staff_code:
            raise Invalid("this coupon also needs the staff code", field="staff_code")
        if body.order is None and _depends_on_order(claim):
            raise Invalid("this coupon's terms depend on the order: send it", field="order")
        replay = self._replay(claim, body.order_id)
        if replay:
            return replay
        now = to_iso(clock.now())
        refuse_state(claim, now)
        _priced(claim, body.order)  # a cart that does not qualify costs no attempt
        redeem = {
            "method": "self_service",
            "by": caller.user_id,
            "at_merchant": body.order.merchant_id if body.order else None,
            "store_id": body.store_id,
            "order_id": body.order_id,
            "order": body.order,
        }
        if not asked:  # the merchant chose self-service without a code: nothing to guess, nothing counted
            return self._redeem(claim, **redeem, verified=False)
        watch = _CouponWatch(self.table, coupon, guard)
        pace = ATTACK_PACE if watch.under_attack(now) else None
        guards = [
            _Guard(self.table, keys.redeem_guard(claim_id), WRONG_CODES_PER_COUPON, "this coupon", pace),
            _Guard(
                self.table,
                keys.customer_guard(caller.user_id, claim["merchant_id"]),
                WRONG_CODES_PER_CUSTOMER,
                "your coupons of this merchant",
            ),
        ]
        attempt = uuid.uuid4().hex
        counted = [guards[0].reserve(attempt, now)]
        try:
            counted.append(guards[1].reserve(attempt, now))
        except DomainError:
            with cleanup():
                guards[0].release(attempt)
            raise
        if not self._codes_match(coupon, body):
            watch.wrong(attempt, caller.user_id, now)
            tries_left = min(g.limit - n for g, n in zip(guards, counted, strict=True))
            if tries_left <= 0:
                spent = next(g for g, n in zip(guards, counted, strict=True) if g.limit - n <= 0)
                raise spent.locked(to_iso(from_iso(now) + LOCK), now)
            raise Invalid(
                "wrong verification code",
                code="wrong_code",
                field="verification_code",
                details={"tries_left": tries_left},
            )
        try:
            return self._redeem(claim, **redeem, verified=True, also=[g.give_back(attempt) for g in guards])
        except DomainError:  # the right code, refused for another reason: it was no guess
            with cleanup():
                for g in guards:
                    g.release(attempt)
            raise

    def _coupon_and_guard(self, coupon_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The coupon (its current codes) and its wrong-code watch, in one request."""
        found = {
            item["PK"]: item
            for item in self.table.batch_get([keys.coupon(coupon_id), keys.coupon_guard(coupon_id)])
        }
        return found.get(keys.coupon(coupon_id)["PK"]), found.get(keys.coupon_guard(coupon_id)["PK"])

    @staticmethod
    def _codes_match(coupon: dict[str, Any], body: SelfRedemption) -> bool:
        secret = hmac_key()
        verification = matches(
            secret, VERIFICATION, body.verification_code or "", coupon["verification_hash"]
        )
        staff = not coupon.get("staff_code_hash") or matches(
            secret, STAFF_CODE, body.staff_code or "", coupon["staff_code_hash"]
        )
        return verification & staff  # both compared, always

    # --- the one write ---------------------------------------------------------------------------

    def _replay(self, claim: dict[str, Any], order_id: str | None) -> RedemptionOut | None:
        """A retry for the same order of a redemption that already succeeded gets that redemption."""
        if order_id is None or claim.get("state") != "used":
            return None
        expected = redemption_id_for(claim["claim_id"], claim.get("reversals", 0), order_id)
        if claim.get("redemption_id") != expected:
            return None
        return RedemptionOut.model_validate(self.table.get(keys.redemption(expected)))

    def _redeem(
        self,
        claim: dict[str, Any],
        *,
        method: str,
        by: str,
        at_merchant: str | None,
        store_id: str | None,
        order_id: str | None,
        order: Order | None,
        also: list[dict[str, Any]] | None = None,
        verified: bool | None = None,
        again: bool = True,
    ) -> RedemptionOut:
        replay = self._replay(claim, order_id)
        if replay:
            return replay
        now = to_iso(clock.now())
        refuse_state(claim, now)
        confirmed_by_staff = _confirmed_by_staff(claim, method, order)
        round_ = claim.get("reversals", 0)
        redemption_id = redemption_id_for(claim["claim_id"], round_, order_id)
        lock = _order_lock(claim, at_merchant, order_id, redemption_id, now)
        redemption = {
            **keys.redemption(redemption_id),
            "type": "redemption",
            "redemption_id": redemption_id,
            "claim_id": claim["claim_id"],
            "coupon_id": claim["coupon_id"],
            "merchant_id": claim["merchant_id"],
            "customer_id": claim["owner_id"],
            "redeemed_at_merchant": at_merchant,
            "method": method,
            "redeemed_by": by,
            "verified": verified,
            "store_id": store_id,
            "order_id": order_id,
            "currency": claim["currency"] if order else None,
            **_priced(claim, order),
            "terms_confirmed_by_staff": confirmed_by_staff,
            "order_merchant": lock and lock["merchant_id"],
            "redeemed_at": now,
            "GSI2PK": keys.coupon_redemptions(claim["coupon_id"]),
            "GSI2SK": f"{now}#{redemption_id}",
        }
        named = values(
            used="used",
            available="available",
            gifting="gifting",
            now=now,
            rid=redemption_id,
            owner=claim["owner_id"],
            code=claim["code"],
            round=round_,
        )
        if not round_:
            named.pop(":round")
        operations = [
            {
                "Update": {
                    "Key": to_item(keys.claim(claim["claim_id"])),
                    "UpdateExpression": "SET #st = :used, redemption_id = :rid, used_at = :now "
                    "REMOVE GSI3PK, GSI3SK",
                    # The code too: a gift or a reversal gives the coupon a new one, and the old one is spent.
                    "ConditionExpression": "owner_id = :owner AND code = :code "
                    "AND valid_from <= :now AND valid_until > :now "
                    "AND (#st = :available OR (#st = :gifting AND gift_expires_at <= :now)) AND "
                    + ("reversals = :round" if round_ else "attribute_not_exists(reversals)"),
                    "ExpressionAttributeNames": {"#st": "state"},
                    "ExpressionAttributeValues": named,
                }
            },
            {"Put": {"Item": to_item(redemption), "ConditionExpression": "attribute_not_exists(PK)"}},
            *(also or []),
        ]
        if lock:
            operations.append(_lock_order(lock))
        try:
            self.table.transact(operations)
        except Cancelled as cancelled:
            last = len(operations) - 1
            if lock and cancelled.code_at(last) == "ConditionalCheckFailed":
                raise Conflict(
                    "this order already has a coupon: one coupon per order",
                    code="order_already_discounted",
                    field="order_id",
                    details={"redemption_id": (cancelled.old(last) or {}).get("redemption_id")},
                ) from None
            current = self.table.get(keys.claim(claim["claim_id"]))
            if current is None or current["owner_id"] != claim["owner_id"]:
                raise unknown_code() from None
            if method == "staff" and current["code"] != claim["code"]:
                raise unknown_code() from None
            replay = self._replay(current, order_id)
            if replay:
                return replay
            refuse_state(current, now)
            if (
                again
            ):  # the claim moved on (a reversal, a gift that lapsed): decide once more on what it is now
                return self._redeem(
                    current,
                    method=method,
                    by=by,
                    at_merchant=at_merchant,
                    store_id=store_id,
                    order_id=order_id,
                    order=order,
                    also=also,
                    verified=verified,
                    again=False,
                )
            raise Conflict("this coupon has already been used", code="already_used") from None
        return RedemptionOut.model_validate(redemption)

    # --- reversal --------------------------------------------------------------------------------

    def reverse(self, merchant_id: str, redemption_id: str) -> RedemptionOut:
        redemption = self.table.get(keys.redemption(redemption_id))
        if not redemption or merchant_id not in (
            redemption["merchant_id"],
            redemption.get("redeemed_at_merchant"),
        ):
            raise NotFound("no such redemption", field="redemptionId")
        if redemption.get("reversed_at"):
            return RedemptionOut.model_validate(redemption)
        claim = self.table.get(keys.claim(redemption["claim_id"]))
        now = to_iso(clock.now())
        usable_again = bool(claim) and claim["valid_until"] > now
        operations = [
            {
                "Update": {
                    "Key": to_item(keys.redemption(redemption_id)),
                    "UpdateExpression": "SET reversed_at = :now, reversed_by = :by, usable_again = :again",
                    "ConditionExpression": "attribute_not_exists(reversed_at)",
                    "ExpressionAttributeValues": values(now=now, by=merchant_id, again=usable_again),
                }
            }
        ]
        if usable_again:
            operations.append(self._make_usable(claim, redemption_id, now))
        if redemption.get("order_merchant"):  # the order is free for another coupon
            operations.append(_free_order(redemption))
        try:
            self.table.transact(operations)
        except Cancelled:
            current = self.table.get(keys.redemption(redemption_id))
            if current and current.get("reversed_at"):
                return RedemptionOut.model_validate(current)
            raise
        return RedemptionOut.model_validate({**redemption, "reversed_at": now, "usable_again": usable_again})

    @staticmethod
    def _make_usable(claim: dict[str, Any], redemption_id: str, now: str) -> dict[str, Any]:
        """The claim back to available, one reversal round further, with a fresh code (whoever saw the old
        one at the till cannot use it again), and back in the reminder index."""
        code_sets, code_values = fresh_code(claim["merchant_id"], ":retired")
        sets = f"#st = :available, reversals = if_not_exists(reversals, :zero) + :one, {code_sets}"
        named: dict[str, Any] = {
            "available": "available",
            "zero": 0,
            "one": 1,
            "rid": redemption_id,
            "used": "used",
            "retired": retiring(claim["code"], redemption_id=redemption_id),
            **code_values,
        }
        remind_at = claim.get("remind_at")
        if remind_at and remind_at > now and not claim.get("reminded_at"):
            index = keys.reminder_index(remind_at, claim["claim_id"])
            sets += ", GSI3PK = :g3pk, GSI3SK = :g3sk"
            named.update(g3pk=index["GSI3PK"], g3sk=index["GSI3SK"])
        return {
            "Update": {
                "Key": to_item(keys.claim(claim["claim_id"])),
                "UpdateExpression": f"SET {sets} REMOVE redemption_id, used_at",
                "ConditionExpression": "redemption_id = :rid AND #st = :used",
                "ExpressionAttributeNames": {"#st": "state"},
                "ExpressionAttributeValues": values(**named),
            }
        }
