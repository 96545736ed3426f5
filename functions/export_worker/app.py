"""CSV exports, the worker: runs each job the export queue announces (new ones, and jobs handed on by a
run that ran short of time), reporting failed messages one by one."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics, tracer

if TYPE_CHECKING:
    from coupon_service import exports
    from coupon_service.models import exports as models
else:  # imported by the first invocation
    exports = later("coupon_service.exports")
    models = later("coupon_service.models.exports")


@cache
def processor() -> BatchProcessor:
    """Each record is parsed by Powertools into `ExportRecord`; one that does not parse is reported failed, as
    is one whose run raised (the queue delivers it again, then moves it to the dead-letter queue). A batch
    whose every message failed is answered like any other, not raised. Made, with the model, by the first
    invocation."""
    return BatchProcessor(
        event_type=EventType.SQS, model=models.ExportRecord, raise_on_entire_batch_failure=False
    )


@tracer.capture_method
def record_handler(record: models.ExportRecord, lambda_context: LambdaContext) -> None:
    job_id = record.body.job_id
    job = exports.Exports(clock=clock(lambda_context))
    try:
        status = job.run(job_id, time_left=lambda: lambda_context.get_remaining_time_in_millis() / 1000)
    except Exception:
        logger.exception("export failed; the queue will deliver it again", extra={"job_id": job_id})
        job.delivery_failed(job_id, int(record.attributes.ApproximateReceiveCount))
        raise
    logger.info("export", extra={"job_id": job_id, "status": status})
    if status == "continue":  # too long for one invocation: the next message goes on from the checkpoint
        exports.Exports.send(job_id)
    else:
        metrics.add_metric(name=f"Export_{status}", unit=MetricUnit.Count, value=1)


def run_exports(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(run_exports, correlation_id_path=None)
