"""The orders feed on the bus: merchants' `OrderPlaced` and `OrderRefunded` events (source `coupons.orders`),
put on this function's queue by a rule, checked and stored as `POST /orders` stores a report. Each message is
parsed by Powertools into `OrderFeedRecord` (an EventBridge event in an SQS body); one that does not parse,
or that the feed refuses, is reported failed alone: the queue delivers it again a few times (a refund may
arrive before its order), then moves it to the dead-letter queue. Storing is idempotent by order and refund
id, so a redelivered event writes nothing twice."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics, tracer

if TYPE_CHECKING:
    from coupon_service import order_feed
    from coupon_service.models import order_bus as models
else:  # imported by the first invocation
    order_feed = later("coupon_service.order_feed")
    models = later("coupon_service.models.order_bus")


@cache
def processor() -> BatchProcessor:
    """The batch processor, made (with the model that parses each message) by the first invocation."""
    return BatchProcessor(
        event_type=EventType.SQS, model=models.OrderFeedRecord, raise_on_entire_batch_failure=False
    )


@tracer.capture_method
def record_handler(record: models.OrderFeedRecord, lambda_context: LambdaContext) -> None:
    event = record.body
    try:
        order_feed.OrderFeed(clock=clock(lambda_context)).take(event)
    except Exception as error:
        # The reason, where and what (never a value: a detail may hold personal data), and which event.
        logger.warning(
            "order event refused",
            extra={"event_id": event.id, "type": event.detail_type, "message_id": record.messageId}
            | order_feed.refusal(error),
        )
        metrics.add_metric(name="OrderEventRefused", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name="OrderEventStored", unit=MetricUnit.Count, value=1)


def take_orders(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(take_orders, correlation_id_path=None)
