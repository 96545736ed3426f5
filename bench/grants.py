"""Grant benchmark: DynamoDB requests per granted coupon (the grant's request and its worker's run), counted
with the metering fixture (`devstack.metering.RequestCounter`) on the stack's own client.

`python -m bench grants [customers]` runs this section alone and prints it; `make bench` runs it with the
others."""

from __future__ import annotations

import os
from typing import Any

from coupon_service import aws, settings
from coupon_service.grants import Grants
from coupon_service.models.grants import GrantRequest

from bench.claims import coupon
from devstack.metering import RequestCounter

SIZE = 1000  # customers per grant; the coupon holds 60% of them


def measure(size: int = SIZE) -> list[dict[str, Any]]:
    """For each code mode: one grant of `size` listed customers to a coupon of 60% as many units, run to the
    end by one worker; requests by operation per granted coupon (and per customer not reached)."""
    found = []
    for mode in ("random_on_claim", "generated"):
        units = size * 6 // 10
        coupon_id = coupon({"mode": mode, "inventory": units}, 4, merchant_id="bench-grants")
        counter = RequestCounter().attach(aws.client("dynamodb"))
        body = GrantRequest(customer_ids=[f"bench-g{i:06d}" for i in range(size)])
        grant = Grants().request("bench-grants", "bench", coupon_id, body, None)
        asked = dict(counter.calls)
        counter.reset()
        status = Grants().run(grant.grant_id, time_left=lambda: 900.0)
        ran = dict(counter.calls)
        done = Grants().grant("bench-grants", coupon_id, grant.grant_id)
        assert status == "done" and done.granted == units, (status, done)
        found.append(
            {
                "mode": mode,
                "customers": size,
                "granted": done.granted,
                "skipped": sum(done.skipped.values()),
                "request": asked,
                "run": ran,
                "per_granted": sum(ran.values()) / done.granted,
                "by_operation": {op: n / done.granted for op, n in sorted(ran.items())},
            }
        )
    return found


def section(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Grants",
        "",
        "DynamoDB requests per granted coupon: one grant of listed customers to a coupon of 4 shards holding",
        "60% as many units, run by one worker (chunks of 250: the chunk's ids, each customer's issue, one",
        "read per 100 refusals to confirm them, the chunk's checkpoint), counted with the metering fixture;",
        "the customers the coupon did not reach cost what it took to find it sold out (a shard seen empty is",
        "skipped for two seconds):",
        "",
        "| code mode | customers | granted | not reached | the request | the run, per granted coupon | total per granted |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        asked = ", ".join(f"{op} {n}" for op, n in sorted(r["request"].items()))
        per = ", ".join(f"{op} {n:.3f}" for op, n in r["by_operation"].items())
        lines.append(
            f"| {r['mode']} | {r['customers']:,} | {r['granted']:,} | {r['skipped']:,} | {asked} | {per} | "
            f"{r['per_granted']:.3f} |"
        )
    lines += [
        "",
        "A claim through the API costs the same take (one transaction; pooled codes one update more): a grant",
        "adds about one request per 250 customers for its chunk and checkpoint.",
    ]
    return lines


def use_stack(stack: Any) -> None:
    """The grant functions' environment (their queue), as the template gives it."""
    os.environ.update(stack.environment("GrantFunction"))
    settings.settings.cache_clear()
