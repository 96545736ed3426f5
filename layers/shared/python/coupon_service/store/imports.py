"""Import jobs and the code registry: every request an import makes of the table, and what its refusals mean.

A job is created once per object version and moves pending -> running -> finished (or rejected) by
conditional updates, so concurrent runs of one job agree on its state. A batch's codes are registered with
conditional puts whose refusals say, without a read, why a code is not new; the batch is committed with the
job's checkpoint in one transaction, so it counts once however often a run repeats it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from coupon_service import keys
from coupon_service.import_reader import REASONS, Layout
from coupon_service.items import CouponItem
from coupon_service.models.imports import ImportJobItem
from coupon_service.store.table import Cancelled, Table, to_item, values

TRANSACTION = 100  # registry puts per transaction (DynamoDB's limit)
WORKERS = 8  # transactions of one batch in flight at once
JOBS_LISTED = 100

Verdict = Literal["accepted", "already_exists", "duplicate_in_file"]
# committed: the batch and the checkpoint moved; overtaken: another run committed this batch first;
# pool_moved: the pool's size was not the one the append was built on (read it again and retry).
Outcome = Literal["committed", "overtaken", "pool_moved"]


@dataclass(frozen=True)
class Progress:
    """What one batch adds to its job."""

    last: int  # the batch's last line number
    offset: int  # the byte offset after that line
    imported: int
    counts: dict[str, int]  # failed lines per reason

    @property
    def failed(self) -> int:
        return sum(self.counts.values())


class ImportStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- reads -----------------------------------------------------------------------------------

    def job(self, job_id: str) -> ImportJobItem | None:
        item = self.table.get(keys.import_job(job_id))
        return ImportJobItem.model_validate(item) if item else None

    def coupon_jobs(self, coupon_id: str) -> list[ImportJobItem]:
        """The coupon's latest jobs, newest first."""
        items, _ = self.table.query(
            index="GSI2",
            key_condition="GSI2PK = :p",
            forward=False,
            limit=JOBS_LISTED,
            ExpressionAttributeValues=values(p=keys.coupon_imports(coupon_id)),
        )
        return [ImportJobItem.model_validate(item) for item in items]

    # --- the job's life --------------------------------------------------------------------------

    def create_job(self, job: ImportJobItem) -> ImportJobItem:
        """The job of an object version, created once: a redelivered or duplicated event finds it as it is."""
        item = {
            **keys.import_job(job.job_id),
            "type": job.type,
            **job.model_dump(exclude_unset=True),
            **keys.import_job_index(job.coupon_id or "none", job.created_at, job.job_id),
        }
        try:
            self.table.put(item, ConditionExpression="attribute_not_exists(PK)")
        except Cancelled:
            return self.job(job.job_id) or job
        return job

    def start_job(self, job: ImportJobItem, layout: Layout, coupon: CouponItem) -> ImportJobItem:
        """Pending to running, with the file's layout and the coupon's rules; if another run moved the job
        first, the job as that run left it."""
        return self._move(
            job,
            UpdateExpression="SET #s = :running, codes = :codes, #c = :column, "
            "header_line = :header, shard_count = :shards, case_sensitive = :case, "
            "allow_short_codes = :short",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status", "#c": "column"},
            ExpressionAttributeValues=values(
                running="running",
                pending="pending",
                codes=layout.codes,
                column=layout.column,
                header=layout.header_line,
                shards=coupon.shard_count,
                case=bool(coupon.codes.get("case_sensitive", True)),
                short=bool(coupon.codes.get("allow_short_codes", False)),
            ),
        )

    def finish_job(
        self,
        job: ImportJobItem,
        status: Literal["finished", "rejected"],
        *,
        reason: str | None,
        finished_at: str,
        duration_ms: int,
        failed_key: str | None,
    ) -> ImportJobItem:
        """End a pending or running job; one that ended already stays as it ended."""
        return self._move(
            job,
            UpdateExpression="SET #s = :status, reason = :reason, finished_at = :now, "
            "duration_ms = :duration, failed_key = :failed",
            ConditionExpression="#s IN (:pending, :running)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values(
                status=status,
                reason=reason,
                now=finished_at,
                duration=duration_ms,
                failed=failed_key,
                pending="pending",
                running="running",
            ),
        )

    def _move(self, job: ImportJobItem, **request: Any) -> ImportJobItem:
        """A conditional change of the job's state; if another run changed it first, the job as it is."""
        key = keys.import_job(job.job_id)
        try:
            item = self.table.update(key, ReturnValues="ALL_NEW", **request)
        except Cancelled:
            item = self.table.get(key)
        return ImportJobItem.model_validate(item) if item else job

    # --- codes -----------------------------------------------------------------------------------

    def register_codes(self, job: ImportJobItem, candidates: dict[str, int]) -> dict[str, Verdict]:
        """Each candidate code (-> its line) registered for the merchant unless it is there already, up to
        100 per transaction, several transactions at once."""
        entries = list(candidates.items())
        groups = [entries[i : i + TRANSACTION] for i in range(0, len(entries), TRANSACTION)]
        verdicts: dict[str, Verdict] = {}
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for found in pool.map(lambda group: self._register(job, group), groups):
                verdicts.update(found)
        return verdicts

    def _register(self, job: ImportJobItem, group: list[tuple[str, int]]) -> dict[str, Verdict]:
        """Conditional puts of up to 100 registry items in one transaction. A refused transaction names
        each code that failed and the item in its way, which says why, with no read before the write;
        the others are put again without them."""
        verdicts: dict[str, Verdict] = {}
        pending = group
        while pending:
            try:
                self.table.transact([self._registration(job, code, line) for code, line in pending])
            except Cancelled as cancelled:
                failed = set(cancelled.failed())
                if not failed:
                    raise
                for i in failed:
                    code, line_no = pending[i]
                    verdicts[code] = _verdict(job, line_no, cancelled.old(i) or {})
                pending = [entry for i, entry in enumerate(pending) if i not in failed]
                continue
            verdicts.update({code: "accepted" for code, _ in pending})
            pending = []
        return verdicts

    @staticmethod
    def _registration(job: ImportJobItem, code: str, line: int) -> dict[str, Any]:
        item = {
            **keys.code_registry(job.merchant_id, code),
            "type": "code",
            "code": code,
            "coupon_id": job.coupon_id,
            "job_id": job.job_id,
            "line": line,
        }
        return {
            "Put": {
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(PK)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def commit_batch(
        self, job: ImportJobItem, progress: Progress, pool_operations: list[dict[str, Any]]
    ) -> tuple[Outcome, ImportJobItem]:
        """Move the checkpoint past the batch together with the pool operations that append its codes, or
        not at all: the checkpoint's batch number guards against a batch committed twice."""
        counts = progress.counts
        job_update = {
            "Update": {
                "Key": to_item(keys.import_job(job.job_id)),
                "UpdateExpression": "SET lines_done = :last, #o = :offset, batches = batches + :one "
                "ADD imported :imported, failed :failed, "
                "malformed :m, too_guessable :g, duplicate_in_file :d, already_exists :a",
                "ConditionExpression": "batches = :batches AND #s = :running",
                "ExpressionAttributeNames": {"#o": "offset", "#s": "status"},
                "ExpressionAttributeValues": values(
                    last=progress.last,
                    offset=progress.offset,
                    one=1,
                    imported=progress.imported,
                    failed=progress.failed,
                    m=counts["malformed"],
                    g=counts["too_guessable"],
                    d=counts["duplicate_in_file"],
                    a=counts["already_exists"],
                    batches=job.batches,
                    running="running",
                ),
            }
        }
        try:
            self.table.transact([job_update, *pool_operations])
        except Cancelled as cancelled:
            if cancelled.code_at(0) == "ConditionalCheckFailed":  # another run committed this batch
                return "overtaken", self.job(job.job_id) or job
            return "pool_moved", job
        advanced = {
            "lines_done": progress.last,
            "offset": progress.offset,
            "batches": job.batches + 1,
            "imported": job.imported + progress.imported,
            "failed": job.failed + progress.failed,
            **{reason: int(getattr(job, reason)) + counts[reason] for reason in REASONS},
        }
        return "committed", job.model_copy(update=advanced)


def _verdict(job: ImportJobItem, line: int, old: dict[str, Any]) -> Verdict:
    """Why a code's registration was refused, from the registry item in its way."""
    if old.get("job_id") != job.job_id:
        return "already_exists"
    # This job stored it: at this line in a run that stopped, else earlier in the file.
    return "accepted" if old.get("line") == line else "duplicate_in_file"
