"""Bulk import of external codes from files dropped in the import bucket: every code imported once.

A job is the object version (bucket, key, version); a redelivered event finds its job. A file is first
read whole, streaming, to check it (UTF-8 text, at most 100,000 codes) so a bad file imports nothing;
then it is read again from the job's checkpoint in batches of lines. For each batch every code gets a
conditional put of its registry item (merchant + code, recording job and line), which tells new codes,
codes this job already stored at this line (a resumed batch), in-file duplicates and codes that exist
from elsewhere apart without a read. The accepted codes are appended to one of the coupon's pools and
the job's checkpoint moves, in one transaction: the pool's size grows only with its codes, and a batch
is appended once however often a crashed or duplicated run repeats it.

The file is read by `import_reader`, the report rendered by `import_report` and kept by `import_files`,
and the table is reached through `store.imports`.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from coupon_service import import_files, import_reader, import_report, keys
from coupon_service.aws import client
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Conflict, NotFound
from coupon_service.import_reader import Batch, Failure, Rejected
from coupon_service.items import CouponItem
from coupon_service.models.imports import (
    ImportJobItem,
    ImportJobOut,
    ImportJobs,
    ImportObject,
    UploadForm,
    UploadRequest,
    continuation,
)
from coupon_service.settings import settings
from coupon_service.store.coupons import CouponStore
from coupon_service.store.imports import ImportStore, Progress
from coupon_service.store.pool import Pool, append_operations
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

PREFIX = "imports/"
KEY_RE = re.compile(r"^imports/(?P<merchant>[^/]+)/(?P<coupon>[0-9a-f]{32})/(?P<name>[^/]+)$")
UPLOAD_SECONDS = 900
HAND_ON_SECONDS = 30  # a run with less time left hands its job on to the next invocation


def job_id_for(bucket: str, key: str, version: str) -> str:
    return hashlib.sha256(f"{bucket}\n{key}\n{version}".encode()).hexdigest()[:32]


def new_job(bucket: str, key: str, version: str, size: int, now: str) -> ImportJobItem:
    """The job of an object version, as it starts: pending, its merchant and coupon read from the key."""
    job_id = job_id_for(bucket, key, version)
    match = KEY_RE.match(key)
    return ImportJobItem(
        job_id=job_id,
        bucket=bucket,
        key=key,
        version=version,
        size=size,
        merchant_id=match["merchant"] if match else "",
        coupon_id=match["coupon"] if match else "",
        file_name=match["name"] if match else key.rsplit("/", 1)[-1],
        status="pending",
        created_at=now,
        started_ms=int(time.time() * 1000),
        batches=0,
        lines_done=0,
        offset=0,
        imported=0,
        failed=0,
    )


def refusal(job: ImportJobItem, coupon: CouponItem | None) -> str | None:
    """Why a whole file cannot go into its coupon (None: the merchant in the key holds no such coupon),
    before it is read; None when it may."""
    if coupon is None:
        return "not_your_coupon"
    if coupon.mode != "imported":
        return "not_imported_mode"
    if job.size > settings().import_max_bytes:
        return "too_large"
    return None


class Imports:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock
        self.store = ImportStore(self.table)
        self.coupons = CouponStore(self.table)
        self._tails: dict[tuple[str, int], tuple[int, list[str]]] = {}  # pool -> (size, its last chunk)

    # --- the API ---------------------------------------------------------------------------------

    def upload_form(self, merchant_id: str, coupon_id: str, body: UploadRequest) -> UploadForm:
        if self.coupons.coupon_of(merchant_id, coupon_id).mode != "imported":
            raise Conflict(
                "codes are imported only into a coupon with imported codes", code="not_imported_mode"
            )
        key = f"{PREFIX}{merchant_id}/{coupon_id}/{uuid.uuid4().hex[:12]}-{body.file_name}"
        limit = settings().import_max_bytes
        post = import_files.upload_post(settings().import_bucket, key, limit, UPLOAD_SECONDS)
        return UploadForm(
            url=post["url"],
            fields=post["fields"],
            key=key,
            max_bytes=limit,
            expires_at=self.clock.now() + timedelta(seconds=UPLOAD_SECONDS),
        )

    def jobs(self, merchant_id: str, coupon_id: str) -> ImportJobs:
        self.coupons.coupon_of(merchant_id, coupon_id)
        return ImportJobs(items=[self._out(job) for job in self.store.coupon_jobs(coupon_id)])

    def job(self, merchant_id: str, coupon_id: str, job_id: str) -> ImportJobOut:
        job = self.store.job(job_id)
        if not job or job.coupon_id != coupon_id or job.merchant_id != merchant_id:
            raise NotFound("no such import", field="jobId")
        return self._out(job)

    @staticmethod
    def _out(job: ImportJobItem) -> ImportJobOut:
        return ImportJobOut.from_item(job, import_files.failed_codes_url(job))

    # --- processing ------------------------------------------------------------------------------

    def process(self, bucket: str, key: str, version: str, size: int, time_left: Callable[[], float]) -> str:
        """Run (or resume) the job of this object version until it ends or time runs short.

        Returns the job's status, or "continue" when the caller must hand the job on.
        """
        job = self.store.create_job(new_job(bucket, key, version, size, to_iso(self.clock.now())))
        if job.ended:
            return job.status
        if job.status == "pending":
            job = self._check(job)
            if job.status == "rejected":
                return "rejected"
        return self._import(job, time_left)

    @staticmethod
    def hand_on(found: ImportObject) -> None:
        """Queue the job of `found` for the next invocation, which resumes it from its checkpoint."""
        client("sqs").send_message(QueueUrl=settings().import_queue_url, MessageBody=continuation(found))

    def _check(self, job: ImportJobItem) -> ImportJobItem:
        """Reject a whole file (nothing imported) or record its layout and start importing."""
        coupon = self._coupon(job)
        reason = refusal(job, coupon)
        if coupon is None or reason is not None:
            return self._end(job, "rejected", reason=reason)
        try:
            layout = import_reader.check(import_files.source(job, 0))
        except Rejected as rejected:
            return self._end(job, "rejected", reason=rejected.reason)
        return self.store.start_job(job, layout, coupon)

    def _coupon(self, job: ImportJobItem) -> CouponItem | None:
        """The coupon the job's key names, if the merchant the key names holds it."""
        if not job.coupon_id:
            return None
        try:
            return self.coupons.coupon_of(job.merchant_id, job.coupon_id)
        except NotFound:
            return None

    def _import(self, job: ImportJobItem, time_left: Callable[[], float]) -> str:
        if job.offset >= job.size:
            return self._finish(job)
        lines = import_reader.raw_lines(import_files.source(job, job.offset), job.offset)
        for batch in import_reader.batches(lines, job.lines_done):
            job = self._batch(job, batch)
            if job.status != "running":
                return job.status
            if job.lines_done != batch.last:  # another run committed ahead of this one: follow it
                return self._import(job, time_left)
            if time_left() < HAND_ON_SECONDS:
                return "continue"
        return self._finish(job)

    def _batch(self, job: ImportJobItem, batch: Batch) -> ImportJobItem:
        found = import_reader.sort_lines(
            batch.lines,
            job.layout(),
            case_sensitive=job.case_sensitive,
            allow_short_codes=job.allow_short_codes,
        )
        verdicts = self.store.register_codes(job, found.candidates)
        accepted: list[str] = []
        failures: list[Failure] = list(found.failures)
        for code, line_no in found.candidates.items():
            verdict = verdicts[code]
            if verdict == "accepted":
                accepted.append(code)
            else:
                failures.append((line_no, code, verdict))
        if failures:
            import_files.write_part(job, sorted(failures))
        counts = import_report.reason_counts(failures)
        return self._commit(job, accepted, Progress(batch.last, batch.end, len(accepted), counts))

    def _commit(self, job: ImportJobItem, accepted: list[str], progress: Progress) -> ImportJobItem:
        """Append the batch's codes to a pool and move the checkpoint, together or not at all."""
        pool = (job.coupon_id, job.batches % job.shard_count)
        for _ in range(20):
            operations = self._append(pool, accepted) if accepted else []
            outcome, moved = self.store.commit_batch(job, progress, operations)
            if outcome == "pool_moved":
                self._tails.pop(pool, None)  # the pool grew meanwhile: read it again
                continue
            if outcome == "committed" and accepted:
                size, tail = self._tails.get(pool) or (0, [])
                filled = size + len(accepted)
                self._tails[pool] = (
                    filled,
                    (tail + accepted)[len(tail) + len(accepted) - filled % keys.CHUNK :],
                )
            return moved
        raise Conflict("the pool kept changing; the import resumes from its checkpoint", code="busy")

    def _append(self, pool: tuple[str, int], codes: list[str]) -> list[dict[str, Any]]:
        """The operations that put `codes` at the end of one shard's pool, guarded by its current size.

        The pool's size and its last, partly filled chunk are read once, then known from this run's own
        commits; if another writer grew the pool meanwhile, the size condition fails and they are read again.
        """
        if pool not in self._tails:
            self._tails[pool] = Pool(self.table).tail(*pool)
        size, tail = self._tails[pool]
        return append_operations(*pool, size, tail, codes)

    def _finish(self, job: ImportJobItem) -> str:
        """Join the batches' failures into one CSV, write the summary, and end the job."""
        failed_key = import_files.join_parts(job)
        return self._end(job, "finished", failed_key=failed_key).status

    def _end(
        self,
        job: ImportJobItem,
        status: Literal["finished", "rejected"],
        *,
        reason: str | None = None,
        failed_key: str | None = None,
    ) -> ImportJobItem:
        finished_at = to_iso(self.clock.now())
        duration_ms = int(time.time() * 1000) - job.started_ms
        summary = import_report.summary(
            job, status, reason=reason, duration_ms=duration_ms, failed_key=failed_key
        )
        import_files.write_summary(job, summary)
        return self.store.finish_job(
            job,
            status,
            reason=reason,
            finished_at=finished_at,
            duration_ms=duration_ms,
            failed_key=failed_key,
        )
