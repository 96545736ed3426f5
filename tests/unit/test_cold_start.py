"""What a function imports when Lambda loads it: only what every invocation needs. QR rendering, the X-Ray SDK
with tracing off, Powertools' OpenAPI models (the docs) and, for functions without routes, Powertools'
REST resolver wait until something asks for them. Each function is imported in a fresh process, as Lambda
imports its handler (`import app` from the function's folder, the layer on the path)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest
from coupon_service import api

ROOT = Path(__file__).resolve().parents[2]
API_FUNCTIONS = ("coupons", "claim", "redeem", "gift", "imports", "stores")
LAZY = {
    "aws_xray_sdk.core": "the X-Ray SDK (tracing off)",
    "aws_lambda_powertools.event_handler.openapi.models": "Powertools' OpenAPI models (the docs)",
    "PIL": "Pillow (QR codes and logos)",
    "qrcode": "the QR encoder",
}


def _loaded_by_import(function: str, *, tracing: bool = False) -> set[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_", "LAMBDA_", "_X_AMZN")) and key != "PYTHONPATH"
    }
    environment.update(
        PYTHONPATH=str(ROOT / "layers" / "shared" / "python"),
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_SERVICE_NAME="cold-start",
        POWERTOOLS_TRACE_DISABLED="false" if tracing else "true",
    )
    if tracing:
        environment["LAMBDA_TASK_ROOT"] = str(ROOT / "functions" / function)
    run = subprocess.run(
        [sys.executable, "-c", "import json, sys\nimport app\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT / "functions" / function,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return set(json.loads(run.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("function", [*API_FUNCTIONS, "reminders", "publisher", "stock"])
def test_importing_a_function_leaves_what_only_some_requests_need_unloaded(function):
    # When Lambda imports the function's handler, with tracing off
    loaded = _loaded_by_import(function)
    # Then neither the QR renderer, nor the X-Ray SDK, nor Powertools' OpenAPI models were imported
    assert not {name for name in LAZY if name in loaded}, [LAZY[n] for n in LAZY if n in loaded]


@pytest.mark.parametrize("function", ["reminders", "publisher", "stock"])
def test_functions_without_routes_do_not_load_the_rest_resolver(function):
    loaded = _loaded_by_import(function)
    assert "coupon_service.rest" not in loaded
    assert "aws_lambda_powertools.event_handler.api_gateway" not in loaded


def test_with_tracing_on_the_tracer_is_made_at_import():
    # Tracing on (Lambda with Tracing: Active): the SDK belongs to init, and to a SnapStart snapshot
    loaded = _loaded_by_import("claim", tracing=True)
    assert "aws_xray_sdk.core" in loaded


def test_the_docs_are_set_up_by_the_first_request_for_them():
    # Given the claim function's resolver, its docs registered but not yet set up
    app = api.resolver()
    app.enable_swagger(path="/me/docs", title="Coupons: claiming and the wallet")

    @app.get("/me/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    event = {
        "httpMethod": "GET",
        "path": "/me/docs/",
        "resource": "/me/docs",
        "headers": {},
        "queryStringParameters": {"format": "json"},
        "requestContext": {"stage": "v1", "path": "/v1/me/docs/"},
    }
    # When the docs are asked for (with a trailing slash, which Powertools' REST routes also match)
    reply = app.resolve(event, None)
    # Then they answer the OpenAPI document, with the function's routes and title
    assert reply["statusCode"] == 200, reply
    document = json.loads(reply["body"])
    assert document["info"]["title"] == "Coupons: claiming and the wallet"
    assert "/me/ping" in document["paths"]
    # And a second request is answered by the same route (set up once)
    assert app.resolve({**event, "path": "/me/docs"}, None)["statusCode"] == 200


def test_random_is_reseeded_in_each_environment_resumed_from_a_snapshot(monkeypatch):
    # Given Lambda's runtime hooks for SnapStart, as the Python runtime provides them
    hooks: list = []
    module = types.ModuleType("snapshot_restore_py")
    module.register_after_restore = lambda hook, *args, **kwargs: hooks.append((hook, args, kwargs))
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    # When a function's entry point is made (at init, before the snapshot)
    api.lambda_handler(lambda event, context: {})
    assert api.reseed_after_restore() is True
    assert len(hooks) == 2
    # Then two environments resumed from one snapshot (the same state of `random`) draw different shard
    # orders once the hook has run in each
    snapshot = random.getstate()
    orders = []
    for _ in range(2):
        random.setstate(snapshot)
        hook, args, kwargs = hooks[0]
        hook(*args, **kwargs)
        orders.append(random.sample(range(50), 50))
    assert orders[0] != orders[1]


def test_without_snapshot_hooks_nothing_is_registered(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as outside Lambda
    assert api.reseed_after_restore() is False
