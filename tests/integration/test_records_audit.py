"""Every read of a coupon's records is audited by the request that reads: who, when, which coupon, which
filters (a phone only as its keyed hash), how many rows; the merchant lists the audit newest first; an
audit that cannot be written fails the read; no phone, in any spelling, reaches logs, audit or answers."""

from __future__ import annotations

import io
import json
import re

import pytest
from coupon_service import keys
from coupon_service.claims import PHONE as PHONE_PURPOSE
from coupon_service.privacy import keyed_hash
from coupon_service.secret import hmac_key
from coupon_service.store.table import Table

from tests.builders import claim, make_coupon, scan, table_snapshot
from tests.support import call, merchant, platform

pytestmark = pytest.mark.usefixtures("stack")

PHONE = "+8613800138000"
SPELLINGS = ["+86 138 0013 8000", "13800138000", "138-0013-8000", "+86-138-0013-8000"]
# What of the number would give it away: every spelling, and its digits in runs of 8 or more.
DIGITS = "8613800138000"


def leaks_phone(text: str) -> bool:
    squeezed = re.sub(r"[\s\-+().]", "", text)
    return any(DIGITS[i : i + 8] in squeezed for i in range(len(DIGITS) - 7)) or any(
        s in text for s in SPELLINGS
    )


def records(coupon_id, who="m1", **query):
    return call(
        "GET", f"/coupons/{coupon_id}/records", claims=merchant(who, user=f"clerk-{who}"), query=query
    )


def audit_of(who="m1", **query):
    reply = call("GET", "/merchant/audit", claims=merchant(who), query=query)
    assert reply.status == 200, reply.json
    return reply.json


def audit_items(merchant_id="m1"):
    items, _ = Table().query(
        index="GSI1",
        key_condition="GSI1PK = :p",
        ExpressionAttributeValues={":p": {"S": keys.merchant_audit(merchant_id)}},
    )
    return items


@pytest.fixture
def coupon_id():
    coupon = make_coupon(options={"channels": ["wechat"]})
    li = claim(coupon["coupon_id"], "li", channel="wechat", phone_number=PHONE, nickname="lilei")
    assert li.status == 201, li.json
    assert scan(li.json["code"], order_id="o-1").status == 201
    assert claim(coupon["coupon_id"], "wang").status == 201
    return coupon["coupon_id"]


def test_each_read_is_audited_with_the_phone_hashed_and_listed_newest_first(coupon_id):
    from coupon_service.observability import logger

    stream = io.StringIO()
    previous_stream = logger.registered_handler.setStream(stream)
    previous_level = logger.log_level
    logger.setLevel("DEBUG")
    answers = []
    try:
        for spelling in SPELLINGS:
            reply = records(coupon_id, phone=spelling, channel="wechat")
            assert reply.status == 200 and len(reply.json["items"]) == 2, reply.json
            answers.append(reply.raw.decode())
        first = records(coupon_id, limit="1")
        assert first.status == 200 and first.json["next_token"]
        assert records(coupon_id, limit="1", next_token=first.json["next_token"]).status == 200
        refused = records(coupon_id, phone="8001")
        assert refused.status == 422
        answers.append(refused.raw.decode())
    finally:
        logger.setLevel(previous_level)
        logger.registered_handler.setStream(previous_stream)
    logged = stream.getvalue()

    # One audit item per read that answered records (the refused one read nothing), each written by its
    # request: who, which coupon, which filters, how many rows; the phone only as the claims' keyed hash.
    stored = audit_items()
    assert len(stored) == 6
    hashed = keyed_hash(hmac_key(), PHONE_PURPOSE, PHONE)
    by_phone = [i for i in stored if "phone_hash" in i["filters"]]
    assert len(by_phone) == 4
    for item in by_phone:
        assert item["filters"]["phone_hash"] == hashed
        assert item["filters"]["channel"] == "wechat"
        assert item["rows"] == 2 and item["coupon_id"] == coupon_id
        assert item["by"] == "clerk-m1" and item["merchant_id"] == "m1" and item["role"] == "merchants"
        assert item["expires_at"] > 0 and item["type"] == "records_audit"
    assert sorted((i["continued"], i["rows"]) for i in stored if "phone_hash" not in i["filters"]) == [
        (False, 1),
        (True, 1),
    ]

    # The merchant lists them newest first, paged; the phone nowhere but as its hash.
    listed, token = [], None
    while True:
        page = audit_of(limit="4", **({"next_token": token} if token else {}))
        listed += page["items"]
        token = page["next_token"]
        if not token:
            break
    assert len(listed) == 6
    ats = [e["at"] for e in listed]
    assert ats == sorted(ats, reverse=True)
    assert {e["audit_id"] for e in listed} == {i["audit_id"] for i in stored}

    # The structured log line says who read which coupon with which filters, never their values.
    lines = [json.loads(line) for line in logged.splitlines() if '"records read"' in line]
    assert len(lines) == 6
    assert {tuple(line["filters"]) for line in lines} >= {("channel", "phone"), ()}
    assert all(line["rows"] in (1, 2) and line["coupon_id"] == coupon_id for line in lines)
    assert "lilei" not in logged
    for text in (logged, json.dumps(stored), json.dumps(listed), *answers):
        assert not leaks_phone(text)


