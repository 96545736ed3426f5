"""Bulk import of external codes from files dropped in the import bucket: every code imported once.

A job is the object version (bucket, key, version); a redelivered event finds its job. A file is first
read whole, streaming, to check it (UTF-8 text, at most 100,000 codes) so a bad file imports nothing;
then it is read again from the job's checkpoint in batches of lines. For each batch every code gets a
conditional put of its registry item (merchant + code, recording job and line), which tells new codes,
codes this job already stored at this line (a resumed batch), in-file duplicates and codes that exist
from elsewhere apart without a read. The accepted codes are appended to one of the coupon's pools and
the job's checkpoint moves, in one transaction: the pool's size grows only with its codes, and a batch
is appended once however often a crashed or duplicated run repeats it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from coupon_service import clock, keys
from coupon_service.aws import client
from coupon_service.codes import has_system_shape, is_too_guessable, is_valid_imported_code
from coupon_service.coupons import Coupons
from coupon_service.errors import Conflict, NotFound
from coupon_service.models.common import Strict
from coupon_service.settings import settings
from coupon_service.store.table import Cancelled, Table, to_item, values
from coupon_service.validity import to_iso

MAX_CODES = 100_000
BATCH_LINES = 500
PREFIX = "imports/"
REPORTS = "reports/"
KEY_RE = re.compile(r"^imports/(?P<merchant>[^/]+)/(?P<coupon>[0-9a-f]{32})/(?P<name>[^/]+)$")
REASONS = ("malformed", "too_guessable", "duplicate_in_file", "already_exists")
# A spreadsheet reads a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UPLOAD_SECONDS = 900
WORKERS = 8
TRANSACTION = 100  # registry puts per transaction (DynamoDB's limit)

JobStatus = Literal["pending", "running", "finished", "rejected"]


class UploadRequest(Strict):
    file_name: str = Field(
        default="codes.csv", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$", description="Shown in the job"
    )


class UploadForm(BaseModel):
    """A presigned POST: send the file as the `file` field of a multipart form with these fields."""

    url: str
    fields: dict[str, str]
    key: str
    max_bytes: int
    expires_at: datetime


class ImportJobOut(BaseModel):
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


class ImportJobs(BaseModel):
    items: list[ImportJobOut] = Field(description="The coupon's latest 100 imports, newest first")


def job_id_for(bucket: str, key: str, version: str) -> str:
    return hashlib.sha256(f"{bucket}\n{key}\n{version}".encode()).hexdigest()[:32]


def report_cell(text: str) -> str:
    """A report cell a spreadsheet shows as text: one that would start a formula gets a leading quote."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --- reading a file ------------------------------------------------------------------------------


class Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _raw_lines(body: Any, offset: int) -> Iterator[tuple[int, bytes]]:
    """(byte offset after the line, the line without its end) from a streaming body, chunk by chunk."""
    pending = b""
    position = offset
    for chunk in body.iter_chunks(chunk_size=64 * 1024):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            position += len(raw) + 1
            yield position, raw.removesuffix(b"\r")
    if pending:
        position += len(pending)
        yield position, pending.removesuffix(b"\r")


class Layout(BaseModel):
    """How a file holds its codes, found by the checking pass."""

    codes: int
    column: int | None = None  # CSV: the index of the `code` column; None: one code per line
    header_line: int | None = None


def _split(text: str, column: int | None) -> str:
    if column is None:
        return text.strip()
    cells = next(csv.reader([text]), [])
    return cells[column].strip() if column < len(cells) else ""


