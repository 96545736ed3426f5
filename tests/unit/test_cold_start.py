"""What a function imports when Lambda loads it: only what every invocation needs. pydantic and the layer's
models, services and store (each route's by its first request), QR rendering, the X-Ray SDK with tracing
off, Powertools' OpenAPI models (the docs) and, for functions without routes, Powertools' REST resolver
wait until something asks for them. Each function is imported in a fresh process, as Lambda
imports its handler (`import app` from the function's folder, the layer on the path)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path
from typing import Annotated, Any

import pytest
from coupon_service import api
from coupon_service.models.common import Strict
from pydantic import Field

from devstack.apigw import rest_event

ROOT = Path(__file__).resolve().parents[2]
API_FUNCTIONS = ("coupons", "claim", "redeem", "gift", "imports", "stores", "orders", "exports", "figures")
LAZY = {
    "pydantic": "pydantic (the layer's models, loaded by the first request of a route that uses them)",
    "coupon_service.store": "the store (and boto3 with it)",
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


@pytest.mark.parametrize(
    "function",
    [
        *API_FUNCTIONS,
        "import_worker",
        "export_worker",
        "aggregator",
        "reminders",
        "publisher",
        "stock",
        "holders",
    ],
)
def test_importing_a_function_leaves_what_only_some_requests_need_unloaded(function):
    # When Lambda imports the function's handler, with tracing off
    loaded = _loaded_by_import(function)
    # Then neither pydantic, the layer's models and store, the QR renderer, the X-Ray SDK, nor Powertools'
    # OpenAPI models were imported
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


def _run_in_function(function: str, script: str, *, snapshot_hooks: bool = False) -> dict:
    """Run `script` in a fresh process as Lambda imports `function` (it prints one JSON line). With
    `snapshot_hooks`, Lambda's `snapshot_restore_py` is there, keeping the hooks registered."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_", "LAMBDA_", "_X_AMZN")) and key != "PYTHONPATH"
    }
    environment.update(
        PYTHONPATH=str(ROOT / "layers" / "shared" / "python"),
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_SERVICE_NAME="cold-start",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    hooks = (
        "import sys, types\n"
        "runtime = types.ModuleType('snapshot_restore_py')\n"
        "runtime.before, runtime.after = [], []\n"
        "runtime.register_before_snapshot = lambda hook, *a: runtime.before.append((hook, a))\n"
        "runtime.register_after_restore = lambda hook, *a: runtime.after.append((hook, a))\n"
        "sys.modules['snapshot_restore_py'] = runtime\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", (hooks if snapshot_hooks else "") + script],
        cwd=ROOT / "functions" / function,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


_STATE = (
    "import json, sys\n"
    "from pydantic import BaseModel\n"
    "def models():\n"
    "    found, pending = [], [BaseModel]\n"
    "    while pending:\n"
    "        model = pending.pop()\n"
    "        pending.extend(model.__subclasses__())\n"
    "        if model.__module__.startswith('coupon_service.'):\n"
    "            found.append(model)\n"
    "    return found\n"
    "def state():\n"
    "    return {\n"
    "        'built': sorted(m.__qualname__ for m in models() if m.__pydantic_complete__),\n"
    "        'unbuilt': sorted(m.__qualname__ for m in models() if not m.__pydantic_complete__),\n"
    "        'loaded': sorted(n for n in sys.modules if 'openapi' in n),\n"
    "    }\n"
)
VALIDATION_MODULES = {
    "aws_lambda_powertools.event_handler.openapi.params": "Powertools' parameter classes",
    "aws_lambda_powertools.event_handler.openapi.compat": "its OpenAPI compatibility layer",
    "aws_lambda_powertools.event_handler.middlewares.openapi_validation": "its validation middlewares",
}


@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_importing_an_api_function_builds_no_model_and_loads_no_validation(function):
    # When Lambda imports an API function's handler
    found = _run_in_function(function, _STATE + "import app\nprint(json.dumps(state()))\n")
    # Then none of the layer's models is even made (their modules are imported by the first request of a
    # route that uses them, which builds them)
    assert not found["unbuilt"] and not found["built"], found
    # And Powertools' validation and parameter classes wait for the first request
    assert not set(VALIDATION_MODULES) & set(found["loaded"]), found["loaded"]


def test_a_routes_first_request_loads_what_that_route_uses_and_not_the_other_routes():
    # Given the coupons function imported as Lambda imports it
    script = (
        "import json, os, sys\n"
        "os.environ['TABLE_NAME'] = 'coupons'\n"
        "import app\n"
        "event = {'httpMethod': 'GET', 'path': '/coupons', 'resource': '/coupons', 'headers': {},\n"
        "         'requestContext': {'stage': 'v1', 'path': '/v1/coupons'}}\n"
        "reply = app.app.resolve(event, None)\n"
        "print(json.dumps({'status': reply['statusCode'], 'loaded': sorted(sys.modules)}))\n"
    )
    # When its first request reaches the route that lists coupons (without a caller: refused before the store)
    found = _run_in_function("coupons", script)
    # Then the route answered from its own service and models, in the one error shape
    assert found["status"] == 401
    assert {"coupon_service.coupons", "coupon_service.models.coupons", "pydantic"} <= set(found["loaded"])
    # And what only other routes use is still not imported: promotion, QR rendering, voiding
    others = {"coupon_service.promotion", "coupon_service.models.promotion", "coupon_service.voiding", "PIL"}
    assert not others & set(found["loaded"]), others & set(found["loaded"])


def test_before_a_snapshot_the_whole_function_is_built():
    # Given the claim function imported where Lambda takes SnapStart snapshots
    script = (
        _STATE
        + "import app\n"
        + "before = state()\n"
        + "hooks = runtime.before\n"
        + "for hook, args in hooks:\n"
        + "    hook(*args)\n"
        + "import inspect\n"
        + "from coupon_service.route_params import Param\n"
        + "routes = app.app._static_routes + app.app._dynamic_routes\n"
        + "markers = [m for r in routes for p in inspect.signature(r.func).parameters.values()\n"
        + "           for m in getattr(p.annotation, '__metadata__', ()) if isinstance(m, Param)]\n"
        + "read = [r._dependant is not None for r in routes]\n"
        + "services = ['coupon_service.claims', 'coupon_service.identity', 'coupon_service.store.table']\n"
        + "print(json.dumps({'before': before, 'after': state(), 'hooks': len(hooks),"
        + " 'markers': len(markers), 'routes_read': read,"
        + " 'services': [m in sys.modules for m in services]}))\n"
    )
    found = _run_in_function("claim", script, snapshot_hooks=True)
    # When the runtime runs the hook the entry point registered before taking the snapshot
    assert found["hooks"] == 1
    assert not found["before"]["built"]
    # Then every model of the layer is built, and validation and the routes' parameters are set up, so an
    # environment resumed from the snapshot builds none of them
    assert found["after"]["built"] and not found["after"]["unbuilt"], found["after"]["unbuilt"]
    assert set(VALIDATION_MODULES) <= set(found["after"]["loaded"])
    assert found["markers"] == 0
    assert len(found["routes_read"]) == 4 and all(found["routes_read"])
    # And what the routes' calls use (the service, the caller's identity, the store) is imported too
    assert all(found["services"]), found["services"]


def test_without_snapshot_hooks_nothing_is_built_ahead(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as outside Lambda
    assert api.build_before_snapshot(api.resolver()) is False


class _Note(Strict):  # deferred like every model of the layer: built by the first request that needs it
    text: str = Field(max_length=10)


def test_a_route_written_with_the_apis_markers_validates_from_its_first_request():
    # Given a resolver whose route takes its parameters through the API's markers and a deferred model
    app = api.resolver()

    @app.post("/notes/<noteId>")
    def create(
        noteId: Annotated[str, api.Path(pattern=r"^[0-9a-f]{4}$")],
        body: Annotated[_Note, api.Body()],
        key: Annotated[str | None, api.Header(alias="Idempotency-Key", pattern=api.KEY_PATTERN)] = None,
        limit: Annotated[int, api.Query(ge=1, le=5)] = 1,
    ) -> dict[str, Any]:
        return {"note": body.text, "key": key, "limit": limit, "id": noteId}

    assert not _Note.__pydantic_complete__

    def send(note_id: str = "ab12", body: Any = None, query: dict[str, str] | None = None, **headers: str):
        event = rest_event(
            "POST",
            "/notes/{noteId}",
            f"/notes/{note_id}",
            path_parameters={"noteId": note_id},
            body=body if body is not None else {"text": "hello"},
            query=query,
            headers=headers,
        )
        reply = app.resolve(event, None)
        return reply["statusCode"], json.loads(reply["body"])

    # When its first request sends a body the model refuses, then a bad query, path and header
    # Then each is a 422 naming the field and the reason, as Powertools' own classes would answer
    status, body = send(body={"text": "x" * 11})
    assert status == 422 and body["error"]["field"] == "body.text", body
    assert "at most 10 characters" in body["error"]["message"]
    assert send(body={"text": "hi", "extra": 1})[1]["error"]["field"] == "body.extra"
    assert send(query={"limit": "9"})[1]["error"]["field"] == "query.limit"
    assert send(note_id="zz")[1]["error"]["field"] == "path.noteId"
    assert send(**{"Idempotency-Key": "short"})[1]["error"]["field"].lower() == "header.idempotency-key"
    # And a good request reaches the route with every parameter read from where its marker says
    status, body = send(query={"limit": "3"}, **{"Idempotency-Key": "key-0123456789"})
    assert (status, body) == (200, {"note": "hello", "key": "key-0123456789", "limit": 3, "id": "ab12"})
    # And the OpenAPI document describes the parameters as written
    document = json.loads(app.get_openapi_json_schema())
    parameters = {p["name"].lower(): p for p in document["paths"]["/notes/{noteId}"]["post"]["parameters"]}
    assert parameters["noteid"]["schema"]["pattern"] == "^[0-9a-f]{4}$"
    assert parameters["idempotency-key"]["in"] == "header"
    assert parameters["limit"]["schema"]["maximum"] == 5
