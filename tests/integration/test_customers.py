"""A merchant's customer directory (/merchant/customers and coupon_service.customers): a change sets only
the fields sent, the customers with a tag and those born on a day are read by Queries, bad input is a 422
naming the field and changes nothing, another merchant's customer is a 404, and concurrent changes of the
same customers' tags, with conflicts, throttling and lost answers, leave the tag entries exactly the tags."""

from __future__ import annotations

import random

import pytest
from coupon_service import keys
from coupon_service.customers import CustomerDirectory
from coupon_service.store.table import Table

from tests.builders import table_snapshot
from tests.support import FAULT_MODES, call, concurrently, customer, inject, merchant, staff

pytestmark = pytest.mark.usefixtures("stack")

PATH = "/merchant/customers/{}"
WRITERS = 12


def put(customer_id, body, merchant_id="m1"):
    return call("PUT", PATH.format(customer_id), claims=merchant(merchant_id), body=body)


def test_a_merchant_records_a_customer_and_changes_only_what_it_sends(dynamodb_requests):
    # Given a customer recorded with every field
    body = {
        "tags": ["vip", "tea"],
        "birthday": "02-29",
        "tier": "gold",
        "joined_at": "2026-01-01T08:00:00+08:00",
    }
    first = put("u1", body)
    assert first.status == 200, first.json
    assert first.json == {
        **first.json,
        "customer_id": "u1",
        "merchant_id": "m1",
        "tags": ["tea", "vip"],
        "birthday": "02-29",
        "tier": "gold",
        "joined_at": "2026-01-01T00:00:00Z",
    }
    # When only the tier is sent, then only the tags
    assert put("u1", {"tier": "platinum"}).json["tags"] == ["tea", "vip"]
    second = put("u1", {"tags": ["vip", "coffee"]})
    # Then the other fields stay as they were
    assert (second.json["tier"], second.json["birthday"], second.json["tags"]) == (
        "platinum",
        "02-29",
        ["coffee", "vip"],
    )
    assert call("GET", PATH.format("u1"), claims=merchant("m1")).json == second.json
    # And the same change again writes nothing: one read
    dynamodb_requests.reset()
    assert put("u1", {"tags": ["coffee", "vip"]}).json == second.json
    assert dynamodb_requests.calls == {"GetItem": 1}
    # And the directory answers by tag and by birthday, with Queries
    directory = CustomerDirectory()
    put("u2", {"tags": ["vip"], "birthday": "03-01"})
    assert sorted(directory.with_tag("m1", "vip")) == ["u1", "u2"]
    assert list(directory.with_tag("m1", "tea")) == []
    assert list(directory.with_tag("m1", "coffee")) == ["u1"]
    assert list(directory.born_on("m1", "02-29")) == ["u1"]
    assert list(directory.born_on("m1", "03-01")) == ["u2"]
    # And an empty list takes every tag away, entries included
    assert put("u1", {"tags": []}).json["tags"] == []
    assert list(directory.with_tag("m1", "vip")) == ["u2"]
    assert [i["SK"] for i in table_snapshot() if i.get("type") == "customer_tag"] == ["u2"]


def test_reads_by_tag_and_birthday_are_queries_never_scans(dynamodb_requests):
    directory = CustomerDirectory()
    for n in range(3):
        directory.record("m1", f"c{n}", tags={"vip"}, birthday="12-24")
    dynamodb_requests.reset()
    assert sorted(directory.with_tag("m1", "vip")) == ["c0", "c1", "c2"]
    assert sorted(directory.born_on("m1", "12-24")) == ["c0", "c1", "c2"]
    assert dynamodb_requests.calls == {"Query": 2}


BAD = [
    ({"tags": [f"t{n}" for n in range(21)]}, "tags"),
    ({"tags": ["x" * 41]}, "tags.0"),
    ({"tags": ["no spaces"]}, "tags.0"),
    ({"birthday": "02-30"}, "birthday"),
    ({"birthday": "13-01"}, "birthday"),
    ({"birthday": "2-3"}, "birthday"),
    ({"tier": "t" * 41}, "tier"),
    ({"tier": "gold\u202e"}, "tier"),
    ({"joined_at": "2026-01-01T00:00:00"}, "joined_at"),
    ({"joined_at": 1767225600}, "joined_at"),
    ({"nickname": "x"}, "nickname"),
]


def test_bad_input_is_a_422_naming_the_field_and_changes_nothing():
    put("u1", {"tier": "gold"})
    before = table_snapshot()
    for body, field in BAD:
        reply = put("u1", body)
        assert reply.status == 422, (body, reply.json)
        assert reply.json["error"]["field"] == f"body.{field}", (body, reply.json)
    assert table_snapshot() == before


def test_another_merchants_customer_is_a_404_and_apart_from_its_own():
    # Given m1's customer u1 with a tag
    put("u1", {"tags": ["vip"], "tier": "gold"}, merchant_id="m1")
    # When m2 reads it, it is the same 404 as a customer nobody recorded
    for customer_id in ("u1", "nobody"):
        reply = call("GET", PATH.format(customer_id), claims=merchant("m2"))
        assert reply.status == 404
        assert reply.json["error"] == {
            "code": "not_found",
            "message": "no such customer",
            "field": "customerId",
        }
    # And m2's own record of u1 is m2's: m1's stays as it was, and neither sees the other's tags
    put("u1", {"tags": ["other"]}, merchant_id="m2")
    assert call("GET", PATH.format("u1"), claims=merchant("m1")).json["tags"] == ["vip"]
    directory = CustomerDirectory()
    assert list(directory.with_tag("m2", "vip")) == []
    assert list(directory.with_tag("m1", "other")) == []
    # And customers and staff cannot reach the directory at all
    for claims in (customer("u1"), staff("m1")):
        assert call("GET", PATH.format("u1"), claims=claims).status == 403
        assert call("PUT", PATH.format("u1"), claims=claims, body={"tags": []}).status == 403


@pytest.mark.concurrency
@pytest.mark.parametrize("fault_mode", list(FAULT_MODES))
def test_concurrent_tag_changes_leave_the_entries_exactly_the_tags(emulator, fault_mode):
    # Given 3 customers changed by 12 writers at once, each sending its own random tags
    tags = [f"t{n}" for n in range(8)]
    chosen = [set(random.Random(i).sample(tags, random.Random(i).randint(0, 5))) for i in range(WRITERS)]
    directory = CustomerDirectory()
    inject(emulator, fault_mode)
    try:
        answers = concurrently(
            lambda i: directory.record("m1", f"c{i % 3}", tags=chosen[i]), WRITERS, threads=6
        )
        injected = emulator.faults.injected
    finally:
        emulator.faults.set(0.0)
    assert (injected > 0) == (fault_mode != "clean")
    # Then every change was stored (or answered busy after retrying), and each customer's tags are the
    # last change written: one of those sent for it
    assert all(not isinstance(a, Exception) or getattr(a, "status", 0) == 503 for a in answers), answers
    entries = {}
    for item in table_snapshot():
        if item.get("type") == "customer_tag":
            entries.setdefault(item["customer_id"], set()).add(item["tag"])
    for n in range(3):
        stored = Table().get(keys.customer_entry("m1", f"c{n}"))
        assert set(stored["tags"]) in [chosen[i] for i in range(n, WRITERS, 3)]
        # And the tag entries are exactly the customer's tags, and the Queries say so
        assert entries.get(f"c{n}", set()) == set(stored["tags"]), (n, stored)
        for tag in tags:
            assert (f"c{n}" in set(directory.with_tag("m1", tag))) == (tag in stored["tags"])
