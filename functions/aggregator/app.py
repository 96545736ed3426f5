"""The figures aggregator: the service's events, put on its queue by a rule on the bus, counted into each
coupon's figures. Each message is parsed by Powertools into `FiguresRecord` (an EventBridge event in an
SQS body); the readable ones are counted together (one read, one transaction per batch); a message that
does not parse, or whose count failed, is reported failed alone: the queue delivers it again, then to the
dead-letter queue. Counting is idempotent by the event's id."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import later, logger, metrics

if TYPE_CHECKING:
    from coupon_service.figures import aggregator
    from coupon_service.figures.aggregator import Outcome
    from coupon_service.models import figures as models
else:  # imported by the first invocation
    aggregator = later("coupon_service.figures.aggregator")
    models = later("coupon_service.models.figures")


@cache
def processor() -> BatchProcessor:
    """The batch processor, made (with the model that parses each message) by the first invocation."""
    return BatchProcessor(
        event_type=EventType.SQS, model=models.FiguresRecord, raise_on_entire_batch_failure=False
    )


def aggregate(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parsed = models.readable(event.get("Records") or [])
    try:
        counted = aggregator.Aggregator().count([record.body for record in parsed.values()])
    except Exception as error:  # the whole batch: every message goes back to the queue
        logger.exception("counting failed; the queue delivers the batch again")
        counted = [error] * len(parsed)
    outcomes: dict[str, Outcome] = dict(zip(parsed, counted, strict=True))

    def record_handler(record: models.FiguresRecord) -> None:
        outcome = outcomes[record.messageId]
        if isinstance(outcome, Exception):
            raise outcome
        name = "FiguresCounted" if outcome else "FiguresSkipped"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)

    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(aggregate, correlation_id_path=None)
