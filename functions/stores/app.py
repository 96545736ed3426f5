"""A merchant's store registry: the /stores routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import Body, Path, Query, clock, current_caller, metrics, resolver, responses, tracer
from coupon_service.identity import merchant_scope
from coupon_service.models.stores import (
    StoreCreate,
    StoreDeleted,
    StoreIdPattern,
    StoreOut,
    StorePage,
    StorePatch,
)
from coupon_service.stores import Stores

app = resolver()
app.enable_swagger(path="/stores/docs", title="Coupons: a merchant's stores")
StoreId = Annotated[str, Path(pattern=StoreIdPattern, description="The merchant's own store code")]
ERRORS = (401, 403, 404, 413)


@app.post("/stores", responses=responses(StoreOut, 401, 403, 409, 413, 503, status=201))
@tracer.capture_method
def create_store(body: Annotated[StoreCreate, Body()]) -> Response[StoreOut]:
    store = Stores(clock=clock(app)).create(merchant_scope(current_caller(app)), body)
    metrics.add_metric(name="StoreCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=store, content_type="application/json")


@app.get("/stores", responses=responses(StorePage, 401, 403, 413))
@tracer.capture_method
def list_stores(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> StorePage:
    return Stores(clock=clock(app)).list(merchant_scope(current_caller(app)), limit, next_token)


@app.get("/stores/<storeId>", responses=responses(StoreOut, *ERRORS))
@tracer.capture_method
def get_store(storeId: StoreId) -> StoreOut:
    return Stores(clock=clock(app)).get(merchant_scope(current_caller(app)), storeId)


@app.patch("/stores/<storeId>", responses=responses(StoreOut, *ERRORS, 503))
@tracer.capture_method
def edit_store(storeId: StoreId, body: Annotated[StorePatch, Body()]) -> StoreOut:
    return Stores(clock=clock(app)).edit(merchant_scope(current_caller(app)), storeId, body)


@app.delete("/stores/<storeId>", responses=responses(StoreDeleted, *ERRORS, 503))
@tracer.capture_method
def delete_store(storeId: StoreId) -> StoreDeleted:
    return Stores(clock=clock(app)).delete(merchant_scope(current_caller(app)), storeId)


lambda_handler = api.lambda_handler(app)
