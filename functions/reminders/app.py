"""The scheduled reminder run: marks every due coupon reminded (the outbox publishes CouponExpiring)."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import clock
from coupon_service.observability import logger, metrics, tracer
from coupon_service.reminders import Reminders


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    summary = Reminders().run(clock.now())
    for name in ("due", "reminded", "skipped", "deferred", "gifts_cleaned", "items_read", "buckets_scanned"):
        metrics.add_metric(name=f"Reminders_{name}", unit=MetricUnit.Count, value=getattr(summary, name))
    logger.info("reminder run", extra=summary.model_dump())
    return summary.model_dump()
