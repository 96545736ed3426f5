"""An order's item in the table: the coupons on one order at one merchant (stacking), put in each
redemption's transaction on condition that it is as the redemption read it, and given back by a
reversal. The rules are `coupon_service.stacking`; what the order's coupons took off each line and the
shipping is kept here so the next coupon is priced on what is left."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict
from coupon_service.items import ClaimItem, RedemptionItem
from coupon_service.order_items import OrderCouponsItem
from coupon_service.stacking import Hold
from coupon_service.store.table import to_item, values


class OrderTaken(Conflict):
    """The order already carries a coupon that does not stack, and this one does not either."""

    def __init__(self, holder: str | None) -> None:
        super().__init__(
            "this order already has a coupon: one coupon per order",
            code="order_already_discounted",
            field="order_id",
            details={"redemption_id": holder},
        )


class OrderChanged(Conflict):
    """The order's item is not as the redemption assumed (another coupon is on it, or joined since it was
    read): `current` is the item as it is now, for the caller to decide and price on once more."""

    def __init__(self, current: OrderCouponsItem | None) -> None:
        super().__init__("this order changed meanwhile", code="order_changed", field="order_id")
        self.current = current


def refused_order(old: dict[str, Any] | None, redemption: RedemptionItem) -> Conflict:
    """What a refused order item (`old`: as the refusal returned it) means: its main coupon named when this
    one does not stack either, else the order as it is now, for one more decision."""
    current = OrderCouponsItem.model_validate(old) if old else None
    main = current.redemption_id if current is not None else None
    if main and not redemption.stackable:
        return OrderTaken(main)
    return OrderChanged(current)


def take_order(claim: ClaimItem, redemption: RedemptionItem, seen: OrderCouponsItem | None) -> dict[str, Any]:
    """The order's item with this redemption on it, as computed from the item `seen` (None: a new order),
    on condition that the item is still as seen, or already holds this redemption (a till's retry: then
    the claim's condition refuses the whole transaction, and the retry finds its redemption). Refused,
    the item comes back as it is, unread."""
    item = {**_order_key(redemption), **order_with(seen, claim, redemption).model_dump(exclude_none=True)}
    expected = "attribute_not_exists(PK)" if seen is None else "seq = :seq"
    named: dict[str, Any] = {"rid": redemption.redemption_id}
    if seen is not None:
        named["seq"] = seen.seq or 0
    return {
        "Put": {
            "Item": to_item(item),
            "ConditionExpression": f"{expected} OR attribute_exists(holds.#rid) OR redemption_id = :rid",
            "ExpressionAttributeNames": {"#rid": redemption.redemption_id},
            "ExpressionAttributeValues": values(**named),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def order_with(
    seen: OrderCouponsItem | None, claim: ClaimItem, redemption: RedemptionItem
) -> OrderCouponsItem:
    """The order's item once `redemption` joins it: its hold, what the order's coupons took off each line
    (`taken`: line index -> amount) and the shipping, the cart they were taken from, one change further.
    A coupon that does not stack is also the order's main coupon (`redemption_id`, as before stacking)."""
    holds = (seen.holds if seen is not None else None) or {}
    kept = (
        seen if seen is not None and holds else None
    )  # an order whose coupons were all reversed starts afresh
    item = OrderCouponsItem(
        merchant_id=redemption.order_merchant,
        order_id=redemption.order_id,
        seq=((seen.seq or 0) if seen is not None else 0) + 1,
        holds={**holds, redemption.redemption_id: {"claim_id": claim.claim_id, **Hold.of(claim).record()}},
    )
    if kept is not None:
        item = item.model_copy(update={name: getattr(kept, name) for name in _KEPT})
    if not redemption.stackable:
        item.redemption_id = redemption.redemption_id
        item.claim_id = claim.claim_id
        item.locked_at = redemption.redeemed_at
    if redemption.order_cart is not None:
        taken = dict(item.taken or {})
        for allocation in redemption.allocations or []:
            line = str(allocation["line"])
            taken[line] = int(taken.get(line, 0)) + int(allocation["amount"])
        item.cart = redemption.order_cart
        item.taken = taken
        item.shipping_taken = (item.shipping_taken or 0) + (redemption.shipping_discount or 0)
    return item


# What an order still holding coupons keeps of itself when another joins.
_KEPT = ("redemption_id", "claim_id", "locked_at", "cart", "taken", "shipping_taken")


def _order_key(redemption: RedemptionItem) -> dict[str, str]:
    assert redemption.order_merchant is not None and redemption.order_id is not None
    return keys.order(redemption.order_merchant, redemption.order_id)


def free_order(redemption: RedemptionItem) -> dict[str, Any]:
    """Reversing a redemption gives its place on the order back: its hold out, what it took off the lines
    and the shipping back, and the order's main coupon gone if it was; only while the order holds it.
    (An order written before stacking is deleted, only while it names the redemption.)"""
    if redemption.order_seq is None:
        return {
            "Delete": {
                "Key": to_item(_order_key(redemption)),
                "ConditionExpression": "attribute_not_exists(PK) OR redemption_id = :rid",
                "ExpressionAttributeValues": values(rid=redemption.redemption_id),
            }
        }
    names = {"#rid": redemption.redemption_id}
    named: dict[str, Any] = {"one": 1}
    sets = ["seq = seq + :one"]
    for i, allocation in enumerate(redemption.allocations or []):
        names[f"#l{i}"] = str(allocation["line"])
        named[f"a{i}"] = allocation["amount"]
        sets.append(f"taken.#l{i} = taken.#l{i} - :a{i}")
    if redemption.order_cart is not None and redemption.shipping_discount:
        named["ship"] = redemption.shipping_discount
        sets.append("shipping_taken = shipping_taken - :ship")
    removed = "holds.#rid" + ("" if redemption.stackable else ", redemption_id, claim_id, locked_at")
    return {
        "Update": {
            "Key": to_item(_order_key(redemption)),
            "UpdateExpression": f"SET {', '.join(sets)} REMOVE {removed}",
            "ConditionExpression": "attribute_exists(holds.#rid)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values(**named),
        }
    }
