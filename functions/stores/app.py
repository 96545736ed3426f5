"""A merchant's store registry: the /stores routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import (
    Body,
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
from coupon_service.models.parameters import STORE_ID_PATTERN

if TYPE_CHECKING:
    from coupon_service import identity, stores
    from coupon_service.models import stores as models
else:  # imported by the first request of a route that uses them
    identity = later("coupon_service.identity")
    stores = later("coupon_service.stores")
    models = later("coupon_service.models.stores")

app = resolver()
app.enable_swagger(path="/stores/docs", title="Coupons: a merchant's stores")
StoreId = Annotated[str, Path(pattern=STORE_ID_PATTERN, description="The merchant's own store code")]
ERRORS = (401, 403, 404, 413)


@app.post("/stores", responses=responses(401, 403, 409, 413, 503, status=201))
@tracer.capture_method
def create_store(body: Annotated[models.StoreCreate, Body()]) -> Response[models.StoreOut]:
    store = stores.Stores(clock=clock(app)).create(identity.merchant_scope(current_caller(app)), body)
    metrics.add_metric(name="StoreCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=store, content_type="application/json")


@app.get("/stores", responses=responses(401, 403, 413))
@tracer.capture_method
def list_stores(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> models.StorePage:
    return stores.Stores(clock=clock(app)).list(
        identity.merchant_scope(current_caller(app)), limit, next_token
    )


@app.get("/stores/<storeId>", responses=responses(*ERRORS))
@tracer.capture_method
def get_store(storeId: StoreId) -> models.StoreOut:
    return stores.Stores(clock=clock(app)).get(identity.merchant_scope(current_caller(app)), storeId)


@app.patch("/stores/<storeId>", responses=responses(*ERRORS, 503))
@tracer.capture_method
def edit_store(storeId: StoreId, body: Annotated[models.StorePatch, Body()]) -> models.StoreOut:
    return stores.Stores(clock=clock(app)).edit(identity.merchant_scope(current_caller(app)), storeId, body)


@app.delete("/stores/<storeId>", responses=responses(*ERRORS, 503))
@tracer.capture_method
def delete_store(storeId: StoreId) -> models.StoreDeleted:
    return stores.Stores(clock=clock(app)).delete(identity.merchant_scope(current_caller(app)), storeId)


lambda_handler = api.lambda_handler(app)
