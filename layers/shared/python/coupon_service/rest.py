"""The REST resolver every API function resolves through: Powertools' resolver with validation, refusing
before validation what it would crash on or misread, mapping every error to the one error shape, and giving
the store the invocation's deadline. Imported by `api.resolver()`, so functions without routes never load
Powertools' event handler; what only requests need (validation's modules, a route's parameters in
Powertools' classes and the models its signature and answers name, the store, the docs) is set up by the
first request that needs it (each route by its own first request), or before a SnapStart snapshot."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from importlib import import_module
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from coupon_service.bodies import MAX_BODY_BYTES, header, read_json, refuse_body
from coupon_service.errors import DomainError, UnsupportedMediaType
from coupon_service.later import later
from coupon_service.observability import logger
from coupon_service.route_params import make_responses, powertools_signature

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder, Route
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

    from coupon_service.store import table
else:
    table = later("coupon_service.store.table")  # the store's plumbing, loaded by the first request


def _reason(message: str | None) -> str:
    return (message or "invalid").removeprefix("Value error, ")


def _field(location: Sequence[Any]) -> str:
    # Drop the discriminator tags pydantic puts in the path ('terms', 'discount', 'percent_off').
    return ".".join(str(part) for part in location)


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, refusing before validation what it would crash on or misread: oversized
    or too deeply nested bodies, and bodies that are not JSON; giving the store the invocation's deadline
    (every API function resolves through here); and setting up what only requests need when the first one
    comes: each route when its own first request comes (`prepare_route`), its docs when they are asked for."""

    def __init__(self, *, enable_validation: bool = False, **options: Any) -> None:
        # Powertools keeps the request on its router class (`BaseRouter.current_event`, `lambda_context`) and
        # its per-request state in the resolver's `context`: one request at a time, as in Lambda. This
        # resolver keeps all three per thread, so invocations in threads of one process (the local stack's
        # tests call handlers so) never read one another's request, caller or deadline.
        self._request = threading.local()
        super().__init__(**options)
        # Validation on, its middlewares made by the first request that validates: Powertools makes them
        # then when its resolver has none, and importing them loads its OpenAPI machinery.
        self._enable_validation = enable_validation
        self._docs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._body_limits: dict[str, int] = {}
        self._unprepared: set[Callable[..., Any]] = set()

    def allow_body(self, resource: str, max_bytes: int) -> None:
        """Bodies of up to `max_bytes` (instead of MAX_BODY_BYTES) on the route of `resource`, its path in the
        template as API Gateway names it (an uploaded image, say)."""
        self._body_limits[resource] = max_bytes

    def route(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        register = super().route(*args, **kwargs)

        def remembered(function: Any) -> Any:
            self._unprepared.add(function)
            return register(function)

        return remembered

    def prepare_route(self, route: Route) -> None:
        """What a route's first request needs and no import does, set before Powertools first reads the
        route: its signature read (its models imported) with Powertools' parameter classes in place of
        `route_params`' markers, and the models its documented answers name."""
        if route.func not in self._unprepared:
            return
        with self._lock:
            if route.func in self._unprepared:
                signature = powertools_signature(route.func)
                if signature is not None:
                    route.func.__signature__ = signature  # type: ignore[attr-defined]
                make_responses(route.responses)
                self._unprepared.discard(route.func)

    def prepare(self) -> None:
        """Every route prepared (the OpenAPI document reads them all)."""
        for route in self._static_routes + self._dynamic_routes:
            self.prepare_route(route)

    def prepare_everything(self) -> None:
        """What the first request of each route would set up, set up now (before a SnapStart snapshot):
        the routes, validation's modules, and each route's parameters read with their models built
        (which generating the OpenAPI document does)."""
        self.prepare()
        import_module("aws_lambda_powertools.event_handler.middlewares.openapi_validation")
        self.get_openapi_schema()

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPI:
        self.prepare()
        return super().get_openapi_schema(*args, **kwargs)

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> ResponseBuilder[Any]:
        self.prepare_route(route)
        if not route._middleware_stack_built:  # built by the route's first call: by one thread only
            with self._lock:
                if not route._middleware_stack_built:
                    route._build_middleware_stack(router_middlewares=self._router_middlewares, app=self)
        return super()._call_route(route, route_arguments)

    def enable_swagger(self, *, path: str = "/swagger", **options: Any) -> None:
        """Powertools' Swagger UI and OpenAPI document at `path`, set up by the first request for them:
        setting them up imports Powertools' OpenAPI models (a seventh of a function's import), which no
        other route needs."""
        self._docs[path.rstrip("/") or "/"] = options

    @property
    def current_event(self) -> Any:  # type: ignore[override]
        return self._request.event

    @property
    def lambda_context(self) -> Any:  # type: ignore[override]
        return getattr(self._request, "lambda_context", None)

    @property
    def context(self) -> dict[str, Any]:
        found: dict[str, Any] | None = getattr(self._request, "context", None)
        if found is None:
            found = self._request.context = {}
        return found

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._request.context = value

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        self._request.event = self._to_proxy_event(dict(event))
        self._request.lambda_context = context
        with table.invocation(context):
            limit = self._body_limits.get(str(event.get("resource") or ""), MAX_BODY_BYTES)
            refusal = refuse_body(event, limit)
            if refusal is not None:
                logger.info("refused", extra={"code": refusal.code, "field": refusal.field})
                return _refusal(refusal, header(event, "origin"))
            if self._docs:
                self._set_up_docs(str(event.get("path") or ""))
            return super().resolve(event, context)

    def _set_up_docs(self, path: str) -> None:
        path = path.rstrip("/") or "/"  # Powertools' REST routes match with trailing slashes too
        with self._lock:
            options = self._docs.pop(path, None)
            if options is not None:
                super().enable_swagger(path=path, **options)


def _refusal(error: DomainError, origin: str | None = None) -> dict[str, Any]:
    """A proxy response for a request refused before routing (readable by the web app, as routed ones are)."""
    allowed = cors()
    headers = {"Content-Type": content_types.APPLICATION_JSON}
    if allowed is not None:
        headers.update(allowed.to_dict(origin))  # nothing for another origin
    return {
        "statusCode": error.status,
        "headers": headers,
        "multiValueHeaders": {},
        "body": json.dumps(error.body()),
        "isBase64Encoded": False,
    }


def _answer(error: DomainError) -> Response[Any]:
    """A domain error in the one error shape, with Retry-After when the caller should wait."""
    logger.info("refused", extra={"code": error.code, "status": error.status, "field": error.field})
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return Response(
        status_code=error.status,
        content_type=content_types.APPLICATION_JSON,
        body=error.body(),
        headers=headers,
    )


# What the web app sends and reads across origins (the token is a header the page sets, never a cookie).
CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Device-Id"]


def cors() -> CORSConfig | None:
    """The web app's origin (`CORS_ALLOW_ORIGIN`, the stack's PublicWebUrl) may read the answers; no other
    site. API Gateway answers the preflights; this adds the headers to the functions' own answers."""
    origin = os.environ.get("CORS_ALLOW_ORIGIN", "").rstrip("/")
    if not origin:
        return None
    return CORSConfig(
        allow_origin=origin, allow_headers=CORS_HEADERS, expose_headers=["Retry-After"], max_age=600
    )


def make_resolver() -> Resolver:
    app = Resolver(enable_validation=True, json_body_deserializer=read_json, cors=cors())

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def _domain_error(error: DomainError) -> Response[Any]:
        return _answer(error)

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _unsupported(error: RequestUnsupportedContentType) -> Response[Any]:
        return _answer(UnsupportedMediaType("send the body as application/json", field="Content-Type"))

    @app.exception_handler(ServiceError)  # type: ignore[untyped-decorator]
    def _service_error(error: ServiceError) -> Response[Any]:
        # Powertools' own answers (404 for a route it does not know, ...), in the one error shape.
        status = HTTPStatus(error.status_code)
        problem = DomainError(str(error.msg), code=status.name.lower())
        problem.status = status.value
        return _answer(problem)

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(error: Exception) -> Response[Any]:
        # The last resort: the log (with the correlation id) has the stack, the caller only an apology.
        logger.exception("unexpected error", extra={"error_type": type(error).__name__})
        return Response(
            status_code=HTTPStatus.INTERNAL_SERVER_ERROR,
            content_type=content_types.APPLICATION_JSON,
            body={
                "error": {
                    "code": "internal",
                    "message": "something went wrong on our side; retry later, or quote the correlation id",
                    "details": {"correlation_id": logger.get_correlation_id()},
                }
            },
        )

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        # Powertools' default body omits `msg`, which its own schema requires; and callers need the reason.
        # pydantic prefixes our own rules' reasons with "Value error, ": the reason alone reads better.
        detail = [
            {"loc": list(e["loc"]), "msg": _reason(e.get("msg")), "type": e["type"]} for e in error.errors()
        ]
        first = detail[0] if detail else {"loc": ["body"], "msg": "invalid"}
        field = _field(first["loc"])
        logger.info("invalid request", extra={"field": field, "type": first.get("type")})
        return Response(
            status_code=HTTPStatus.UNPROCESSABLE_ENTITY,
            content_type=content_types.APPLICATION_JSON,
            body={
                "statusCode": 422,
                "detail": detail,
                "error": {"code": "invalid", "message": f"{field}: {first['msg']}", "field": field},
            },
        )

    return app
