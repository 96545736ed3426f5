"""Stores: a merchant's registry of the places its tills are, what a merchant sends and what it reads."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from coupon_service.merchant_items import StoreItem
from coupon_service.models.common import DEFERRED, Strict, Text
from coupon_service.models.parameters import STORE_ID_PATTERN
from coupon_service.validity import is_valid_time_zone

StoreIdPattern = STORE_ID_PATTERN  # a store's id is the merchant's own store code
StoreId = Field(pattern=StoreIdPattern, examples=["sh-001"], description="The merchant's own store code")


class Address(Strict):
    line1: Text = Field(min_length=1, max_length=200)
    line2: Text | None = Field(default=None, max_length=200)
    city: Text = Field(min_length=1, max_length=100)
    region: Text | None = Field(default=None, max_length=100)
    postal_code: Text | None = Field(default=None, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


def _zone(value: str | None) -> str | None:
    if value is not None and not is_valid_time_zone(value):
        raise ValueError("not an IANA time zone")
    return value


class StoreCreate(Strict):
    store_id: str = StoreId
    name: Text = Field(min_length=1, max_length=100)
    time_zone: str = Field(examples=["Asia/Shanghai"])
    address: Address | None = None

    _known_zone = field_validator("time_zone")(_zone)


class StorePatch(Strict):
    """The fields to change; the id never changes (coupons and staff accounts name it)."""

    name: Text | None = Field(default=None, min_length=1, max_length=100)
    time_zone: str | None = None
    address: Address | None = None

    _known_zone = field_validator("time_zone")(_zone)


class StoreOut(BaseModel):
    model_config = DEFERRED
    store_id: str
    merchant_id: str
    name: str
    time_zone: str
    address: Address | None = None
    created_at: str
    updated_at: str

    @classmethod
    def from_item(cls, item: StoreItem) -> StoreOut:
        return cls.model_validate(item.model_dump(include=set(cls.model_fields)))


class StorePage(BaseModel):
    model_config = DEFERRED
    items: list[StoreOut]
    next_token: str | None = None


class StoreDeleted(BaseModel):
    model_config = DEFERRED
    store_id: str
    deleted: bool = True
