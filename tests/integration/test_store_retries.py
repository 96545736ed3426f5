"""The store's one retry layer: unknown outcomes retried without writing twice, own writes recognised,
and a deadline instead of a number of attempts."""

from __future__ import annotations

import time

import pytest
from coupon_service.store.table import Cancelled, StoreBusy, Table, invocation, values

from devstack.emulator import LOSABLE
from tests.support import FakeContext

pytestmark = pytest.mark.usefixtures("stack")
KEY = {"PK": "store-test", "SK": "X"}


def _lose_next(emulator, kind="lost"):
    emulator.faults.set(1.0, (kind,), operations=LOSABLE, limit=1)


@pytest.mark.parametrize("kind", ["lost", "timeout"])
def test_a_conditional_put_whose_answer_was_lost_is_recognised_as_our_own(emulator, kind):
    item = {**KEY, "type": "test", "n": 1}
    _lose_next(emulator, kind)
    Table().put(item, ConditionExpression="attribute_not_exists(PK)")  # the retry is refused by our put
    assert emulator.faults.injected == 1 and Table().get(KEY) == item
    # Another writer's item in the way is still a refusal
    with pytest.raises(Cancelled):
        Table().put({**item, "n": 2}, ConditionExpression="attribute_not_exists(PK)")


def test_a_transaction_whose_answer_was_lost_is_applied_once(emulator):
    add = {
        "Update": {
            "Key": {"PK": {"S": KEY["PK"]}, "SK": {"S": KEY["SK"]}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": values(one=1),
        }
    }
    _lose_next(emulator)
    Table().transact([add])
    assert emulator.faults.injected == 1 and Table().get(KEY)["n"] == 1


def test_an_update_names_how_its_own_write_looks(emulator):
    mark = {
        "UpdateExpression": "SET owner_run = :run",
        "ConditionExpression": "attribute_not_exists(owner_run)",
    }
    _lose_next(emulator)
    found = Table().update(
        KEY, **mark, ExpressionAttributeValues=values(run="r1"), mine=lambda old: old["owner_run"] == "r1"
    )
    assert found["owner_run"] == "r1"
    # Without a lost answer, a refusal is the caller's, whatever `mine` says
    with pytest.raises(Cancelled):
        Table().update(KEY, **mark, ExpressionAttributeValues=values(run="r2"), mine=lambda old: True)


@pytest.mark.parametrize("kind, unknown", [("throttle", False), ("lost", True)])
def test_past_the_invocations_deadline_the_store_is_busy(emulator, kind, unknown):
    emulator.faults.set(1.0, (kind,), operations=LOSABLE)
    started = time.monotonic()
    with invocation(FakeContext(remaining_ms=2_000)), pytest.raises(StoreBusy) as busy:
        Table().put({**KEY, "type": "test"})
    took = time.monotonic() - started
    emulator.faults.set(0.0)
    # Two seconds left: a quarter kept for clean-up, a tenth to answer, the rest (1.3 s) retried; a pause
    # that would end past that is not taken, so the answer may come up to one pause (0.5 s) earlier
    assert 0.7 < took < 1.8, took
    assert busy.value.status == 503 and busy.value.retry_after == 1
    assert busy.value.unknown_outcome is unknown
