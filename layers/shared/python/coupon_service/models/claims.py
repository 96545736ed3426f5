"""Claims and the wallet: what a customer sends to claim and what their wallet shows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from coupon_service.items import ClaimItem
from coupon_service.lifecycle import WalletStatus, wallet_status
from coupon_service.models.common import DEFERRED, Strict, Text
from coupon_service.models.rules import Scope, SelfServiceVerification, TimeFrame
from coupon_service.models.terms import Terms
from coupon_service.self_service import self_service_of

# --- claims and the wallet -----------------------------------------------------------------------


class ClaimRequest(Strict):
    """An optional body for a claim; the channel comes as a query parameter."""

    note: Text | None = Field(default=None, max_length=200, description="Free text kept with the claim")
    passphrase: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The coupon's claim passphrase, if it has one",
    )


__all__ = ["ClaimRequest", "ClaimedCouponOut", "WalletPage", "WalletStatus"]


class ClaimedCouponOut(BaseModel):
    """One customer's coupon: what they hold, its code and its window."""

    model_config = DEFERRED

    claim_id: str
    coupon_id: str
    merchant_id: str
    merchants: list[str] | None = None
    title: str
    description: str
    currency: str
    terms: Terms
    scope: Scope
    status: WalletStatus
    code: str
    valid_from: datetime
    valid_until: datetime
    claimed_at: datetime
    channel: str
    self_service: bool
    self_service_verification: SelfServiceVerification | None = Field(
        default=None, description="With self-service: whether the store's code is asked"
    )
    giftable: bool
    voided_at: datetime | None = Field(default=None, description="Status `void`: when its merchant voided it")
    void_reason: str | None = Field(default=None, description="Status `void`: the merchant's reason")
    stores: dict[str, list[str]] | None = Field(
        default=None, description="Usable only at these stores (ids per merchant); none: at every store"
    )
    time_frames: list[TimeFrame] | None = Field(
        default=None, description="Usable only inside these weekly frames, in `time_zone`; none: any time"
    )
    time_zone: str | None = None
    test_release: bool = Field(
        default=False,
        description="Claimed from a draft by its merchant's staff or a tester: not in the figures",
    )

    @classmethod
    def from_item(cls, item: ClaimItem, now: str) -> ClaimedCouponOut:
        """What its holder sees of a claimed coupon at `now`."""
        record = item.record()
        mode = self_service_of(record)
        return cls.model_validate(
            {
                **record,
                "status": wallet_status(item, now),
                "self_service": mode is not None,
                "self_service_verification": mode,
                "test_release": bool(item.test_release),
            }
        )


class WalletPage(BaseModel):
    model_config = DEFERRED
    items: list[ClaimedCouponOut]
    next_token: str | None = None
