"""Points: a customer's balance, entries and daily check-in; a merchant's view of a customer's ledger, its
adjustments and its programme's settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import (
    KEY_PATTERN,
    Body,
    Header,
    Path,
    Query,
    clock,
    current_caller,
    later,
    metrics,
    resolver,
    responses,
    tracer,
)

if TYPE_CHECKING:
    from coupon_service import identity
    from coupon_service.models import points as models
    from coupon_service.points import service as points
else:  # imported by the first request of a route that uses them
    identity = later("coupon_service.identity")
    points = later("coupon_service.points.service")
    models = later("coupon_service.models.points")

PROGRAMME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"  # as models.points: a merchant's id, or `platform`
CUSTOMER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
app = resolver()
app.enable_swagger(path="/points/docs", title="Coupons: points")
CustomerId = Annotated[str, Path(pattern=CUSTOMER_PATTERN, description="The customer's user id")]
Programme = Annotated[str, Query(pattern=PROGRAMME_PATTERN, description="A merchant's id, or `platform`")]
Limit = Annotated[int, Query(ge=1, le=100)]
Token = Annotated[str | None, Query(max_length=2048)]
ERRORS = (401, 403, 404, 413)


@app.get("/me/points", responses=responses(*ERRORS))
@tracer.capture_method
def my_points(programme: Programme) -> models.PointsOut:
    caller = identity.customer(current_caller(app))
    return points.Points(clock=clock(app)).summary(caller.user_id, programme)


@app.get("/me/points/entries", responses=responses(*ERRORS))
@tracer.capture_method
def my_entries(programme: Programme, limit: Limit = 20, next_token: Token = None) -> models.PointsEntryPage:
    caller = identity.customer(current_caller(app))
    return points.Points(clock=clock(app)).entries(caller.user_id, programme, limit, next_token)


@app.post("/me/check-ins", responses=responses(*ERRORS, 503, status=201))
@tracer.capture_method
def check_in(body: Annotated[models.CheckInRequest, Body()]) -> Response[models.CheckInOut]:
    caller = identity.customer(current_caller(app))
    done = points.Points(clock=clock(app)).check_in(caller, body.programme)
    if done.first:
        metrics.add_metric(name="PointsCheckIn", unit=MetricUnit.Count, value=1)
    return Response(status_code=201 if done.first else 200, body=done, content_type="application/json")


@app.get("/merchant/points/customers/<customerId>", responses=responses(*ERRORS))
@tracer.capture_method
def customer_points(customerId: CustomerId) -> models.PointsOut:
    programme = identity.merchant_scope(current_caller(app))
    return points.Points(clock=clock(app)).customer_summary(programme, customerId)


@app.get("/merchant/points/customers/<customerId>/entries", responses=responses(*ERRORS))
@tracer.capture_method
def customer_entries(
    customerId: CustomerId, limit: Limit = 20, next_token: Token = None
) -> models.PointsEntryPage:
    programme = identity.merchant_scope(current_caller(app))
    service = points.Points(clock=clock(app))
    service.known_customer(programme, customerId)
    return service.entries(customerId, programme, limit, next_token)


@app.post(
    "/merchant/points/customers/<customerId>/adjustments", responses=responses(*ERRORS, 503, status=201)
)
@tracer.capture_method
def adjust(
    customerId: CustomerId,
    body: Annotated[models.Adjustment, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
) -> Response[models.PointsEntryOut]:
    caller = current_caller(app)
    programme = identity.merchant_scope(caller)
    assert caller is not None
    entry = points.Points(clock=clock(app)).adjust(caller, programme, customerId, body, idempotency_key)
    metrics.add_metric(name="PointsAdjusted", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=entry, content_type="application/json")


@app.get("/merchant/points/settings", responses=responses(401, 403, 413))
@tracer.capture_method
def get_settings() -> models.PointsSettingsOut:
    programme = identity.merchant_scope(current_caller(app))
    return points.Points(clock=clock(app)).settings(programme)


@app.put("/merchant/points/settings", responses=responses(401, 403, 413, 503))
@tracer.capture_method
def put_settings(body: Annotated[models.PointsSettings, Body()]) -> models.PointsSettingsOut:
    caller = current_caller(app)
    programme = identity.merchant_scope(caller)
    assert caller is not None
    return points.Points(clock=clock(app)).replace_settings(caller, programme, body)


lambda_handler = api.lambda_handler(app)
