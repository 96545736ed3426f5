"""Grants: a merchant issues a coupon to many customers as a job. Each customer is issued at most once per
grant however often or however concurrently the job runs; inventory and the per-customer limit hold
exactly; the customers the coupon did not reach are reported with why; bad input changes nothing; nobody
but the coupon's merchant reaches a grant."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter

import pytest
from coupon_service import keys, settings
from coupon_service.aws import client
from coupon_service.grants import Grants
from coupon_service.store.table import Table, values

from devstack.emulator import WITH_LOST
from tests.builders import claim, claim_items, make_coupon, shards
from tests.support import call, invoke, merchant, sqs_message

pytestmark = pytest.mark.usefixtures("stack", "granting")

MERCHANT = merchant("m1")


@pytest.fixture
def granting(stack, monkeypatch):
    """The grant functions' environment (bucket, queue), as the template gives it."""
    for function in ("GrantFunction", "GrantWorkerFunction"):
        for name, value in stack.environment(function).items():
            monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    yield
    settings.settings.cache_clear()


# --- helpers ------------------------------------------------------------------------------------------


def ask(coupon_id, body, *, key=None, who=MERCHANT):
    headers = {"Idempotency-Key": key} if key else None
    return call("POST", f"/coupons/{coupon_id}/grants", claims=who, body=body, headers=headers)


def read(coupon_id, grant_id, who=MERCHANT):
    return call("GET", f"/coupons/{coupon_id}/grants/{grant_id}", claims=who)


def queued():
    """The messages on the grant queue (taken off it), as the worker's queue delivers them."""
    sqs, found = client("sqs"), []
    while True:
        got = sqs.receive_message(QueueUrl=os.environ["GRANT_QUEUE_URL"], MaxNumberOfMessages=10)
        messages = got.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(message["Body"])
            sqs.delete_message(QueueUrl=os.environ["GRANT_QUEUE_URL"], ReceiptHandle=message["ReceiptHandle"])


def deliver(*bodies):
    """The worker, given these queue messages in one batch (its answer: the failed ones)."""
    event = {"Records": [sqs_message(body, f"m-{n}") for n, body in enumerate(bodies)]}
    return invoke("grant_worker", event, remaining_ms=900_000)


def missed_items(grant_id):
    items, _ = Table().query(
        key_condition="PK = :p AND begins_with(SK, :m)",
        ExpressionAttributeValues=values(p=keys.grant_partition(grant_id), m=keys.grant_missed_prefix()),
    )
    return [m for item in items for m in item["missed"]]


# --- a grant's run ----------------------------------------------------------------------------------------


def test_a_listed_grant_issues_each_customer_once_and_reports_whom_it_did_not_reach():
    coupon = make_coupon(codes={"mode": "random_on_claim", "inventory": 5}, shard_count=1)
    assert claim(coupon["coupon_id"], user="own").status == 201  # at the limit (1) already: 4 units left
    listed = ["own", *[f"c{i}" for i in range(6)], "c0"]

    asked = ask(coupon["coupon_id"], {"customer_ids": listed}, key="spring-list-1")
    assert asked.status == 202, asked.json
    grant = asked.json
    assert (grant["status"], grant["requested"], grant["duplicates"]) == ("queued", 7, 1)
    assert grant["source"] == {"type": "customer_ids", "tag": None, "segment_id": None}
    # Sent again (a lost answer), it is the same grant; its message is sent again while it is queued
    again = ask(coupon["coupon_id"], {"customer_ids": listed}, key="spring-list-1")
    assert again.status == 202 and again.json["grant_id"] == grant["grant_id"]
    other = ask(coupon["coupon_id"], {"customer_ids": ["x1"]}, key="spring-list-1")
    assert other.status == 422 and other.json["error"]["field"] == "Idempotency-Key"

    # The worker runs both messages (one and its duplicate)
    messages = queued()
    assert [json.loads(m) for m in messages] == [{"grant_id": grant["grant_id"]}] * 2
    assert deliver(*messages) == {"batchItemFailures": []}

    done = read(coupon["coupon_id"], grant["grant_id"]).json
    assert (done["status"], done["granted"], done["skipped"]) == (
        "done",
        4,
        {"limit_reached": 1, "sold_out": 2},
    )
    assert done["not_reached"] == [
        {"customer_id": "own", "reason": "limit_reached"},
        {"customer_id": "c4", "reason": "sold_out"},
        {"customer_id": "c5", "reason": "sold_out"},
    ]
    held = Counter(c["owner_id"] for c in claim_items(coupon["coupon_id"]))
    assert held == {"own": 1, "c0": 1, "c1": 1, "c2": 1, "c3": 1}
    granted = [c for c in claim_items(coupon["coupon_id"]) if c["owner_id"] != "own"]
    assert {c["channel"] for c in granted} == {"grant"}
    assert {c["issue_reason"]["source_id"] for c in granted} == {grant["grant_id"]}
    # Run again (a redelivered message): nothing changes
    assert Grants().run(grant["grant_id"], time_left=lambda: 900.0) == "done"
    assert read(coupon["coupon_id"], grant["grant_id"]).json == done
    assert len(claim_items(coupon["coupon_id"])) == 5
    # The coupon's grants, newest first
    listing = call("GET", f"/coupons/{coupon['coupon_id']}/grants", claims=MERCHANT)
    assert [g["grant_id"] for g in listing.json["items"]] == [grant["grant_id"]]


