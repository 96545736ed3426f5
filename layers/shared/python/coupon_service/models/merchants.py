"""A merchant's settings: what the merchant sends and what the API answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from coupon_service.merchant_items import MerchantSettingsItem
from coupon_service.models.common import DEFERRED, Strict
from coupon_service.stacking import DEFAULT_MAX_STACKED, MAX_STACKED
from coupon_service.validity import is_valid_time_zone


class MerchantSettings(Strict):
    max_stacked_coupons: int = Field(
        default=DEFAULT_MAX_STACKED,
        ge=1,
        le=MAX_STACKED,
        description="How many stackable coupons one order takes (besides at most one that does not stack)",
    )
    time_zone: str | None = Field(
        default=None,
        examples=["Asia/Shanghai"],
        description="The days of the merchant's figures (default UTC)",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_time_zone(value):
            raise ValueError("not a known time zone (IANA name, e.g. Asia/Shanghai)")
        return value


class MerchantSettingsOut(BaseModel):
    model_config = DEFERRED
    merchant_id: str
    max_stacked_coupons: int
    time_zone: str | None = None
    updated_at: datetime | None = Field(default=None, description="None: never set, the defaults apply")

    @classmethod
    def from_item(cls, merchant_id: str, item: MerchantSettingsItem | None) -> MerchantSettingsOut:
        if item is None:
            return cls(merchant_id=merchant_id, max_stacked_coupons=DEFAULT_MAX_STACKED)
        return cls.model_validate({"merchant_id": merchant_id, **item.model_dump()})
