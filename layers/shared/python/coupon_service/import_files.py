"""The import bucket: upload forms, the uploaded file's exact version, and the report's objects and links."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

from coupon_service import import_report
from coupon_service.aws import client
from coupon_service.import_reader import Failure
from coupon_service.models.imports import ImportJobItem

CHUNK_BYTES = 64 * 1024
REPORT_LINK_SECONDS = 3600


def upload_post(bucket: str, key: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
    """A presigned POST of at most `max_bytes` to exactly `key`."""
    post: dict[str, Any] = client("s3").generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Conditions=[["content-length-range", 1, max_bytes]],
        ExpiresIn=expires_in,
    )
    return post


def source(job: ImportJobItem, offset: int) -> Iterator[bytes]:
    """The exact object version the event named, from `offset` on, streaming."""
    return object_chunks(job.bucket, job.key, job.version, offset)


def object_chunks(bucket: str, key: str, version: str, offset: int = 0) -> Iterator[bytes]:
    """An exact object version (`null`: of an unversioned object), from `offset` on, streaming."""
    extra: dict[str, Any] = {"Range": f"bytes={offset}-"} if offset else {}
    if version not in ("", "null"):
        extra["VersionId"] = version
    body = client("s3").get_object(Bucket=bucket, Key=key, **extra)["Body"]
    chunks: Iterator[bytes] = body.iter_chunks(chunk_size=CHUNK_BYTES)
    return chunks


def write_part(job: ImportJobItem, failures: list[Failure]) -> None:
    """The failed lines of the job's next batch (a batch run again overwrites its own part)."""
    client("s3").put_object(
        Bucket=job.bucket,
        Key=import_report.part_key(job.job_id, job.batches),
        Body=import_report.part(failures),
    )


def join_parts(job: ImportJobItem) -> str:
    """Join the batches' parts, in batch order, into the failed-codes CSV; returns its key."""
    s3 = client("s3")
    failed_key = import_report.failed_codes_key(job.job_id)
    parts = sorted(
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=job.bucket, Prefix=import_report.parts_prefix(job.job_id)
        )
        for o in page.get("Contents", [])
    )
    with tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024) as joined:
        joined.write(import_report.HEADER)
        for part in parts:
            for chunk in s3.get_object(Bucket=job.bucket, Key=part)["Body"].iter_chunks(CHUNK_BYTES):
                joined.write(chunk)
        joined.seek(0)
        s3.upload_fileobj(joined, job.bucket, failed_key)
    return failed_key


def write_summary(job: ImportJobItem, document: bytes) -> None:
    client("s3").put_object(Bucket=job.bucket, Key=import_report.summary_key(job.job_id), Body=document)


def failed_codes_url(job: ImportJobItem) -> str | None:
    """A presigned link to the job's failed-codes CSV, once it has one."""
    if not job.failed_key:
        return None
    url: str = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": job.bucket, "Key": job.failed_key}, ExpiresIn=REPORT_LINK_SECONDS
    )
    return url
