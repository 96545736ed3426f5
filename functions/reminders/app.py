"""The scheduled reminder run: marks every due coupon reminded (the outbox publishes CouponExpiring)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, logger, metrics
from coupon_service.reminders import Reminders


def remind(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = Reminders(clock=clock(context)).run()
    for name in ("due", "reminded", "skipped", "deferred", "gifts_cleaned", "items_read", "buckets_scanned"):
        metrics.add_metric(name=f"Reminders_{name}", unit=MetricUnit.Count, value=getattr(summary, name))
    logger.info("reminder run", extra=summary.model_dump())
    return summary.model_dump()


lambda_handler = api.lambda_handler(remind, correlation_id_path=None)
