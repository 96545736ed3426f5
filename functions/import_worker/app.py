"""Bulk import of codes, the worker: imports each file the import queue announces (S3 notifications, and
jobs handed on by a run that ran short of time), reporting failed messages one by one."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics, tracer

if TYPE_CHECKING:
    from coupon_service import imports
    from coupon_service.models import imports as models
else:  # imported by the first invocation
    imports = later("coupon_service.imports")
    models = later("coupon_service.models.imports")


@cache
def processor() -> BatchProcessor:
    """Each record is parsed by Powertools into `ImportRecord` (its body an S3 notification, S3's test event
    or a continuation); one that does not parse is reported failed, as is one whose import raised. A batch
    whose every message failed is answered like any other (each message reported), not raised: the queue
    then redelivers exactly those, as it does for a partial failure. Made by the first invocation, with the
    model."""
    return BatchProcessor(
        event_type=EventType.SQS, model=models.ImportRecord, raise_on_entire_batch_failure=False
    )


@tracer.capture_method
def record_handler(record: models.ImportRecord, lambda_context: LambdaContext) -> None:
    try:
        for found in record.body.objects(imports.PREFIX):
            status = imports.Imports(clock=clock(lambda_context)).process(
                **found.model_dump(), time_left=lambda: lambda_context.get_remaining_time_in_millis() / 1000
            )
            logger.info("import", extra={"key": found.key, "status": status})
            if status == "continue":  # too long for one invocation: the queue hands it on
                imports.Imports.hand_on(found)
            else:
                metrics.add_metric(name=f"Import_{status}", unit=MetricUnit.Count, value=1)
    except Exception:
        logger.exception("import failed; the queue will deliver it again")
        raise


def run_imports(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(run_imports, correlation_id_path=None)
