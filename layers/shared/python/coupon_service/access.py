"""Who may claim a coupon beyond what its shards check: a draft's test release (the merchant's staff and the
listed testers), the claim passphrase (counted like the store's verification codes), and the new-customer
rules (`new_customers_only`, `first_order_only`) read off the customer's record at the merchant.

Each check costs a request only for a coupon that has the rule: a coupon without them costs the claim path
nothing more (docs/decisions.md, "Claims")."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from coupon_service import keys
from coupon_service.errors import DomainError, Forbidden, Invalid, Locked, NotFound
from coupon_service.identity import Caller
from coupon_service.items import ClaimItem, CouponItem
from coupon_service.privacy import keyed_hash, matches
from coupon_service.secret import hmac_key
from coupon_service.store.customer_history import CustomerHistory
from coupon_service.store.guards import AttemptGuard
from coupon_service.store.table import Table
from coupon_service.validity import from_iso, to_iso
from coupon_service.wrong_codes import LOCK, WRONG_CODES_PER_COUPON, locked

# The keyed hash's purpose (a label, not a secret): a passphrase never hashes alike a code or a phone.
PASSPHRASE_PURPOSE = "claim-passphrase"  # noqa: S105
WRONG_PASSPHRASES = WRONG_CODES_PER_COUPON  # per customer and coupon, then locked as a claimed coupon is
NEWCOMER_RULES = ("new_customers_only", "first_order_only")


# --- the test release -----------------------------------------------------------------------------


def may_test(coupon: CouponItem, caller: Caller) -> bool:
    """Whether the caller may claim the draft `coupon`: its merchant's staff, or a listed tester."""
    if "staff" in caller.groups and caller.merchant_id == coupon.merchant_id:
        return True
    return "customers" in caller.groups and caller.user_id in (coupon.options.get("testers") or [])


def test_release(coupon: CouponItem, caller: Caller) -> bool:
    """Whether this claim is a test release's (a draft's); a draft is unknown (404) to anyone else, and
    only customers claim a published coupon."""
    if coupon.status == "draft":
        if not may_test(coupon, caller):
            raise NotFound("no such coupon", field="couponId")
        return True
    if "customers" not in caller.groups:
        raise Forbidden("this route is for customers")
    return False


# --- the passphrase -------------------------------------------------------------------------------


def passphrase_hash(passphrase: str) -> str:
    return keyed_hash(hmac_key(), PASSPHRASE_PURPOSE, passphrase)


class _PassphraseGuard(AttemptGuard):
    """A customer's wrong passphrases on one coupon: the verification codes' counter, for its own field."""

    def locked(self, ends: str, now: str) -> Locked:
        error = locked(self.what, ends, now)
        return Locked(
            f"too many wrong passphrases for this coupon; try again after {ends}",
            code=error.code,
            field="passphrase",
            details=error.details,
            retry_after=error.retry_after,
        )


def check_passphrase(table: Table, coupon: CouponItem, caller: Caller, given: str | None, now: str) -> None:
    """Nothing for a coupon without a passphrase. Otherwise the attempt is counted before the comparison
    (parallel guesses cannot pass the limit); a right passphrase takes its attempt back out."""
    if not coupon.passphrase_hash:
        return
    if not given:
        raise Forbidden(
            "this coupon is claimed with its passphrase", code="passphrase_required", field="passphrase"
        )
    guard = _PassphraseGuard(
        table, keys.passphrase_guard(caller.user_id, coupon.coupon_id), WRONG_PASSPHRASES, "this coupon"
    )
    attempt = uuid.uuid4().hex
    counted = guard.reserve(attempt, now)
    if not matches(hmac_key(), PASSPHRASE_PURPOSE, given, coupon.passphrase_hash):
        left = WRONG_PASSPHRASES - counted
        if left <= 0:
            raise guard.locked(_lock_end(now), now)
        raise Invalid(
            "wrong passphrase", code="wrong_passphrase", field="passphrase", details={"tries_left": left}
        )
    guard.release(attempt)


def _lock_end(now: str) -> str:
    return to_iso(from_iso(now) + LOCK)


# --- new customers ----------------------------------------------------------------------------------


def newcomer_rules(options: Mapping[str, Any]) -> list[str]:
    """The new-customer rules a coupon (or a claim, as claimed) carries."""
    return [rule for rule in NEWCOMER_RULES if options.get(rule)]


def is_new(record: Mapping[str, Any] | None, *, order_id: str | None = None) -> bool:
    """Whether the customer's record at the merchant shows no order (other than `order_id`, the order being
    redeemed, which must then be their first) and no standing redemption."""
    if not record:
        return True
    orders: Mapping[str, Any] = record.get("orders") or {}
    others = [o for i, o in orders.items() if i != order_id]
    if order_id is not None and order_id in orders:  # reported: no other order placed before it
        placed = orders[order_id].get("at") or ""
        if any((o.get("at") or "") <= placed for o in others):
            return False
    elif others:
        return False
    redemptions: Mapping[str, Any] = record.get("redemptions") or {}
    return not any(not r.get("reversed") and r.get("order_id") != order_id for r in redemptions.values())


def not_new(rules: list[str]) -> DomainError:
    return Forbidden(
        "this coupon is for new customers of its merchant", code="not_new_customer", field=rules[0]
    )


def check_newcomer(
    table: Table,
    options: Mapping[str, Any],
    merchant_id: str,
    customer_id: str,
    *,
    order_id: str | None = None,
) -> None:
    """Refuse a customer who is not new at the merchant, for a coupon (or a claim, as claimed) with a
    new-customer rule; costs one GetItem, and nothing for a coupon without one. At redemption `order_id`
    is the order it is used on, which must be the customer's first."""
    rules = newcomer_rules(options)
    if rules and not is_new(CustomerHistory(table).at_merchant(merchant_id, customer_id), order_id=order_id):
        raise not_new(rules)


def check_at_use(table: Table, claim: ClaimItem, order_id: str | None) -> None:
    """At the till or in the store: a claimed coupon with a new-customer rule (as claimed) is used only by a
    customer still new at the merchant, on their first order there (`first_order_only` needs the order's
    id). Nothing, and no request, for a claimed coupon without one."""
    rules = claim.newcomer_rules or []
    if not rules:
        return
    if "first_order_only" in rules and order_id is None:
        raise Invalid(
            "this coupon is for a customer's first order at the merchant: send the order's id",
            code="order_required",
            field="order_id",
        )
    options = dict.fromkeys(rules, True)
    check_newcomer(table, options, claim.merchant_id, claim.owner_id, order_id=order_id)
