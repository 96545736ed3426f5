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
from tests.builders import claim, claim_items, make_coupon, shards, table_snapshot
from tests.support import (
    call,
    coupon_body,
    customer,
    invoke,
    merchant,
    platform,
    s3_notification,
    sqs_message,
    staff,
)

pytestmark = pytest.mark.usefixtures("stack", "granting")

MERCHANT = merchant("m1")


@pytest.fixture
def granting(stack, monkeypatch):
    """The grant functions' environment (bucket, queue), as the template gives it."""
    for function in ("GrantFunction", "GrantWorkerFunction"):
        for name, value in stack.environment(function).items():
            monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    queued()  # S3's test event, sent when the bucket's notifications were set up
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
            time.sleep(0.25 if status == "held" else 0)

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


def test_tag_segment_and_file_grants_read_their_customers_once_a_file_through_the_imports_checks():
    from coupon_service.customers import CustomerDirectory

    coupon = make_coupon(
        codes={"mode": "random_on_claim", "inventory": 50}, options={"per_customer_limit": 3}
    )
    directory = CustomerDirectory()
    for user in ("t1", "t2", "t3"):
        directory.record("m1", user, tags={"vip"} if user != "t3" else {"new"})
    directory.record("m2", "t9", tags={"vip"})  # another merchant's customer with the tag
    tagged = ask(coupon["coupon_id"], {"tag": "vip"}).json
    assert (tagged["status"], tagged["source"]["tag"]) == ("queued", "vip")
    assert [json.loads(m)["grant_id"] for m in queued()] == [tagged["grant_id"]]
    assert Grants().run(tagged["grant_id"], time_left=lambda: 900.0) == "done"
    done = read(coupon["coupon_id"], tagged["grant_id"]).json
    assert (done["requested"], done["granted"]) == (2, 2)
    assert sorted(c["owner_id"] for c in claim_items(coupon["coupon_id"])) == ["t1", "t2"]

    # A segment's last membership (a segment of another merchant is a 404 like an unknown one)
    from coupon_service.segment_items import SegmentItem
    from coupon_service.store.segments import SegmentBook, Span

    book, at = SegmentBook(), "2026-01-01T00:00:00Z"
    for merchant_id, segment_id in (("m1", "spenders"), ("m2", "theirs")):
        book.create(SegmentItem(segment_id=segment_id, merchant_id=merchant_id, name="s", conditions=[],
                                created_at=at, updated_at=at, generation=1))  # fmt: skip
    book.put_members("spenders", {"t3": Span(1), "t1": Span(1), "gone": Span(1, 0)})
    assert ask(coupon["coupon_id"], {"segment_id": "theirs"}).json["error"]["field"] == "segment_id"
    segment = ask(coupon["coupon_id"], {"segment_id": "spenders"}).json
    queued()
    assert Grants().run(segment["grant_id"], time_left=lambda: 900.0) == "done"
    members = read(coupon["coupon_id"], segment["grant_id"]).json
    assert (members["requested"], members["granted"], members["source"]["segment_id"]) == (2, 2, "spenders")

    # A file of ids: the answer carries the import's upload form, to the grant's own key
    uploading = ask(coupon["coupon_id"], {"upload": {"file_name": "ids.csv"}}).json
    form = uploading["upload"]
    assert uploading["status"] == "awaiting_upload" and form["key"] == f"grants/{uploading['grant_id']}"
    assert form["max_bytes"] == 10 * 1024 * 1024 and form["url"] and form["fields"]["key"] == form["key"]
    assert queued() == []  # nothing to run before the file
    data = b"customer_id\nf1\nf2\nnot an id!\nf1\n\nt1\n"
    bucket = os.environ["IMPORT_BUCKET"]
    put = client("s3").put_object(Bucket=bucket, Key=form["key"], Body=data)
    notice = s3_notification(bucket, {"key": form["key"], "size": len(data), "versionId": put["VersionId"]})
    assert deliver(json.dumps(notice), json.dumps(notice)) == {"batchItemFailures": []}  # delivered twice
    filed = read(coupon["coupon_id"], uploading["grant_id"]).json
    assert (filed["status"], filed["requested"], filed["duplicates"], filed["malformed"]) == ("done", 3, 1, 1)
    assert filed["granted"] == 3 and filed["upload"] is None
    assert Counter(c["owner_id"] for c in claim_items(coupon["coupon_id"])) == {
        "t1": 3,
        "t2": 1,
        "t3": 1,
        "f1": 1,
        "f2": 1,
    }

    # A file that is no text is refused whole, issuing nothing
    binary = ask(coupon["coupon_id"], {"upload": {}}).json
    key = binary["upload"]["key"]
    put = client("s3").put_object(Bucket=bucket, Key=key, Body=b"f3\n\x00\x01\n")
    notice = s3_notification(bucket, {"key": key, "size": 6, "versionId": put["VersionId"]})
    assert deliver(json.dumps(notice)) == {"batchItemFailures": []}
    failed = read(coupon["coupon_id"], binary["grant_id"]).json
    assert (failed["status"], failed["reason"], failed["granted"]) == ("failed", "binary", 0)
    # An object under grants/ that is no grant's file runs nothing
    stray = s3_notification(bucket, {"key": "grants/0123456789abcdef0123456789abcdef", "size": 3})
    assert deliver(json.dumps(stray)) == {"batchItemFailures": []}
    assert len(claim_items(coupon["coupon_id"])) == 7


