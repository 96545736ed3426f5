"""The lifecycle's DynamoDB conditions hold against their Python twins: each condition, evaluated by the
emulator as a filter over generated claim items, selects exactly the items its twin accepts."""

from __future__ import annotations

import random
from typing import Any

import pytest
from coupon_service import aws, errors, keys, lifecycle
from coupon_service.settings import settings
from coupon_service.store import shards
from coupon_service.store.table import Table, to_item, values

from tests.support import claim_item, shard_item

pytestmark = pytest.mark.usefixtures("stack")

# Few instants, so that generated windows and gift lifetimes often fall exactly on the time judged.
INSTANTS = [f"2030-01-0{d}T12:00:0{s}Z" for d in (1, 2, 3) for s in (0, 1)]


def _claims(count: int, seed: int = 13) -> list[dict[str, Any]]:
    chance = random.Random(seed)
    items = []
    for n in range(count):
        start, end = sorted(chance.sample(INSTANTS, 2))
        item: dict[str, Any] = {
            **keys.claim(f"c{n:04d}"),
            "type": "claim",
            "claim_id": f"c{n:04d}",
            "state": chance.choice(["available", "gifting", "used", "void"]),
            "valid_from": start,
            "valid_until": end,
            "giftable": chance.random() < 0.7,
        }
        # A gift's lifetime is set with `gifting`, and stays on a coupon redeemed after its gift lapsed.
        if item["state"] == "gifting" or chance.random() < 0.3:
            item["gift_expires_at"] = chance.choice(INSTANTS)
        items.append(item)
    return items


def _selected(condition: lifecycle.Condition, id_name: str = "claim_id") -> set[str]:
    request: dict[str, Any] = {
        "TableName": settings().table_name,
        "FilterExpression": condition.expression,
        "ExpressionAttributeValues": values(**{k.removeprefix(":"): v for k, v in condition.values.items()}),
    }
    if condition.names:
        request["ExpressionAttributeNames"] = dict(condition.names)
    found: set[str] = set()
    while True:
        page = aws.client("dynamodb").scan(**request)
        found |= {item[id_name]["S"] for item in page.get("Items", []) if id_name in item}
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_every_condition_selects_what_its_python_twin_accepts():
    items = _claims(240)
    Table().batch_write(items)
    # Every state occurs at some instant, so no pair agrees only by never meeting a case.
    claims = [claim_item(item) for item in items]
    seen = {lifecycle.state_at(claim, now) for claim in claims for now in INSTANTS}
    assert seen == set(lifecycle.STATES)
    for name, (condition_at, twin) in lifecycle.TWINS.items():
        accepted = 0
        for now in INSTANTS:
            expected = {claim.claim_id for claim in claims if twin(claim, now)}
            assert _selected(condition_at(now)) == expected, (name, now)
            accepted += len(expected)
        # Each pair met items it accepts and items it refuses.
        assert 0 < accepted < len(items) * len(INSTANTS), name


def test_conditions_are_well_formed_for_dynamodb():
    # Placeholders used are defined and defined ones used: DynamoDB refuses either mismatch.
    for condition_at, _ in lifecycle.TWINS.values():
        condition = condition_at(INSTANTS[0])
        for placeholder in [*condition.names, *condition.values]:
            assert placeholder in condition.expression
        to_item({k: v for k, v in condition.values.items()})


def test_the_shard_condition_of_every_claim_selects_the_shards_its_twin_calls_open():
    chance = random.Random(7)
    items = []
    for n in range(120):
        start, end = sorted(chance.sample(INSTANTS, 2))
        status = chance.choice(["active", "paused", "deleted", "draft"])
        items.append(
            {
                **keys.shard(f"s{n:03d}", 0),
                "shard_id": f"s{n:03d}",
                "status": status,
                "claim_start": start,
                "claim_end": end,
            }
        )
    Table().batch_write(items)
    read = {item["shard_id"]: shard_item(item) for item in items}
    opened = 0
    for now in INSTANTS:
        condition = lifecycle.Condition(
            shards.OPEN, {"#s": "status"}, {f":{k}": v for k, v in shards.open_values(now).items()}
        )
        expected = {shard_id for shard_id, shard in read.items() if shards.is_open(shard, now)}
        assert _selected(condition, "shard_id") == expected, now
        opened += len(expected)
        for shard_id, shard in read.items():  # a closed shard names why, an open one raises nothing
            if shard_id in expected:
                shards.refuse_closed(shard, now)
            else:
                with pytest.raises(errors.ClaimsClosed):
                    shards.refuse_closed(shard, now)
    assert 0 < opened < len(items) * len(INSTANTS)
