"""Redemption and checkout: the checkout quote (which of my coupons fit this cart)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service.api import current_caller, resolver, responses
from coupon_service.checkout import Checkout, Quote, QuoteRequest
from coupon_service.identity import customer
from coupon_service.observability import logger, metrics, tracer

app = resolver()
app.enable_swagger(path="/checkout/docs", title="Coupons: checkout and redemption")


@app.post("/checkout/quote", responses=responses(Quote, 401, 403, 413, 503))
@tracer.capture_method
def checkout_quote(body: Annotated[QuoteRequest, Body()]) -> Quote:
    quote = Checkout().quote(customer(current_caller(app)), body.order)
    metrics.add_metric(name="QuoteGiven", unit=MetricUnit.Count, value=1)
    logger.info(
        "quoted", extra={"applicable": len(quote.applicable), "not_applicable": len(quote.not_applicable)}
    )
    return quote


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
