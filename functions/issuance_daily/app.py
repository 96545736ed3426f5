"""The scheduled run of the rules no event triggers: birthdays (once per day of each merchant's time zone)
and packs issued again once every coupon of the one before ended unused (coupon_service.issuance.daily)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import clock, later, logger, metrics

if TYPE_CHECKING:
    from coupon_service.issuance import daily
else:  # imported by the first invocation
    daily = later("coupon_service.issuance.daily")


def run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = daily.ScheduledRules(clock=clock(context)).run(
        lambda: context.get_remaining_time_in_millis() / 1000
    )
    for name in ("rules", "birthdays", "packs"):
        metrics.add_metric(name=f"ScheduledRules_{name}", unit=MetricUnit.Count, value=getattr(report, name))
    logger.info("scheduled rules run", extra=vars(report))
    return vars(report)


lambda_handler = api.lambda_handler(run, correlation_id_path=None)
