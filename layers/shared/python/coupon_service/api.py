"""What a function's handler uses, and nothing else: the one decorator stack (`lambda_handler`), the REST
resolver (`resolver`, from `rest`), where a route's parameters come from (`Body`, `Header`, `Path`,
`Query`), the documented answers of a route (`responses`), who is calling, the invocation's clock, the
public base URL, the observability a route reports to (`logger`, `metrics`, `tracer`), and `later`: the
modules a route uses (its models, its service), imported by the first request that uses them.

Importing this module loads neither pydantic nor any of the layer's models: a function's import registers
its routes, and each route's first request loads what it needs (`coupon_service.later`)."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging import correlation_paths

from coupon_service.clock import SYSTEM, Clock, ManualClock

# Re-exported: modules a handler's routes use, imported by their first use (see coupon_service.later).
from coupon_service.later import later as later

# Re-exported: a route's Idempotency-Key (its pattern here; the once-only run of a write and the Lambda
# context the record's expiry reads below) and the QR sizes a route offers, without the handler importing
# their modules.
from coupon_service.models.parameters import KEY_PATTERN as KEY_PATTERN
from coupon_service.models.parameters import QR_SIZE_PATTERN as QR_SIZE_PATTERN

# Re-exported: handlers log, count and trace through the API, never importing observability themselves.
from coupon_service.observability import logger as logger
from coupon_service.observability import metrics as metrics
from coupon_service.observability import tracer as tracer

# Re-exported: a route's parameters, written as with Powertools' classes and made into them by the first
# request (`coupon_service.route_params`).
from coupon_service.route_params import Body as Body
from coupon_service.route_params import Header as Header
from coupon_service.route_params import Named
from coupon_service.route_params import Path as Path
from coupon_service.route_params import Query as Query

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
    from pydantic import BaseModel

    from coupon_service import identity, settings
    from coupon_service.identity import Caller
    from coupon_service.rest import Resolver
else:  # each loaded by the first request that needs it (they load pydantic)
    identity = later("coupon_service.identity")
    settings = later("coupon_service.settings")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
M = TypeVar("M", bound="BaseModel")
ERROR_BODY = Named("coupon_service.models.errors", "ErrorBody")  # the one error shape, documented


def error_responses(*codes: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI entries for the domain errors a route can answer with."""
    return {
        code: {
            "description": HTTPStatus(code).phrase,
            "content": {"application/json": {"model": ERROR_BODY}},
        }
        for code in codes
    }


