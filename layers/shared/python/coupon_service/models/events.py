"""The domain events the outbox publishes: one model per event, its `detail-type` and its fields (the
`detail` a consumer reads on the bus)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from coupon_service.models.common import DEFERRED
from coupon_service.models.issuing import IssueReason


class Event(BaseModel):
    """An event's detail. `event_id` is the same for the same change, so consumers can drop duplicates."""

    model_config = DEFERRED

    detail_type: ClassVar[str]
    version: str = "1"
    event_id: str
    occurred_at: str


class CouponCreated(Event):
    detail_type: ClassVar[str] = "CouponCreated"
    coupon_id: str
    merchant_id: str
    issuer: str
    kind: str
    code_mode: str
    status: str
    title: str


class CouponClaimed(Event):
    detail_type: ClassVar[str] = "CouponClaimed"
    claim_id: str
    coupon_id: str
    merchant_id: str
    customer_id: str
    channel: str
    valid_from: str
    valid_until: str
    test_release: bool | None = Field(
        default=None, description="True: claimed in a draft's test release (not in the figures)"
    )


class CouponExpiring(Event):
    detail_type: ClassVar[str] = "CouponExpiring"
    claim_id: str
    coupon_id: str
    merchant_id: str
    customer_id: str
    valid_until: str
    message: str


class CouponRedeemed(Event):
    detail_type: ClassVar[str] = "CouponRedeemed"
    redemption_id: str
    claim_id: str
    coupon_id: str
    merchant_id: str
    customer_id: str
    method: str
    redeemed_by: str
    verified: bool | None = Field(
        default=None, description="Self-service: whether the store's code was checked"
    )
    redeemed_at_merchant: str | None = None
    store_id: str | None = None
    order_id: str | None = None
    order_amount: int | None = None
    currency: str | None = None
    discount: int | None = None
    line_discount: int | None = None
    shipping_discount: int | None = None
    allocations: list[dict[str, Any]] = []
    points: int | None = None
    item: str | None = None
    test_release: bool | None = Field(
        default=None, description="True: a coupon claimed in a draft's test release (not in the figures)"
    )


class RedemptionReversed(Event):
    detail_type: ClassVar[str] = "RedemptionReversed"
    redemption_id: str
    claim_id: str
    coupon_id: str
    merchant_id: str
    usable_again: bool
    customer_id: str | None = Field(default=None, description="Who redeemed it (the redemption's customer)")
    redeemed_at: str | None = Field(default=None, description="When the reversed redemption was made")
    points: int | None = Field(default=None, description="A points coupon: the points it credited")


class GiftAccepted(Event):
    detail_type: ClassVar[str] = "GiftAccepted"
    claim_id: str
    coupon_id: str
    merchant_id: str
    title: str
    giver_id: str
    friend_id: str
    friend_name: str
    notify_giver: bool
    message: str | None = Field(default=None, description="The merchant's gift message")


class CodeGuessingSuspected(Event):
    """A staff member spent the budget of unknown codes: named, never the codes they tried."""

    detail_type: ClassVar[str] = "CodeGuessingSuspected"
    staff_id: str
    merchant_id: str
    unknown_codes: int
    locked_until: str


class ImportFinished(Event):
    detail_type: ClassVar[str] = "ImportFinished"
    job_id: str
    coupon_id: str
    merchant_id: str
    status: str
    imported: int
    failed: int


class VerificationUnderAttack(Event):
    """Many wrong store codes on one coupon in one window: someone is guessing. Never carries a code."""

    detail_type: ClassVar[str] = "VerificationUnderAttack"
    coupon_id: str
    merchant_id: str
    window_start: str
    window_end: str
    wrong_codes: int = Field(description="Wrong codes counted in the window when it was raised")
    customers: list[str] = Field(description="The customers whose wrong codes were counted")
    slowed_until: str = Field(
        description="Until then, a claimed coupon with a wrong code waits between tries"
    )


class CouponVoided(Event):
    """A merchant voided one customer's coupon (never its code)."""

    detail_type: ClassVar[str] = "CouponVoided"
    claim_id: str
    coupon_id: str
    merchant_id: str
    customer_id: str = Field(description="Who held it when it was voided")
    voided_by: str
    reason: str


class CouponChanged(Event):
    """A merchant edited a coupon: which fields, never a secret's value (a rotation is
    `self_service.codes`)."""

    detail_type: ClassVar[str] = "CouponChanged"
    coupon_id: str
    merchant_id: str
    coupon_version: int = Field(description="The coupon's version after the edit")
    changed: list[str] = Field(description="The edit's field names, e.g. `validity`, `options.reminder`")
    changed_by: str
    holders: str = Field(description="`extending` when held coupons' windows are being extended")
    validity: dict[str, Any] | None = Field(
        default=None, description="The new validity, when held coupons' windows are being extended"
    )


class CouponExtended(Event):
    """A held coupon's window grew to the coupon's lengthened validity (`holders`), one per claimed coupon."""

    detail_type: ClassVar[str] = "CouponExtended"
    claim_id: str
    coupon_id: str
    merchant_id: str
    customer_id: str
    previous_until: str
    valid_until: str


class CouponLowStock(Event):
    """A coupon's remaining units (summed over its shards) fell to or under its low-stock threshold: once
    per crossing (`crossing` counts them; a raise above the threshold re-arms it)."""

    detail_type: ClassVar[str] = "CouponLowStock"
    coupon_id: str
    merchant_id: str
    threshold: int
    remaining: int = Field(description="Units remaining when the crossing was seen")
    crossing: int


class CouponSoldOut(Event):
    """A coupon's limited inventory ran out: once per sell-out (`crossing` counts them)."""

    detail_type: ClassVar[str] = "CouponSoldOut"
    coupon_id: str
    merchant_id: str
    crossing: int


class CouponGranted(CouponClaimed):
    """The service issued a customer a coupon (a merchant's grant, an issuance rule): the claimed coupon it
    made (its `CouponClaimed`, channel `grant` or `rule`, is published too) and why."""

    detail_type: ClassVar[str] = "CouponGranted"
    reason: IssueReason


class ClaimAbuseSuspected(Event):
    """More accounts than the threshold claimed a merchant's coupons from one device or one IP in one window:
    a heuristic for one person with many accounts (a device id is the app's word, an IP may be an office's),
    for the merchant to look at; once per window. The device or IP only as its keyed hash."""

    detail_type: ClassVar[str] = "ClaimAbuseSuspected"
    merchant_id: str
    kind: Literal["device", "ip"]
    subject_hash: str = Field(description="The device id's or the IP's keyed hash, never the value")
    window_start: str
    window_end: str
    threshold: int = Field(description="Accounts per window beyond which it is raised")
    accounts: int = Field(description="Accounts counted when it was raised")
    customers: list[str] = Field(description="The accounts counted")
