"""Redeeming a claimed coupon exactly once (staff scan or self-service in store), and reversing it.

One transaction flips the claimed coupon to used and records the redemption (`writing`); the claim's
conditions (state, window, owner, code, reversal round) make every other concurrent redemption fail.
"""

from __future__ import annotations

from coupon_service.clock import SYSTEM, Clock
from coupon_service.identity import Caller
from coupon_service.models.redemptions import RedemptionCheck, RedemptionOut, SelfRedemption, StaffRedemption
from coupon_service.models.shared_codes import SharedCodeRedemption
from coupon_service.redemptions.by_customer import by_customer
from coupon_service.redemptions.by_staff import by_staff
from coupon_service.redemptions.checking import check
from coupon_service.redemptions.reversal import reverse
from coupon_service.redemptions.shared_code import by_shared_code
from coupon_service.store.redemptions import RedemptionStore
from coupon_service.store.table import Table
from coupon_service.wrong_codes import WRONG_CODES_PER_COUPON, WRONG_CODES_PER_CUSTOMER

__all__ = [
    "WRONG_CODES_PER_COUPON",
    "WRONG_CODES_PER_CUSTOMER",
    "RedemptionCheck",
    "RedemptionOut",
    "Redemptions",
    "SelfRedemption",
    "StaffRedemption",
]


class Redemptions:
    """The redemption routes' one entry: by staff at the till, by the customer in store, reversal."""

    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = RedemptionStore(table)
        self.clock = clock

    def by_staff(self, caller: Caller, merchant_id: str, body: StaffRedemption) -> RedemptionOut:
        return by_staff(self.store, caller, merchant_id, body, clock=self.clock)

    def check(self, caller: Caller, merchant_id: str, body: StaffRedemption) -> RedemptionCheck:
        """What redeeming this code would record now, or the refusal; nothing written for a good code."""
        return check(self.store, caller, merchant_id, body, clock=self.clock)

    def by_customer(self, caller: Caller, claim_id: str, body: SelfRedemption) -> RedemptionOut:
        return by_customer(self.store, caller, claim_id, body, clock=self.clock)

    def by_shared_code(self, caller: Caller, body: SharedCodeRedemption) -> RedemptionOut:
        """A customer's checkout redeeming a coupon's public code, without a claim."""
        return by_shared_code(self.store.table, caller, body, clock=self.clock)

    def reverse(self, merchant_id: str, redemption_id: str) -> RedemptionOut:
        return reverse(self.store, merchant_id, redemption_id, clock=self.clock)