# --- bad input and attackers ------------------------------------------------------------------------------


def test_bad_grants_are_refused_naming_the_field_and_change_nothing():
    coupon = make_coupon()
    before = table_snapshot()
    cases = [
        ({}, 422, "customer_ids"),
        ({"customer_ids": []}, 422, "body.customer_ids"),
        ({"customer_ids": ["u1"], "tag": "vip"}, 422, "tag"),
        ({"tag": "vip", "upload": {}}, 422, "upload"),
        ({"customer_ids": ["u 1"]}, 422, "body.customer_ids.0"),
        ({"customer_ids": [f"u{i}" for i in range(10_001)]}, 422, "body.customer_ids"),
        ({"customer_ids": ["u1"], "code": "x"}, 422, "body.code"),
        ({"segment_id": "no-such-segment"}, 404, "segment_id"),
    ]
    for body, status, field in cases:
        reply = ask(coupon["coupon_id"], body)
        assert (reply.status, reply.json["error"].get("field")) == (status, field), (body, reply.json)
    # Another merchant's coupon, and one that does not exist, are the same 404
    theirs = ask(coupon["coupon_id"], {"customer_ids": ["u1"]}, who=merchant("m2"))
    unknown = ask("0" * 32, {"customer_ids": ["u1"]})
    assert theirs.status == unknown.status == 404 and theirs.json == unknown.json
    assert table_snapshot() == before and queued() == []


def test_nobody_but_the_coupons_merchant_reaches_a_grant():
    coupon = make_coupon()
    grant = ask(coupon["coupon_id"], {"customer_ids": ["u1", "u2"]}).json
    base = f"/coupons/{coupon['coupon_id']}/grants"
    # Customers and staff cannot call the grant routes
    for who in (customer("u1"), staff("m1")):
        assert ask(coupon["coupon_id"], {"customer_ids": ["u1"]}, who=who).status == 403
        assert call("GET", base, claims=who).status == 403
        assert read(coupon["coupon_id"], grant["grant_id"], who=who).status == 403
    # Another merchant (or the platform) cannot read it or list it, nor find it under their own coupon
    for who in (merchant("m2"), platform()):
        assert read(coupon["coupon_id"], grant["grant_id"], who=who).status == 404
        assert call("GET", base, claims=who).status == 404
    other = call("POST", "/coupons", claims=merchant("m2"), body=coupon_body())
    assert read(other.json["coupon_id"], grant["grant_id"], who=merchant("m2")).status == 404
    # A page token of one coupon's grants is no start for another's
    page = call("GET", base, claims=MERCHANT, query={"limit": "1"})
    assert page.status == 200 and page.json["items"]
    ask(coupon["coupon_id"], {"customer_ids": ["u3"]})
    token = call("GET", base, claims=MERCHANT, query={"limit": "1"}).json["next_token"]
    crafted = call(
        "GET",
        f"/coupons/{other.json['coupon_id']}/grants",
        claims=merchant("m2"),
        query={"next_token": token},
    )
    assert crafted.status == 422 and crafted.json["error"]["field"] == "next_token"
    # Nothing was issued by any of it
    assert claim_items(coupon["coupon_id"]) == []
