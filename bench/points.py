"""Points' cost: DynamoDB requests per claim of a coupon priced in points (the points debited in the claim's
own transaction), beside a claim of the same coupon without a price; and per check-in."""

from __future__ import annotations

from typing import Any

from coupon_service import aws
from coupon_service.claims import Claims
from coupon_service.identity import caller_from_event
from coupon_service.models.claims import ClaimRequest
from coupon_service.point_items import PointsSettingsItem
from coupon_service.points.ledger import Ledger
from coupon_service.points.service import Points
from coupon_service.store.point_settings import PointSettingsStore

from bench.claims import coupon
from devstack.metering import RequestCounter

CLAIMS = 200
MERCHANT = "bench-points"


def _caller(index: int) -> Any:
    claims = {"sub": f"points-{index}", "cognito:groups": "customers", "nickname": f"n{index}"}
    return caller_from_event({"requestContext": {"authorizer": {"claims": claims}}})


def _per_claim(counter: RequestCounter, options: dict[str, Any]) -> dict[str, Any]:
    coupon_id = coupon({"mode": "random_on_claim", "inventory": CLAIMS * 2}, 4, MERCHANT, options)
    Claims().terms(coupon_id)  # the terms cache is warm on a hot execution environment
    counter.reset()
    for index in range(CLAIMS):
        Claims().claim(_caller(index), coupon_id, None, None, ClaimRequest())
    calls = dict(counter.calls)
    return {"requests": {op: n / CLAIMS for op, n in calls.items()}, "total": sum(calls.values()) / CLAIMS}


def measure() -> dict[str, Any]:
    counter = RequestCounter().attach(aws.client("dynamodb"))
    PointSettingsStore().replace(PointsSettingsItem(merchant_id=MERCHANT, updated_at="2030-01-01T00:00:00Z"))
    ledger = Ledger()
    for index in range(CLAIMS):
        ledger.credit(f"points-{index}", MERCHANT, "bench-seed", "adjustment", 100)
    priced = _per_claim(counter, {"points_price": 30})
    plain = _per_claim(counter, {})
    counter.reset()
    for index in range(CLAIMS):
        Points().check_in(_caller(index), MERCHANT)
    check_in = {op: n / CLAIMS for op, n in dict(counter.calls).items()}
    return {"priced": priced, "plain": plain, "check_in": check_in}


def section(found: dict[str, Any]) -> list[str]:
    def ops(requests: dict[str, float]) -> str:
        return ", ".join(f"{op} {n:.2f}" for op, n in sorted(requests.items()))

    return [
        "",
        "## Points",
        "",
        f"DynamoDB requests (counted on the client) per claim of a `random_on_claim` coupon, {CLAIMS} customers",
        "each claiming once with a warm terms cache, priced in points and not; and per daily check-in:",
        "",
        "| what | requests | by operation |",
        "| --- | --- | --- |",
        f"| claim priced in points | {found['priced']['total']:.2f} | {ops(found['priced']['requests'])} |",
        f"| claim without a price | {found['plain']['total']:.2f} | {ops(found['plain']['requests'])} |",
        f"| check-in | {sum(found['check_in'].values()):.2f} | {ops(found['check_in'])} |",
        "",
        "The points' debit (balance and entry) rides in the claim's own transaction: a points claim costs",
        "no request more than a plain one, only two more items in its `TransactWriteItems`. A check-in reads",
        "the settings, the merchant's time zone and the balance in one `BatchGetItem` and writes balance, lot",
        "and the day's entries in one transaction.",
    ]
