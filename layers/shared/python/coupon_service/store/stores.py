"""A merchant's stores in the table: one item per store, listed by merchant on GSI1; the existence check a
coupon's store list needs, in one batch read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from coupon_service import keys
from coupon_service.errors import Conflict, NotFound
from coupon_service.merchant_items import StoreItem
from coupon_service.store.table import Cancelled, Table, values

LISTING = "stores"  # what page tokens of a merchant's stores are signed for
_SAME_STORE = ("name", "time_zone", "address")


@dataclass(frozen=True)
class StoresPage:
    stores: list[StoreItem]  # by store id
    next_token: str | None


def _missing() -> NotFound:
    # Another merchant's store and a missing one look the same.
    return NotFound("no such store", field="storeId")


class StoreRegistry:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- reads -----------------------------------------------------------------------------------

    def store_of(self, merchant_id: str, store_id: str) -> StoreItem:
        found = self.table.get(keys.store(merchant_id, store_id))
        if found is None:
            raise _missing()
        return StoreItem.model_validate(found)

    def page(self, merchant_id: str, limit: int, token: str | None) -> StoresPage:
        partition = keys.merchant_stores(merchant_id)
        items, next_token = self.table.listing_page(partition, listing=LISTING, limit=limit, token=token)
        return StoresPage(stores=[StoreItem.model_validate(i) for i in items], next_token=next_token)

    def existing(self, wanted: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the (merchant, store) pairs are in their merchant's registry: one batch read."""
        pairs = list(dict.fromkeys(wanted))
        if not pairs:
            return set()
        found = self.table.batch_get([keys.store(m, s) for m, s in pairs])
        return {(item["merchant_id"], item["store_id"]) for item in found}

    # --- writes ----------------------------------------------------------------------------------

    def add(self, store: StoreItem) -> StoreItem:
        """A new store under an id its merchant has not used. The same store sent again (a retry whose
        answer was lost) is that store; another store under a taken id is a 409."""
        record = {
            **keys.store(store.merchant_id, store.store_id),
            "type": "store",
            **store.model_dump(exclude_none=True),
            **keys.store_listing(store.merchant_id, store.store_id),
        }
        try:
            self.table.put(record, ConditionExpression="attribute_not_exists(PK)")
        except Cancelled as cancelled:
            existing = cancelled.old(0) or {}
            if all(existing.get(f) == record.get(f) for f in _SAME_STORE):
                return StoreItem.model_validate(existing)
            raise Conflict(
                "a store with this id exists already", code="store_exists", field="store_id"
            ) from None
        return store

    def edit(self, merchant_id: str, store_id: str, changes: dict[str, Any], removed: list[str]) -> StoreItem:
        names = {f"#a{i}": name for i, name in enumerate(changes)}
        names.update({f"#r{i}": name for i, name in enumerate(removed)})
        expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(changes)))
        if removed:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
        try:
            updated = self.table.update(
                keys.store(merchant_id, store_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values(**{f"a{i}": v for i, v in enumerate(changes.values())}),
                ReturnValues="ALL_NEW",
            )
        except Cancelled:
            raise _missing() from None
        return StoreItem.model_validate(updated)

    def remove(self, merchant_id: str, store_id: str) -> None:
        try:
            self.table.delete(keys.store(merchant_id, store_id), ConditionExpression="attribute_exists(PK)")
        except Cancelled as cancelled:
            if not cancelled.ambiguous:  # a retry after our own delete committed finds nothing: done
                raise _missing() from None
