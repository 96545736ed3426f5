"""Bulk import of codes, the worker: imports each file the import queue announces (S3 notifications, and
jobs handed on by a run that ran short of time), reporting failed messages one by one."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, logger, metrics, tracer
from coupon_service.imports import PREFIX, Imports
from coupon_service.models.imports import ImportMessage

# A batch whose every message failed is answered like any other (each message reported), not raised:
# the queue then redelivers exactly those, as it does for a partial failure.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    try:
        message = ImportMessage.validate_json(record.body)
        for found in message.objects(PREFIX):
            status = Imports(clock=clock(lambda_context)).process(
                **found.model_dump(), time_left=lambda: lambda_context.get_remaining_time_in_millis() / 1000
            )
            logger.info("import", extra={"key": found.key, "status": status})
            if status == "continue":  # too long for one invocation: the queue hands it on
                Imports.hand_on(found)
            else:
                metrics.add_metric(name=f"Import_{status}", unit=MetricUnit.Count, value=1)
    except Exception:
        logger.exception("import failed; the queue will deliver it again")
        raise


def run_imports(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)


lambda_handler = api.lambda_handler(run_imports, correlation_id_path=None)
