"""CSV exports of a coupon: its records, its redemptions with their orders, or its code pool's state.

A request puts the job in the table and a message on the export queue, and answers 202: the export never
runs inside the request. The job's id is derived from the merchant's `Idempotency-Key`, so a request sent
again after a lost answer finds the job it made (and its message is sent again only while the job has not
started: a message lost with the first answer still reaches the worker). The worker (`exports.run`) streams
the rows into a multipart upload under `exports/`, checkpointing after each part; the job's answer, once
done, carries a presigned link signed for that answer, valid 15 minutes, stored nowhere.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from datetime import timedelta

from coupon_service.aws import client
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Conflict, Invalid, NotFound
from coupon_service.exports import files
from coupon_service.exports.run import PART_BYTES, Run
from coupon_service.items import CouponItem
from coupon_service.merchant_items import ExportJobItem
from coupon_service.models.exports import ExportJobOut, ExportRequest, message
from coupon_service.settings import settings
from coupon_service.store.audit import AuditStore, read_entry
from coupon_service.store.coupons import CouponStore
from coupon_service.store.exports import ExportStore
from coupon_service.store.table import Table
from coupon_service.validity import from_iso, to_iso

__all__ = ["Exports", "job_id_for"]

POOLED = ("generated", "imported")
MAX_RECEIVES = 5  # ExportQueue's maxReceiveCount: the delivery after which a message is dead-lettered


def job_id_for(merchant_id: str, coupon_id: str, key: str | None) -> str:
    """A request's job: derived from the merchant's Idempotency-Key (a retry finds its job), else new."""
    if key is None:
        return uuid.uuid4().hex
    return hashlib.sha256(f"export\n{merchant_id}\n{coupon_id}\n{key}".encode()).hexdigest()[:32]


def request_hash(body: ExportRequest) -> str:
    return hashlib.sha256(body.model_dump_json(by_alias=True).encode()).hexdigest()


class Exports:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock
        self.store = ExportStore(self.table)
        self.coupons = CouponStore(self.table)
        self.audit = AuditStore(self.table)

    # --- the API ---------------------------------------------------------------------------------

    def request(self, merchant_id: str, coupon_id: str, body: ExportRequest, key: str | None) -> ExportJobOut:
        """Queue an export of the merchant's coupon (a deleted one too: its records stay the merchant's)."""
        coupon = self.coupons.coupon_of(merchant_id, coupon_id, deleted=True)
        if body.kind == "codes" and coupon.mode not in POOLED:
            raise Conflict(
                "this coupon's codes are made when claimed: it has no code pool",
                code="no_code_pool",
                field="kind",
            )
        job, created = self.store.create(self._new_job(coupon, body, key))
        if not created:
            if (job.merchant_id, job.coupon_id, job.request_hash) != (
                merchant_id,
                coupon_id,
                request_hash(body),
            ):
                raise Invalid(
                    "this Idempotency-Key was used with a different request", field="Idempotency-Key"
                )
            if job.state != "queued":
                return ExportJobOut.from_item(job)
        self.send(job.job_id)  # again for a job still queued: the first message may be what was lost
        return ExportJobOut.from_item(job)

    def _new_job(self, coupon: CouponItem, body: ExportRequest, key: str | None) -> ExportJobItem:
        now = self.clock.now()
        job_id = job_id_for(coupon.merchant_id, coupon.coupon_id, key)
        days = settings().export_retention_days
        return ExportJobItem(
            job_id=job_id,
            merchant_id=coupon.merchant_id,
            coupon_id=coupon.coupon_id,
            kind=body.kind,
            from_at=to_iso(body.from_) if body.from_ else None,
            to_at=to_iso(body.to) if body.to else None,
            request_hash=request_hash(body),
            state="queued",
            created_at=to_iso(now),
            expires_at=int((now + timedelta(days=days)).timestamp()),
            bucket=settings().export_bucket,
            key=files.key_for(coupon.merchant_id, coupon.coupon_id, job_id, body.kind),
        )

    def job(self, merchant_id: str, job_id: str, by: str) -> ExportJobOut:
        """The merchant's job; once done, with a link to its file signed for this answer. A link to a file
        is a read of customers' records: audited first, like a search's page, and an audit that cannot be
        written gives no link."""
        job = self.store.job(job_id)
        now = self.clock.now()
        if job is None or job.merchant_id != merchant_id or job.expires_at <= now.timestamp():
            raise NotFound("no such export", field="jobId")
        if job.state != "done":
            return ExportJobOut.from_item(job)
        # Every file tells of customers (who claimed, who redeemed, which codes are held): its link is a read.
        searched = {"export": job.kind, **{k: v for k, v in (("from", job.from_at), ("to", job.to_at)) if v}}
        self.audit.record_read(
            read_entry(merchant_id, by, job.coupon_id, searched, rows=job.rows, now=now, continued=False)
        )
        expires = from_iso(to_iso(now)) + timedelta(seconds=files.LINK_SECONDS)
        return ExportJobOut.from_item(job, files.link(job.bucket, job.key), expires)

    @staticmethod
    def send(job_id: str) -> None:
        """Put the job's message on the export queue: a new job, or one handed on to the next run."""
        client("sqs").send_message(QueueUrl=settings().export_queue_url, MessageBody=message(job_id))

    # --- the worker ------------------------------------------------------------------------------

    def run(
        self,
        job_id: str,
        time_left: Callable[[], float],
        *,
        part_bytes: int = PART_BYTES,
        page_rows: int | None = None,
    ) -> str:
        """Run or resume a job (see `exports.run`); `continue` when the caller must hand it on (`send`)."""
        return Run(
            self.store, self.coupons, self.clock, time_left, part_bytes=part_bytes, page_rows=page_rows
        )(job_id)

    def delivery_failed(self, job_id: str, receives: int) -> None:
        """A run of the job raised on its message's `receives`-th delivery: after the last one (the message
        goes to the dead-letter queue) the job is failed, so its merchant is not left reading `running`."""
        if receives >= MAX_RECEIVES:
            self.store.fail(job_id, "internal", to_iso(self.clock.now()))