def test_another_merchant_reads_nothing_and_leaves_no_audit_in_the_owners_list(coupon_id):
    assert records(coupon_id, phone=SPELLINGS[0]).status == 200
    reply = records(coupon_id, "m2", phone=SPELLINGS[0])
    assert reply.status == 404 and not leaks_phone(reply.raw.decode())
    # m2 sees no entry of m1's; m1's audit holds only m1's own read; no audit item for the refused read.
    assert audit_of("m2")["items"] == [] and audit_items("m2") == []
    mine = audit_of("m1")["items"]
    assert [e["by"] for e in mine] == ["clerk-m1"]
    # m1's audit token is nothing to m2 (another partition) nor to the records route.
    call("GET", f"/coupons/{coupon_id}/records", claims=merchant("m1"))
    token = audit_of("m1", limit="1")["next_token"]
    assert token
    for reply in (
        call("GET", "/merchant/audit", claims=merchant("m2"), query={"next_token": token}),
        records(coupon_id, next_token=token),
    ):
        assert reply.status == 422 and reply.json["error"]["field"] == "next_token", reply.json
    # Customers and staff have no audit to read.
    assert call("GET", "/merchant/audit", claims={"sub": "u1", "cognito:groups": "customers"}).status == 403
    # The platform's audit is its own.
    assert call("GET", "/merchant/audit", claims=platform()).json["items"] == []


def test_a_failed_audit_write_fails_the_read_and_a_lost_answer_is_one_entry(emulator, coupon_id):
    before = table_snapshot()
    # Every write throttled: the read's records are never answered unaudited.
    emulator.faults.set(1.0, ("throttle",), operations=frozenset({"PutItem"}))
    try:
        reply = call(
            "GET",
            f"/coupons/{coupon_id}/records",
            claims=merchant("m1"),
            query={"phone": SPELLINGS[1]},
            remaining_ms=1_500,
        )
        throttled = emulator.faults.by_kind["throttle"]
    finally:
        emulator.faults.set(0.0)
    assert throttled >= 1
    assert reply.status == 503, reply.json
    assert reply.json["error"]["code"] == "busy"
    assert "items" not in reply.json and not leaks_phone(reply.raw.decode())
    assert table_snapshot() == before

    # An audit put whose answer was lost is recognised on retry as its own: one read, one entry.
    emulator.faults.set(1.0, ("lost",), operations=frozenset({"PutItem"}), limit=1)
    try:
        reply = records(coupon_id, phone=SPELLINGS[2])
        lost = emulator.faults.by_kind["lost"]
    finally:
        emulator.faults.set(0.0)
    assert lost == 1
    assert reply.status == 200 and len(reply.json["items"]) == 2, reply.json
    assert len(audit_items()) == 1
