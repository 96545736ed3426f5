"""A merchant's settings: read and replaced by the merchant (or the platform operator for itself)."""

from __future__ import annotations

from coupon_service.clock import SYSTEM, Clock
from coupon_service.merchant_items import MerchantSettingsItem
from coupon_service.models.merchants import MerchantSettings, MerchantSettingsOut
from coupon_service.store.merchants import MerchantSettingsStore
from coupon_service.store.table import Table
from coupon_service.validity import to_iso


class Merchants:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = MerchantSettingsStore(table)
        self.clock = clock

    def settings(self, merchant_id: str) -> MerchantSettingsOut:
        return MerchantSettingsOut.from_item(merchant_id, self.store.settings(merchant_id))

    def replace_settings(self, merchant_id: str, body: MerchantSettings) -> MerchantSettingsOut:
        item = MerchantSettingsItem(**body.model_dump(), updated_at=to_iso(self.clock.now()))
        self.store.replace(merchant_id, item)
        return MerchantSettingsOut.from_item(merchant_id, item)
