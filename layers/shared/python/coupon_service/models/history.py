"""A coupon's history as its merchant reads it: who changed what, when, from what to what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from coupon_service.models.common import DEFERRED

SECRET = "changed"  # noqa: S105  # what the history shows for a secret's before and after: never the value, nor its hash


class HistoryEntry(BaseModel):
    model_config = DEFERRED
    version: int = Field(description="The coupon's version this edit made")
    at: datetime
    by: str = Field(description="Who edited: the signed-in user's id")
    fields: list[str] = Field(description="What changed, by the edit's field names")
    before: dict[str, Any] = Field(description='Each changed field before the edit (a secret: "changed")')
    after: dict[str, Any]
    holders: str = Field(description="What the edit did to coupons already held: `unchanged` or `extending`")

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> HistoryEntry:
        return cls.model_validate({k: item[k] for k in cls.model_fields if k in item})


class HistoryPage(BaseModel):
    model_config = DEFERRED
    items: list[HistoryEntry] = Field(description="Newest first")
    next_token: str | None = None
