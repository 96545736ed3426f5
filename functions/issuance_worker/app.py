"""The rules worker: its queue takes, from the bus, the outside events merchants' systems put there (source
`coupons.customers`: checked and stored once, as `POST /merchant/customer-events` stores them) and the
service's own events the rules apply to (source `coupons`: `OrderPlaced`, and `CustomerJoined`,
`InvitationAccepted`, `TierUpgraded` as the outbox published them from what was stored). Each message is
parsed by Powertools into `RulesRecord`; one that does not parse, or that is refused, is reported failed
alone: the queue delivers it again a few times, then moves it to the dead-letter queue."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics, tracer

if TYPE_CHECKING:
    from coupon_service.issuance import apply, intake
    from coupon_service.models import customer_events as models
else:  # imported by the first invocation
    apply = later("coupon_service.issuance.apply")
    intake = later("coupon_service.issuance.intake")
    models = later("coupon_service.models.customer_events")


@cache
def processor() -> BatchProcessor:
    """The batch processor, made (with the model that parses each message) by the first invocation."""
    return BatchProcessor(
        event_type=EventType.SQS, model=models.RulesRecord, raise_on_entire_batch_failure=False
    )


def outcomes_of(records: list[models.RulesRecord], context: LambdaContext) -> dict[str, Exception | None]:
    """Each readable message's outcome (None: done): outside events stored one by one, the service's own
    events applied as one batch (its marks read and written at once)."""
    found: dict[str, Exception | None] = {}
    own = []
    for record in records:
        if record.body.source != models.CUSTOMER_EVENTS_SOURCE:
            own.append(record)
            continue
        try:
            intake.CustomerEvents(clock=clock(context)).take(record.body)
            found[record.messageId] = None
        except Exception as error:
            found[record.messageId] = error
    batch = [(r.body.source, r.body.detail_type, r.body.detail) for r in own]
    for record, applied in zip(own, apply.RuleWorker(clock=clock(context)).apply_all(batch), strict=True):
        if isinstance(applied, Exception):
            found[record.messageId] = applied
            continue
        found[record.messageId] = None
        for status, count in applied.outcomes.items():
            metrics.add_metric(name=f"RuleIssue_{status}", unit=MetricUnit.Count, value=count)
    return found


def take_events(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    readable = models.readable(event.get("Records") or [])
    outcomes = outcomes_of(list(readable.values()), context)

    @tracer.capture_method
    def record_handler(record: models.RulesRecord) -> None:
        error = outcomes[record.messageId]
        if error is None:
            return
        # The reason, where and what (never a value: a detail may hold personal data), and which event.
        logger.warning(
            "rules event refused",
            extra={
                "event_id": record.body.id,
                "type": record.body.detail_type,
                "message_id": record.messageId,
            }
            | intake.refusal(error),
        )
        metrics.add_metric(name="RulesEventRefused", unit=MetricUnit.Count, value=1)
        raise error

    return api.queue_batch(event, context, processor(), record_handler)


lambda_handler = api.lambda_handler(take_events, correlation_id_path=None)
