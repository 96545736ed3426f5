"""Nothing secret in traces or logs: the whole journey traced as on Lambda, every emitted segment read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack import provision as provisioning
from devstack.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
TRACE_HEADER = "Root=1-6744a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"


@dataclass
class Journey:
    secrets: dict[str, list[str]]
    entities: list[str]
    logs: str

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
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    found = json.loads(out.read_text())
    return Journey(secrets=found["secrets"], entities=found["entities"], logs=run.stdout + run.stderr)


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
