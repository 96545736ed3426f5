"""The whole journey traced as on Lambda: nothing secret in any emitted segment or in the logs, and every AWS
call each function makes is one its role in the template grants."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import pytest

from devstack import provision as provisioning
from devstack.emulator import Emulator
from tests.support import as_list, resources_of, source, statements, translated

ROOT = Path(__file__).resolve().parents[2]
TRACE_HEADER = "Root=1-6744a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"


@dataclass
class Journey:
    secrets: dict[str, list[str]]
    entities: list[str]
    logs: str
    calls: dict[str, list[tuple[str, str]]]

    def leaks(self, text: str) -> list[str]:
        return [secret for found in self.secrets.values() for secret in found if secret in text]


def walk(segment: dict) -> list[dict]:
    """A segment and every subsegment nested in it."""
    return [segment, *(found for sub in segment.get("subsegments", []) for found in walk(sub))]


@pytest.fixture(scope="module")
def journey(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Journey:
    """tests/integration/traced_flow.py run once, in a process traced as Lambda traces a function."""
    created = provisioning.provision(emulator.url, f"x{uuid.uuid4().hex[:10]}")
    out = tmp_path_factory.mktemp("traces") / "journey.json"
    environment = {
        **os.environ,
        **created.environment(),
        **created.environment("GiftFunction"),
        **created.environment("ImportFunction"),
        **created.environment("ImportWorkerFunction"),
        **created.environment("ExportFunction"),
        **created.environment("ExportWorkerFunction"),
        **created.environment("HoldersFunction"),
        **created.environment("OrdersWorkerFunction"),
        **created.environment("IssuanceWorkerFunction"),
        **created.environment("GrantFunction"),
        **created.environment("CustomersFunction"),
        **created.environment("SegmentWorkerFunction"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "shared" / "python"), str(ROOT)]),
        # What Lambda sets: with these, Powertools' tracer is on and the X-Ray SDK uses Lambda's context.
        "LAMBDA_TASK_ROOT": str(ROOT / "functions"),
        "_X_AMZN_TRACE_ID": TRACE_HEADER,
        "POWERTOOLS_TRACE_DISABLED": "false",
        # The most the functions ever log.
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
        "LOG_LEVEL": "DEBUG",
    }
    # The handlers must keep secrets out of traces on their own, not because the template says so.
    for name in ("POWERTOOLS_TRACER_CAPTURE_RESPONSE", "POWERTOOLS_TRACER_CAPTURE_ERROR", "AWS_SAM_LOCAL"):
        environment.pop(name, None)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "tests.integration.traced_flow", str(out)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        provisioning.drop(created)
    failures = [line for line in run.stdout.splitlines() if '"exception"' in line]
    assert run.returncode == 0, "\n".join(failures[-2:] or [run.stdout[-2000:]]) + run.stderr[-2000:]
    found = json.loads(out.read_text())
    calls = {function: [tuple(call) for call in made] for function, made in found["calls"].items()}
    return Journey(found["secrets"], found["entities"], run.stdout + run.stderr, calls)


def test_no_code_token_verification_code_link_or_phone_number_reaches_any_trace_segment(journey: Journey):
    # Given the journey (claim, wallet, QR, gift and accept, staff and self-service redemption, import
    # form) traced with Powertools' tracer on and botocore patched, as in a deployed function
    segments = [json.loads(entity) for entity in journey.entities]
    names = {found["name"] for segment in segments for found in walk(segment)}
    # Then the handlers and their routes were traced, with the calls they made to AWS
    assert {"## lambda_handler", "## function_claim.claim", "## function_gift.give"} <= names, names
    assert {"dynamodb", "secretsmanager"} <= names, names
    assert sum(1 for s in segments if s["name"] == "## lambda_handler") >= 20
    # And no emitted segment holds any of the secrets the responses carried
    assert all(journey.secrets.values()), journey.secrets
    for entity in journey.entities:
        assert journey.leaks(entity) == [], entity[:2000]


def test_no_code_token_verification_code_link_or_phone_number_reaches_the_logs(journey: Journey):
    # Given what the functions logged at DEBUG during the same journey
    logs = journey.logs
    # Then they tell what happened, with correlation ids
    assert '"claimed"' in logs and '"gift accepted"' in logs and '"redeemed"' in logs, logs[-2000:]
    assert "correlation_id" in logs
    # And none of the secrets
    assert journey.leaks(logs) == []


def _resource_name(value: Any) -> str:
    """A statement's resource with the template's references as logical ids: ${CouponsTable.Arn}/index/GSI1
    -> CouponsTable/index/GSI1, !Ref HmacSecret -> HmacSecret."""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    if "Ref" in value:
        return value["Ref"]
    if "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return re.sub(r"\$\{(\w+)(\.Arn)?\}", r"\1", text)
    return json.dumps(value)


def test_every_aws_call_of_the_journey_is_granted_to_the_function_that_makes_it(journey: Journey):
    # Given what each function's role allows in the translated template (its inline and SAM's policies)
    functions = {
        Path(f["Properties"]["CodeUri"]).name: name
        for name, f in resources_of(source(), "AWS::Serverless::Function").items()
    }
    granted = {
        code: [
            (as_list(s["Action"]), [_resource_name(r) for r in as_list(s["Resource"])])
            for role, s in statements(translated())
            if role == f"{name}Role" and s["Effect"] == "Allow"
        ]
        for code, name in functions.items()
    }
    # When the journey made its calls (every function, each as in an execution environment of its own)
    assert set(journey.calls) == set(functions), journey.calls
    for function, calls in journey.calls.items():
        for action, resource in calls:
            # Then each is allowed to that function by name, on that resource (an index named, not index/*)
            allowed = [
                resources
                for actions, resources in granted[function]
                if action in actions and any(fnmatch(resource, pattern) for pattern in resources)
            ]
            assert allowed, (function, action, resource)
