"""The scheduled points expiry: every due lot of points expires once (the outbox publishes PointsExpired)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics

if TYPE_CHECKING:
    from coupon_service.points import expiry
else:  # imported by the first invocation
    expiry = later("coupon_service.points.expiry")


def run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = expiry.PointsExpiry(clock=clock(context)).run()
    for name in ("ledgers", "expired_ledgers", "points_expired", "deferred", "partitions_read"):
        metrics.add_metric(name=f"PointsExpiry_{name}", unit=MetricUnit.Count, value=getattr(summary, name))
    logger.info("points expiry run", extra=summary.model_dump())
    return summary.model_dump()


lambda_handler = api.lambda_handler(run, correlation_id_path=None)
