"""What every function's entry point uses: the one decorator stack (`lambda_handler`), the REST resolver
(validation, error mapping to HTTP, the store's deadline), who is calling, and the observability a route
reports to (`logger`, `metrics`, `tracer`)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from coupon_service.errors import DomainError, Invalid, PayloadTooLarge, UnsupportedMediaType
from coupon_service.identity import Caller, caller_from_event

# Re-exported: handlers log, count and trace through the API, never importing observability themselves.
from coupon_service.observability import logger as logger
from coupon_service.observability import metrics as metrics
from coupon_service.observability import tracer as tracer
from coupon_service.settings import settings
from coupon_service.store.table import invocation

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32  # a real body nests 4 deep; Python's parser recurses, so thousands deep is a crash


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_responses(*codes: int) -> dict[int, dict[str, Any]]:
    """OpenAPI entries for the domain errors a route can answer with."""
    return {
        code: {
            "description": HTTPStatus(code).phrase,
            "content": {"application/json": {"model": ErrorBody}},
        }
        for code in codes
    }


def responses(
    success: type[BaseModel] | str | None, *errors: int, status: int = 200
) -> dict[int, dict[str, Any]]:
    """A route's documented answers: its success (a model, a media type such as image/png, or no body)
    and the errors it can give. Every route also answers 422 for invalid input (added by the resolver),
    415 for a body that is not JSON, and 500 when something unexpected fails."""
    documented = error_responses(415, 500, *errors)
    if success is None:
        documented[status] = {"description": HTTPStatus(status).phrase}
    elif isinstance(success, str):
        documented[status] = {"description": HTTPStatus(status).phrase, "content": {success: {}}}
    else:
        documented[status] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"model": success}},
        }
    return documented


def _reason(message: str | None) -> str:
    return (message or "invalid").removeprefix("Value error, ")


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    # Drop the discriminator tags pydantic puts in the path ('terms', 'discount', 'percent_off').
    return ".".join(str(part) for part in location)


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in `text`, counted without parsing (brackets inside strings
    are skipped), so a body nested thousands deep is measured without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return value
    return None


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, refusing before validation what it would crash on or misread: oversized
    or too deeply nested bodies, and bodies that are not JSON; and giving the store the invocation's
    deadline (every API function resolves through here)."""

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with invocation(context):
            refusal = _refuse_body(event)
            if refusal is not None:
                logger.info("refused", extra={"code": refusal.code, "field": refusal.field})
                return _refusal(refusal)
            return super().resolve(event, context)


def _refuse_body(event: dict[str, Any]) -> DomainError | None:
    body = event.get("body")
    if body is not None and len(body) > MAX_BODY_BYTES:
        return PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes", field="body")
    if not body:
        return None
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return Invalid("the body is not UTF-8 text", field="body", code="body_not_text")
    media_type = (_header(event, "content-type") or "application/json").split(";")[0].strip().lower()
    if media_type != "application/json":
        # Powertools would parse a form as fields of strings, and answer other types in its own shape.
        return UnsupportedMediaType(
            f"send the body as application/json, not {media_type[:100]}", field="Content-Type"
        )
    if body.count("[") + body.count("{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        return Invalid(
            f"the body nests deeper than {MAX_JSON_DEPTH} levels", field="body", code="too_deeply_nested"
        )
    return None


def _read_json(text: str | bytes | bytearray) -> Any:
    """json.loads, reading an integer of more than 4,300 digits (which Python refuses to convert, with a
    ValueError that would be a 500) as malformed JSON: a 422 naming the body."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        raise json.JSONDecodeError("a number has too many digits", "", 0) from error


def _refusal(error: DomainError) -> dict[str, Any]:
    """A proxy response for a request refused before routing."""
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "multiValueHeaders": {},
        "body": json.dumps(error.body()),
        "isBase64Encoded": False,
    }


def resolver() -> APIGatewayRestResolver:
    app = Resolver(enable_validation=True, json_body_deserializer=_read_json)

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        logger.info("refused", extra={"code": error.code, "status": error.status, "field": error.field})
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
        return Response(
            status_code=error.status,
            content_type=content_types.APPLICATION_JSON,
            body=error.body(),
            headers=headers,
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(error: RequestUnsupportedContentType) -> Response:
        return _domain_error(UnsupportedMediaType("send the body as application/json", field="Content-Type"))

    @app.exception_handler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        # Powertools' own answers (404 for a route it does not know, ...), in the one error shape.
        status = HTTPStatus(error.status_code)
        problem = DomainError(str(error.msg), code=status.name.lower())
        problem.status = status.value
        return _domain_error(problem)

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
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

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
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


def current_caller(app: APIGatewayRestResolver) -> Caller | None:
    return caller_from_event(app.current_event.raw_event)


def base_url() -> str:
    """Where customers reach this API: the stack's configured public URL, never the request's `Host`.

    A client chooses its `Host` header (and a proxy may pass it on): links built from it would point a
    friend or a printed QR code at whatever site the caller named. Unset is a deployment fault, answered
    as one rather than with a link to a guessed address.
    """
    configured = settings().public_base_url
    if not configured:
        raise RuntimeError("PUBLIC_BASE_URL is not set: the stack's PublicBaseUrl parameter gives it")
    return configured


def lambda_handler(
    entry: APIGatewayRestResolver | Handler,
    *,
    correlation_id_path: str | None = correlation_paths.API_GATEWAY_REST,
    on_invoke: Callable[[Any], None] | None = None,
) -> Handler:
    """A function's entry point, wearing the one decorator stack every function shares: the logger's Lambda
    context and correlation id (API Gateway's request id by default; None for events without one), the
    tracer's handler segment, and the metrics flushed at the end. `entry` is a resolver (the store's
    deadline comes with its `resolve`) or a plain handler; `on_invoke` sees each invocation's context first.
    """
    resolve = entry.resolve if isinstance(entry, APIGatewayRestResolver) else entry

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if on_invoke is not None:
            on_invoke(context)
        return resolve(event, context)

    traced = tracer.capture_lambda_handler(metrics.log_metrics(lambda_handler))
    return logger.inject_lambda_context(traced, correlation_id_path=correlation_id_path)  # type: ignore[no-any-return]
