"""A merchant's settings in the table: one small item per merchant, read where an order at the merchant
is quoted or redeemed with stackable coupons."""

from __future__ import annotations

from coupon_service import keys
from coupon_service.merchant_items import MerchantSettingsItem
from coupon_service.stacking import DEFAULT_MAX_STACKED
from coupon_service.store.table import Table


class MerchantSettingsStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def settings(self, merchant_id: str) -> MerchantSettingsItem | None:
        found = self.table.get(keys.merchant_settings(merchant_id))
        return MerchantSettingsItem.model_validate(found) if found else None

    def max_stacked(self, merchant_id: str) -> int:
        """How many stackable coupons one order at the merchant takes (the default until it says)."""
        found = self.settings(merchant_id)
        return found.max_stacked_coupons if found else DEFAULT_MAX_STACKED

    def replace(self, merchant_id: str, settings: MerchantSettingsItem) -> None:
        """The merchant's settings as sent (a repeated request writes the same)."""
        self.table.put(
            {**keys.merchant_settings(merchant_id), "type": "merchant_settings", **settings.model_dump()}
        )
