"""boto3 clients, created lazily and once per execution environment."""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=64)
# DynamoDB is retried in one place, the store (coupon_service.store), against the invocation's deadline:
# botocore's own retries on top of it would multiply the attempts and outlive the function. A request
# that hangs is cut short so the store can retry it (with the same transaction token) or answer `busy`.
# `DYNAMODB_READ_TIMEOUT` (seconds) is for the local emulator, where a request may queue behind others.
DYNAMODB_CONNECT_TIMEOUT = 1.0
DYNAMODB_READ_TIMEOUT = 3.0


def dynamodb_config() -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=DYNAMODB_CONNECT_TIMEOUT,
        read_timeout=float(os.environ.get("DYNAMODB_READ_TIMEOUT") or DYNAMODB_READ_TIMEOUT),
        max_pool_connections=64,
    )


# One session for every client: its loader reads each service's model, the endpoints and the retry rules
# once. Creating clients from one session is not thread-safe, hence the lock.
_session: Any = None
_creating = threading.Lock()


@cache
def client(service: str) -> Any:
    global _session
    config = dynamodb_config() if service == "dynamodb" else _CONFIG
    with _creating:
        if _session is None:
            _session = boto3.session.Session()
        # `service` is any name: boto3's stubs type each literal one
        return _session.client(service, config=config)


def reset_clients() -> None:
    """For tests that point the process at a new endpoint or configuration: new clients (the session reads
    the endpoint and region from the environment each time it makes one)."""
    client.cache_clear()
