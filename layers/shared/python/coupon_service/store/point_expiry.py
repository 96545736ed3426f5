"""The points expiry's DynamoDB side: the ledgers with lots due by day (GSI2), and one ledger's expiry, one
transaction conditioned on the balance's version as read. The scheduled run (`coupon_service.points.expiry`)
expires each ledger it finds; a debit refused for points already due (`PointsDue`: the claim's transaction,
a merchant's adjustment, a refund's take-back) expires its own ledger the same way and tries once more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from coupon_service import keys
from coupon_service.errors import Busy, PointsDue
from coupon_service.point_items import PointsBalanceItem, PointsEntryItem, PointsLotItem
from coupon_service.point_rules import expire
from coupon_service.store.points import MAX_LOTS, PointsStore, entry_id, entry_put, expires
from coupon_service.store.table import Cancelled, Table, to_item, values

TRIES = 5
Outcome = Literal["expired", "nothing", "deferred"]
T = TypeVar("T")


class PointsExpiryStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()
        self.points = PointsStore(self.table)

    def due_ledgers(self, day: str, shard: int, now: str) -> list[tuple[str, str]]:
        """The ledgers with a lot due by `now` on one UTC day's partition (each once)."""
        found = self.table.query_all(
            index="GSI2",
            key_condition="GSI2PK = :p AND GSI2SK < :bound",
            ExpressionAttributeValues=values(p=keys.points_due(day, shard), bound=keys.points_due_bound(now)),
        )
        return list(dict.fromkeys((item["customer_id"], item["programme"]) for item in found))

    def expire_ledger(
        self, customer_id: str, programme: str, now: str, *, read: dict[str, Any] | None = None
    ) -> tuple[Outcome, int]:
        """Expire the ledger's lots due by `now` (at most MAX_LOTS a transaction), charging them first what
        debits took; what this call took off the balance. Exactly once per lot, however many runs and
        refused debits expire the same ledger at once: each transaction deletes the lots it read and is
        conditioned on the balance's version as read (the entry's source names that version, so a lot
        recreated at an instant already expired expires as a new entry). `read`: the balance as a refused
        debit found it (its old image), which spares the first read."""
        taken, tries = 0, 0
        while tries < TRIES:
            if read is not None:
                balance, read = PointsBalanceItem.model_validate(read), None
            else:
                balance = self.points.balance(customer_id, programme)
            lots = self.points.lots(customer_id, programme)  # soonest first, `never` last
            all_due = [lot for lot in lots if expires(lot.expires_at) and lot.expires_at <= now]
            due = all_due[:MAX_LOTS]
            stale = balance.expires_next is not None and balance.expires_next <= now
            if not due and not stale:
                return ("expired" if taken else "nothing"), taken
            after = [lot.expires_at for lot in lots[len(due) :] if expires(lot.expires_at)]
            result = expire(sum(lot.points for lot in due), balance.consumed)
            # The version read, not the instant alone: a late credit can recreate a lot at an instant that
            # expired already, and its expiry is another entry (the version's condition keeps it once).
            source = f"expiry:{due[-1].expires_at if due else now}:{balance.version or 0}"
            entry = PointsEntryItem(
                entry_id=entry_id(source),
                customer_id=customer_id,
                programme=programme,
                source=source,
                reason="expiry",
                points=-result.expired,
                at=now,
                detail={"lots": {lot.expires_at: lot.points for lot in due}},
            )
            soonest = after[0] if after else None
            if self.expire(balance, due, result.expired, result.consumed, entry, soonest=soonest):
                taken += result.expired
                if len(all_due) == len(due):  # nothing due left: no read again
                    return ("expired" if taken else "nothing"), taken
            else:
                tries += 1  # changed meanwhile (a credit, a debit, an overlapping run): read again
        return "deferred", taken

    def after_expiring(self, customer_id: str, programme: str, now: str, debit: Callable[[], T]) -> T:
        """`debit()`; refused for points already due, the ledger's due lots expire and it is tried once more
        (still refused so: Busy, a 503 the caller may retry)."""
        try:
            return debit()
        except PointsDue as due:
            self.expire_ledger(customer_id, programme, now, read=due.balance)
        try:
            return debit()
        except PointsDue as still:
            raise Busy("points of this ledger are being expired; try again", field="points") from still

    def expire(
        self,
        read: PointsBalanceItem,
        lots: list[PointsLotItem],
        expired: int,
        consumed: int,
        entry: PointsEntryItem,
        *,
        soonest: str | None = None,
    ) -> bool:
        """Take the due `lots` out, `expired` points off the balance and `consumed` as what stays charged to
        later lots, with the expiry's entry (none when nothing expires), and `soonest` (the next lot's
        instant; None: no lot left that expires) as the balance's `expires_next`, on condition the balance
        is still the one read; False when it changed meanwhile (read again)."""
        key = keys.points_balance(read.customer_id, read.programme)
        named: dict[str, Any] = {"c": consumed, "minus": -expired, "one": 1}
        if read.version:
            named["v"] = read.version
        update = "SET #u = :c" + (", expires_next = :next" if soonest else "")
        update += " ADD balance :minus, version :one" + ("" if soonest else " REMOVE expires_next")
        if soonest:
            named["next"] = soonest
        balance = {
            "Update": {
                "Key": to_item(key),
                "UpdateExpression": update,
                "ConditionExpression": "version = :v" if read.version else "attribute_not_exists(version)",
                "ExpressionAttributeNames": {"#u": "consumed"},
                "ExpressionAttributeValues": values(**named),
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
