"""A customer redeeming a coupon's public code at checkout, without claiming it first (`POST
/checkout/redemptions`): found within their budget of unknown codes (`shared_code_lookup`), decided and
priced as the claimed coupon they would hold (`writing.decide`: window, stores, time frames, order terms),
then one transaction adds one to the code's count (active, under its total cap), the redemption to the
customer's uses (under the per-customer limit) and puts the redemption, with its order and budget like
every redemption. Its id derives from (customer, coupon, order id): a retry for the same order gets the
same redemption, whether its first attempt's answer was lost or not."""

from __future__ import annotations

from coupon_service.clock import Clock
from coupon_service.errors import DomainError, LimitReached
from coupon_service.identity import Caller
from coupon_service.models.redemptions import RedemptionOut
from coupon_service.models.shared_codes import SharedCodeRedemption
from coupon_service.redemptions.placement import STATE_REFUSALS
from coupon_service.redemptions.writing import Redeeming, out, redeem, redemption_id_for
from coupon_service.shared_code_lookup import Found, SharedCodeLookup
from coupon_service.store.shared_code_redemptions import (
    CapReached,
    Redeemed,
    SharedCodeRedemptions,
    UseChanged,
)
from coupon_service.store.shared_codes import SharedCodeStore
from coupon_service.store.table import Table, busy
from coupon_service.validity import to_iso

USE_TRIES = 5  # a customer's uses that change under the redemption this often answer `busy`


def by_shared_code(
    table: Table, caller: Caller, body: SharedCodeRedemption, *, clock: Clock
) -> RedemptionOut:
    order = body.order
    now = to_iso(clock.now())
    lookup = SharedCodeLookup(table, clock=clock)
    shared = lookup.code(caller.user_id, order.merchant_id, body.code, now)
    if shared.full():  # refused as read: a full code writes nothing (a reversal may open it again)
        raise CapReached(shared.max_redemptions)
    found = lookup.for_redemption(shared, caller.user_id, now)
    asked = Redeeming(
        method="shared_code",
        by=caller.user_id,
        at_merchant=order.merchant_id,
        store_id=body.store_id,
        order_id=body.order_id,
        order=order,
    )
    rid = redemption_id_for(found.claim.claim_id, 0, body.order_id)
    use = found.use
    for _ in range(USE_TRIES):
        if use is not None and rid in use.redemptions:  # a retry of a redemption that committed
            done = SharedCodeStore(table).redemption(rid)
            if done is not None:
                return out(done)
        _refuse_counts(found, len(use.redemptions) if use is not None else 0)
        try:
            return redeem(SharedCodeRedemptions(table, found.shared, use), found.claim, asked, now=now)
        except Redeemed as committed:
            return out(committed.redemption)
        except UseChanged:
            use = SharedCodeStore(table).use(found.shared.coupon_id, caller.user_id)
        except DomainError as refused:
            if refused.code in STATE_REFUSALS:  # the code exists, but not usable now: a guess's worth
                raise lookup.counted(caller.user_id, order.merchant_id, now, refused) from None
            raise
    raise busy()


def _refuse_counts(found: Found, used: int) -> None:
    """Refused as read, before any write: the customer's limit, the code's total cap."""
    if used >= found.shared.per_customer_limit:
        raise LimitReached(found.shared.per_customer_limit)
    if found.shared.full():
        raise CapReached(found.shared.max_redemptions)
