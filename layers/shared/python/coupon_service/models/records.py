"""A coupon's records as its merchant searches them: claims and redemptions in a time range, and the audit
of those searches. A phone number is only ever shown masked."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from coupon_service.items import ClaimItem, RedemptionItem
from coupon_service.lifecycle import wallet_status
from coupon_service.merchant_items import RecordsAuditItem
from coupon_service.models.common import DEFERRED

RecordKind = Literal["claim", "redemption"]
RecordStateName = Literal["available", "used", "expired", "gifting", "void", "redeemed", "reversed"]
DEFAULT_DAYS = 7  # as the figures: the last week unless asked
MAX_DAYS = 90


class RecordOut(BaseModel):
    """One claim or one redemption of the coupon."""

    model_config = DEFERRED
    kind: RecordKind
    at: datetime = Field(description="When it was claimed, or redeemed")
    state: RecordStateName = Field(
        description="A claim: available, used, expired, gifting or void; a redemption: redeemed or reversed"
    )
    claim_id: str
    redemption_id: str | None = Field(default=None, description="A redemption's id; a used claim's last one")
    customer_id: str = Field(
        description="Who claimed it (a claim), or held it when it was used (a redemption)"
    )
    nickname: str | None = Field(default=None, description="The claiming customer's nickname, as claimed")
    name: str | None = Field(default=None, description="The claiming customer's name, as claimed")
    phone_masked: str | None = Field(default=None, description="The claiming customer's phone, masked")
    channel: str | None = None
    valid_from: datetime | None = Field(default=None, description="A claim's window")
    valid_until: datetime | None = None
    store_id: str | None = Field(default=None, description="A redemption's store")
    order_id: str | None = None
    order_amount: int | None = Field(default=None, description="Minor units")
    discount: int | None = Field(default=None, description="Minor units")
    currency: str | None = None
    method: str | None = Field(default=None, description="A redemption's method: staff or self-service")
    reversed_at: datetime | None = None

    @classmethod
    def from_item(cls, item: ClaimItem | RedemptionItem, now: str) -> RecordOut:
        if isinstance(item, ClaimItem):
            return cls(
                kind="claim",
                at=datetime.fromisoformat(item.claimed_at),
                state=wallet_status(item, now),
                claim_id=item.claim_id,
                redemption_id=item.redemption_id,
                customer_id=item.claimer_id,
                nickname=item.nickname,
                name=item.name,
                phone_masked=item.phone_masked,
                channel=item.channel,
                valid_from=datetime.fromisoformat(item.valid_from),
                valid_until=datetime.fromisoformat(item.valid_until),
                currency=item.currency,
            )
        return cls(
            kind="redemption",
            at=datetime.fromisoformat(item.redeemed_at),
            state="reversed" if item.reversed_at else "redeemed",
            claim_id=item.claim_id,
            redemption_id=item.redemption_id,
            customer_id=item.customer_id,
            nickname=item.nickname,
            name=item.name,
            phone_masked=item.phone_masked,
            channel=item.channel,
            store_id=item.store_id,
            order_id=item.order_id,
            order_amount=item.order_amount,
            discount=item.discount,
            currency=item.currency,
            method=item.method,
            reversed_at=datetime.fromisoformat(item.reversed_at) if item.reversed_at else None,
        )


class RecordsPage(BaseModel):
    model_config = DEFERRED
    items: list[RecordOut] = Field(description="Newest first")
    start: datetime = Field(description="The range searched: from `start` (included)")
    end: datetime = Field(description="to `end` (excluded)")
    next_token: str | None = Field(
        default=None,
        description="More may follow (a page may be short, even empty, while filters are narrow)",
    )


class RecordSearch(BaseModel):
    """What a merchant searches a coupon's records for (the query string, as the route read it)."""

    model_config = DEFERRED
    start: datetime | None = None
    end: datetime | None = None
    nickname: str | None = None
    name: str | None = None
    phone: str | None = None
    channel: str | None = None
    store: str | None = None
    state: RecordStateName | None = None
    kind: RecordKind | None = None


class AuditEntryOut(BaseModel):
    """One read of a coupon's records: who read, when, what they searched for, how many rows they saw."""

    model_config = DEFERRED
    audit_id: str
    at: datetime
    by: str = Field(description="The user who read (their sign-in id)")
    role: str = Field(description="merchants or platform")
    coupon_id: str
    filters: dict[str, str] = Field(
        description="The range (`from`, `to`) and each filter given; a phone only as `phone_hash` (keyed)"
    )
    continued: bool = Field(description="A later page of a search")
    rows: int = Field(description="How many records the read answered")

    @classmethod
    def from_item(cls, item: RecordsAuditItem) -> AuditEntryOut:
        return cls.model_validate({k: v for k, v in item.model_dump().items() if k in cls.model_fields})


class AuditPage(BaseModel):
    model_config = DEFERRED
    items: list[AuditEntryOut] = Field(description="Newest first")
    next_token: str | None = None
