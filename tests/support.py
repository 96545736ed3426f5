"""What tests share beyond fixtures: identities, calling handlers as API Gateway does, real threads, the
template as CloudFormation reads it, the stack started as `make run` starts it."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

from devstack.apigw import match, rest_event
from devstack.emulator import DEFAULT_KINDS, WITH_LOST
from devstack.functions import load_function

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"

# --- identities, as the Cognito authorizer puts them in the request context ------------------------


def merchant(merchant_id: str = "m1", user: str | None = None) -> dict[str, str]:
    return {
        "sub": user or f"owner-{merchant_id}",
        "cognito:groups": "merchants",
        "custom:merchant_id": merchant_id,
    }


def staff(merchant_id: str = "m1", user: str | None = None, store: str | None = None) -> dict[str, str]:
    """A member of a merchant's staff; `store`: the store their account works at (`custom:store_id`)."""
    claims = {
        "sub": user or f"staff-{merchant_id}",
        "cognito:groups": "staff",
        "custom:merchant_id": merchant_id,
    }
    if store:
        claims["custom:store_id"] = store
    return claims


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

    def __init__(self, remaining_ms: int = 10_000, clock: Any = None) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.remaining_ms = remaining_ms
        self.clock = clock  # the test's clock, read by `api.clock` (Lambda's own context has none)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


# The clock the invocations carry while a test holds its `clock` fixture (none: the system's clock).
_carried: list[Any] = []


@contextmanager
def invocations_carry(clock: Any) -> Iterator[None]:
    """Every function invoked meanwhile finds `clock` on its context (the `clock` fixture's doing)."""
    _carried.append(clock)
    try:
        yield
    finally:
        _carried.remove(clock)


def invoke(function: str, event: dict[str, Any], remaining_ms: int = 10_000) -> dict[str, Any]:
    context = FakeContext(remaining_ms, clock=_carried[-1] if _carried else None)
    return load_function(function).lambda_handler(event, context)


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


# --- queue events, as S3 and SQS send them ---------------------------------------------------------------


def s3_notification(
    bucket: str, *objects: dict[str, Any], event: str = "ObjectCreated:Post"
) -> dict[str, Any]:
    """An S3 event notification of `objects` (each `key` (encoded as S3 encodes it), `size`, and
    `versionId` in a versioned bucket), whole, as S3 sends it to a queue."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2030-05-01T12:00:00.000Z",
                "eventName": event,
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE:uploader"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {
                    "x-amz-request-id": "C3D13FE58DE4C810",
                    "x-amz-id-2": "FMyUVURIY8/IgAtTv8xR",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "imports-to-queue",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKEXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "eTag": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                        "sequencer": "0055AED6DC",
                        **found,
                    },
                },
            }
            for found in objects
        ]
    }


def sqs_message(body: str, message_id: str = "m-1") -> dict[str, Any]:
    """One record of an SQS event as Lambda's poller sends it."""
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1904644800000",
            "SenderId": "AIDAEXAMPLE",
            "ApproximateFirstReceiveTimestamp": "1904644800010",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # SQS's checksum, not a secret
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:coupons-ImportQueue",
        "awsRegion": "us-east-1",
    }