def check(body: Any) -> Layout:
    """Read the whole file once: UTF-8 text, its layout, and at most MAX_CODES codes."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    codes = 0
    column: int | None = None
    header_line: int | None = None
    first = True
    line_no = 0
    for _, raw in _raw_lines(body, 0):
        line_no += 1
        if b"\x00" in raw:
            raise Rejected("binary")
        try:
            text = decoder.decode(raw + b"\n")
        except UnicodeDecodeError as error:
            raise Rejected("not_utf8") from error
        text = text.removeprefix("\ufeff") if line_no == 1 else text
        if not text.strip():
            continue
        if first:
            first = False
            cells = [c.strip().lower() for c in next(csv.reader([text.strip()]), [])]
            if "code" in cells and (len(cells) > 1 or cells == ["code"]):
                column, header_line = cells.index("code"), line_no
                continue
        codes += 1
        if codes > MAX_CODES:
            raise Rejected("too_many_codes")
    if codes == 0:
        raise Rejected("no_codes")
    return Layout(codes=codes, column=column, header_line=header_line)


# --- the jobs ------------------------------------------------------------------------------------


class Imports:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()
        self._tails: dict[tuple[str, int], tuple[int, list[str]]] = {}  # pool -> (size, its last chunk)

    # --- the API ---------------------------------------------------------------------------------

    def upload_form(self, merchant_id: str, coupon_id: str, body: UploadRequest) -> UploadForm:
        coupon = Coupons(self.table).owned(merchant_id, coupon_id)
        if coupon["codes"]["mode"] != "imported":
            raise Conflict(
                "codes are imported only into a coupon with imported codes", code="not_imported_mode"
            )
        key = f"{PREFIX}{merchant_id}/{coupon_id}/{uuid.uuid4().hex[:12]}-{body.file_name}"
        limit = settings().import_max_bytes
        post = client("s3").generate_presigned_post(
            Bucket=settings().import_bucket,
            Key=key,
            Conditions=[["content-length-range", 1, limit]],
            ExpiresIn=UPLOAD_SECONDS,
        )
        return UploadForm(
            url=post["url"],
            fields=post["fields"],
            key=key,
            max_bytes=limit,
            expires_at=clock.now() + timedelta(seconds=UPLOAD_SECONDS),
        )

    def jobs(self, merchant_id: str, coupon_id: str) -> ImportJobs:
        Coupons(self.table).owned(merchant_id, coupon_id)
        items, _ = self.table.query(
            index="GSI2",
            key_condition="GSI2PK = :p",
            forward=False,
            limit=100,
            ExpressionAttributeValues=values(p=keys.coupon_imports(coupon_id)),
        )
        return ImportJobs(items=[self._out(item) for item in items])

    def job(self, merchant_id: str, coupon_id: str, job_id: str) -> ImportJobOut:
        job = self.table.get(keys.import_job(job_id))
        if not job or job["coupon_id"] != coupon_id or job["merchant_id"] != merchant_id:
            raise NotFound("no such import", field="jobId")
        return self._out(job)

    @staticmethod
    def _out(job: dict[str, Any]) -> ImportJobOut:
        url = None
        if job.get("failed_key"):
            url = client("s3").generate_presigned_url(
                "get_object", Params={"Bucket": job["bucket"], "Key": job["failed_key"]}, ExpiresIn=3600
            )
        counts = {reason: int(job.get(reason, 0)) for reason in REASONS}
        duration = job.get("duration_ms")
        return ImportJobOut.model_validate(
            {
                **job,
                "counts": counts,
                "failed_codes_url": url,
                "duration_seconds": None if duration is None else duration / 1000,
            }
        )

    # --- processing ------------------------------------------------------------------------------

    def process(self, bucket: str, key: str, version: str, size: int, time_left: Callable[[], float]) -> str:
        """Run (or resume) the job of this object version until it ends or time runs short.

        Returns the job's status, or "continue" when the caller must hand the job on.
        """
        job = self._job(bucket, key, version, size)
        if job["status"] in ("finished", "rejected"):
            return job["status"]
        if job["status"] == "pending":
            job = self._check(job)
            if job["status"] == "rejected":
                return "rejected"
        return self._import(job, time_left)

    def _job(self, bucket: str, key: str, version: str, size: int) -> dict[str, Any]:
        job_id = job_id_for(bucket, key, version)
        match = KEY_RE.match(key)
        now = to_iso(clock.now())
        job = {
            **keys.import_job(job_id),
            "type": "import_job",
            "job_id": job_id,
            "bucket": bucket,
            "key": key,
            "version": version,
            "size": size,
            "merchant_id": match["merchant"] if match else "",
            "coupon_id": match["coupon"] if match else "",
            "file_name": match["name"] if match else key.rsplit("/", 1)[-1],
            "status": "pending",
            "created_at": now,
            "started_ms": int(time.time() * 1000),
            "batches": 0,
            "lines_done": 0,
            "offset": 0,
            "imported": 0,
            "failed": 0,
            "GSI2PK": keys.coupon_imports(match["coupon"] if match else "none"),
            "GSI2SK": f"{now}#{job_id}",
        }
        try:
            self.table.put(job, ConditionExpression="attribute_not_exists(PK)")
        except Cancelled:
            return self.table.get(keys.import_job(job_id)) or job
        return job

    def _check(self, job: dict[str, Any]) -> dict[str, Any]:
        """Reject a whole file (nothing imported) or record its layout and start importing."""
        try:
            coupon = self.table.get(keys.coupon(job["coupon_id"])) if job["coupon_id"] else None
            if not coupon or coupon["merchant_id"] != job["merchant_id"] or coupon["status"] == "deleted":
                raise Rejected("not_your_coupon")
            if coupon["codes"]["mode"] != "imported":
                raise Rejected("not_imported_mode")
            if job["size"] > settings().import_max_bytes:
                raise Rejected("too_large")
            layout = check(self._body(job, 0))
        except Rejected as rejected:
            return self._end(job, "rejected", reason=rejected.reason)
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
                shards=coupon["shard_count"],
                case=bool(coupon["codes"].get("case_sensitive", True)),
                short=bool(coupon["codes"].get("allow_short_codes", False)),
            ),
        )

    def _move(self, job: dict[str, Any], **request: Any) -> dict[str, Any]:
        """A conditional change of the job's state; if another run changed it first, the job as it is."""
        try:
            return self.table.update(keys.import_job(job["job_id"]), ReturnValues="ALL_NEW", **request) or job
        except Cancelled:
            return self.table.get(keys.import_job(job["job_id"])) or job

    def _body(self, job: dict[str, Any], offset: int) -> Any:
        """The exact object version the event named, from `offset` on, streaming."""
        extra: dict[str, Any] = {"Range": f"bytes={offset}-"} if offset else {}
        if job["version"] not in ("", "null"):
            extra["VersionId"] = job["version"]
        return client("s3").get_object(Bucket=job["bucket"], Key=job["key"], **extra)["Body"]

    def _import(self, job: dict[str, Any], time_left: Callable[[], float]) -> str:
        if job["offset"] >= job["size"]:
            return self._finish(job)
        lines = _raw_lines(self._body(job, int(job["offset"])), int(job["offset"]))
        line_no = int(job["lines_done"])
        while True:
            batch: list[tuple[int, str]] = []
            end = int(job["offset"])
            for end, raw in lines:  # noqa: B007 - `end` is the byte offset after the last line taken
                line_no += 1
                batch.append((line_no, raw.decode("utf-8").removeprefix("\ufeff")))
                if len(batch) == BATCH_LINES:
                    break
            if not batch:
                return self._finish(job)
            job = self._batch(job, batch, end)
            if job["status"] != "running":
                return job["status"]
            if job["lines_done"] != line_no:  # another run committed ahead of this one: follow it
                return self._import(job, time_left)
            if time_left() < 30:
                return "continue"

    def _batch(self, job: dict[str, Any], batch: list[tuple[int, str]], offset: int) -> dict[str, Any]:
        failures: list[tuple[int, str, str]] = []
        candidates: dict[str, int] = {}
        for line_no, text in batch:
            if line_no == job.get("header_line"):
                continue
            if not text.strip():
                continue  # blank lines are no codes
            code = _split(text, job.get("column"))
            if not is_valid_imported_code(code) or has_system_shape(code):  # an empty cell included
                failures.append((line_no, code, "malformed"))
                continue
            code = code if job.get("case_sensitive", True) else code.upper()
            if not job.get("allow_short_codes") and is_too_guessable(code):
                failures.append((line_no, code, "too_guessable"))
                continue
            if code in candidates:
                failures.append((line_no, code, "duplicate_in_file"))
                continue
            candidates[code] = line_no
        groups = [
            list(candidates.items())[i : i + TRANSACTION] for i in range(0, len(candidates), TRANSACTION)
        ]
        verdicts: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for found in pool.map(lambda group: self._register(job, group), groups):
                verdicts.update(found)
        accepted = []
        for code, line_no in candidates.items():
            if verdicts[code] == "accepted":
                accepted.append(code)
            else:
                failures.append((line_no, code, verdicts[code]))
        if failures:
            self._write_part(job, sorted(failures))
        return self._commit(job, accepted, failures, batch[-1][0], offset)

    def _register(self, job: dict[str, Any], group: list[tuple[str, int]]) -> dict[str, str]:
        """Conditional puts of up to 100 registry items in one transaction. A refused transaction names
        each code that failed and the item in its way, which says why, with no read before the write;
        the others are put again without them."""
        verdicts: dict[str, str] = {}
        pending = group
        while pending:
            operations = [
                {
                    "Put": {
                        "Item": to_item(
                            {
                                **keys.code_registry(job["merchant_id"], code),
                                "type": "code",
                                "code": code,
                                "coupon_id": job["coupon_id"],
                                "job_id": job["job_id"],
                                "line": line_no,
                            }
                        ),
                        "ConditionExpression": "attribute_not_exists(PK)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
                for code, line_no in pending
            ]
            try:
                self.table.transact(operations)
            except Cancelled as cancelled:
                failed = set(cancelled.failed())
                if not failed:
                    raise
                for i in failed:
                    code, line_no = pending[i]
                    old = cancelled.old(i) or {}
                    if old.get("job_id") != job["job_id"]:
                        verdicts[code] = "already_exists"
                    else:  # this job stored it: at this line in a run that stopped, else earlier in the file
                        verdicts[code] = "accepted" if old.get("line") == line_no else "duplicate_in_file"
                pending = [entry for i, entry in enumerate(pending) if i not in failed]
                continue
            verdicts.update({code: "accepted" for code, _ in pending})
            pending = []
        return verdicts

    def _write_part(self, job: dict[str, Any], failures: list[tuple[int, str, str]]) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerows([report_cell(str(cell)) for cell in row] for row in failures)
        client("s3").put_object(
            Bucket=job["bucket"],
            Key=f"{REPORTS}{job['job_id']}/parts/{int(job['batches']):06d}.csv",
            Body=out.getvalue().encode(),
        )

    def _commit(
        self,
        job: dict[str, Any],
        accepted: list[str],
        failures: list[tuple[int, str, str]],
        last: int,
        offset: int,
    ) -> dict[str, Any]:
        """Append the batch's codes to a pool and move the checkpoint, together or not at all."""
        counts = {reason: sum(1 for f in failures if f[2] == reason) for reason in REASONS}
        job_update = {
            "Update": {
                "Key": to_item(keys.import_job(job["job_id"])),
                "UpdateExpression": "SET lines_done = :last, #o = :offset, batches = batches + :one "
                "ADD imported :imported, failed :failed, "
                "malformed :m, too_guessable :g, duplicate_in_file :d, already_exists :a",
                "ConditionExpression": "batches = :batches AND #s = :running",
                "ExpressionAttributeNames": {"#o": "offset", "#s": "status"},
                "ExpressionAttributeValues": values(
                    last=last,
                    offset=offset,
                    one=1,
                    imported=len(accepted),
                    failed=len(failures),
                    m=counts["malformed"],
                    g=counts["too_guessable"],
                    d=counts["duplicate_in_file"],
                    a=counts["already_exists"],
                    batches=int(job["batches"]),
                    running="running",
                ),
            }
        }
        pool = (job["coupon_id"], int(job["batches"]) % int(job["shard_count"]))
        for _ in range(20):
            operations = [job_update, *self._append(pool, accepted)] if accepted else [job_update]
            try:
                self.table.transact(operations)
            except Cancelled as cancelled:
                if cancelled.code_at(0) == "ConditionalCheckFailed":  # another run committed this batch
                    return self.table.get(keys.import_job(job["job_id"])) or job
                self._tails.pop(pool, None)  # the pool grew meanwhile: read it again
                continue
            if accepted:
                size, tail = self._tails.get(pool) or (0, [])
                filled = size + len(accepted)
                self._tails[pool] = (
                    filled,
                    (tail + accepted)[len(tail) + len(accepted) - filled % keys.CHUNK :],
                )
            return {
                **job,
                "lines_done": last,
                "offset": offset,
                "batches": int(job["batches"]) + 1,
                "imported": int(job["imported"]) + len(accepted),
                "failed": int(job["failed"]) + len(failures),
                **{reason: int(job.get(reason, 0)) + counts[reason] for reason in REASONS},
            }
        raise Conflict("the pool kept changing; the import resumes from its checkpoint", code="busy")

    def _append(self, pool: tuple[str, int], codes: list[str]) -> list[dict[str, Any]]:
        """The operations that put `codes` at the end of one shard's pool, guarded by its current size.

        The pool's size and its last, partly filled chunk are read once, then known from this run's own
        commits; if another writer grew the pool meanwhile, the size condition fails and they are read again.
        """
        coupon_id, index = pool
        if pool not in self._tails:
            shard = self.table.get(keys.shard(coupon_id, index)) or {}
            size = int(shard.get("pool_size", 0))
            tail = []
            if size % keys.CHUNK:
                chunk = self.table.get(keys.pool_chunk(coupon_id, index, size // keys.CHUNK)) or {}
                tail = chunk.get("codes", [])[: size % keys.CHUNK]
            self._tails[pool] = (size, tail)
        size, tail = self._tails[pool]
        first_chunk = size // keys.CHUNK
        filled = tail + codes
        chunks = [
            {
                "Put": {
                    "Item": to_item(
                        {
                            **keys.pool_chunk(coupon_id, index, first_chunk + n),
                            "type": "pool",
                            "codes": filled[start : start + keys.CHUNK],
                        }
                    )
                }
            }
            for n, start in enumerate(range(0, len(filled), keys.CHUNK))
        ]
        grow = {
            "Update": {
                "Key": to_item(keys.shard(coupon_id, index)),
                "UpdateExpression": "SET pool_size = pool_size + :n, remaining = remaining + :n, "
                "units = units + :n",
                "ConditionExpression": "pool_size = :size",
                "ExpressionAttributeValues": values(n=len(codes), size=size),
            }
        }
        return [grow, *chunks]

    def _finish(self, job: dict[str, Any]) -> str:
        """Join the batches' failures into one CSV, write the summary, and end the job."""
        s3 = client("s3")
        failed_key = f"{REPORTS}{job['job_id']}/failed-codes.csv"
        parts = sorted(
            o["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=job["bucket"], Prefix=f"{REPORTS}{job['job_id']}/parts/"
            )
            for o in page.get("Contents", [])
        )
        with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as joined:
            joined.write(b"line,code,reason\n")
            for part in parts:
                for chunk in s3.get_object(Bucket=job["bucket"], Key=part)["Body"].iter_chunks(64 * 1024):
                    joined.write(chunk)
            joined.seek(0)
            s3.upload_fileobj(joined, job["bucket"], failed_key)
        return self._end(job, "finished", failed_key=failed_key)["status"]

    def _end(
        self, job: dict[str, Any], status: str, *, reason: str | None = None, failed_key: str | None = None
    ) -> dict[str, Any]:
        now = clock.now()
        duration_ms = int(time.time() * 1000) - int(job["started_ms"])
        summary = {
            "job_id": job["job_id"],
            "status": status,
            "reason": reason,
            "file": job["key"],
            "codes": int(job.get("codes", 0)),
            "imported": int(job.get("imported", 0)),
            "failed": int(job.get("failed", 0)),
            "counts": {r: int(job.get(r, 0)) for r in REASONS},
            "duration_seconds": duration_ms / 1000,
            "failed_codes": failed_key,
        }
        client("s3").put_object(
            Bucket=job["bucket"],
            Key=f"{REPORTS}{job['job_id']}/summary.json",
            Body=json.dumps(summary, indent=1).encode(),
        )
        return self._move(
            job,
            UpdateExpression="SET #s = :status, reason = :reason, finished_at = :now, "
            "duration_ms = :duration, failed_key = :failed",
            ConditionExpression="#s IN (:pending, :running)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values(
                status=status,
                reason=reason,
                now=to_iso(now),
                duration=duration_ms,
                failed=failed_key,
                pending="pending",
                running="running",
            ),
        )
