"""Outside events: what a merchant's systems report of its customers (joined, accepted an invitation,
reached a tier, completed a profile, bound a card, shared or posted content), on the bus (source
`coupons.customers`, the detail-type naming the kind) or through `POST /merchant/customer-events` (the same
detail under `detail_type`); and the events the service then publishes of them (source `coupons`), which
its rules worker (issuance) and points worker apply. Fields are only ever added."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import BaseModel, Field, Json, field_validator, model_validator

from coupon_service.models.common import DEFERRED, Name, Strict
from coupon_service.models.events import Event
from coupon_service.models.parameters import MERCHANT_PATTERN
from coupon_service.validity import Instant

# The merchants' source: never the service's own (`coupons`), which consumers trust as the outbox's.
CUSTOMER_EVENTS_SOURCE = "coupons.customers"
EventId = Field(description="The merchant's own id of the event: reporting it again is a replay")
MerchantId = Field(
    default=None,
    pattern=MERCHANT_PATTERN,
    description="The merchant: only a platform token names it (a merchant's own is implied); on the bus "
    "it is required",
)


def _month_day(value: str | None) -> str | None:
    """`MM-DD`, a day some year has (02-29 included)."""
    if value is None:
        return None
    if len(value) != 5 or value[2] != "-" or not (value[:2] + value[3:]).isascii():
        raise ValueError("a birthday is MM-DD")
    try:
        date.fromisoformat(f"2000-{value}")  # a leap year: 02-29 is a birthday
    except ValueError:
        raise ValueError("not a day of the year") from None
    return value


class OutsideDetail(Strict):
    """What every event a merchant reports carries first: its id (retries dedupe on it) and, on the bus, the
    merchant it is from."""

    event_id: Name = EventId
    merchant_id: str | None = MerchantId


class CustomerJoined(OutsideDetail):
    customer_id: Name
    joined_at: Instant
    birthday: str | None = Field(default=None, description="MM-DD", examples=["07-14"])
    tags: list[Name] | None = Field(default=None, max_length=20)

    _birthday = field_validator("birthday")(_month_day)


class InvitationAccepted(OutsideDetail):
    invitation_id: Name
    inviter_id: Name = Field(description="The customer who invited")
    invitee_id: Name = Field(description="The customer who accepted")
    accepted_at: Instant

    @model_validator(mode="after")
    def _two_customers(self) -> InvitationAccepted:
        if self.inviter_id == self.invitee_id:
            raise ValueError("invitee_id: a customer cannot invite themself")
        return self


class TierUpgraded(OutsideDetail):
    customer_id: Name
    tier: Name
    upgraded_at: Instant


class ProfileCompleted(OutsideDetail):
    customer_id: Name
    completed_at: Instant


class CardBound(OutsideDetail):
    customer_id: Name
    card_id: Name = Field(description="The loyalty card bound (points are earned for the first card only)")
    bound_at: Instant


class ContentShared(OutsideDetail):
    customer_id: Name
    content_id: Name = Field(description="What was shared: points once per customer and content")
    shared_at: Instant


class ContentPosted(OutsideDetail):
    customer_id: Name
    content_id: Name = Field(description="What was posted: points once per customer and content")
    posted_at: Instant


OutsideEvent = (
    CustomerJoined
    | InvitationAccepted
    | TierUpgraded
    | ProfileCompleted
    | CardBound
    | ContentShared
    | ContentPosted
)
DETAILS: dict[str, type[OutsideEvent]] = {
    "CustomerJoined": CustomerJoined,
    "InvitationAccepted": InvitationAccepted,
    "TierUpgraded": TierUpgraded,
    "ProfileCompleted": ProfileCompleted,
    "CardBound": CardBound,
    "ContentShared": ContentShared,
    "ContentPosted": ContentPosted,
}
# The kinds that only earn points (the points worker takes them; the issuance rules do not).
POINTS_ONLY = ("ProfileCompleted", "CardBound", "ContentShared", "ContentPosted")


# --- the API's body: the bus's detail-type and detail -------------------------------------------------


class JoinedReport(Strict):
    detail_type: Literal["CustomerJoined"]
    detail: CustomerJoined


class InvitationReport(Strict):
    detail_type: Literal["InvitationAccepted"]
    detail: InvitationAccepted


class TierReport(Strict):
    detail_type: Literal["TierUpgraded"]
    detail: TierUpgraded


class ProfileReport(Strict):
    detail_type: Literal["ProfileCompleted"]
    detail: ProfileCompleted


class CardReport(Strict):
    detail_type: Literal["CardBound"]
    detail: CardBound


class SharedReport(Strict):
    detail_type: Literal["ContentShared"]
    detail: ContentShared


class PostedReport(Strict):
    detail_type: Literal["ContentPosted"]
    detail: ContentPosted


CustomerEventReport = Annotated[
    JoinedReport | InvitationReport | TierReport | ProfileReport | CardReport | SharedReport | PostedReport,
    Field(discriminator="detail_type"),
]


class CustomerEventOut(BaseModel):
    """An outside event as it was stored (the same event again answers the same)."""

    model_config = DEFERRED
    event_id: str
    merchant_id: str
    detail_type: str
    received_at: str
    reported_via: str


# --- the bus and the rules worker's queue --------------------------------------------------------------


class BusEvent(EventBridgeModel):
    """An event as EventBridge delivers it (`account`: the AWS account that put it, which EventBridge
    sets); the detail is checked against its detail-type's model by whoever takes it."""

    detail: dict[str, Any]


