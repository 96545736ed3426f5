"""A programme's points settings in the table (`MERCHANT#{merchantId}` / `POINTS`), read with the merchant's
time zone (its settings) and, for a check-in, the customer's balance, in one request; those with a birthday
rule also on GSI2 (`coupon_service.store.point_birthdays` walks them)."""

from __future__ import annotations

from coupon_service import keys
from coupon_service.merchant_items import MerchantSettingsItem
from coupon_service.point_items import PointsBalanceItem, PointsSettingsItem
from coupon_service.store.table import Table


class PointSettingsStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def settings(self, programme: str) -> PointsSettingsItem:
        """The programme's settings (the defaults until it sets them), with its merchant's time zone."""
        found, _ = self.settings_and_balance(programme, None)
        return found

    def settings_and_balance(
        self, programme: str, customer_id: str | None
    ) -> tuple[PointsSettingsItem, PointsBalanceItem | None]:
        wanted = [keys.points_settings(programme), keys.merchant_settings(programme)]
        if customer_id is not None:
            wanted.append(keys.points_balance(customer_id, programme))
        by_key = {(item["PK"], item["SK"]): item for item in self.table.batch_get(wanted)}

        def found(key: dict[str, str]) -> dict[str, object] | None:
            return by_key.get((key["PK"], key["SK"]))

        points = found(wanted[0])
        settings = PointsSettingsItem.model_validate(points or {"merchant_id": programme})
        merchant = found(wanted[1])
        if merchant is not None:
            settings.time_zone = MerchantSettingsItem.model_validate(merchant).time_zone or "UTC"
        if customer_id is None:
            return settings, None
        balance = found(wanted[2])
        if balance is None:
            return settings, PointsBalanceItem(customer_id=customer_id, programme=programme)
        return settings, PointsBalanceItem.model_validate(balance)

    def replace(self, settings: PointsSettingsItem) -> None:
        """The settings as given; with a birthday rule they are on the birthday run's index (GSI2), and a
        put without it takes them off."""
        data = settings.model_dump(exclude={"time_zone"}, exclude_none=True)
        record = {**keys.points_settings(settings.merchant_id), "type": "points_settings", **data}
        if settings.earning.get("birthday"):
            record.update(keys.birthday_programme(settings.merchant_id))
        self.table.put(record)
