"""The scheduled reminder run: marks every due coupon reminded (the outbox publishes CouponExpiring)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics

if TYPE_CHECKING:
    from coupon_service import reminders
else:  # imported by the first invocation
    reminders = later("coupon_service.reminders")


def remind(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = reminders.Reminders(clock=clock(context)).run()
    for name in ("due", "reminded", "skipped", "deferred", "gifts_cleaned", "items_read", "buckets_scanned"):
        metrics.add_metric(name=f"Reminders_{name}", unit=MetricUnit.Count, value=getattr(summary, name))
    logger.info("reminder run", extra=summary.model_dump())
    return summary.model_dump()


lambda_handler = api.lambda_handler(remind, correlation_id_path=None)
