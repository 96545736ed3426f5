"""Imports: the job as the table holds it, what the API answers, and the messages the import queue carries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.parser.models import S3Model, SqsRecordModel
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Json, Tag, TypeAdapter, model_validator

from coupon_service.import_reader import REASONS, Layout
from coupon_service.models.common import DEFERRED, Strict

JobStatus = Literal["pending", "running", "finished", "rejected"]

# --- the stored job ------------------------------------------------------------------------------


class ImportJobItem(BaseModel):
    """An import job item (without its keys): the object version it imports, its state, the file's layout
    once checked, its checkpoint and its counts (per reason once a batch failed a line of it)."""

    # the key attributes, and any written by later versions
    model_config = ConfigDict(extra="allow", defer_build=True)

    type: Literal["import_job"] = "import_job"
    job_id: str
    bucket: str
    key: str
    version: str
    size: int
    merchant_id: str
    coupon_id: str
    file_name: str
    status: JobStatus
    reason: str | None = None
    created_at: str
    started_ms: int
    batches: int = 0
    lines_done: int = 0
    offset: int = 0
    imported: int = 0
    failed: int = 0
    # The file's layout and the coupon's code rules, recorded when the file passed its check.
    codes: int = 0
    column: int | None = None
    header_line: int | None = None
    shard_count: int = 1
    case_sensitive: bool = True
    allow_short_codes: bool = False
    malformed: int = 0
    too_guessable: int = 0
    duplicate_in_file: int = 0
    already_exists: int = 0
    finished_at: str | None = None
    duration_ms: int | None = None
    failed_key: str | None = None

    def counts(self) -> dict[str, int]:
        return {reason: int(getattr(self, reason)) for reason in REASONS}

    def layout(self) -> Layout:
        return Layout(codes=self.codes, column=self.column, header_line=self.header_line)

    @property
    def ended(self) -> bool:
        return self.status in ("finished", "rejected")


# --- the API -------------------------------------------------------------------------------------


class UploadRequest(Strict):
    file_name: str = Field(
        default="codes.csv", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", description="Shown in the job"
    )


class UploadForm(BaseModel):
    """A presigned POST: send the file as the `file` field of a multipart form with these fields."""

    model_config = DEFERRED

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_at: datetime


class ImportJobOut(BaseModel):
    model_config = DEFERRED
    job_id: str
    coupon_id: str
    file_name: str
    status: JobStatus
    reason: str | None = Field(default=None, description="Why a whole file was rejected")
    codes: int = Field(default=0, description="Codes in the file (non-blank lines)")
    imported: int = 0
    failed: int = 0
    counts: dict[str, int] = Field(default_factory=dict, description="Failed codes per reason")
    created_at: datetime
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    failed_codes_url: str | None = Field(default=None, description="CSV line,code,reason (presigned GET)")

    @classmethod
    def from_item(cls, job: ImportJobItem, failed_codes_url: str | None) -> ImportJobOut:
        return cls.model_validate(
            {
                **job.model_dump(),
                "counts": job.counts(),
                "failed_codes_url": failed_codes_url,
                "duration_seconds": None if job.duration_ms is None else job.duration_ms / 1000,
            }
        )


class ImportJobs(BaseModel):
    model_config = DEFERRED
    items: list[ImportJobOut] = Field(description="The coupon's latest 100 imports, newest first")


# --- the import queue's messages -----------------------------------------------------------------


class ImportObject(BaseModel):
    """An uploaded object version to import: the job is derived from it."""

    model_config = DEFERRED

    bucket: str
    key: str
    version: str
    size: int


class Continuation(BaseModel):
    """A job handed on to the next invocation: `{"continue": {bucket, key, version, size}}`."""

    model_config = DEFERRED

    object: ImportObject = Field(alias="continue")

    def objects(self, prefix: str) -> list[ImportObject]:
        return [self.object]  # checked against the prefix when it was first announced


class UploadNotification(S3Model):
    """An S3 event notification as S3 sends it to the queue: Powertools' model of it, whole."""

    model_config = DEFERRED

    @model_validator(mode="before")
    @classmethod
    def _records_named(cls, data: Any) -> Any:
        # Powertools' record model reads `eventName` and `s3.object` before validating them, and fails on
        # a record without them with a TypeError: refused here as the invalid notification it is.
        records = data.get("Records") if isinstance(data, dict) else None
        for record in records if isinstance(records, list) else []:
            named = isinstance(record, dict) and isinstance(record.get("eventName"), str)
            s3 = record.get("s3") if named else None
            if not (isinstance(s3, dict) and isinstance(s3.get("object") or s3.get("get_object"), dict)):
                raise ValueError("an S3 record names its event, its bucket and its object")
        return data

    def objects(self, prefix: str) -> list[ImportObject]:
        found = []
        for record in self.Records:
            uploaded = record.s3.object
            if uploaded is None:  # only a retrieval names `get_object` instead: not an upload
                continue
            key = unquote_plus(uploaded.key)  # S3 events encode keys as in a form
            if key.startswith(prefix):
                found.append(
                    ImportObject(
                        bucket=record.s3.bucket.name,
                        key=key,
                        version=uploaded.versionId or "null",
                        size=int(uploaded.size or 0),
                    )
                )
        return found


class S3TestEvent(BaseModel):
    """What S3 sends once when the notification is set up: no upload."""

    model_config = DEFERRED

    Service: Literal["Amazon S3"]
    Event: Literal["s3:TestEvent"]
    Time: str | None = None
    Bucket: str

    def objects(self, prefix: str) -> list[ImportObject]:
        return []


def _kind(message: Any) -> str:
    if isinstance(message, dict) and "continue" in message:
        return "continuation"
    if isinstance(message, dict) and message.get("Event") == "s3:TestEvent":
        return "test"
    return "notification"


# A message with a `continue` member is a job handed on (and must be a whole one), S3's test event names
# nothing; anything else is read as an S3 notification.
Message = Annotated[
    Annotated[Continuation, Tag("continuation")]
    | Annotated[S3TestEvent, Tag("test")]
    | Annotated[UploadNotification, Tag("notification")],
    Discriminator(_kind),
]
ImportMessage: TypeAdapter[Continuation | S3TestEvent | UploadNotification] = TypeAdapter(
    Message, config=DEFERRED
)


class ImportRecord(SqsRecordModel):
    """A record of the import queue: Powertools' SQS record, its body one of the messages above."""

    model_config = DEFERRED

    body: Json[Message]  # the body parsed, as in Powertools' own model of S3 notifications over SQS


def continuation(found: ImportObject) -> str:
    """The message that hands the job of `found` on."""
    return Continuation.model_validate({"continue": found}).model_dump_json(by_alias=True)
