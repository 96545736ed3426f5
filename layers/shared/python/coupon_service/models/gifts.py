"""Gifts: the gift as the table holds it, and what the giver and the friend are answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coupon_service.models.coupons import Scope, Terms
from coupon_service.validity import from_iso

GiftState = Literal["pending", "accepted", "cancelled", "expired"]

# --- the stored gift -----------------------------------------------------------------------------


class GiftItem(BaseModel):
    """A gift item (without its keys): who gives which claimed coupon, until when, and a copy of what the
    friend sees. Times are the table's fixed-width UTC strings, compared as strings like the conditions do.
    `expired` is stored only once the reminder run settled a lapsed gift; before, a read derives it."""

    model_config = ConfigDict(extra="allow")  # the key attributes, and any written by later versions

    type: Literal["gift"] = "gift"
    gift_id: str
    state: GiftState
    claim_id: str
    coupon_id: str
    merchant_id: str
    merchants: list[str] | None = None
    giver_id: str
    giver_name: str
    created_at: str
    gift_expires_at: str
    expires_at: int  # the TTL for clean-up only
    notify_giver: bool = False
    message: str | None = None
    title: str
    description: str
    currency: str
    terms: dict[str, Any]
    scope: dict[str, Any]
    valid_from: str
    valid_until: str
    friend_id: str | None = None
    friend_name: str | None = None
    accepted_at: str | None = None
    cancelled_at: str | None = None

    def state_at(self, now: str) -> GiftState:
        """The state at `now`: a pending gift past its lifetime is expired, whether settled yet or not."""
        if self.state == "pending" and self.gift_expires_at <= now:
            return "expired"
        return self.state

    def lapsed(self, now: str) -> bool:
        """Still stored as pending, but past its lifetime: what the reminder run settles."""
        return self.state == "pending" and self.gift_expires_at <= now


# --- API -----------------------------------------------------------------------------------------


class GiftCreated(BaseModel):
    token: str = Field(description="Share it with one friend; it is shown only once")
    share_url: str
    claim_id: str
    state: GiftState
    expires_at: datetime

    @classmethod
    def of(cls, gift: GiftItem, token: str, base_url: str) -> GiftCreated:
        return cls(
            token=token,
            share_url=f"{base_url}/gifts/{token}",
            claim_id=gift.claim_id,
            state="pending",
            expires_at=from_iso(gift.gift_expires_at),
        )


class GiftView(BaseModel):
    """What a friend sees before accepting: the coupon and who gives it, never its code."""

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

    @classmethod
    def of(cls, gift: GiftItem, now: str) -> GiftView:
        return cls.model_validate(
            {**gift.model_dump(), "state": gift.state_at(now), "expires_at": gift.gift_expires_at}
        )
