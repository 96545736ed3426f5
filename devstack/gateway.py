"""An HTTP server that turns requests into API Gateway REST proxy events for the template's functions."""

from __future__ import annotations

import base64
import json
import logging
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

import jwt

from devstack.apigw import match, rest_event
from devstack.tokens import verify
from devstack.web import Site
from devstack.workers import Stopping

log = logging.getLogger("devstack.gateway")
STAGE = "v1"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


class Gateway(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's backlog of 5 resets the connections of a burst while this process, which also serves
    # the emulator, gets round to accepting them; the kernel caps it at net.core.somaxconn.
    request_queue_size = 1024

    def __init__(
        self,
        port: int,
        invoke: Callable[[str, dict[str, Any]], Any],
        local_routes: dict[str, Callable[[str, bytes], tuple[int, str, bytes]]],
        site: Site | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.invoke = invoke
        self.local_routes = local_routes
        self.site = site

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up before its answer (a burst's impatient caller, Ctrl-C) is not a failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("%s hung up", client_address)
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        host, port = cast("tuple[str, int]", self.server_address[:2])
        return f"http://{host}:{port}/{STAGE}"


class _Handler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {**({"Content-Type": "application/json"} if body else {}), **(headers or {})}
        for key, value in headers.items():
            if key.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        # The body the template's GatewayResponses give API Gateway's own errors.
        code = message.lower().replace(" ", "_")
        self._send(status, json.dumps({"error": {"code": code, "message": message}}).encode())

    def _from_this_machine(self) -> bool:
        """The local routes (tokens, the clock, schedules) answer this machine's own callers: the Host names
        this gateway (a rebound DNS name does not), and a browser's request carries this gateway's own
        origin (a page of another site the developer visits cannot mint a token or move the clock)."""
        port = self.server.server_address[1]
        own = {f"127.0.0.1:{port}", f"localhost:{port}"}
        origin = self.headers.get("Origin")
        return self.headers.get("Host") in own and (origin is None or urlsplit(origin).netloc in own)

    def _serve_local(self, path: str, query: str, body: bytes) -> None:
        if not self._from_this_machine():
            return self._error(403, "Forbidden")
        route = self.server.local_routes.get(f"{self.command} {path}")
        if not route:
            return self._error(404, "Not Found")
        status, content_type, payload = route(query, body)
        return self._send(status, payload, {"Content-Type": content_type})

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._error(413, "Request Too Long")
        body = self.rfile.read(length) if length else b""
        if url.path.startswith("/_local/"):
            return self._serve_local(url.path, url.query, body)
        page = self.server.site.answer(url.path) if self.server.site and self.command == "GET" else None
        if page:
            status, headers, payload = page
            return self._send(status, payload, headers)
        prefix = f"/{STAGE}"
        found = match(self.command, url.path[len(prefix) :]) if url.path.startswith(prefix + "/") else None
        if not found:
            # API Gateway's answer for a stage, path or method it does not know.
            return self._error(403, "Missing Authentication Token")
        return self._serve_route(*found, url.path[len(prefix) :], url.query, body)

    def _serve_route(
        self, route: dict[str, Any], params: dict[str, str], path: str, query: str, body: bytes
    ) -> None:
        """A request to a route of the API: authorised as its authorizer would, passed to its function."""
        claims = None
        if not route["public"]:
            token = self.headers.get("Authorization", "")
            token = token[7:] if token.lower().startswith("bearer ") else token
            try:
                claims = verify(token)
            except jwt.PyJWTError:
                return self._error(401, "Unauthorized")
        headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        headers["X-Forwarded-Proto"] = "http"
        event = rest_event(
            self.command,
            route["path"],
            path,
            path_parameters=params,
            query=query or None,
            headers=headers,
            body=body if body else None,
            claims=claims,
            stage=STAGE,
        )
        if route["public"]:
            event["requestContext"]["authorizer"] = None
        try:
            response = self.server.invoke(route["function"], event)
        except Stopping:
            return self._error(503, "Service Unavailable")
        except Exception:
            log.exception("function %s failed", route["function"])
            return self._error(502, "Internal server error")
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
        out: dict[str, str] = {}
        for key, values in (response.get("multiValueHeaders") or {}).items():
            out[key] = values[-1] if isinstance(values, list) else values
        out.update(response.get("headers") or {})
        self._send(response.get("statusCode", 200), data, out)
        return None

    def __getattr__(self, name: str) -> Any:
        # Every method reaches the gateway; one the API does not define gets API Gateway's 403.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)
