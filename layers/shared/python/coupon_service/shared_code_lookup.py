"""Finding a coupon's public code for a customer at checkout, within their budget of unknown codes.

Codes are looked up per merchant (the order's): another merchant's code, an inactive one and one never made
answer the same 404 `unknown_code`, and each such answer is counted against the caller's budget of unknown
codes at that merchant (`lookup_budget`: 30 per 5 minutes) before it is given; once spent, every lookup is
a 429 until the window closes, known codes too. A code that is found costs one read with the budget and one
of the coupon with the customer's uses, and writes nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import DomainError
from coupon_service.items import ClaimItem, CouponItem
from coupon_service.lookup_budget import UNKNOWN_CODES, spent
from coupon_service.pricing import NotApplicable
from coupon_service.shared_code_items import SharedCodeItem, SharedUseItem
from coupon_service.shared_code_rules import as_claim, spelled, usable
from coupon_service.store.lookups import UnknownCodes
from coupon_service.store.shared_codes import SharedCodeStore, unknown_code
from coupon_service.store.table import Table

TERMS_TTL = 5.0  # seconds a redemption may use a coupon's terms as read (as a claim does)
_terms_lock = threading.Lock()
_cached_terms: dict[str, tuple[float, CouponItem | None]] = {}


def _terms(store: SharedCodeStore, coupon_id: str) -> CouponItem | None:
    """The coupon as read in the last `TERMS_TTL` seconds in this execution environment."""
    moment = time.monotonic()
    with _terms_lock:
        cached = _cached_terms.get(coupon_id)
    if cached is not None and cached[0] > moment:
        return cached[1]
    coupon = store.coupon_terms(coupon_id)
    with _terms_lock:
        _cached_terms[coupon_id] = (moment + TERMS_TTL, coupon)
    return coupon


def forget_terms() -> None:
    with _terms_lock:
        _cached_terms.clear()


@dataclass(frozen=True)
class Found:
    """A public code found for a customer: the code, its coupon, the customer's uses (None: none yet) and
    the coupon as they would hold it now."""

    shared: SharedCodeItem
    coupon: CouponItem
    use: SharedUseItem | None
    claim: ClaimItem

    def used(self) -> int:
        return len(self.use.redemptions) if self.use is not None else 0

    def refusal(self) -> NotApplicable | None:
        """What its counts rule out as read (the redemption's transaction decides)."""
        if self.shared.full():
            return NotApplicable(
                reason="redemption_cap_reached", details={"max_redemptions": self.shared.max_redemptions}
            )
        if self.used() >= self.shared.per_customer_limit:
            return NotApplicable(
                reason="limit_reached", details={"per_customer_limit": self.shared.per_customer_limit}
            )
        return None


class SharedCodeLookup:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = SharedCodeStore(table)
        self.clock = clock

    def find(self, customer_id: str, merchant_id: str, typed: str, now: str) -> Found:
        """The code at the merchant for this customer with their uses, for a quote (see `code`)."""
        shared = self.code(customer_id, merchant_id, typed, now)
        coupon, use = self.store.coupon_and_use(shared.coupon_id, customer_id)
        return self.found(shared, customer_id, coupon, use, now)

    def code(self, customer_id: str, merchant_id: str, typed: str, now: str) -> SharedCodeItem:
        """The active code at the merchant, or the refusal: a 429 while the caller's budget is spent, else
        the unknown code's 404, counted first."""
        code = spelled(typed)  # a malformed code is a 422 before any lookup, and costs nothing
        shared, budget = self.store.code_and_budget(merchant_id, code, customer_id)
        if budget.window_ends > now and len(budget.lookups) >= UNKNOWN_CODES:
            raise spent(budget.window_ends, self.clock.now())
        if shared is None or not shared.active:
            raise self.counted(customer_id, merchant_id, now, unknown_code())
        return shared

    def for_redemption(self, shared: SharedCodeItem, customer_id: str, now: str) -> Found:
        """The code's coupon as a redemption needs it: its terms as read in the last few seconds (the
        transaction's conditions on the code and the customer's uses are the authority; uses not read)."""
        return self.found(shared, customer_id, _terms(self.store, shared.coupon_id), None, now)

    def found(
        self,
        shared: SharedCodeItem,
        customer_id: str,
        coupon: CouponItem | None,
        use: SharedUseItem | None,
        now: str,
    ) -> Found:
        """The coupon behind the code, usable now by the customer (counted when it is not)."""
        merchant_id = shared.merchant_id
        if coupon is None or coupon.status in ("draft", "deleted"):
            raise self.counted(customer_id, merchant_id, now, unknown_code())
        try:
            usable(coupon, now)
        except DomainError as refused:
            raise self.counted(customer_id, merchant_id, now, refused) from None
        return Found(shared, coupon, use, as_claim(coupon, customer_id, shared.code, now))

    def counted(self, customer_id: str, merchant_id: str, now: str, answer: DomainError) -> DomainError:
        """The lookup counted before `answer` is given (a 429 instead once the budget is spent)."""
        budget = UnknownCodes(self.store.table, customer_id, merchant_id, clock=self.clock)
        budget.spend_lookup(now)
        budget.unknown(now)
        return answer
