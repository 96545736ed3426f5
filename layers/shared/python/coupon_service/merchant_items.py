"""Typed items a merchant keeps beside its coupons: its stores, its settings, its export jobs and the
audit of reads of its customers' records."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class StoreItem(BaseModel):
    """One store of a merchant (`STORE#{merchantId}#{storeId}` / `STORE`): where its tills are, in which
    time zone; listed by its merchant on GSI1."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    store_id: str
    merchant_id: str
    name: str
    time_zone: str
    address: dict[str, Any] | None = None
    created_at: str
    updated_at: str


class MerchantSettingsItem(BaseModel):
    """A merchant's settings (`MERCHANT#{merchantId}` / `SETTINGS`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    max_stacked_coupons: int
    updated_at: str
    time_zone: str | None = None  # the days of the merchant's figures; None: UTC


ExportKind = Literal["records", "redemptions", "codes"]
ExportState = Literal["queued", "running", "done", "failed"]


class ExportJobItem(BaseModel):
    """A CSV export of one coupon (`EXPORT#{jobId}` / `JOB`): what was asked, by whom, and how far the file
    is: the multipart upload's id, its parts' ETags in order, the page cursor after the last part, rows and
    bytes so far. `runner` and `lease_until` name the one run that may move it (coupon_service.exports)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    type: Literal["export_job"] = "export_job"
    job_id: str
    merchant_id: str
    coupon_id: str
    kind: ExportKind
    from_at: str | None = None  # records and redemptions: [from_at, to_at), fixed-width UTC
    to_at: str | None = None
    request_hash: str
    state: ExportState
    created_at: str
    expires_at: int  # TTL: the file's lifecycle ends then, and so does the job
    bucket: str
    key: str
    runner: str | None = None
    lease_until: str | None = None
    runs: int = 0
    upload_id: str | None = None
    parts: list[str] = []
    cursor: dict[str, Any] | None = None  # where the rows after the last uploaded part start
    completing: bool = False  # every part is uploaded: only the upload's completion is left
    rows: int = 0
    size: int = 0
    finished_at: str | None = None
    reason: str | None = None  # failed: why

    @property
    def ended(self) -> bool:
        return self.state in ("done", "failed")


class RecordsAuditItem(BaseModel):
    """One read of a coupon's records (`AUDIT#{merchantId}` / `RECORDS#{at}#{auditId}`): who read, when,
    which coupon, with which filters (a phone only as its keyed hash) and how many rows they were shown."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    audit_id: str
    merchant_id: str
    by: str  # the caller's user id (the token's `sub`)
    role: str  # merchants or platform
    at: str
    coupon_id: str
    filters: dict[str, str]  # from, to and each filter given; `phone_hash`, never the phone
    continued: bool = False  # a later page (the read carried a next_token)
    rows: int
    expires_at: int  # the table's TTL (epoch seconds)


class CustomerItem(BaseModel):
    """One customer in a merchant's directory (`DIRECTORY#{merchantId}#{nn}` / `{customerId}`): tags,
    birthday (MM-DD), tier and when they joined, as the merchant or its events said. Each tag is also an
    item of its own (`TAGGED#{merchantId}#{tag}` / `{customerId}`), written in the same transaction as the
    customer's `version`, so the tag entries are always the tags."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    merchant_id: str
    customer_id: str
    tags: list[str] = []  # sorted
    birthday: str | None = None  # MM-DD
    joined_at: str | None = None  # fixed-width UTC
    tier: str | None = None
    created_at: str
    updated_at: str
    version: int = 1
