"""The checkout quote: which of a customer's coupons fit a cart, best first, and why the others do not."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from coupon_service import clock, keys
from coupon_service.identity import Caller
from coupon_service.lifecycle import refusal
from coupon_service.models.common import Strict
from coupon_service.pricing import Allocation, NotApplicable, Order, price_claim
from coupon_service.store.table import Table, values
from coupon_service.validity import to_iso


class QuoteRequest(Strict):
    order: Order


class QuotedCoupon(BaseModel):
    claim_id: str
    coupon_id: str
    title: str
    kind: str
    valid_from: str
    valid_until: str
    applies: bool
    discount: int = 0
    line_discount: int = 0
    shipping_discount: int = 0
    allocations: list[Allocation] = []
    points: int | None = None
    item: str | None = None
    terms_text: str | None = None
    payable: int | None = None
    reason: str | None = None
    details: dict[str, Any] = {}


class Quote(BaseModel):
    stacking: Literal["one_coupon_per_order"] = "one_coupon_per_order"
    applicable: list[QuotedCoupon]
    not_applicable: list[QuotedCoupon]


def state_refusal(claim: dict[str, Any], now: str) -> NotApplicable | None:
    """What the coupon's own state rules out before any pricing."""
    refused = refusal("quote", claim, now)
    return None if refused is None else NotApplicable(reason=refused.code, details=refused.details)


def quote_claim(claim: dict[str, Any], order: Order, now: str) -> QuotedCoupon:
    base = {
        "claim_id": claim["claim_id"],
        "coupon_id": claim["coupon_id"],
        "title": claim["title"],
        "kind": claim["terms"]["kind"],
        "valid_from": claim["valid_from"],
        "valid_until": claim["valid_until"],
    }
    result = state_refusal(claim, now) or price_claim(claim, order)
    if isinstance(result, NotApplicable):
        return QuotedCoupon(**base, applies=False, reason=result.reason, details=result.details)
    return QuotedCoupon(**base, **result.model_dump(exclude={"applies"}), applies=True)


class Checkout:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def quote(self, caller: Caller, order: Order) -> Quote:
        now = to_iso(clock.now())
        # The whole wallet, in as few pages as the index returns (1 MB each), already soonest expiry first.
        held = self.table.query_all(
            index="GSI1",
            key_condition="GSI1PK = :p",
            ExpressionAttributeValues=values(p=keys.wallet(caller.user_id)),
        )
        quoted = [quote_claim(claim, order, now) for claim in held]
        applicable = sorted(
            (q for q in quoted if q.applies), key=lambda q: (-q.discount, q.valid_until, q.claim_id)
        )
        return Quote(applicable=applicable, not_applicable=[q for q in quoted if not q.applies])