def responses(*errors: int, status: int = 200, media_type: str | None = None) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: its success, and the errors it can give. The success is what the route
    returns, as its return annotation says (Powertools documents it when the route's first request reads the
    annotation; `Response[Model]` documents Model), or a body of `media_type` (image/png, say). Every route
    also answers 422 for invalid input (added by the resolver), 415 for a body that is not JSON, and 500
    when something unexpected fails."""
    if not all(isinstance(code, int) for code in errors):
        raise TypeError(
            "responses() takes error statuses: the success model is the route's return annotation"
        )
    documented = error_responses(415, 500, *errors)
    documented[status] = {"description": HTTPStatus(status).phrase}
    if media_type is not None:
        documented[status]["content"] = {media_type: {}}
    return documented


def resolver() -> Resolver:
    """The REST resolver of an API function (see `coupon_service.rest`)."""
    from coupon_service.rest import make_resolver

    return make_resolver()


def current_caller(app: Resolver) -> Caller | None:
    return identity.caller_from_event(app.current_event.raw_event)


def source_ip(app: Resolver) -> str | None:
    """The caller's address as API Gateway saw it (None when the event carries none)."""
    found = ((app.current_event.raw_event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
    return found if isinstance(found, str) else None


def clock(invocation: Any) -> Clock:
    """The clock of an invocation, given a resolver (its current invocation) or a Lambda context: the
    `ManualClock` its invoker handed in on the context (the local stack's, a test's), else the system's,
    as always in Lambda, whose runtime hands none."""
    context = getattr(invocation, "lambda_context", invocation)
    given = getattr(context, "clock", None)
    return given if isinstance(given, ManualClock) else SYSTEM


def base_url() -> str:
    """Where customers reach this API: the stack's configured public URL, never the request's `Host`.

    A client chooses its `Host` header (and a proxy may pass it on): links built from it would point a
    friend or a printed QR code at whatever site the caller named. Unset is a deployment fault, answered
    as one rather than with a link to a guessed address.
    """
    configured = settings.settings().public_base_url
    if not configured:
        raise RuntimeError("PUBLIC_BASE_URL is not set: the stack's PublicBaseUrl parameter gives it")
    return configured


def web_url() -> str:
    """Where customers open the web app (the offer and gift pages under `/c/`): the stack's configured
    `PublicWebUrl`, never the request's `Host`, for the reasons `base_url` gives."""
    configured = settings.settings().public_web_url
    if not configured:
        raise RuntimeError("PUBLIC_WEB_URL is not set: the stack's PublicWebUrl parameter gives it")
    return configured


def lambda_handler(
    entry: Resolver | Handler,
    *,
    correlation_id_path: str | None = correlation_paths.API_GATEWAY_REST,
    on_invoke: Callable[[Any], None] | None = None,
) -> Handler:
    """A function's entry point, wearing the one decorator stack every function shares: the logger's Lambda
    context and correlation id (API Gateway's request id by default; None for events without one), the
    tracer's handler segment, and the metrics flushed at the end. `entry` is a resolver (the store's
    deadline comes with its `resolve`) or a plain handler; `on_invoke` sees each invocation's context first.
    """
    reseed_after_restore()
    build_before_snapshot(entry)
    resolve: Handler = getattr(entry, "resolve", entry)

    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if on_invoke is not None:
            on_invoke(context)
        return resolve(event, context)

    traced = tracer.capture_lambda_handler(metrics.log_metrics(lambda_handler))
    return logger.inject_lambda_context(traced, correlation_id_path=correlation_id_path)  # type: ignore[no-any-return]


def reseed_after_restore() -> bool:
    """Under SnapStart, reseed `random` in each execution environment resumed from the snapshot.

    Every environment resumed from one snapshot starts with the same state of `random`, seeded once at
    init: each would spread claims over a coupon's shards in the same order and jitter its retries by the
    same waits. Lambda's Python runtime offers hooks run after a resume (`snapshot_restore_py`); elsewhere
    there is no snapshot and nothing to do. Ids, codes and tokens come from `uuid4` and `secrets`, which
    read the operating system's randomness at each call and stay unique without this.
    """
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_after_restore(random.seed)
    return True


def build_before_snapshot(entry: Resolver | Handler) -> bool:
    """Under SnapStart, build before the snapshot what a function otherwise builds on first use.

    A function's import leaves its models unbuilt and its routes unprepared (the first request builds what
    it needs), which keeps every cold start short of what its request does not use. A snapshot is taken
    once per version and resumed by every new environment: whatever is built before it is never built
    again, so there the whole is built at init (Lambda's `snapshot_restore_py` runs the hook before taking
    the snapshot); elsewhere nothing is registered.
    """
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(build_everything, entry)
    return True


def build_everything(entry: Resolver | Handler | None = None) -> None:
    """Build what first use would: the modules named to be loaded later, the resolver's routes and
    validation (and their parameters' models), then every model and type adapter of the layer that is not
    built yet."""
    from pydantic import BaseModel, TypeAdapter

    from coupon_service.later import load_all

    load_all()
    prepare = getattr(entry, "prepare_everything", None)
    if prepare is not None:
        prepare()
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if model.__module__.startswith("coupon_service.") and not model.__pydantic_complete__:
            model.model_rebuild()
    for name, module in list(sys.modules.items()):
        if name.startswith("coupon_service.") and module is not None:
            for value in list(vars(module).values()):
                if isinstance(value, TypeAdapter):
                    value.rebuild()


# Powertools' idempotency utility (and its DynamoDB persistence) is loaded by the first request that
# runs something once, not at every function's cold start: most functions only check the key's shape.
def run_once(
    scope: str, key: str | None, payload: BaseModel, operation: Callable[[], M], output: type[M]
) -> M:
    from coupon_service import idempotency

    return idempotency.run_once(scope, key, payload, operation, output)


def register_context(context: Any) -> None:
    from coupon_service import idempotency

    idempotency.register_context(context)


def queue_batch(
    event: dict[str, Any], context: Any, processor: Any, record_handler: Callable[..., Any]
) -> dict[str, Any]:
    """An SQS batch through Powertools' batch processor: each record that fails is reported alone (partial
    failures), for the queue to deliver again, and the failures are counted in one log line."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    failed = response.get("batchItemFailures") or []
    if failed:  # unreadable messages among them: they reach the dead-letter queue after their retries
        logger.warning("messages failed; the queue will deliver them again", extra={"failed": len(failed)})
    return dict(response)
