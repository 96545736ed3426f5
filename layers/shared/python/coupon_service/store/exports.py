"""Export jobs and the reads an export streams: every request an export makes of the table.

A job is put once per request (its id derived from the merchant's Idempotency-Key, so a retry finds it). One
run at a time moves it: a run takes the job's lease (`runner`, `lease_until`) with a conditional update,
and each checkpoint and the end are conditioned on still holding it, so a redelivered message or a run that
outlived its lease never writes over the run that holds it. A lease ends with the Lambda's time limit; the
message of a run that died is delivered again after the queue's visibility timeout, longer than the lease.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from coupon_service import keys
from coupon_service.items import RedemptionItem
from coupon_service.merchant_items import ExportJobItem
from coupon_service.store import leases
from coupon_service.store.table import Cancelled, Table, values

_NAMES = {"#s": "state", "#r": "runner", "#l": "lease_until"}


class ExportStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- the job ---------------------------------------------------------------------------------

    def job(self, job_id: str) -> ExportJobItem | None:
        item = self.table.get(keys.export_job(job_id))
        return ExportJobItem.model_validate(item) if item else None

    def create(self, job: ExportJobItem) -> tuple[ExportJobItem, bool]:
        """Put the job unless its id exists: (the job as stored, whether this call created it). A put whose
        answer was lost and that finds its very item in the way created it (`Table.put`)."""
        try:
            self.table.put(
                {**keys.export_job(job.job_id), **job.model_dump(exclude_none=True)},
                ConditionExpression="attribute_not_exists(PK)",
            )
        except Cancelled as refused:
            old = refused.old(0)
            if old is None:  # refused for another reason than existing: read what is there
                old = self.table.get(keys.export_job(job.job_id))
            if old is None:
                raise
            return ExportJobItem.model_validate(old), False
        return job, True

    def take(self, job_id: str, runner: str, now: str, until: str) -> ExportJobItem | None:
        """The job, leased to `runner` until `until`; None if it ended or another run's lease holds it."""
        try:
            item = self.table.update(
                keys.export_job(job_id),
                UpdateExpression="SET #s = :running, #r = :me, #l = :until, runs = runs + :one",
                ConditionExpression="#s IN (:queued, :running) AND "
                "(attribute_not_exists(#r) OR #l < :now OR #r = :me)",
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues=values(
                    running="running", queued="queued", me=runner, until=until, now=now, one=1
                ),
                ReturnValues="ALL_NEW",
                mine=lambda old: old is not None and old.get("runner") == runner,
            )
        except Cancelled:
            return None
        return ExportJobItem.model_validate(item) if item else None

    def checkpoint(self, job: ExportJobItem, runner: str) -> bool:
        """Record the job's progress (upload, parts, cursor, counts) while `runner` holds it; False if it
        does not any more (another run took the job: this one stops)."""
        try:
            self.table.update(
                keys.export_job(job.job_id),
                UpdateExpression="SET upload_id = :upload, parts = :parts, #c = :cursor, #n = :rows, "
                "#z = :size, completing = :completing",
                ConditionExpression="#r = :me AND #s = :running",
                ExpressionAttributeNames={
                    "#s": "state",
                    "#r": "runner",
                    "#c": "cursor",
                    "#n": "rows",
                    "#z": "size",
                },
                ExpressionAttributeValues=values(
                    upload=job.upload_id,
                    parts=job.parts,
                    cursor=job.cursor,
                    rows=job.rows,
                    size=job.size,
                    completing=job.completing,
                    me=runner,
                    running="running",
                ),
            )
        except Cancelled:
            return False
        return True

    def release(self, job_id: str, runner: str) -> None:
        """Give the lease up (the job is handed on to the next message), if this run still holds it."""
        leases.release(self.table, keys.export_job(job_id), runner)

    def finish(self, job: ExportJobItem, runner: str, now: str) -> bool:
        """Done, with its rows and size, if `runner` still holds it (or this very end was applied before
        its answer was lost)."""
        try:
            self.table.update(
                keys.export_job(job.job_id),
                UpdateExpression="SET #s = :done, finished_at = :now, #n = :rows, #z = :size "
                "REMOVE #r, #l, #c, parts, upload_id, completing",
                ConditionExpression="#r = :me AND #s = :running",
                ExpressionAttributeNames={**_NAMES, "#c": "cursor", "#n": "rows", "#z": "size"},
                ExpressionAttributeValues=values(
                    done="done", now=now, rows=job.rows, size=job.size, me=runner, running="running"
                ),
                mine=lambda old: (
                    old is not None and old.get("state") == "done" and old.get("finished_at") == now
                ),
            )
        except Cancelled:
            return False
        return True

    def fail(self, job_id: str, reason: str, now: str) -> None:
        """End a job that cannot be done (its coupon is gone); one that ended already stays as it ended."""
        leases.fail(self.table, keys.export_job(job_id), "state", reason, now)

    # --- what an export reads, page by page --------------------------------------------------------

    def redemptions_page(
        self,
        coupon_id: str,
        start: dict[str, Any] | None,
        limit: int,
        from_at: str | None,
        to_at: str | None,
    ) -> tuple[list[RedemptionItem], dict[str, Any] | None]:
        """One page of the coupon's redemptions by time (GSI2), redeemed in [from_at, to_at) when given;
        with the key the next page starts after (None: the last page)."""
        condition = "GSI2PK = :p"
        bounds: dict[str, Any] = {}
        if from_at or to_at:
            # The sort key is `{redeemed_at}#{id}`: `{to_at}` sorts below every key redeemed at to_at.
            condition += " AND GSI2SK BETWEEN :a AND :b"
            bounds = {"a": from_at or "", "b": to_at or "~"}
        items, last = self.table.query(
            index="GSI2",
            key_condition=condition,
            limit=limit,
            start_key=start,
            ExpressionAttributeValues=values(p=keys.coupon_redemptions(coupon_id), **bounds),
        )
        return [RedemptionItem.model_validate(item) for item in items], last

    def claimed_positions(self, coupon_id: str, shard: int) -> Iterator[tuple[int, str]]:
        """(position, state) of every claim record of a pooled coupon's shard (GSI4), in pages."""
        for item in self.table.query_all(
            index="GSI4",
            key_condition="GSI4PK = :p",
            ProjectionExpression="#p, #s",
            ExpressionAttributeNames={"#p": "position", "#s": "state"},
            ExpressionAttributeValues=values(p=keys.claim_records(coupon_id, shard)),
        ):
            if item.get("position") is not None:
                yield int(item["position"]), str(item.get("state", ""))

    def pool_chunks(self, coupon_id: str, shard: int, first: int, count: int) -> list[list[str]]:
        """The codes of chunks first..first+count-1 of a shard's pool, in order (one BatchGetItem per 100
        chunks; a chunk not written reads as no codes)."""
        wanted = [keys.pool_chunk(coupon_id, shard, chunk) for chunk in range(first, first + count)]
        found = {item["SK"]: list(item.get("codes") or []) for item in self.table.batch_get(wanted)}
        return [found.get(key["SK"], []) for key in wanted]
