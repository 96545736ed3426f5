"""The points worker: its queue takes from the bus the service's own events that earn points (`OrderPlaced`,
`OrderRefunded`, `CouponRedeemed` of a points coupon, `InvitationAccepted`), each applied once per its
source through the ledger. A message that does not parse, or whose change fails, is reported failed alone:
the queue delivers it again a few times, then moves it to the dead-letter queue."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics, tracer

if TYPE_CHECKING:
    from coupon_service.models import customer_events as models
    from coupon_service.points import earning
else:  # imported by the first invocation
    earning = later("coupon_service.points.earning")
    models = later("coupon_service.models.customer_events")


@cache
def processor() -> BatchProcessor:
    return BatchProcessor(
        event_type=EventType.SQS, model=models.RulesRecord, raise_on_entire_batch_failure=False
    )


def take_events(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    readable = list(models.readable(event.get("Records") or []).values())
    batch = [(r.body.detail_type, r.body.detail) for r in readable]
    applied = earning.Earning(clock=clock(context)).apply_all(batch)
    outcomes = {r.messageId: a for r, a in zip(readable, applied, strict=True)}

    @tracer.capture_method
    def record_handler(record: models.RulesRecord) -> None:
        outcome = outcomes[record.messageId]
        if isinstance(outcome, Exception):
            logger.warning(
                "points event failed",
                extra={
                    "event_id": record.body.id,
                    "type": record.body.detail_type,
                    "error": type(outcome).__name__,
                },
            )
            metrics.add_metric(name="PointsEventFailed", unit=MetricUnit.Count, value=1)
            raise outcome
        if outcome is not None:
            metrics.add_metric(name="PointsEventApplied", unit=MetricUnit.Count, value=1)

    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(take_events, correlation_id_path=None)
