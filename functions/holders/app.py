"""Validity edits reach holders: each `CouponChanged` event of an edit that lengthens a coupon's validity,
queued by a rule on the bus, extends every held, unused coupon's window (coupon_service.holders)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics

if TYPE_CHECKING:
    from coupon_service import holders
    from coupon_service.models import holders as models
else:  # imported by the first invocation
    holders = later("coupon_service.holders")
    models = later("coupon_service.models.holders")


@cache
def processor() -> BatchProcessor:
    """A record that does not parse, or whose extension raised, is reported failed: the queue delivers it
    again (the checkpoint resumes it) and, after its retries, to the dead-letter queue. Made, with the model
    that parses each message, by the first invocation."""
    return BatchProcessor(
        event_type=EventType.SQS, model=models.HoldersRecord, raise_on_entire_batch_failure=False
    )


def record_handler(record: models.HoldersRecord, lambda_context: LambdaContext) -> None:
    progress = holders.Holders(clock=clock(lambda_context)).extend_change(
        record.body.detail, lambda: lambda_context.get_remaining_time_in_millis() / 1000
    )
    if progress is None:
        return
    metrics.add_metric(name="HeldCouponsExtended", unit=MetricUnit.Count, value=progress.extended)
    if not progress.finished:  # out of time: the checkpoint holds the progress, the next invocation resumes
        logger.info("extension continues", extra={"extended": progress.extended})
        holders.Holders.hand_on(record.body.model_dump_json(by_alias=True))


def extend(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(extend, correlation_id_path=None)
