"""The points expiry's DynamoDB side: the ledgers with lots due by day (GSI2), and one ledger's expiry, one
transaction conditioned on the balance's version as read (`coupon_service.points.expiry`)."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.point_items import PointsBalanceItem, PointsEntryItem, PointsLotItem
from coupon_service.store.points import entry_put
from coupon_service.store.table import Cancelled, Table, to_item, values


class PointsExpiryStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def due_ledgers(self, day: str, shard: int, now: str) -> list[tuple[str, str]]:
        """The ledgers with a lot due by `now` on one UTC day's partition (each once)."""
        found = self.table.query_all(
            index="GSI2",
            key_condition="GSI2PK = :p AND GSI2SK < :bound",
            ExpressionAttributeValues=values(p=keys.points_due(day, shard), bound=keys.points_due_bound(now)),
        )
        return list(dict.fromkeys((item["customer_id"], item["programme"]) for item in found))

    def expire(
        self,
        read: PointsBalanceItem,
        lots: list[PointsLotItem],
        expired: int,
        consumed: int,
        entry: PointsEntryItem,
    ) -> bool:
        """Take the due `lots` out, `expired` points off the balance and `consumed` as what stays charged to
        later lots, with the expiry's entry (none when nothing expires), on condition the balance is still
        the one read; False when it changed meanwhile (read again)."""
        key = keys.points_balance(read.customer_id, read.programme)
        balance = {
            "Update": {
                "Key": to_item(key),
                "UpdateExpression": "SET #u = :c ADD balance :minus, version :one",
                "ConditionExpression": "version = :v" if read.version else "attribute_not_exists(version)",
                "ExpressionAttributeNames": {"#u": "consumed"},
                "ExpressionAttributeValues": values(
                    c=consumed, minus=-expired, one=1, **({"v": read.version} if read.version else {})
                ),
            }
        }
        parts: list[tuple[str, dict[str, Any]]] = [("balance", balance)]
        for lot in lots:
            parts.append(
                (
                    "lot",
                    {
                        "Delete": {
                            "Key": to_item(keys.points_lot(lot.customer_id, lot.programme, lot.expires_at)),
                            "ConditionExpression": "points = :p",
                            "ExpressionAttributeValues": values(p=lot.points),
                        }
                    },
                )
            )
        if expired:
            parts.append(("entry", entry_put(entry)))
        try:
            self.table.transact([operation for _, operation in parts])
        except Cancelled:
            return False
        return True
