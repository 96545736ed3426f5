"""Checking a code at the till without redeeming it (`POST /redemptions/validation`): the same decision as
a redemption (`writing.decide`), answered with what the redemption would record, or its refusal; nothing
written for a code that would be redeemed.

No free oracle: a check spends the staff member's unknown-code budget exactly as a scan does. The budget is
read first (spent: 429, as for a scan); a code that turns out unknown, or known but refused as it is (not
started, expired, in a gift, not at this store or hour), is then counted before it is answered, so a
guesser gets at most the budget's answers per window from checks and scans together. A code that would be
redeemed costs one read and writes nothing, so an honest till may check as often as it likes.
"""

from __future__ import annotations

from coupon_service.access import check_at_use
from coupon_service.budget import BudgetExhausted
from coupon_service.clock import Clock
from coupon_service.errors import DomainError, NotFound
from coupon_service.identity import Caller
from coupon_service.models.redemptions import RedemptionCheck, StaffRedemption
from coupon_service.redemptions.by_staff import known_claim, staff_asks, typed_code
from coupon_service.redemptions.placement import STATE_REFUSALS
from coupon_service.redemptions.writing import decide, out
from coupon_service.store.budget import BudgetShards
from coupon_service.store.lookups import UnknownCodes
from coupon_service.store.redemptions import RedemptionStore
from coupon_service.validity import to_iso


def check(
    store: RedemptionStore, caller: Caller, merchant_id: str, body: StaffRedemption, *, clock: Clock
) -> RedemptionCheck:
    asked = staff_asks(caller, merchant_id, body)
    code = typed_code(body.code)
    now = to_iso(clock.now())
    budget = UnknownCodes(store.table, caller.user_id, merchant_id, clock=clock)
    budget.refuse_if_spent(now)
    try:
        claim = known_claim(store, caller, code, merchant_id)
    except NotFound:
        _counted(budget, now)
        raise
    try:
        redemption = decide(claim, asked, now)
    except DomainError as refused:
        # Known and unusable as it is: the answer says the code exists. A till's own used code tells it
        # nothing new; a refusal for the order, nothing a scan would not say for free.
        if refused.code in STATE_REFUSALS and claim.state != "used":
            _counted(budget, now)
        raise
    check_at_use(store.table, claim, body.order_id)  # a redemption would refuse a customer no longer new
    if redemption.budget_counted and claim.budget_shards:
        # The budget's remainder is the transaction's to decide; a check reads it (capped coupons only).
        left = BudgetShards(store.table).remaining([(claim.coupon_id, int(claim.budget_shards))])
        if left[claim.coupon_id] < redemption.budget_counted:
            raise BudgetExhausted(redemption.budget_counted)
    would = out(redemption).model_dump()
    if body.order_id is None:
        would["redemption_id"] = None  # each redemption without an order id gets a new one
    return RedemptionCheck.model_validate(would)


def _counted(budget: UnknownCodes, now: str) -> None:
    """The lookup counted before its answer is given (429 instead when the budget is spent meanwhile)."""
    budget.spend_lookup(now)
    budget.unknown(now)
