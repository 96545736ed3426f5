"""Exports: what a merchant asks for, what the API answers, and the messages the export queue carries."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import BaseModel, Field, Json, ValidationInfo, field_validator

from coupon_service.merchant_items import ExportJobItem, ExportKind, ExportState
from coupon_service.models.common import DEFERRED, Strict
from coupon_service.models.parameters import EXPORT_JOB_ID_PATTERN as JOB_ID_PATTERN
from coupon_service.validity import Instant


class ExportRequest(Strict):
    """A CSV of one coupon: `records` (claims and redemptions), `redemptions` (with their orders) or
    `codes` (the code pool's state); records and redemptions in [from, to) when given."""

    kind: Literal["records", "redemptions", "codes"]
    from_: Instant | None = Field(default=None, alias="from", description="Records and redemptions from")
    to: Instant | None = Field(default=None, description="Records and redemptions before this instant")

    @field_validator("from_", "to")
    @classmethod
    def _times_only_with_time(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and info.data.get("kind") == "codes":
            raise ValueError("the code pool has no time range")
        return value

    @field_validator("to")
    @classmethod
    def _after_from(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("from_")
        if value is not None and start is not None and value <= start:
            raise ValueError("must be after from")
        return value


class ExportJobOut(BaseModel):
    model_config = DEFERRED

    job_id: str
    coupon_id: str
    kind: ExportKind
    from_: datetime | None = Field(default=None, serialization_alias="from")
    to: datetime | None = None
    state: ExportState
    reason: str | None = Field(default=None, description="Why a failed export failed")
    created_at: datetime
    finished_at: datetime | None = None
    rows: int = Field(default=0, description="Data rows written so far (the header not counted)")
    size_bytes: int = Field(default=0, description="Bytes written so far")
    url: str | None = Field(
        default=None, description="Done: the CSV (a presigned GET, signed for this answer)"
    )
    url_expires_at: datetime | None = None

    @classmethod
    def from_item(
        cls, job: ExportJobItem, url: str | None = None, url_expires_at: datetime | None = None
    ) -> ExportJobOut:
        return cls.model_validate(
            {
                **job.model_dump(include={"job_id", "coupon_id", "kind", "state", "reason", "rows"}),
                **job.model_dump(include={"created_at", "finished_at"}),
                "from_": job.from_at,
                "to": job.to_at,
                "size_bytes": job.size,
                "url": url,
                "url_expires_at": url_expires_at,
            }
        )


# --- the export queue's messages -------------------------------------------------------------------


class ExportMessage(Strict):
    """A job to run, or to go on with from its checkpoint: `{"job_id": ...}`."""

    job_id: str = Field(pattern=JOB_ID_PATTERN)


class ExportRecord(SqsRecordModel):
    """A record of the export queue: Powertools' SQS record, its body the message above."""

    model_config = DEFERRED

    body: Json[ExportMessage]


def message(job_id: str) -> str:
    return ExportMessage(job_id=job_id).model_dump_json()
