"""Grants, the worker: runs each grant the grant queue announces (new grants, grants handed on by a run
that ran short of time, and S3's notices of uploaded files of ids), reporting failed messages one by one."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics, tracer

if TYPE_CHECKING:
    from coupon_service import grants
    from coupon_service.models import grants as models
else:  # imported by the first invocation
    grants = later("coupon_service.grants")
    models = later("coupon_service.models.grants")


@cache
def processor() -> BatchProcessor:
    """Each record is parsed by Powertools into `GrantRecord` (a grant's message, an S3 notification or S3's
    test event); one that does not parse is reported failed, as is one whose run raised (the queue delivers
    it again, then moves it to the dead-letter queue). Made by the first invocation, with the model."""
    return BatchProcessor(
        event_type=EventType.SQS, model=models.GrantRecord, raise_on_entire_batch_failure=False
    )


def _ran(grant_id: str, status: str) -> None:
    logger.info("grant", extra={"grant_id": grant_id, "status": status})
    if status == "continue":  # too long for one invocation: the next message goes on from the checkpoint
        grants.Grants.send(grant_id)
    else:
        metrics.add_metric(name=f"Grant_{status}", unit=MetricUnit.Count, value=1)


@tracer.capture_method
def record_handler(record: models.GrantRecord, lambda_context: LambdaContext) -> None:
    work = grants.Grants(clock=clock(lambda_context))

    def time_left() -> float:
        return lambda_context.get_remaining_time_in_millis() / 1000

    body = record.body
    try:
        if isinstance(body, models.GrantMessage):
            _ran(body.grant_id, work.run(body.grant_id, time_left))
            return
        for found in body.objects(grants.PREFIX):
            grant_id, status = work.uploaded(found.bucket, found.key, found.version, time_left)
            if grant_id is not None:
                _ran(grant_id, status)
    except Exception:
        logger.exception("grant failed; the queue will deliver it again")
        raise


def run_grants(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(run_grants, correlation_id_path=None)
