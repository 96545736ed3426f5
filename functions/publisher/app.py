"""The outbox publisher: turns committed item changes on the table's stream into domain events on the bus."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import later, logger, metrics

if TYPE_CHECKING:
    from coupon_service import outbox
else:  # imported by the first invocation
    outbox = later("coupon_service.outbox")


def publish(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = list(DynamoDBStreamEvent(event).records) if event.get("Records") else []
    published = outbox.publish(records)
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=published.published)
    if not published.failed:
        return {"batchItemFailures": []}
    logger.warning(
        "events unpublished", extra={"failed": published.failed, "from_sequence": published.resume_from}
    )
    metrics.add_metric(name="EventsFailed", unit=MetricUnit.Count, value=published.failed)
    return {"batchItemFailures": [{"itemIdentifier": published.resume_from}]}


lambda_handler = api.lambda_handler(publish, correlation_id_path=None)
