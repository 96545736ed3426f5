"""Stacking, pure: which coupons may share an order, how their discounts combine, and the best allowed
combination of a customer's coupons for a cart. No I/O: the quote and the redemption apply these rules.

- A coupon that does not stack is the order's one main coupon: an order takes at most one of them.
- A stackable coupon joins an order only beside coupons whose kinds it lists (`with_kinds`), and only if
  every stackable coupon already there lists its kind; at most `max_stacked` stackable coupons per order
  (the merchant's setting). One coupon (the same coupon id) at most once per order.
- Discounts combine each on what the coupons before it left, never below zero: percent off first, then
  amounts off, then free shipping (`APPLY_ORDER`); a coupon's conditions (minimum spend, scope) are read
  on the order as sent.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coupon_service.items import ClaimItem
from coupon_service.models.terms import KINDS
from coupon_service.order_items import OrderCouponsItem
from coupon_service.pricing import NotApplicable, Order, Priced, Taken, price_claim

DEFAULT_MAX_STACKED = 2
MAX_STACKED = 5
# The search for the best combination is exact over this many coupons of each sort (stacking or not),
# the best by their saving alone; 8 and 8 with 5 stacked are about 2,000 combinations.
SEARCH_WIDTH = 8
# Percent off applies first, so amounts off come off what is left after it.
APPLY_ORDER = {"discount": 0, "cash_value": 1, "cash": 1, "free_shipping": 2}


@dataclass(frozen=True)
class Hold:
    """One coupon on an order, as the stacking rules see it."""

    redemption_id: str
    coupon_id: str
    kind: str
    stackable: bool = False
    with_kinds: frozenset[str] = frozenset(KINDS)

    @classmethod
    def of(cls, claim: ClaimItem, redemption_id: str = "") -> Hold:
        stacking = claim.stacking or {}
        return cls(
            redemption_id=redemption_id,
            coupon_id=str(claim.coupon_id),
            kind=str(claim.terms["kind"]),
            stackable=bool(stacking.get("stackable")),
            with_kinds=frozenset(stacking.get("with_kinds") or KINDS),
        )

    def record(self) -> dict[str, Any]:
        """As the order item keeps it."""
        return {
            "coupon_id": self.coupon_id,
            "kind": self.kind,
            "stackable": self.stackable,
            "with_kinds": sorted(self.with_kinds, key=KINDS.index),
        }

    @classmethod
    def from_record(cls, redemption_id: str, record: Mapping[str, Any]) -> Hold:
        return cls(
            redemption_id=redemption_id,
            coupon_id=str(record["coupon_id"]),
            kind=str(record["kind"]),
            stackable=bool(record.get("stackable")),
            with_kinds=frozenset(record.get("with_kinds") or KINDS),
        )


def holds_of(item: OrderCouponsItem | None) -> list[Hold]:
    """The coupons an order's item holds (one written before stacking: its one coupon, not stacking)."""
    if item is None:
        return []
    holds = [Hold.from_record(rid, record) for rid, record in (item.holds or {}).items()]
    main = item.redemption_id
    if main and all(h.redemption_id != main for h in holds):
        holds.append(Hold(redemption_id=main, coupon_id=item.claim_id or "", kind=""))
    return holds


def cart_digest(order: Order) -> str:
    """The cart an order's stacked coupons were priced on: the same order id must keep the same cart."""
    return hashlib.sha256(order.model_dump_json().encode()).hexdigest()


def accepts(holder: Hold, other: Hold) -> bool:
    """Whether `holder` lets `other` share its order (a coupon that does not stack leaves that to
    stackable ones, but never shares with another that does not)."""
    if not holder.stackable:
        return other.stackable
    return other.kind in holder.with_kinds


def compatible(a: Hold, b: Hold) -> bool:
    return a.coupon_id != b.coupon_id and accepts(a, b) and accepts(b, a)


@dataclass(frozen=True)
class Refusal:
    """Why a coupon cannot join an order: `reason` and the order's holders that refuse it."""

    reason: str  # order_already_discounted | stacking_limit | not_combinable | coupon_already_on_order
    holders: tuple[str, ...]


