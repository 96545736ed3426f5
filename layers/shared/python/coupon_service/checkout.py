"""The checkout quote: which of a customer's coupons fit a cart, best first, and why the others do not."""

from __future__ import annotations

from typing import Any

from coupon_service import lifecycle, stacking
from coupon_service.clock import SYSTEM, Clock
from coupon_service.identity import Caller
from coupon_service.items import ClaimItem
from coupon_service.models.checkout import BestCombination, Quote, QuotedCoupon, StackingRules
from coupon_service.pricing import NotApplicable, Order, price_claim
from coupon_service.shared_code_lookup import Found, SharedCodeLookup
from coupon_service.store.budget import BudgetShards
from coupon_service.store.checkout import whole_wallet
from coupon_service.store.merchants import MerchantSettingsStore
from coupon_service.store.table import Table
from coupon_service.time_frames import outside
from coupon_service.validity import to_iso


def state_refusal(claim: ClaimItem, now: str) -> NotApplicable | None:
    """What the coupon's own state rules out before any pricing."""
    refused = lifecycle.refusal("quote", claim, now)
    if refused:
        return NotApplicable(reason=refused.code, details=refused.details)
    closed = outside(claim, now)  # the redemption's own rule (redemptions.placement)
    return NotApplicable(reason="outside_time_frame", details=closed) if closed else None


def _base(claim: ClaimItem) -> dict[str, Any]:
    return {
        "claim_id": claim.claim_id,
        "coupon_id": claim.coupon_id,
        "title": claim.title,
        "kind": claim.terms["kind"],
        "valid_from": claim.valid_from,
        "valid_until": claim.valid_until,
    }


def quote_claim(claim: ClaimItem, order: Order, now: str) -> QuotedCoupon:
    base = _base(claim)
    result = state_refusal(claim, now) or price_claim(claim, order)
    if isinstance(result, NotApplicable):
        return QuotedCoupon(**base, applies=False, reason=result.reason, details=result.details)
    return QuotedCoupon(**base, **result.model_dump(exclude={"applies"}), applies=True)


def _marked(quoted: list[QuotedCoupon], typed: Found) -> list[QuotedCoupon]:
    """The typed code's coupon named by its code; refused as its counts stand, with why."""
    claim_id = typed.claim.claim_id
    marked = [
        q.model_copy(update={"shared_code": typed.shared.code}) if q.claim_id == claim_id else q
        for q in quoted
    ]
    refused = typed.refusal()
    if refused is not None:
        base = _base(typed.claim)
        marked.append(
            QuotedCoupon(
                **base,
                applies=False,
                reason=refused.reason,
                details=refused.details,
                shared_code=typed.shared.code,
            )
        )
    return marked


class Checkout:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock

    def quote(self, caller: Caller, order: Order, code: str | None = None) -> Quote:
        now = to_iso(self.clock.now())
        claims = list(whole_wallet(self.table, caller.user_id))
        typed = None  # a public code typed: quoted as the coupon the customer would hold
        if code is not None:
            typed = SharedCodeLookup(self.table, clock=self.clock).find(
                caller.user_id, order.merchant_id, code, now
            )
            if typed.refusal() is None:
                claims.append(typed.claim)
        quoted = self._within_budget(claims, [quote_claim(claim, order, now) for claim in claims])
        if typed is not None:
            quoted = _marked(quoted, typed)
        applicable = sorted(
            (q for q in quoted if q.applies), key=lambda q: (-q.discount, q.valid_until, q.claim_id)
        )
        by_id = {claim.claim_id: claim for claim in claims}
        best, rules = self._best([by_id[q.claim_id] for q in applicable], order)
        return Quote(
            stacking=rules,
            best=best,
            applicable=applicable,
            not_applicable=[q for q in quoted if not q.applies],
        )

    def _best(
        self, applicable: list[ClaimItem], order: Order
    ) -> tuple[BestCombination | None, StackingRules]:
        """The allowed combination that takes the most off; the merchant's limit is read only when a
        coupon that stacks applies."""
        if not applicable:
            return None, StackingRules()
        limit = None
        if any(stacking.Hold.of(claim).stackable for claim in applicable):
            limit = MerchantSettingsStore(self.table).max_stacked(order.merchant_id)
        found = stacking.best_combination(applicable, order, limit or 1)
        if found is None:
            return None, StackingRules(max_stacked_coupons=limit)
        coupons = [
            QuotedCoupon(**_base(claim), **priced.model_dump(exclude={"applies"}), applies=True)
            for claim, priced in zip(found.claims, found.priced, strict=True)
        ]
        best = BestCombination(
            claim_ids=[c.claim_id for c in coupons],
            discount=found.discount,
            payable=found.priced[-1].payable,
            coupons=coupons,
        )
        return best, StackingRules(max_stacked_coupons=limit)

    def _within_budget(self, claims: list[ClaimItem], quoted: list[QuotedCoupon]) -> list[QuotedCoupon]:
        """A capped coupon whose budget has less left than its discount is marked `budget_exhausted` (one
        read of the budget shards of the capped coupons that apply; none without them)."""
        capped = {
            claim.coupon_id: int(claim.budget_shards)
            for claim, q in zip(claims, quoted, strict=True)
            if q.applies and q.discount and claim.budget_shards
        }
        if not capped:
            return quoted
        left = BudgetShards(self.table).remaining(capped.items())
        return [
            q.model_copy(
                update={"applies": False, "reason": "budget_exhausted", "details": {"discount": q.discount}}
            )
            if q.applies and q.coupon_id in left and left[q.coupon_id] < q.discount
            else q
            for q in quoted
        ]
