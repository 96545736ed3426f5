"""A merchant's store registry: the stores its coupons may be limited to and its staff accounts name."""

from __future__ import annotations

from typing import Any

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid
from coupon_service.merchant_items import StoreItem
from coupon_service.models.stores import StoreCreate, StoreDeleted, StoreOut, StorePage, StorePatch
from coupon_service.store.stores import StoreRegistry
from coupon_service.store.table import Table
from coupon_service.validity import to_iso


class Stores:
    """Every method works within `owner`'s registry: another merchant's store is a 404."""

    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.registry = StoreRegistry(table)
        self.clock = clock

    def create(self, owner: str, body: StoreCreate) -> StoreOut:
        now = to_iso(self.clock.now())
        item = StoreItem(
            merchant_id=owner,
            created_at=now,
            updated_at=now,
            **body.model_dump(mode="json", exclude_none=True),
        )
        return StoreOut.from_item(self.registry.add(item))

    def get(self, owner: str, store_id: str) -> StoreOut:
        return StoreOut.from_item(self.registry.store_of(owner, store_id))

    def list(self, owner: str, limit: int, token: str | None) -> StorePage:
        page = self.registry.page(owner, limit, token)
        return StorePage(items=[StoreOut.from_item(s) for s in page.stores], next_token=page.next_token)

    def edit(self, owner: str, store_id: str, patch: StorePatch) -> StoreOut:
        sent = patch.model_dump(mode="json", include=patch.model_fields_set)
        changes: dict[str, Any] = {k: v for k, v in sent.items() if v is not None}
        removed = [k for k, v in sent.items() if v is None]
        kept = [k for k in removed if k != "address"]
        if kept:
            raise Invalid("a store keeps its name and time zone: send a value", field=kept[0])
        if not changes and not removed:
            raise Invalid("nothing to change", field="body")
        changes["updated_at"] = to_iso(self.clock.now())
        return StoreOut.from_item(self.registry.edit(owner, store_id, changes, removed))

    def delete(self, owner: str, store_id: str) -> StoreDeleted:
        self.registry.remove(owner, store_id)
        return StoreDeleted(store_id=store_id)
