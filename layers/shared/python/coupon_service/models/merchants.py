"""A merchant's settings: what the merchant sends and what the API answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from coupon_service.items import MerchantSettingsItem
from coupon_service.models.common import DEFERRED, Strict
from coupon_service.stacking import DEFAULT_MAX_STACKED, MAX_STACKED


class MerchantSettings(Strict):
    max_stacked_coupons: int = Field(
        default=DEFAULT_MAX_STACKED,
        ge=1,
        le=MAX_STACKED,
        description="How many stackable coupons one order takes (besides at most one that does not stack)",
    )


class MerchantSettingsOut(BaseModel):
    model_config = DEFERRED
    merchant_id: str
    max_stacked_coupons: int
    updated_at: datetime | None = Field(default=None, description="None: never set, the defaults apply")

    @classmethod
    def from_item(cls, merchant_id: str, item: MerchantSettingsItem | None) -> MerchantSettingsOut:
        if item is None:
            return cls(merchant_id=merchant_id, max_stacked_coupons=DEFAULT_MAX_STACKED)
        return cls.model_validate({"merchant_id": merchant_id, **item.model_dump()})
