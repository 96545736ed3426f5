"""The one write of every redemption, whoever asks it: the claimed coupon's state, the order's terms, the
redemption's id, and one more decision when the coupon moved on while it was being redeemed.

A redemption's id is derived from (claim, reversal round, order id), so a till's retry for the same
order finds its own redemption.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from coupon_service import access, budget, lifecycle, stacking
from coupon_service.errors import Conflict, Invalid, NotFound
from coupon_service.items import ClaimItem, RedemptionItem
from coupon_service.models.redemptions import RedemptionOut
from coupon_service.order_items import OrderCouponsItem
from coupon_service.pricing import NotApplicable, Order, Taken, order_total, points_granted, price_claim
from coupon_service.redemptions.placement import refuse_store, refuse_time
from coupon_service.store.guards import Reservation
from coupon_service.store.redemptions import ClaimMoved, OrderChanged, OrderTaken, RedemptionStore
from coupon_service.store.table import busy

_NAMESPACE = uuid.UUID("5b0f4c1e-2f0a-4e8e-9a53-6f1d2f7c9a01")
ORDER_TRIES = 10  # an order that changes under the redemption this often answers `busy`


class NotCombinable(Conflict):
    """The coupon cannot join the coupons already on the order (stacking rules)."""

    def __init__(self, refusal: stacking.Refusal) -> None:
        super().__init__(
            "this coupon cannot be used together with the coupons already on this order",
            code=refusal.reason,
            field="order_id",
            details={"redemption_ids": list(refusal.holders)},
        )


@dataclass(frozen=True)
class Redeeming:
    """What a redemption asks, apart from the claimed coupon it uses."""

    method: Literal["staff", "self_service", "shared_code"]
    by: str
    at_merchant: str | None
    store_id: str | None
    order_id: str | None
    order: Order | None
    verified: bool | None = None
    # Whether `store_id` comes from a source trusted to name the store (a staff account's own store, the
    # merchant, the customer in store); a staff account without a store is not, for coupons listing stores.
    store_trusted: bool = True
    # The attempts and lookups the code cost, given back in the redemption's own transaction.
    give_back: tuple[Reservation, ...] = ()


def redemption_id_for(claim_id: str, round_: int, order_id: str | None) -> str:
    if order_id is None:
        return uuid.uuid4().hex  # without an order id a repeat is a second redemption, and refused
    return uuid.uuid5(_NAMESPACE, f"{claim_id}\n{round_}\n{order_id}").hex


def unknown_code() -> NotFound:
    """The one answer for a code this caller may not learn anything about: never issued, another
    merchant's, retired by a gift or a reversal, or used by someone else."""
    return NotFound("no coupon with this code", code="unknown_code", field="code")


def out(item: RedemptionItem) -> RedemptionOut:
    # As stored: what is None is not there (and no order, no allocations); where it was used may be unknown.
    return RedemptionOut.model_validate({"redeemed_at_merchant": None, **item.model_dump(exclude_none=True)})


def priced(claim: ClaimItem, order: Order | None, taken: Taken | None = None) -> dict[str, Any]:
    """The redemption's amounts for the order (after what the order's other coupons `taken`); an order
    that does not meet the terms is a 422."""
    if order is None:  # nothing priced; a points coupon's points are granted all the same
        return {"points": points_granted(claim.terms)}
    result = price_claim(claim, order, taken)
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


def depends_on_order(claim: ClaimItem) -> bool:
    return bool(claim.terms.get("min_spend")) or claim.scope["type"] != "order"


def _confirmed_by_staff(claim: ClaimItem, method: str, order: Order | None) -> bool | None:
    """A coupon whose terms depend on the order needs the order, unless its merchant lets staff confirm
    the terms by hand (then recorded on the redemption)."""
    if order is not None or not depends_on_order(claim):
        return None
    if method == "staff" and claim.staff_confirms_terms:
        return True
    raise Invalid(
        "this coupon has a minimum spend or applies to some items only: send the order",
        code="order_required",
        field="order",
    )


def replayed(store: RedemptionStore, claim: ClaimItem, order_id: str | None) -> RedemptionOut | None:
    """A retry for the same order of a redemption that already succeeded gets that redemption."""
    if order_id is None or claim.state != "used":
        return None
    expected = redemption_id_for(claim.claim_id, claim.reversals or 0, order_id)
    if claim.redemption_id != expected:
        return None
    found = store.redemption(expected)
    return out(found) if found else None


def budget_counted(claim: ClaimItem, amounts: dict[str, Any]) -> int | None:
    """What the redemption counts against the coupon's budget, when it has one."""
    if not claim.budget_shards:
        return None
    return budget.counted(claim.terms, amounts.get("discount"))


def _taken(seen: OrderCouponsItem | None, order: Order | None) -> Taken | None:
    """What the coupons already on the order took off the cart (None: nothing yet); another cart for an
    order that holds coupons priced on its cart is refused."""
    if order is None or seen is None or not seen.holds or seen.cart is None:
        return None
    if seen.cart != stacking.cart_digest(order):
        raise Conflict(
            "this order's coupons were priced on another cart: send the same order",
            code="order_cart_changed",
            field="order",
        )
    taken = seen.taken or {}
    lines = [taken.get(str(i), 0) for i in range(len(order.lines))]
    return Taken(lines=lines, shipping=seen.shipping_taken or 0)


