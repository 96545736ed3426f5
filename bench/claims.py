"""Claim benchmark: requests and write units per claim, throughput against a bare conditional update."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from coupon_service import aws, claims, keys
from coupon_service.claims import Claims
from coupon_service.coupons import Coupons
from coupon_service.identity import caller_from_event
from coupon_service.models.claims import ClaimRequest
from coupon_service.models.coupons import CouponCreate
from coupon_service.store.table import Table, values

from bench.sizing import write_units
from devstack.metering import RequestCounter

THREADS = 8
PARTITION_WCU = 1000  # one partition's write ceiling, per second


def coupon(
    codes: dict[str, Any],
    shards: int,
    merchant_id: str = "bench-merchant",
    options: dict[str, Any] | None = None,
) -> str:
    """An active coupon for the benchmarks, made through the layer as the API would."""
    body = CouponCreate.model_validate(
        {
            "title": "bench",
            "currency": "CNY",
            "status": "active",
            "time_zone": "Asia/Shanghai",
            "terms": {"kind": "cash_value", "amount_off": 1000, "min_spend": 10000},
            "codes": codes,
            "claim_window": {"start": "2020-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z"},
            "validity": {"type": "relative_days", "starts_after_days": 0, "days": 30},
            "shard_count": shards,
            "options": options or {},
        }
    )
    return Coupons().create(merchant_id, body).coupon_id


def _coupon(mode: str, inventory: int, shards: int) -> str:
    return coupon({"mode": mode, "inventory": inventory}, shards)


def _caller(index: int) -> Any:
    claims_ = {"sub": f"bench-{index}", "cognito:groups": "customers", "nickname": f"n{index}"}
    return caller_from_event({"requestContext": {"authorizer": {"claims": claims_}}})


def _run(count: int, work) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(count)))
    return count / (time.perf_counter() - start)


def per_claim_cost(mode: str, count: int = 200) -> dict[str, Any]:
    """Requests and write units of `count` successful claims, and what each claim item weighs."""
    coupon_id = _coupon(mode, count * 2, 4)
    table = Table()
    Claims().terms(coupon_id)  # the terms cache is warm on a hot execution environment
    requests = RequestCounter().attach(aws.client("dynamodb"))
    made = [Claims().claim(_caller(i), coupon_id, None, None, ClaimRequest()) for i in range(count)]
    calls = dict(requests.calls)
    claim_item = table.get(keys.claim(made[0].claim_id))
    shard = table.get(keys.shard(coupon_id, claim_item["shard"]))
    holder = table.get(keys.holder("bench-0", coupon_id))
    transactional = mode == "random_on_claim"
    units = {
        "shard": write_units(shard, transactional=transactional),
        "holder": write_units(holder, transactional=True),
        "claim": write_units(claim_item, transactional=True),
    }
    return {
        "mode": mode,
        "requests": {op: n / count for op, n in calls.items()},
        "write_requests": sum(n for op, n in calls.items() if op in {"TransactWriteItems", "UpdateItem"})
        / count,
        "wcu": units,
        "wcu_total": sum(units.values()),
        "claim_item_bytes": len(str(claim_item)),
        "shard_wcu": units["shard"],
    }


def throughput(mode: str, count: int = 600) -> dict[str, float]:
    """Claims per second through the layer vs. one bare conditional decrement, same table, same threads."""
    coupon_id = _coupon(mode, count, 4)
    claims.cache.clear()
    ours = _run(count, lambda i: Claims().claim(_caller(i), coupon_id, None, None, ClaimRequest()))
    floor_table = Table()
    key = {"PK": f"BENCH#{uuid.uuid4().hex}", "SK": "FLOOR"}
    floor_table.put({**key, "remaining": count})

    def bare(_: int) -> None:
        floor_table.update(
            key,
            UpdateExpression="SET remaining = remaining - :one",
            ConditionExpression="remaining > :zero",
            ExpressionAttributeValues=values(one=1, zero=0),
        )

    floor = _run(count, bare)
    return {"ours": ours, "floor": floor, "ratio": ours / floor}


def ceiling_rows(cost: dict[str, Any], shard_counts=(1, 4, 10, 25, 50)) -> list[tuple[int, int]]:
    """Claims per second a coupon can take on DynamoDB: each shard's partition is the bound."""
    per_shard = PARTITION_WCU // cost["shard_wcu"]
    return [(n, n * per_shard) for n in shard_counts]
