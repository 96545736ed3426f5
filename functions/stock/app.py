"""The stock watch: shard changes on the table's stream become low-stock and sold-out crossings (the
stock marker, which the outbox publishes as `CouponLowStock` and `CouponSoldOut`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics

if TYPE_CHECKING:
    from coupon_service import stock
else:  # imported by the first invocation
    stock = later("coupon_service.stock")


def watch(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = list(DynamoDBStreamEvent(event).records) if event.get("Records") else []
    watched = stock.StockWatch(clock=clock(context)).watch(records)
    metrics.add_metric(name="StockCrossings", unit=MetricUnit.Count, value=watched.crossings)
    if watched.resume_from is None:
        return {"batchItemFailures": []}
    logger.warning("stock checks failed", extra={"from_sequence": watched.resume_from})
    return {"batchItemFailures": [{"itemIdentifier": watched.resume_from}]}


lambda_handler = api.lambda_handler(watch, correlation_id_path=None)
