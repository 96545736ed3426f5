"""What tests share beyond fixtures: identities, calling handlers as API Gateway does, real threads."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from devstack.apigw import match, rest_event
from devstack.emulator import DEFAULT_KINDS, WITH_LOST
from devstack.functions import load_function

# --- identities, as the Cognito authorizer puts them in the request context ------------------------


def merchant(merchant_id: str = "m1", user: str | None = None) -> dict[str, str]:
    return {
        "sub": user or f"owner-{merchant_id}",
        "cognito:groups": "merchants",
        "custom:merchant_id": merchant_id,
    }


def staff(merchant_id: str = "m1", user: str | None = None) -> dict[str, str]:
    return {
        "sub": user or f"staff-{merchant_id}",
        "cognito:groups": "staff",
        "custom:merchant_id": merchant_id,
    }


def customer(user: str = "u1", **extra: str) -> dict[str, str]:
    return {"sub": user, "cognito:groups": "customers", "nickname": f"nick-{user}", **extra}


def platform(user: str = "op1") -> dict[str, str]:
    return {"sub": user, "cognito:groups": "platform"}


# --- calling handlers with API Gateway events -------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw or b"null")


class FakeContext:
    function_name = "local"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:local"

    def __init__(self, remaining_ms: int = 10_000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def invoke(function: str, event: dict[str, Any], remaining_ms: int = 10_000) -> dict[str, Any]:
    return load_function(function).lambda_handler(event, FakeContext(remaining_ms))


def call(
    method: str,
    path: str,
    *,
    claims: dict[str, str] | None = None,
    body: Any = None,
    query: str | dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    remaining_ms: int = 10_000,
) -> Reply:
    """Send a request as API Gateway would: to the function the template routes it to (`remaining_ms`:
    the invocation's remaining time, as the Lambda context reports it)."""
    path_only, _, query_string = path.partition("?")
    found = match(method, path_only)
    assert found, f"no route for {method} {path_only} in template.yaml"
    route, params = found
    event = rest_event(
        method,
        route["path"],
        path_only,
        path_parameters=params,
        query=query if query is not None else query_string or None,
        headers=headers,
        body=body,
        claims=claims,
    )
    response = invoke(route["code"], event, remaining_ms)
    raw = response.get("body") or ""
    data = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
    headers_out = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for key, value in (response.get("multiValueHeaders") or {}).items():
        headers_out[key.lower()] = value[-1] if isinstance(value, list) else value
    return Reply(status=response["statusCode"], headers=headers_out, raw=data)


# --- concurrency ----------------------------------------------------------------------------------------

# What the invariant tests run under: no faults; 15% of writes refused (conflicts, throttling); 30% of
# writes failed, half refused, half applied with the answer lost (15%: a 500 or a dropped connection).
FAULT_MODES = {"clean": (0.0, DEFAULT_KINDS), "faults": (0.15, DEFAULT_KINDS), "lost": (0.3, WITH_LOST)}


def inject(emulator: Any, mode: str) -> None:
    """Switch the emulator's fault switch to one of FAULT_MODES (counting afresh)."""
    rate, kinds = FAULT_MODES[mode]
    emulator.faults.set(rate, kinds)


def concurrently(work: Callable[[int], Any], count: int, threads: int = 32) -> list[Any]:
    """Run work(0..count-1) on `threads` real threads released together; returns results in order.

    Exceptions are returned in place of results so a test can count every outcome.
    """
    start = threading.Barrier(min(threads, count))

    def run(index: int) -> Any:
        if index < threads:
            start.wait(timeout=60)
        try:
            return work(index)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, range(count)))


def coupon_body(**overrides: Any) -> dict[str, Any]:
    """A valid coupon as a merchant would send it; override any top-level field."""
    body: dict[str, Any] = {
        "title": "10 off 100",
        "description": "Ten off any order of a hundred or more",
        "status": "active",
        "currency": "CNY",
        "time_zone": "Asia/Shanghai",
        "terms": {"kind": "cash_value", "amount_off": 1000, "min_spend": 10000},
        "codes": {"mode": "random_on_claim", "inventory": 100},
        "claim_window": {"start": "2020-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z"},
        "validity": {"type": "relative_days", "starts_after_days": 0, "days": 30},
    }
    body.update(overrides)
    return body


@dataclass
class Outcome:
    """What the layer answered, as the API would map it: a status and the body."""

    status: int
    json: Any
    headers: dict[str, str]


def outcome(operation: Callable[[], Any]) -> Outcome:
    """Run a layer operation the way its handler would, mapping domain errors to their HTTP status.

    Concurrency tests call the layer from many threads: a Lambda execution environment serves one request
    at a time, so the handler module's state (the resolver's current event, Powertools' context) is
    per-environment, and running one handler module from many threads would test a situation Lambda
    never creates. The invariants live in the layer and the store, which is what these threads exercise.
    """
    from coupon_service.errors import DomainError

    try:
        result = operation()
    except DomainError as error:
        headers = {"retry-after": str(error.retry_after)} if error.retry_after is not None else {}
        return Outcome(status=error.status, json=error.body(), headers=headers)
    body = result.model_dump(mode="json") if hasattr(result, "model_dump") else result
    return Outcome(status=201, json=body, headers={})


def caller_for(claims: dict[str, str]) -> Any:
    from coupon_service.identity import caller_from_event

    return caller_from_event({"requestContext": {"authorizer": {"claims": claims}}})
