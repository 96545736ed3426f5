"""The hourly points run: every due lot of points expires once (the outbox publishes PointsExpired), and the
programmes' birthday rules credit the customers born on their day once a year (PointsEarned)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics

if TYPE_CHECKING:
    from coupon_service.points import birthdays, expiry
else:  # imported by the first invocation
    expiry = later("coupon_service.points.expiry")
    birthdays = later("coupon_service.points.birthdays")


def run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    now = clock(context)
    try:
        summary = expiry.PointsExpiry(clock=now).run()
    finally:  # the birthdays are credited even when the expiry failed (the scheduler retries both)
        born = birthdays.BirthdayPoints(clock=now).run(lambda: context.get_remaining_time_in_millis() / 1000)
        for name in ("programmes", "days", "customers", "credited"):
            value = getattr(born, name)
            metrics.add_metric(name=f"PointsBirthdays_{name}", unit=MetricUnit.Count, value=value)
        logger.info("points birthday run", extra=born.model_dump())
    for name in ("ledgers", "expired_ledgers", "points_expired", "deferred", "partitions_read"):
        metrics.add_metric(name=f"PointsExpiry_{name}", unit=MetricUnit.Count, value=getattr(summary, name))
    logger.info("points expiry run", extra=summary.model_dump())
    return {**summary.model_dump(), "birthdays": born.model_dump()}


lambda_handler = api.lambda_handler(run, correlation_id_path=None)