def bus_message(detail_type: str, detail: dict[str, Any], message_id: str = "m-1") -> dict[str, Any]:
    """One SQS record holding an event as a rule on the service's bus delivers it to a queue."""
    event = {
        "version": "0",
        "id": f"bus-{message_id}",
        "detail-type": detail_type,
        "source": "coupons",
        "account": "123456789012",
        "time": detail.get("occurred_at", "2030-05-09T12:00:00Z"),
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
    return sqs_message(json.dumps(event), message_id)


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


# --- the template, as cfn-lint reads it and as SAM translates it ----------------------------------------


class _FixedManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader, which would ask IAM for the AWS managed policies."""

    def load(self) -> dict[str, str]:
        names = {
            "AWSLambdaBasicExecutionRole": "service-role/AWSLambdaBasicExecutionRole",
            "AWSXrayWriteOnlyAccess": "AWSXrayWriteOnlyAccess",
            "AWSLambdaDynamoDBExecutionRole": "service-role/AWSLambdaDynamoDBExecutionRole",
            "AWSLambdaSQSQueueExecutionRole": "service-role/AWSLambdaSQSQueueExecutionRole",
            "AWSLambdaVPCAccessExecutionRole": "service-role/AWSLambdaVPCAccessExecutionRole",
        }
        return {name: f"arn:aws:iam::aws:policy/{path}" for name, path in names.items()}


@cache
def template_text() -> str:
    return TEMPLATE.read_text()


@cache
def source() -> dict[str, Any]:
    """The SAM template as plain dicts, short-form tags in their long form (!Ref x -> {"Ref": "x"})."""
    from cfnlint.decode.decode import decode_str

    decoded, errors = decode_str(template_text())
    assert not errors, [str(e) for e in errors]
    return json.loads(json.dumps(decoded))


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


@cache
def translated() -> dict[str, Any]:
    """The CloudFormation SAM makes of the template after `sam package` put the code in S3."""
    from samtranslator.translator.transform import transform

    packaged = copy.deepcopy(source())
    for resource in packaged["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://placeholder-bucket/{Path(properties[key]).name}.zip"
    # The translator insists on a region for its pseudo parameters; nothing here talks to AWS.
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "us-east-1"}):
        os.environ.pop("AWS_PROFILE", None)
        return transform(packaged, {}, _FixedManagedPolicies())


def statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(role or policy name, statement) for every inline IAM statement in the template."""
    found = []
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            documents = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        elif resource["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            documents = [properties["PolicyDocument"]]
        else:
            continue
        for document in documents:
            for statement in document["Statement"]:
                found.append((name, statement))
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- the local stack, started as `make run` starts it ---------------------------------------------------


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.25)
    return None


def _free_port() -> int:
    """A free port below the ephemeral range (Linux 32768+, macOS 49152+): a port the kernel handed out
    could be taken again as the local end of one of the stack's own connections before it binds it."""
    for port in random.sample(range(20000, 32000), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port")


def make_run(output: Path) -> tuple[subprocess.Popen, int, int]:
    """The stack started as `make run` starts it, in a process group of its own as in a terminal, on free
    ports; everything it and its workers print goes to `output`. Returns the process and both ports."""
    port, emulator_port = _free_port(), _free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": "layers/shared/python:.",
        "COUPONS_PORT": str(port),
        "COUPONS_EMULATOR_PORT": str(emulator_port),
    }
    environment.pop("AWS_ENDPOINT_URL", None)
    with output.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, port, emulator_port


def interrupt_run(process: subprocess.Popen, output: Path, timeout: float = 30) -> None:
    """Ctrl-C to the group `make_run` started, waited for; if it lingers, the group is killed and the
    failure shows the end of what it printed (where each thread was, when stopping ran over)."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(output.read_text()[-6000:]) from None


# --- stored items with only the attributes a rule reads -----------------------------------------------

_CLAIM_FILLER: dict[str, Any] = {
    "claim_id": "c-1",
    "coupon_id": "cp-1",
    "merchant_id": "m1",
    "claimer_id": "u1",
    "owner_id": "u1",
    "state": "available",
    "claimed_at": "2030-01-01T00:00:00Z",
    "valid_from": "2030-01-01T00:00:00Z",
    "valid_until": "2031-01-01T00:00:00Z",
    "channel": "app",
    "request_hash": "h",
    "title": "t",
    "description": "d",
    "currency": "USD",
    "time_zone": "UTC",
    "terms": {},
    "scope": {},
    "code": "CODE",
    "shard": 0,
}


def claim_item(attributes: dict[str, Any]) -> Any:
    """A claimed coupon (`items.ClaimItem`) with `attributes` and filler for what they leave out."""
    from coupon_service.items import ClaimItem

    return ClaimItem.model_validate({**_CLAIM_FILLER, **attributes})


def shard_item(attributes: dict[str, Any]) -> Any:
    """A coupon shard (`items.ShardItem`) with `attributes` and filler for what they leave out."""
    from coupon_service.items import ShardItem

    filler = {"coupon_id": "cp-1", "merchant_id": "m1", "shard": 0}
    return ShardItem.model_validate({**filler, **attributes})
