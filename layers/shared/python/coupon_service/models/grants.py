"""Grants: a merchant issues a coupon to many customers at once (coupon_service.grants)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, Discriminator, Field, Json, Tag

from coupon_service.grant_items import GrantItem, GrantStatus, SourceType
from coupon_service.models.common import DEFERRED, Name, Strict
from coupon_service.models.imports import S3TestEvent, UploadForm, UploadNotification, UploadRequest
from coupon_service.models.issuing import IssueStatus

MAX_LISTED = 10_000
NOT_REACHED_SHOWN = 100
GRANT_ID_PATTERN = r"^[0-9a-f]{32}$"
SEGMENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
CustomerId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]*$")]
SOURCES = ("customer_ids", "tag", "segment_id", "upload")


class GrantRequest(Strict):
    """Exactly one source of customers: a list of ids, the customers of a tag (the merchant's customer
    directory), the last membership of a segment, or a file of ids uploaded with the form answered."""

    customer_ids: list[CustomerId] | None = Field(
        default=None, min_length=1, max_length=MAX_LISTED, description="Given twice, issued once"
    )
    tag: Name | None = Field(default=None, description="A tag of the merchant's customer directory")
    segment_id: str | None = Field(default=None, pattern=SEGMENT_ID_PATTERN)
    upload: UploadRequest | None = Field(
        default=None, description="A file of customer ids (one per line, or CSV with `customer_id`)"
    )

    def sources(self) -> list[str]:
        return [name for name in SOURCES if getattr(self, name) is not None]


class GrantSource(BaseModel):
    model_config = DEFERRED

    type: SourceType
    tag: str | None = None
    segment_id: str | None = None


class NotReached(BaseModel):
    """A customer the grant did not issue the coupon to, and why."""

    model_config = DEFERRED

    customer_id: str
    reason: IssueStatus | str


class GrantOut(BaseModel):
    model_config = DEFERRED

    grant_id: str
    coupon_id: str
    status: GrantStatus
    source: GrantSource
    requested: int = Field(description="Distinct customers (known once the job has read its source)")
    granted: int
    skipped: dict[str, int] = Field(description="Customers not issued, by reason (`sold_out`...)")
    duplicates: int = Field(description="Ids given more than once (issued once)")
    malformed: int = Field(description="An uploaded file's lines that hold no customer id")
    not_reached: list[NotReached] = Field(
        default=[], description=f"The first {NOT_REACHED_SHOWN} customers not issued, with why"
    )
    created_at: datetime
    finished_at: datetime | None = None
    reason: str | None = Field(default=None, description="Failed: why")
    upload: UploadForm | None = Field(default=None, description="Where to send the file of ids")

    @classmethod
    def from_item(
        cls,
        grant: GrantItem,
        not_reached: list[dict[str, Any]] | None = None,
        upload: UploadForm | None = None,
    ) -> GrantOut:
        return cls(
            grant_id=grant.grant_id,
            coupon_id=grant.coupon_id,
            status=grant.status,
            source=GrantSource(type=grant.source, tag=grant.tag, segment_id=grant.segment_id),
            requested=grant.requested,
            granted=grant.granted,
            skipped=dict(grant.skipped),
            duplicates=grant.duplicates,
            malformed=grant.malformed,
            not_reached=[NotReached.model_validate(n) for n in not_reached or []],
            created_at=datetime.fromisoformat(grant.created_at),
            finished_at=datetime.fromisoformat(grant.finished_at) if grant.finished_at else None,
            reason=grant.reason,
            upload=upload,
        )


class GrantPage(BaseModel):
    model_config = DEFERRED

    items: list[GrantOut]
    next_token: str | None = None


class GrantMessage(Strict):
    """A grant to run, or to go on with from its checkpoint: `{"grant_id": ...}`."""

    grant_id: str = Field(pattern=GRANT_ID_PATTERN)


def _kind(message: Any) -> str:
    if isinstance(message, dict) and "grant_id" in message:
        return "grant"
    if isinstance(message, dict) and message.get("Event") == "s3:TestEvent":
        return "test"
    return "notification"


# The grant queue carries the grants to run and S3's notifications of uploaded files of ids.
Message = Annotated[
    Annotated[GrantMessage, Tag("grant")]
    | Annotated[S3TestEvent, Tag("test")]
    | Annotated[UploadNotification, Tag("notification")],
    Discriminator(_kind),
]


class GrantRecord(SqsRecordModel):
    """A record of the grant queue: Powertools' SQS record, its body one of the messages above."""

    model_config = DEFERRED

    body: Json[Message]


def message(grant_id: str) -> str:
    return GrantMessage(grant_id=grant_id).model_dump_json()


__all__ = ["GrantOut", "GrantPage", "GrantRecord", "GrantRequest", "UploadForm", "UploadRequest", "message"]