class RulesRecord(SqsRecordModel):
    body: Json[BusEvent]


# --- what the service publishes of them (source `coupons`) ---------------------------------------------


class CustomerJoinedEvent(Event):
    detail_type: ClassVar[str] = "CustomerJoined"
    merchant_id: str
    customer_id: str
    joined_at: str
    birthday: str | None = None
    tags: list[str] | None = None
    reported_id: str = Field(description="The merchant's own id of the event")


class InvitationAcceptedEvent(Event):
    detail_type: ClassVar[str] = "InvitationAccepted"
    merchant_id: str
    invitation_id: str
    inviter_id: str
    invitee_id: str
    accepted_at: str
    reported_id: str


class TierUpgradedEvent(Event):
    detail_type: ClassVar[str] = "TierUpgraded"
    merchant_id: str
    customer_id: str
    tier: str
    upgraded_at: str
    reported_id: str


class ProfileCompletedEvent(Event):
    detail_type: ClassVar[str] = "ProfileCompleted"
    merchant_id: str
    customer_id: str
    completed_at: str
    reported_id: str


class CardBoundEvent(Event):
    detail_type: ClassVar[str] = "CardBound"
    merchant_id: str
    customer_id: str
    card_id: str
    bound_at: str
    reported_id: str


class ContentSharedEvent(Event):
    detail_type: ClassVar[str] = "ContentShared"
    merchant_id: str
    customer_id: str
    content_id: str
    shared_at: str
    reported_id: str


class ContentPostedEvent(Event):
    detail_type: ClassVar[str] = "ContentPosted"
    merchant_id: str
    customer_id: str
    content_id: str
    posted_at: str
    reported_id: str


CUSTOMER_EVENTS: tuple[type[Event], ...] = (
    CustomerJoinedEvent,
    InvitationAcceptedEvent,
    TierUpgradedEvent,
    ProfileCompletedEvent,
    CardBoundEvent,
    ContentSharedEvent,
    ContentPostedEvent,
)


def readable(records: list[dict[str, Any]]) -> dict[str, RulesRecord]:
    """The messages of an SQS batch that parse, by message id (the batch processor reports the others)."""
    found: dict[str, RulesRecord] = {}
    for raw in records:
        try:
            record = RulesRecord.model_validate(raw)
        except ValueError:
            continue
        found[record.messageId] = record
    return found
