"""A merchant's customer directory: what a merchant sends of a customer and what it reads back."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from coupon_service.merchant_items import CustomerItem
from coupon_service.models.common import DEFERRED, Strict, Text
from coupon_service.validity import Instant

MAX_TAGS = 20
Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]


def _real_day(value: str) -> str:
    month, day = int(value[:2]), int(value[3:])
    try:
        date(2000, month, day)  # a leap year: 02-29 is a birthday
    except ValueError:
        raise ValueError("not a day of the year (MM-DD)") from None
    return value


MonthDay = Annotated[
    str, Field(pattern=r"^[0-9]{2}-[0-9]{2}$", examples=["02-29"]), AfterValidator(_real_day)
]


class CustomerUpdate(Strict):
    """The fields to set; a field left out (or null) stays as it is. `tags` replaces the customer's tags
    (`[]`: none)."""

    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    birthday: MonthDay | None = None
    tier: Text | None = Field(default=None, min_length=1, max_length=40)
    joined_at: Instant | None = None


class CustomerOut(BaseModel):
    model_config = DEFERRED
    customer_id: str
    merchant_id: str
    tags: list[str]
    birthday: str | None = None
    tier: str | None = None
    joined_at: str | None = None
    created_at: str
    updated_at: str

    @classmethod
    def from_item(cls, item: CustomerItem) -> CustomerOut:
        return cls.model_validate(item.model_dump(include=set(cls.model_fields)))
