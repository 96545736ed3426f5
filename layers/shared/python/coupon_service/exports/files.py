"""The export's file in the bucket: a multipart upload part by part, its completion, and the link to it."""

from __future__ import annotations

import contextlib
from typing import Any

from coupon_service.aws import client

PREFIX = "exports/"
LINK_SECONDS = 900  # a download link lives 15 minutes; each GET of a finished job signs a new one


def key_for(merchant_id: str, coupon_id: str, job_id: str, kind: str) -> str:
    return f"{PREFIX}{merchant_id}/{coupon_id}/{job_id}-{kind}.csv"


def file_name(coupon_id: str, kind: str) -> str:
    return f"coupon-{coupon_id}-{kind}.csv"


def start(bucket: str, key: str, name: str) -> str:
    """A new multipart upload of `key`; its id. Encrypted as the bucket encrypts every object (SSE-S3)."""
    started = client("s3").create_multipart_upload(
        Bucket=bucket,
        Key=key,
        ContentType="text/csv; charset=utf-8",
        ContentDisposition=f'attachment; filename="{name}"',
        ServerSideEncryption="AES256",
    )
    return str(started["UploadId"])


def upload_part(bucket: str, key: str, upload_id: str, number: int, body: bytes) -> str:
    """Part `number` (from 1) of the upload; its ETag. Uploading a number again replaces that part."""
    sent = client("s3").upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
    return str(sent["ETag"])


def complete(bucket: str, key: str, upload_id: str, etags: list[str]) -> int:
    """Join the parts into the file; its size. An upload already completed (by a run whose answer or
    whose end was lost) is found as the object it made."""
    s3 = client("s3")
    parts: list[dict[str, Any]] = [{"PartNumber": n, "ETag": etag} for n, etag in enumerate(etags, start=1)]
    # Completed before: the object below is its result (a missing one answers 404).
    with contextlib.suppress(s3.exceptions.NoSuchUpload):
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    return int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"])


def link(bucket: str, key: str) -> str:
    """A presigned GET of the file, valid LINK_SECONDS: built for each answer, never stored or logged."""
    url: str = client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=LINK_SECONDS
    )
    return url
