"""A grant as the table holds it (`GRANT#{grantId}` / `GRANT`): the merchant's request to issue a coupon to
many customers, and how far its job is (coupon_service.grants)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

GrantStatus = Literal["awaiting_upload", "queued", "running", "done", "failed"]
SourceType = Literal["customer_ids", "tag", "segment", "upload"]
IDS_PER_CHUNK = 250  # customer ids per chunk item: 10,000 listed ids and the grant are one transaction


class GrantItem(BaseModel):
    """`requested`, `chunks` once its customers are known (at once for a list; the job reads a tag, a
    segment or a file first); `next_chunk` is its checkpoint: chunks before it are issued and counted.
    `runner` and `lease_until` name the one run that may move it."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    type: Literal["grant"] = "grant"
    grant_id: str
    merchant_id: str
    coupon_id: str
    source: SourceType
    tag: str | None = None
    segment_id: str | None = None
    upload_key: str | None = None  # upload: where its file is put (grants/...)
    upload_version: str | None = None  # upload: the file's version the job reads
    request_hash: str
    created_by: str
    created_at: str
    status: GrantStatus
    resolved: bool = False  # its customers are in its chunks
    requested: int = 0
    duplicates: int = 0  # ids given more than once, issued once
    malformed: int = 0  # an uploaded file's lines that are no customer id
    chunks: int = 0
    next_chunk: int = 0
    granted: int = 0
    skipped: dict[str, int] = {}
    runner: str | None = None
    lease_until: str | None = None
    runs: int = 0
    finished_at: str | None = None
    reason: str | None = None  # failed: why (an upload that is not a file of ids)

    @property
    def ended(self) -> bool:
        return self.status in ("done", "failed")
