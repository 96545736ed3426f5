"""The outbox publisher: turns committed item changes on the table's stream into domain events on the bus."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import logger, metrics
from coupon_service.events import derive, put_events


def publish(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = DynamoDBStreamEvent(event).records if event.get("Records") else []
    derived = [(record, found) for record in records for found in derive(record)]
    failed = put_events([found for _, found in derived])
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=len(derived) - len(failed))
    if not failed:
        return {"batchItemFailures": []}
    # Streams retry from the first reported record onwards; later events go again with the same event_id.
    first = min(failed)
    stream = derived[first][0].dynamodb
    sequence = stream.sequence_number if stream is not None else None
    logger.warning("events unpublished", extra={"failed": len(failed), "from_sequence": sequence})
    metrics.add_metric(name="EventsFailed", unit=MetricUnit.Count, value=len(failed))
    return {"batchItemFailures": [{"itemIdentifier": sequence}]}


lambda_handler = api.lambda_handler(publish, correlation_id_path=None)
