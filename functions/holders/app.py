"""Validity edits reach holders: a coupon's lengthened validity, read from the table's stream, extends every
held, unused coupon's window (coupon_service.holders)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, logger, metrics
from coupon_service.holders import Holders


def extend(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = list(DynamoDBStreamEvent(event).records) if event.get("Records") else []
    done = Holders(clock=clock(context)).extend_records(
        records, lambda: context.get_remaining_time_in_millis() / 1000
    )
    metrics.add_metric(name="HeldCouponsExtended", unit=MetricUnit.Count, value=done.extended)
    if done.resume_from is None:
        return {"batchItemFailures": []}
    # Out of time: the checkpoint holds the progress, and the stream delivers the change again from here.
    logger.info("extension continues", extra={"from_sequence": done.resume_from, "extended": done.extended})
    return {"batchItemFailures": [{"itemIdentifier": done.resume_from}]}


lambda_handler = api.lambda_handler(extend, correlation_id_path=None)
