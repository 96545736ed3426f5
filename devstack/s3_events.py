"""S3 event notifications as S3 sends them: moto leaves out who made the request, the request's ids, the
bucket's owner, the object's version and its sequencer, which S3 always sends (the version for a versioned
bucket) and which Powertools' `S3RecordModel`, read by the import worker, requires."""

from __future__ import annotations

import secrets
from typing import Any

from moto.s3 import notifications

LOCAL_PRINCIPAL = "AWS:AROALOCALSTACKEXAMPLE:local"
OWNER = "LOCALSTACKOWNER"


def _complete(event: dict[str, Any], key: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        record.setdefault("userIdentity", {"principalId": LOCAL_PRINCIPAL})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault(
            "responseElements",
            {"x-amz-request-id": secrets.token_hex(8).upper(), "x-amz-id-2": secrets.token_urlsafe(48)},
        )
        s3 = record["s3"]
        s3["bucket"].setdefault("ownerIdentity", {"principalId": OWNER})
        uploaded = s3["object"]
        uploaded.setdefault("sequencer", secrets.token_hex(9).upper())
        version = getattr(key, "version_id", "null")
        if version and version != "null":  # S3 names the version of an object in a versioned bucket
            uploaded.setdefault("versionId", version)
    return event


def install() -> None:
    original = notifications._get_s3_event
    if getattr(original, "_devstack", False):
        return

    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        return _complete(original(event_name, bucket, key, notification_id), key)

    get_s3_event._devstack = True  # type: ignore[attr-defined]
    notifications._get_s3_event = get_s3_event