def refusal(holds: Sequence[Hold], joining: Hold, max_stacked: int) -> Refusal | None:
    """Why `joining` cannot join an order holding `holds`, or None when it may."""
    if not joining.stackable:
        main = [h.redemption_id for h in holds if not h.stackable]
        if main:
            return Refusal("order_already_discounted", tuple(main))
    same = [h.redemption_id for h in holds if h.coupon_id == joining.coupon_id]
    if same:
        return Refusal("coupon_already_on_order", tuple(same))
    stacked = [h.redemption_id for h in holds if h.stackable]
    if joining.stackable and len(stacked) >= max_stacked:
        return Refusal("stacking_limit", tuple(stacked))
    refusing = [h.redemption_id for h in holds if not compatible(h, joining)]
    if refusing:
        return Refusal("not_combinable", tuple(refusing))
    return None


def allowed(holds: Sequence[Hold], max_stacked: int) -> bool:
    """Whether all of `holds` may share one order."""
    return all(refusal(holds[:i], hold, max_stacked) is None for i, hold in enumerate(holds))


def apply_order(claims: Iterable[ClaimItem]) -> list[ClaimItem]:
    """The order stacked coupons take their discounts in (ties: by claim id, so it is always the same)."""
    return sorted(claims, key=lambda c: (APPLY_ORDER.get(str(c.terms["kind"]), 3), str(c.claim_id)))


@dataclass(frozen=True)
class Combination:
    """Coupons used together on one order, in the order they apply, with what each takes off."""

    claims: tuple[ClaimItem, ...]
    priced: tuple[Priced, ...]

    @property
    def discount(self) -> int:
        return sum(p.discount for p in self.priced)


def price_together(claims: Iterable[ClaimItem], order: Order) -> Combination | None:
    """What the coupons take off together, each on what the ones before it left; None when one of them
    does not apply to the order."""
    taken = Taken.nothing(order)
    ordered = tuple(apply_order(claims))
    priced: list[Priced] = []
    for claim in ordered:
        result = price_claim(claim, order, taken)
        if isinstance(result, NotApplicable):
            return None
        priced.append(result)
        taken = taken.plus(result)
    return Combination(ordered, tuple(priced))


def _candidates(
    applicable: Sequence[ClaimItem],
) -> tuple[list[ClaimItem], list[ClaimItem]]:
    """One claim per coupon (the first: the caller lists them best first), split into those that do not
    stack and those that do, each cut to the best SEARCH_WIDTH."""
    seen: set[str] = set()
    single: list[ClaimItem] = []
    stacking: list[ClaimItem] = []
    for claim in applicable:
        if claim.coupon_id in seen:
            continue
        seen.add(str(claim.coupon_id))
        (stacking if Hold.of(claim).stackable else single).append(claim)
    return single[:SEARCH_WIDTH], stacking[:SEARCH_WIDTH]


def _better(found: Combination, best: Combination | None) -> bool:
    """More off; then fewer coupons (the rest stay for another order); then the earlier ones first."""
    if best is None:
        return True
    if found.discount != best.discount:
        return found.discount > best.discount
    if len(found.claims) != len(best.claims):
        return len(found.claims) < len(best.claims)
    key = [str(c.claim_id) for c in found.claims]
    return key < [str(c.claim_id) for c in best.claims]


def best_combination(applicable: Sequence[ClaimItem], order: Order, max_stacked: int) -> Combination | None:
    """The allowed combination of `applicable` claims (each applies alone to `order`; best first) that
    takes the most off the order."""
    single, stacking = _candidates(applicable)
    best: Combination | None = None
    for main in [None, *single]:
        for count in range(min(max_stacked, len(stacking)) + 1):
            for extra in itertools.combinations(stacking, count):
                chosen = [c for c in (main, *extra) if c is not None]
                holds = [Hold.of(c, str(c.claim_id)) for c in chosen]
                if not chosen or not allowed(holds, max_stacked):
                    continue
                found = price_together(chosen, order)
                if found is not None and _better(found, best):
                    best = found
    return best
