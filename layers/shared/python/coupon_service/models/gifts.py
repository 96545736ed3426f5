"""Gifts: what the giver and the friend are answered."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from coupon_service.items import GiftItem, GiftState
from coupon_service.models.common import DEFERRED
from coupon_service.models.rules import Scope
from coupon_service.models.terms import Terms
from coupon_service.validity import from_iso


class GiftCreated(BaseModel):
    model_config = DEFERRED
    token: str = Field(description="Share it with one friend; it is shown only once")
    share_url: str
    claim_id: str
    state: GiftState
    expires_at: datetime

    @classmethod
    def of(cls, gift: GiftItem, token: str, web_url: str) -> GiftCreated:
        return cls(
            token=token,
            share_url=f"{web_url}/c/gifts/{token}",  # the web app's accept page
            claim_id=gift.claim_id,
            state="pending",
            expires_at=from_iso(gift.gift_expires_at),
        )


class GiftView(BaseModel):
    """What a friend sees before accepting: the coupon and who gives it, never its code."""

    model_config = DEFERRED

    state: GiftState
    expires_at: datetime
    giver_name: str
    message: str | None = None
    title: str
    description: str
    merchant_id: str
    merchants: list[str] | None = None
    currency: str
    terms: Terms
    scope: Scope
    valid_from: datetime
    valid_until: datetime
    time_zone: str | None = Field(default=None, description="The coupon's, to show its window in")

    @classmethod
    def of(cls, gift: GiftItem, now: str) -> GiftView:
        return cls.model_validate(
            {**gift.model_dump(), "state": gift.state_at(now), "expires_at": gift.gift_expires_at}
        )
