"""The orders feed over HTTPS: the /orders routes (merchants' order systems, or the platform for them)."""

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
from coupon_service.models.parameters import MERCHANT_PATTERN, ORDER_ID_PATTERN

if TYPE_CHECKING:
    from coupon_service import identity, order_feed
    from coupon_service.models import orders as models
else:  # imported by the first request of a route that uses them
    identity = later("coupon_service.identity")
    order_feed = later("coupon_service.order_feed")
    models = later("coupon_service.models.orders")

app = resolver()
app.enable_swagger(path="/orders/docs", title="Coupons: the orders feed")
OrderId = Annotated[str, Path(pattern=ORDER_ID_PATTERN, description="The merchant's own order id")]
ForMerchant = Annotated[
    str | None,
    Query(pattern=MERCHANT_PATTERN, max_length=64, description="The platform only: whose order it is"),
]


@app.post("/orders", responses=responses(401, 403, 409, 413, 503, status=201))
@tracer.capture_method
def report_order(body: Annotated[models.OrderReport, Body()]) -> Response[models.OrderOut]:
    merchant_id = identity.reporting_merchant(current_caller(app), body.merchant_id)
    order = order_feed.OrderFeed(clock=clock(app)).place(merchant_id, body)
    metrics.add_metric(name="OrderReported", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=order, content_type="application/json")


@app.get("/orders/<orderId>", responses=responses(401, 403, 404, 413))
@tracer.capture_method
def get_order(orderId: OrderId, merchant_id: ForMerchant = None) -> models.OrderView:
    return order_feed.OrderFeed(clock=clock(app)).get(
        identity.reporting_merchant(current_caller(app), merchant_id), orderId
    )


@app.post("/orders/<orderId>/refunds", responses=responses(401, 403, 404, 409, 413, 503, status=201))
@tracer.capture_method
def report_refund(
    orderId: OrderId, body: Annotated[models.RefundReport, Body()]
) -> Response[models.RefundOut]:
    merchant_id = identity.reporting_merchant(current_caller(app), body.merchant_id)
    refund = order_feed.OrderFeed(clock=clock(app)).refund(merchant_id, orderId, body)
    metrics.add_metric(name="RefundReported", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=refund, content_type="application/json")


lambda_handler = api.lambda_handler(app)