def _redemption(
    claim: ClaimItem, asked: Redeeming, now: str, seen: OrderCouponsItem | None = None
) -> RedemptionItem:
    confirmed_by_staff = _confirmed_by_staff(claim, asked.method, asked.order)
    amounts = priced(claim, asked.order, _taken(seen, asked.order))
    redemption_id = redemption_id_for(claim.claim_id, claim.reversals or 0, asked.order_id)
    # The order's one coupon is held when the order and its merchant are known.
    merchant_id = asked.at_merchant or (claim.merchant_id if not claim.merchants else None)
    return RedemptionItem.model_validate(
        {
            "redemption_id": redemption_id,
            "claim_id": claim.claim_id,
            "coupon_id": claim.coupon_id,
            "merchant_id": claim.merchant_id,
            "customer_id": claim.owner_id,
            "redeemed_at_merchant": asked.at_merchant,
            "method": asked.method,
            "redeemed_by": asked.by,
            "verified": asked.verified,
            "store_id": asked.store_id,
            "order_id": asked.order_id,
            "currency": claim.currency if asked.order else None,
            **amounts,
            "budget_counted": budget_counted(claim, amounts),
            "terms_confirmed_by_staff": confirmed_by_staff,
            "order_merchant": merchant_id if asked.order_id is not None else None,
            "stackable": True if stacking.Hold.of(claim).stackable else None,
            "order_cart": stacking.cart_digest(asked.order) if asked.order and asked.order_id else None,
            "redeemed_at": now,
            # For the merchant's records: found by who claimed it and where it was claimed.
            "nickname": claim.nickname,
            "name": claim.name,
            "phone_hash": claim.phone_hash,
            "phone_masked": claim.phone_masked,
            "channel": claim.channel,
            "test_release": claim.test_release or None,  # a test release's use: not in the figures
        }
    )


def decide(
    claim: ClaimItem, asked: Redeeming, now: str, seen: OrderCouponsItem | None = None
) -> RedemptionItem:
    """THE decision of every redemption and every check (`POST /redemptions/validation`): whether this
    claimed coupon, as read, may be used now for what is asked (on an order whose coupons, when it holds
    some, are `seen`), and the redemption it then records; else the refusal, which every caller answers
    alike. A rule about using a coupon (its state, a void included, where, when, the order's terms and
    amounts, what it counts against a budget) belongs here, so a check never promises what a redemption
    would refuse. It reads and writes nothing: what needs the table's word (one use, the coupons an order
    already holds and the stacking rules on them, a budget's remainder) is decided with the transaction
    (`_onto_order`, the transaction's conditions), which a check reads instead where it can (`checking`)."""
    lifecycle.refuse("redeem", claim, now)
    refuse_store(claim, at_merchant=asked.at_merchant, store_id=asked.store_id, trusted=asked.store_trusted)
    refuse_time(claim, now)
    return _redemption(claim, asked, now, seen)


def redeem(
    store: RedemptionStore, claim: ClaimItem, asked: Redeeming, *, now: str, again: bool = True
) -> RedemptionOut:
    """Use the claimed coupon as read; when it moved on meanwhile (a reversal, a gift that lapsed), decide
    once more on what it is now."""
    replay = replayed(store, claim, asked.order_id)
    if replay:
        return replay
    access.check_at_use(store.table, claim, asked.order_id)  # new-customer rules: a request only if any
    try:
        stored = _onto_order(store, claim, asked, now)
    except ClaimMoved as moved:
        current = moved.current
        if current is None or current.owner_id != claim.owner_id:
            raise unknown_code() from None
        if asked.method == "staff" and current.code != claim.code:
            raise unknown_code() from None
        replay = replayed(store, current, asked.order_id)
        if replay:
            return replay
        lifecycle.refuse("redeem", current, now)
        if not again:
            raise
        return redeem(store, current, asked, now=now, again=False)
    return out(stored)


def _onto_order(store: RedemptionStore, claim: ClaimItem, asked: Redeeming, now: str) -> RedemptionItem:
    """The redemption, assuming its order holds no coupon yet; when it does, decided by the stacking
    rules on the order as it is and priced on what its coupons left, then written on condition that the
    order is still as read (so two tills can never break the rules together)."""
    seen: OrderCouponsItem | None = None
    for _ in range(ORDER_TRIES):
        redemption = decide(claim, asked, now, seen)
        try:
            return store.redeem(claim, redemption, list(asked.give_back), seen)
        except OrderChanged as changed:
            seen = changed.current
            _check_stacking(store, claim, redemption, seen)
    raise busy()


def _check_stacking(
    store: RedemptionStore, claim: ClaimItem, redemption: RedemptionItem, seen: OrderCouponsItem | None
) -> None:
    holds = stacking.holds_of(seen)
    joining = stacking.Hold.of(claim, redemption.redemption_id)
    if any(h.redemption_id == redemption.redemption_id for h in holds):
        return  # its own (a retry): the claim's condition decides
    # The merchant's limit matters only to a coupon that stacks (read then, never otherwise).
    limit = store.max_stacked(redemption.order_merchant or "") if joining.stackable and holds else 1
    refused = stacking.refusal(holds, joining, limit)
    if refused is None:
        return
    if refused.reason == "order_already_discounted":
        raise OrderTaken(refused.holders[0])
    raise NotCombinable(refused)