@pytest.mark.concurrency
def test_a_grant_run_twice_at_once_under_faults_issues_the_inventory_exactly_and_nobody_twice(emulator):
    # Given a coupon of 600 units over 4 shards and a grant of 1,000 customers
    coupon = make_coupon(codes={"mode": "random_on_claim", "inventory": 600}, shard_count=4)
    listed = [f"g{i:04d}" for i in range(1000)]
    grant = ask(coupon["coupon_id"], {"customer_ids": listed}).json
    queued()
    emulator.faults.set(0.15, WITH_LOST)

    # When two workers run it at once, each handing it on after every chunk (so they take turns, and a
    # message comes while the other runs), a run that fails on faults delivered again, until it is done
    answers = Counter()

    deadline = time.monotonic() + 150

    def worker(time_left):
        while time.monotonic() < deadline:
            try:
                status = Grants().run(grant["grant_id"], time_left=time_left)
            except Exception as error:  # the queue delivers the message again
                status = type(error).__name__
            answers[status] += 1
            if status == "done":
                return
            time.sleep(0.05 if status == "held" else 0)

    threads = [threading.Thread(target=worker, args=(lambda: 0.0,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    emulator.faults.rate = 0.0
    assert emulator.faults.by_kind["lost"] > 0 and answers["done"] == 2, answers

    # Then exactly 600 are granted and 400 reported sold out, nobody twice
    done = read(coupon["coupon_id"], grant["grant_id"]).json
    assert (done["status"], done["requested"], done["granted"], done["skipped"]) == (
        "done", 1000, 600, {"sold_out": 400})  # fmt: skip
    stored = claim_items(coupon["coupon_id"])
    per_customer = Counter(c["owner_id"] for c in stored)
    assert len(stored) == 600 and set(per_customer.values()) == {1}
    missed = missed_items(grant["grant_id"])
    assert len(missed) == 400 and {m["reason"] for m in missed} == {"sold_out"}
    assert set(per_customer) | {m["customer_id"] for m in missed} == set(listed)
    assert not set(per_customer) & {m["customer_id"] for m in missed}
    assert len(done["not_reached"]) == 100 and len({c["code"] for c in stored}) == 600
    assert answers["continue"] >= 3, answers  # the grant went from run to run, chunk by chunk
    after = shards(coupon)
    assert sum(s["claimed"] for s in after) == 600 and sum(s["remaining"] for s in after) == 0
    assert not [name for s in after for name in s if name.startswith("taker_")]
    holders = Table().batch_get([keys.holder(c, coupon["coupon_id"]) for c in per_customer])
    assert len(holders) == 600 and {h["count"] for h in holders} == {1}
