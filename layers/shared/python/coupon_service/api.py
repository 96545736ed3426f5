"""The REST resolver every API function uses: validation, error mapping to HTTP, and who is calling."""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel

from coupon_service.errors import DomainError, Invalid, PayloadTooLarge
from coupon_service.identity import Caller, caller_from_event
from coupon_service.observability import logger

MAX_BODY_BYTES = 256 * 1024


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
    and the errors it can give. Every route also answers 422 for invalid input (added by the resolver)."""
    documented = error_responses(*errors)
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


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    # Drop the discriminator tags pydantic puts in the path ('terms', 'discount', 'percent_off').
    return ".".join(str(part) for part in location)


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, refusing oversized bodies before validation spends time on them."""

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        body = event.get("body")
        if body is not None and len(body) > MAX_BODY_BYTES:
            return _refusal(PayloadTooLarge(f"the body is over {MAX_BODY_BYTES} bytes", field="body"))
        if body and event.get("isBase64Encoded"):
            try:
                base64.b64decode(body).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return _refusal(Invalid("the body is not UTF-8 text", field="body", code="body_not_text"))
        return super().resolve(event, context)


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
    app = Resolver(enable_validation=True)

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

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
        # Powertools' default body omits `msg`, which its own schema requires; and callers need the reason.
        detail = [
            {"loc": list(e["loc"]), "msg": e.get("msg", "invalid"), "type": e["type"]} for e in error.errors()
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


def base_url(app: APIGatewayRestResolver) -> str:
    """Where this API is reached, from the request itself (the template cannot name its own URL)."""
    event = app.current_event
    host = event.headers.get("Host") or event.request_context.domain_name
    scheme = event.headers.get("X-Forwarded-Proto") or "https"
    stage = event.request_context.stage
    return f"{scheme}://{host}/{stage}" if stage and stage != "$default" else f"{scheme}://{host}"
