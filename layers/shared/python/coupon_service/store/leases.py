"""A job item run under a lease (exports, grants): giving the lease up, and failing a job that cannot run.
The item names its runner `runner` and the lease's end `lease_until`; `state` names its status attribute."""

from __future__ import annotations

from coupon_service.store.table import Cancelled, Table, values


def release(table: Table, key: dict[str, str], runner: str) -> None:
    """Give the lease up, if `runner` still holds it."""
    try:
        table.update(
            key,
            UpdateExpression="REMOVE #r, #l",
            ConditionExpression="#r = :me",
            ExpressionAttributeNames={"#r": "runner", "#l": "lease_until"},
            ExpressionAttributeValues=values(me=runner),
        )
    except Cancelled:
        return


def fail(table: Table, key: dict[str, str], state: str, reason: str, now: str) -> None:
    """End a job that cannot run, with its reason; one that ended already stays as it ended."""
    try:
        table.update(
            key,
            UpdateExpression="SET #s = :failed, reason = :reason, finished_at = :now REMOVE #r, #l",
            ConditionExpression="#s IN (:queued, :running)",
            ExpressionAttributeNames={"#s": state, "#r": "runner", "#l": "lease_until"},
            ExpressionAttributeValues=values(
                failed="failed", reason=reason, now=now, queued="queued", running="running"
            ),
        )
    except Cancelled:
        return
