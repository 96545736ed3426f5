"""An order cancelled or refunded: its redemption reversed once, the coupon usable again with a fresh code
while its window is open."""

from __future__ import annotations

from coupon_service.clock import Clock
from coupon_service.errors import NotFound
from coupon_service.models.redemptions import RedemptionOut
from coupon_service.redemptions.writing import out
from coupon_service.store.redemptions import RedemptionStore
from coupon_service.store.shared_code_redemptions import SharedCodeReversals
from coupon_service.validity import to_iso


def reverse(store: RedemptionStore, merchant_id: str, redemption_id: str, *, clock: Clock) -> RedemptionOut:
    redemption = store.redemption(redemption_id)
    if redemption is None or merchant_id not in (redemption.merchant_id, redemption.redeemed_at_merchant):
        raise NotFound("no such redemption", field="redemptionId")
    if redemption.reversed_at:
        return out(redemption)
    if redemption.method == "shared_code":  # no claimed coupon: the code's caps are given back instead
        shared = SharedCodeReversals(store.table)
        return out(shared.reverse(redemption, None, merchant_id, to_iso(clock.now())))
    claim = store.claim(redemption.claim_id)
    return out(store.reverse(redemption, claim, merchant_id, to_iso(clock.now())))
