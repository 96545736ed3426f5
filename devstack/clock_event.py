"""The event EventBridge sends to a function on a schedule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


def scheduled(function: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{function}-schedule"],
        "detail": {},
    }
