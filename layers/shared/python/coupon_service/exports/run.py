"""One run of an export job: rows streamed page by page into a multipart upload, in constant memory.

Rows are written into a buffer that becomes a part of the upload once it holds `part_bytes` (cut at a page's
end, so a part is never smaller; S3 wants at least 5 MiB for every part but the last). After each part the
job's checkpoint records the upload, the parts' ETags and the cursor of the page after the part, so a run
with little time left stops, drops what it buffered since, and the next message resumes from there: the
file made in several runs is the one a single run makes. The last part is followed by a checkpoint that
says only the completion is left, then the completion and the job's end; a run resumed after a lost
completion finds the finished object.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

from coupon_service import keys
from coupon_service.clock import Clock
from coupon_service.errors import NotFound
from coupon_service.exports import files, rows
from coupon_service.items import CouponItem
from coupon_service.merchant_items import ExportJobItem
from coupon_service.spreadsheet import Cell, csv_bytes
from coupon_service.store.coupons import CouponStore
from coupon_service.store.exports import ExportStore
from coupon_service.store.records import RecordStore
from coupon_service.validity import to_iso

PART_BYTES = 8 * 1024 * 1024
MIN_PART_BYTES = 5 * 1024 * 1024  # S3's least part, but for the last
HAND_ON_SECONDS = 60  # a run with less time left hands the job on to the next message
LEASE = timedelta(seconds=900)  # the worker's time limit: a lease outlives no run
BOM = "\ufeff".encode()  # spreadsheets read the file as UTF-8 (names in any script) only with it


class _File:
    """The file as far as the job's checkpoint says, plus what this run buffered since."""

    def __init__(self, store: ExportStore, job: ExportJobItem, runner: str, part_bytes: int) -> None:
        self.store, self.job, self.runner, self.part_bytes = store, job, runner, part_bytes
        self.buffer = bytearray()
        self.buffered_rows = 0
        self.cursor = job.cursor  # where the rows after the buffered ones start
        if not job.parts and job.cursor is None:  # the file's start: its header
            self.buffer += BOM + csv_bytes([rows.HEADERS[job.kind]])

    def add(self, page: list[list[Cell]], cursor: rows.Cursor) -> bool:
        """Buffer a page; a full buffer becomes a part. False: another run holds the job now."""
        self.buffer += csv_bytes(page)
        self.buffered_rows += len(page)
        self.cursor = cursor
        if len(self.buffer) < self.part_bytes:
            return True
        return self._part(completing=False)

    def _part(self, *, completing: bool) -> bool:
        job = self.job
        etag = files.upload_part(
            job.bucket, job.key, str(job.upload_id), len(job.parts) + 1, bytes(self.buffer)
        )
        self.job = job.model_copy(
            update={
                "parts": [*job.parts, etag],
                "cursor": self.cursor,
                "rows": job.rows + self.buffered_rows,
                "size": job.size + len(self.buffer),
                "completing": completing,
            }
        )
        self.buffer.clear()
        self.buffered_rows = 0
        return self.store.checkpoint(self.job, self.runner)

    def end(self) -> bool:
        """The last part (the whole file when it is small) and a checkpoint saying only completion is left."""
        if self.buffer or not self.job.parts:
            return self._part(completing=True)
        self.job = self.job.model_copy(update={"completing": True})
        return self.store.checkpoint(self.job, self.runner)


class Run:
    def __init__(
        self,
        store: ExportStore,
        coupons: CouponStore,
        clock: Clock,
        time_left: Callable[[], float],
        *,
        part_bytes: int = PART_BYTES,
        page_rows: int | None = None,
    ) -> None:
        self.store, self.coupons, self.clock = store, coupons, clock
        self.time_left = time_left
        self.part_bytes = part_bytes
        self.page_rows = page_rows  # rows per page read (None: each kind's own)
        self.runner = uuid.uuid4().hex

    def __call__(self, job_id: str) -> str:
        """Run (or resume) the job: its state when this run ends, `continue` when the caller must hand it
        on, `elsewhere` when another run holds it (or took it meanwhile), `missing` for no such job."""
        job = self.store.job(job_id)
        if job is None:
            return "missing"
        if job.ended:
            return job.state
        now = self.clock.now()
        job = self.store.take(job_id, self.runner, to_iso(now), to_iso(now + LEASE))
        if job is None:
            return "elsewhere"
        try:
            return self._run(job)
        except Exception:
            self.store.release(job_id, self.runner)  # the queue delivers the message again: let it resume
            raise

    def _run(self, job: ExportJobItem) -> str:
        try:
            coupon = self.coupons.coupon_of(job.merchant_id, job.coupon_id, deleted=True)
        except NotFound:
            self.store.fail(job.job_id, "coupon_gone", to_iso(self.clock.now()))
            return "failed"
        if not job.completing:
            if job.upload_id is None:
                name = files.file_name(job.coupon_id, job.kind)
                job = job.model_copy(update={"upload_id": files.start(job.bucket, job.key, name)})
                if not self.store.checkpoint(job, self.runner):
                    return "elsewhere"
            file = _File(self.store, job, self.runner, self.part_bytes)
            for page, cursor in self._pages(job, coupon):
                if not file.add(page, cursor):
                    return "elsewhere"
                if self.time_left() < HAND_ON_SECONDS:
                    self.store.release(job.job_id, self.runner)
                    return "continue"
            if not file.end():
                return "elsewhere"
            job = file.job
        size = files.complete(job.bucket, job.key, str(job.upload_id), job.parts)
        finished = job.model_copy(update={"size": size})
        return "done" if self.store.finish(finished, self.runner, to_iso(self.clock.now())) else "elsewhere"

    def _pages(self, job: ExportJobItem, coupon: CouponItem) -> Iterator[rows.Page]:
        if job.kind == "codes":
            chunks = max(1, self.page_rows // keys.CHUNK) if self.page_rows else rows.CHUNKS_PER_PAGE
            return rows.code_pages(self.store, coupon, self.coupons.shards_of(coupon), job.cursor, chunks)
        if job.kind == "redemptions":
            return rows.redemption_pages(
                self.store, job, job.cursor, self.page_rows or rows.REDEMPTIONS_PER_PAGE
            )
        records = RecordStore(self.store.table)
        per_page = self.page_rows or rows.RECORDS_PER_PAGE
        return rows.record_pages(records, job, coupon.shard_count, job.cursor, per_page)
