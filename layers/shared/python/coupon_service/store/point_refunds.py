"""An order's refunds against the points it earned, in the table: each refund is one transaction of the
order's credit entry (the amount refunded so far, the points wanted back so far and the refunds counted, on
condition the count is still the one read), the balance's debit (never below zero) and the refund's own
entry (absent before). The order's totals make the take-back cumulative, whatever the number or the order
of the refunds; the count's condition keeps two refunds of one order at once from counting on the same
totals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coupon_service import keys
from coupon_service.errors import Changed
from coupon_service.point_items import PointsEntryItem
from coupon_service.store.point_expiry import PointsExpiryStore
from coupon_service.store.point_parts import debit_parts, points_due, refused_parts
from coupon_service.store.table import Cancelled, Table, to_item, values


@dataclass(frozen=True)
class Refused:
    """The refund's change was not written: the order's refunds moved meanwhile, or the balance held points
    due to expire, now expired (`held` None: read the order again), or the balance holds fewer points than
    the debit asked (`held`: what it holds)."""

    held: int | None = None


@dataclass(frozen=True)
class Refund:
    refund_id: str
    amount: int
    wanted_total: int  # the points wanted back of the order once this refund counts


def _order_update(order: PointsEntryItem, refund: Refund) -> dict[str, Any]:
    count = order.refund_count or 0
    named: dict[str, Any] = {
        "r": (order.refunded or 0) + refund.amount,
        "w": refund.wanted_total,
        "n": count + 1,
        "ids": {**(order.refunds or {}), refund.refund_id: refund.amount},
    }
    if count:
        condition, named["was"] = "#n = :was", count
    else:
        condition = "attribute_not_exists(#n)"
    return {
        "Update": {
            "Key": to_item(keys.points_entry(order.customer_id, order.programme, order.entry_id)),
            "UpdateExpression": "SET #r = :r, #w = :w, #n = :n, #ids = :ids",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {
                "#r": "refunded",
                "#w": "taken_back",
                "#n": "refund_count",
                "#ids": "refunds",
            },
            "ExpressionAttributeValues": values(**named),
        }
    }


class PointRefunds:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def record(
        self, order: PointsEntryItem, refund: Refund, entry: PointsEntryItem | None
    ) -> PointsEntryItem | Refused | None:
        """Count `refund` on the order's credit `order` (as read) and write its `entry` (None: the refund
        wants nothing back yet). The entry written (or None), or the refund's entry written before (another
        delivery, or this call's own attempt whose answer was lost), or Refused."""
        parts: list[tuple[str, dict[str, Any]]] = [("order", _order_update(order, refund))]
        if entry is not None:
            parts += debit_parts(entry)  # a shortfall onto the debt with it
        names = [name for name, _ in parts]
        try:
            self.table.transact([operation for _, operation in parts])
        except Cancelled as cancelled:
            refused = refused_parts(names, cancelled)
            if "entry" in refused:  # counted before: that change is the answer
                return PointsEntryItem.model_validate(refused["entry"] or {})
            if "balance" in refused:
                old = refused["balance"]
                if entry is not None and points_due(old, entry.at):  # due points first: expired, read again
                    expiries = PointsExpiryStore(self.table)
                    expiries.expire_ledger(entry.customer_id, entry.programme, entry.at, read=old)
                    return Refused()
                return Refused(held=int((old or {}).get("balance", 0)))
            if "order" in refused:
                return Refused()
            raise Changed("the ledger changed meanwhile; try again") from cancelled
        return entry
