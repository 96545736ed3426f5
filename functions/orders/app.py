"""The orders feed over HTTPS: the /orders routes (merchants' order systems, or the platform for them)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import Body, Path, Query, clock, current_caller, metrics, resolver, responses, tracer
from coupon_service.identity import reporting_merchant
from coupon_service.models.orders import (
    MerchantPattern,
    OrderIdPattern,
    OrderOut,
    OrderReport,
    OrderView,
    RefundOut,
    RefundReport,
)
from coupon_service.order_feed import OrderFeed

app = resolver()
app.enable_swagger(path="/orders/docs", title="Coupons: the orders feed")
OrderId = Annotated[str, Path(pattern=OrderIdPattern, description="The merchant's own order id")]
ForMerchant = Annotated[
    str | None,
    Query(pattern=MerchantPattern, max_length=64, description="The platform only: whose order it is"),
]


@app.post("/orders", responses=responses(OrderOut, 401, 403, 409, 413, 503, status=201))
@tracer.capture_method
def report_order(body: Annotated[OrderReport, Body()]) -> Response[OrderOut]:
    merchant_id = reporting_merchant(current_caller(app), body.merchant_id)
    order = OrderFeed(clock=clock(app)).place(merchant_id, body)
    metrics.add_metric(name="OrderReported", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=order, content_type="application/json")


@app.get("/orders/<orderId>", responses=responses(OrderView, 401, 403, 404, 413))
@tracer.capture_method
def get_order(orderId: OrderId, merchant_id: ForMerchant = None) -> OrderView:
    return OrderFeed(clock=clock(app)).get(reporting_merchant(current_caller(app), merchant_id), orderId)


@app.post(
    "/orders/<orderId>/refunds", responses=responses(RefundOut, 401, 403, 404, 409, 413, 503, status=201)
)
@tracer.capture_method
def report_refund(orderId: OrderId, body: Annotated[RefundReport, Body()]) -> Response[RefundOut]:
    merchant_id = reporting_merchant(current_caller(app), body.merchant_id)
    refund = OrderFeed(clock=clock(app)).refund(merchant_id, orderId, body)
    metrics.add_metric(name="RefundReported", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=refund, content_type="application/json")


lambda_handler = api.lambda_handler(app)
