"""The whole application on 127.0.0.1: emulator, template state, function workers, gateway, triggers."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from coupon_service.clock import ManualClock

from devstack import template
from devstack.apigw import routes
from devstack.clock_event import scheduled
from devstack.emulator import CLIENT_ENVIRONMENT, Emulator
from devstack.gateway import STAGE, Gateway
from devstack.provision import REGION, Stack, allow_browser_origin, provision
from devstack.tokens import local_token, mint
from devstack.triggers import (
    EventLog,
    Loop,
    SqsTrigger,
    StreamTrigger,
    function_events,
    rate_seconds,
)
from devstack.web import Site
from devstack.workers import STOP_GRACE, Function

log = logging.getLogger("devstack")


class LocalStack:
    def __init__(self, port: int = 0, emulator_port: int = 0, processes: int = 2) -> None:
        self.port, self.emulator_port, self.processes = port, emulator_port, processes
        self.functions: dict[str, Function] = {}
        self.loops: list[Loop] = []
        self.schedules: dict[str, str] = {}
        # The stack's one clock: the system's until moved (`POST /_local/clock`); every invocation carries it.
        self.clock = ManualClock()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LocalStack:
        self.emulator = Emulator(port=self.emulator_port).start()
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        self.stack: Stack = provision(self.emulator.url, "local")
        # Bound before the functions start, so their links point at this gateway (its port may be any).
        site = Site(f"/{STAGE}", connect=[self.emulator.url])
        self.gateway = Gateway(self.port, self.invoke, self._local_routes(), site)
        self.stack.parameters["PublicBaseUrl"] = self.gateway.url
        parts = urlsplit(self.gateway.url)
        allow_browser_origin(self.stack, f"{parts.scheme}://{parts.netloc}")
        self.stack.parameters["PublicWebUrl"] = self.gateway.url.rsplit("/", 1)[0]  # it serves /c/ too
        base = {
            "AWS_ENDPOINT_URL": self.emulator.url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            **CLIENT_ENVIRONMENT,
        }
        for name, resource in template.resources("AWS::Serverless::Function").items():
            props = resource["Properties"]
            environment = {**self.stack.environment(name), **base, "AWS_LAMBDA_FUNCTION_NAME": name}
            code = props["CodeUri"].rstrip("/").split("/")[-1]
            defaults = template.load()["Globals"]["Function"]
            handler = props.get("Handler") or defaults.get("Handler", "app.lambda_handler")
            timeout = float(props.get("Timeout") or defaults.get("Timeout", 3))
            self.functions[name] = Function(
                name, code, handler, environment, processes=self.processes, timeout=timeout
            )
        self._start_triggers()
        # Served last, so that a caller who reaches the gateway finds everything behind it running
        # (connections made before wait in its backlog).
        threading.Thread(target=self.gateway.serve_forever, name="gateway", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stops taking requests, then stops every worker (killing any that lingers) and the emulator."""
        self.gateway.shutdown()
        self.gateway.server_close()
        for loop in self.loops:
            loop.stop()
        deadline = time.monotonic() + STOP_GRACE
        for function in self.functions.values():
            function.stop(deadline)
        self.emulator.stop()

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.functions[function].invoke(event, self.clock)

    @property
    def url(self) -> str:
        return self.gateway.url

    # --- triggers --------------------------------------------------------------------------------

    def _start_triggers(self) -> None:
        for function, properties in function_events("DynamoDB"):
            trigger = StreamTrigger(self.stack, function, properties, self.invoke)
            self.loops.append(Loop(f"stream:{function}", 0.5, trigger.step))
        for function, properties in function_events("SQS"):
            queue_trigger = SqsTrigger(self.stack, function, properties, self.invoke)
            self.loops.append(Loop(f"sqs:{function}", 0.5, queue_trigger.step))
        for kind, field in (("Schedule", "Schedule"), ("ScheduleV2", "ScheduleExpression")):
            for function, properties in function_events(kind):
                expression = self.stack.resolve(properties[field])
                self.schedules[function] = expression
                self.loops.append(
                    Loop(f"schedule:{function}", rate_seconds(expression), self._fire(function))
                )
        self.event_log = EventLog(self.stack)
        self.loops.append(Loop("events", 1.0, self.event_log.step))
        for loop in self.loops:
            loop.start()

    def _fire(self, function: str) -> Any:
        return lambda: self.invoke(function, scheduled(function))

    # --- local-only endpoints --------------------------------------------------------------------

    def _local_routes(self) -> dict[str, Any]:
        def events(query: str, body: bytes) -> tuple[int, str, bytes]:
            return 200, "application/json", json.dumps(self.event_log.snapshot(), indent=1).encode()

        def run_schedules(query: str, body: bytes) -> tuple[int, str, bytes]:
            results = {name: self.invoke(name, scheduled(name)) for name in self.schedules}
            return 200, "application/json", json.dumps(results, default=str).encode()

        def move_clock(query: str, body: bytes) -> tuple[int, str, bytes]:
            return self.move_clock(body)

        def openapi(query: str, body: bytes) -> tuple[int, str, bytes]:
            return 200, "application/json", json.dumps(self.merged_openapi()).encode()

        def token(query: str, body: bytes) -> tuple[int, str, bytes]:
            return local_token(body)

        return {
            "GET /_local/events": events,
            "POST /_local/schedules": run_schedules,
            "POST /_local/clock": move_clock,
            "GET /_local/openapi.json": openapi,
            "POST /_local/tokens": token,
        }

    def move_clock(self, body: bytes) -> tuple[int, str, bytes]:
        """`{"advance_seconds": N}` moves the stack's clock forward N seconds (N a whole number, 0 or more:
        time does not run back); answers the clock's time. Expiries, windows and reminders come due
        without waiting for them."""
        try:
            seconds = json.loads(body or b"{}").get("advance_seconds")
        except (ValueError, AttributeError):
            seconds = None
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= 10 * 365 * 86400:
            message = "advance_seconds: a whole number of seconds from 0 to 315360000"
            return (
                422,
                "application/json",
                json.dumps(
                    {"error": {"code": "invalid", "message": message, "field": "advance_seconds"}}
                ).encode(),
            )
        self.clock.advance(timedelta(seconds=seconds))
        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, "application/json", json.dumps({"now": now}).encode()

    def merged_openapi(self) -> dict[str, Any]:
        """One OpenAPI document for every function, from each function's own (its docs route)."""
        from devstack.apigw import rest_event

        merged: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {"title": "Serverless coupons", "version": "1.0.0"},
            "servers": [{"url": self.url}],
            "paths": {},
            "components": {"schemas": {}},
        }
        for route in routes():
            if not route["path"].endswith("/docs"):
                continue
            event = rest_event("GET", route["path"], route["path"], query={"format": "json"})
            response = self.invoke(route["function"], event)
            document = json.loads(response["body"])
            for path, operations in document.get("paths", {}).items():
                if path.endswith("/docs"):
                    continue
                merged["paths"].setdefault(path, {}).update(operations)
            merged["components"]["schemas"].update(document.get("components", {}).get("schemas", {}))
        merged["components"]["securitySchemes"] = {
            "idToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        }
        public = {(r["method"].lower(), r["path"]) for r in routes() if r["public"]}
        for path, operations in merged["paths"].items():
            for method, operation in operations.items():
                if (method, path) not in public:
                    operation["security"] = [{"idToken": []}]
        return merged

    def summary(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "emulator": self.emulator.url,
            "table": self.stack.refs["CouponsTable"],
            "tokens": {
                "merchant_m1": mint("merchant", "owner-m1", merchant="m1"),
                "staff_m1": mint("staff", "staff-m1", merchant="m1"),
                "staff_m1_store": mint("staff", "staff-m1-sh001", merchant="m1", store="sh-001"),
                "platform": mint("platform", "operator"),
                "customer_u1": mint("customer", "u1", phone="+8613812345678"),
                "customer_u2": mint("customer", "u2"),
            },
        }
