"""A merchant's customers: the directory (/merchant/customers) and its segments (/merchant/segments)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from coupon_service import api
from coupon_service.api import Body, Path, Query, clock, current_caller, later, resolver, responses, tracer
from coupon_service.models.parameters import CUSTOMER_ID_PATTERN, SEGMENT_ID_PATTERN

if TYPE_CHECKING:
    from coupon_service import customers, identity, segments
    from coupon_service.models import customers as models
    from coupon_service.models import segments as segment_models
else:  # imported by the first request of a route that uses them
    identity = later("coupon_service.identity")
    customers = later("coupon_service.customers")
    segments = later("coupon_service.segments")
    models = later("coupon_service.models.customers")
    segment_models = later("coupon_service.models.segments")

app = resolver()
app.enable_swagger(path="/customers/docs", title="Coupons: a merchant's customers and segments")
CustomerId = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN, description="The customer's id")]
SegmentId = Annotated[str, Path(pattern=SEGMENT_ID_PATTERN, description="The segment's id")]
ERRORS = (401, 403, 404, 413)


@app.put("/merchant/customers/<customerId>", responses=responses(401, 403, 413, 503))
@tracer.capture_method
def put_customer(
    customerId: CustomerId, body: Annotated[models.CustomerUpdate, Body()]
) -> models.CustomerOut:
    directory = customers.CustomerDirectory(clock=clock(app))
    return directory.update(identity.merchant_scope(current_caller(app)), customerId, body)


@app.get("/merchant/customers/<customerId>", responses=responses(*ERRORS))
@tracer.capture_method
def get_customer(customerId: CustomerId) -> models.CustomerOut:
    directory = customers.CustomerDirectory(clock=clock(app))
    return directory.read(identity.merchant_scope(current_caller(app)), customerId)


def _segments() -> segments.Segments:
    return segments.Segments(clock=clock(app))


def _owner() -> str:
    return identity.merchant_scope(current_caller(app))


@app.post("/merchant/segments", responses=responses(401, 403, 413, 503, status=201))
@tracer.capture_method
def create_segment(
    body: Annotated[segment_models.SegmentCreate, Body()],
) -> Response[segment_models.SegmentOut]:
    made = _segments().create(_owner(), body)
    return Response(status_code=201, body=made, content_type="application/json")


@app.get("/merchant/segments", responses=responses(401, 403, 413))
@tracer.capture_method
def list_segments(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> segment_models.SegmentPage:
    return _segments().list(_owner(), limit, next_token)


@app.get("/merchant/segments/<segmentId>", responses=responses(*ERRORS))
@tracer.capture_method
def get_segment(segmentId: SegmentId) -> segment_models.SegmentOut:
    return _segments().get(_owner(), segmentId)


@app.patch("/merchant/segments/<segmentId>", responses=responses(*ERRORS, 409, 503))
@tracer.capture_method
def edit_segment(
    segmentId: SegmentId, body: Annotated[segment_models.SegmentPatch, Body()]
) -> segment_models.SegmentOut:
    return _segments().edit(_owner(), segmentId, body)


@app.delete("/merchant/segments/<segmentId>", responses=responses(*ERRORS, 503))
@tracer.capture_method
def delete_segment(segmentId: SegmentId) -> segment_models.SegmentDeleted:
    return _segments().delete(_owner(), segmentId)


@app.post("/merchant/segments/<segmentId>/evaluations", responses=responses(*ERRORS, 503, status=202))
@tracer.capture_method
def evaluate_segment(segmentId: SegmentId) -> Response[segment_models.EvaluationQueued]:
    queued = _segments().evaluate(_owner(), segmentId)
    return Response(status_code=202, body=queued, content_type="application/json")


@app.get("/merchant/segments/<segmentId>/members", responses=responses(*ERRORS))
@tracer.capture_method
def segment_members(
    segmentId: SegmentId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> segment_models.MemberPage:
    return _segments().member_page(_owner(), segmentId, limit, next_token)


lambda_handler = api.lambda_handler(app)
