"""Segments, the worker: evaluates each segment the segments queue announces into its next membership, and
removes the members of deleted segments; failed messages are reported one by one."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics, tracer

if TYPE_CHECKING:
    from coupon_service.models import segments as models
    from coupon_service.segments import run
else:  # imported by the first invocation
    run = later("coupon_service.segments.run")
    models = later("coupon_service.models.segments")


@cache
def processor() -> BatchProcessor:
    """Each record is parsed into `SegmentRecord`; one that does not parse, or whose run raised, is
    reported failed (the queue delivers it again, then moves it to the dead-letter queue)."""
    return BatchProcessor(
        event_type=EventType.SQS, model=models.SegmentRecord, raise_on_entire_batch_failure=False
    )


@tracer.capture_method
def record_handler(record: models.SegmentRecord, lambda_context: LambdaContext) -> None:
    body = record.body
    job = run.Evaluation(clock=clock(lambda_context))
    if body.purge:
        removed = job.purge(body.segment_id)
        logger.info("segment purged", extra={"segment_id": body.segment_id, "removed": removed})
        return
    if body.generation is None:
        raise ValueError("an evaluation message names its generation")
    outcome = job.run(body.segment_id, body.generation)
    logger.info("segment", extra={"segment_id": body.segment_id, "outcome": outcome})
    metrics.add_metric(name=f"Segment_{outcome}", unit=MetricUnit.Count, value=1)


def run_segments(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(run_segments, correlation_id_path=None)
