"""The outbox: committed changes on the table's stream become events on the bus, each with a stable id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from coupon_service import events
from coupon_service.aws import client

from devstack.streams import StreamReader, published
from tests.support import call, coupon_body, invoke, merchant


def _records(emulator, stack) -> list[dict[str, Any]]:
    return StreamReader(emulator.url, stack.tables["CouponsTable"]).poll()


def test_each_change_yields_its_event_once_per_delivery_with_a_stable_id(emulator, stack):
    # Given a merchant created a coupon (one coupon item, its two shards and its two entries in the coupon
    # center's listing on the stream)
    coupon = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(shard_count=2)).json
    records = _records(emulator, stack)
    kinds = sorted(r["dynamodb"]["Keys"]["PK"]["S"].split("#")[0] for r in records)
    assert kinds == ["COUPON", "OFFERS", "OFFERS", "SHARD", "SHARD"], kinds

    # When the publisher gets the batch, and then the same batch again (at-least-once delivery)
    first = invoke("publisher", {"Records": records})
    second = invoke("publisher", {"Records": records})

    # Then each delivery put exactly one CouponCreated on the bus, with the same event_id both times
    assert first == second == {"batchItemFailures": []}
    delivered = published(emulator.url, stack.events_queue_url)
    assert [e["detail-type"] for e in delivered] == ["CouponCreated", "CouponCreated"]
    details = [e["detail"] for e in delivered]
    assert details[0] == details[1]
    assert details[0]["coupon_id"] == coupon["coupon_id"] and details[0]["merchant_id"] == "m1"
    assert delivered[0]["source"] == "coupons"


class _FlakyEvents:
    """The real events client; the entries at `fail_at` of the first call fail (every call if `always`)."""

    def __init__(self, fail_at: set[int], always: bool = False) -> None:
        self.real = client("events")
        self.fail_at = fail_at
        self.always = always
        self.failing: set[str] = set()
        self.calls: list[list[str]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [json.loads(e["Detail"])["coupon_id"] for e in Entries]
        if not self.calls:
            self.failing = {ids[i] for i in self.fail_at}
        elif not self.always:
            self.failing = set()
        self.calls.append(ids)
        fail = [coupon_id in self.failing for coupon_id in ids]
        ok = [e for e, failed in zip(Entries, fail, strict=True) if not failed]
        sent = iter(self.real.put_events(Entries=ok)["Entries"]) if ok else iter([])
        results = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"} if failed else next(sent)
            for failed in fail
        ]
        return {"FailedEntryCount": sum(fail), "Entries": results}


def _coupon_records(emulator, stack, count: int) -> list[dict[str, Any]]:
    for i in range(count):
        call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(title=f"c{i}", shard_count=1))
    return _records(emulator, stack)


def test_a_partial_failure_resends_only_the_failed_entries(emulator, stack, monkeypatch):
    records = _coupon_records(emulator, stack, 4)
    flaky = _FlakyEvents({1, 3})
    monkeypatch.setattr(events, "client", lambda service: flaky)

    result = invoke("publisher", {"Records": records})

    assert result == {"batchItemFailures": []}
    assert len(flaky.calls) == 2 and len(flaky.calls[0]) == 4
    assert flaky.calls[1] == [flaky.calls[0][1], flaky.calls[0][3]]
    delivered = published(emulator.url, stack.events_queue_url)
    assert sorted(e["detail"]["coupon_id"] for e in delivered) == sorted(flaky.calls[0])


def test_a_batch_that_still_fails_is_handed_back_to_the_stream_from_the_first_failure(
    emulator, stack, monkeypatch
):
    records = _coupon_records(emulator, stack, 3)
    flaky = _FlakyEvents({1}, always=True)
    monkeypatch.setattr(events, "client", lambda service: flaky)
    monkeypatch.setattr(events.time, "sleep", lambda seconds: None)

    result = invoke("publisher", {"Records": records})

    # The coupon records are every third record (coupon, shard); the second coupon's record is reported.
    coupon_records = [r for r in records if r["dynamodb"]["NewImage"]["type"]["S"] == "coupon"]
    assert result == {
        "batchItemFailures": [{"itemIdentifier": coupon_records[1]["dynamodb"]["SequenceNumber"]}]
    }
    assert len(flaky.calls) == 4  # the first try and three resends of the failed entry only
    assert all(len(c) == 1 for c in flaky.calls[1:])


def _record(name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None) -> dict[str, Any]:
    from coupon_service.store.table import to_item

    image = {}
    if new is not None:
        image["NewImage"] = to_item(new)
    if old is not None:
        image["OldImage"] = to_item(old)
    return {"eventName": name, "dynamodb": {"SequenceNumber": "1", **image}}


CLAIM = {
    "type": "claim",
    "claim_id": "c1",
    "coupon_id": "k1",
    "merchant_id": "m1",
    "owner_id": "u1",
    "channel": "qr",
    "claimed_at": "2026-01-01T00:00:00Z",
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_until": "2026-02-01T00:00:00Z",
    "phone_masked": "+86*******5678",
}


BUDGET = {
    "type": "lookup_budget",
    "staff_id": "s1",
    "merchant_id": "m1",
    "lookups": {f"id{i}": "2026-01-01T00:00:00Z" for i in range(30)},
    "window_ends": "2026-01-01T00:05:00Z",
}
LOCKED = {**BUDGET, "locked_at": "2026-01-01T00:01:00Z"}
GIFT = {"type": "gift", "gift_id": "g1", "claim_id": "c1", "coupon_id": "k1", "merchant_id": "m1"}


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (_record("INSERT", CLAIM), ["CouponClaimed"]),
        # A claim given a fresh code by a gift or a reversal is no event of its own
        (_record("MODIFY", {**CLAIM, "code": "NEW", "retired_codes": [{"code": "OLD"}]}, CLAIM), []),
        (_record("MODIFY", LOCKED, BUDGET), ["CodeGuessingSuspected"]),
        (_record("MODIFY", {**BUDGET, "lookups": {}}, BUDGET), []),  # counting is no event
        (_record("MODIFY", {**LOCKED, "lookups": {}}, LOCKED), []),  # nor is a give-back during the lock
        (_record("REMOVE", None, LOCKED), []),  # the TTL's clean-up
        (_record("MODIFY", {**GIFT, "state": "cancelled"}, {**GIFT, "state": "pending"}), []),
        (_record("MODIFY", {**CLAIM, "reminded_at": "2026-01-30T00:00:00Z"}, CLAIM), ["CouponExpiring"]),
        (_record("MODIFY", {**CLAIM, "channel": "x"}, CLAIM), []),
        (_record("REMOVE", None, CLAIM), []),
        (_record("INSERT", {"type": "shard", "coupon_id": "k1"}), []),
    ],
)
def test_which_changes_are_events(record, expected):
    derived = events.derive(record)
    assert [e.detail_type for e in derived] == expected
    assert [e.event_id for e in events.derive(record)] == [e.event_id for e in derived]


def test_code_guessing_suspected_names_the_staff_member_once_per_window():
    event = events.derive(_record("MODIFY", LOCKED, BUDGET))[0]
    assert (event.staff_id, event.merchant_id, event.unknown_codes) == ("s1", "m1", 30)
    assert event.locked_until == "2026-01-01T00:05:00Z"
    next_window = {**LOCKED, "window_ends": "2026-01-01T00:10:00Z", "locked_at": "2026-01-01T00:06:00Z"}
    later = events.derive(_record("MODIFY", next_window, {**BUDGET, "window_ends": "2026-01-01T00:10:00Z"}))
    assert later[0].event_id != event.event_id


def test_events_never_carry_a_full_phone_number():
    claim = {**CLAIM, "phone": "+8613812345678"}
    for event in events.derive(_record("INSERT", claim)):
        assert "13812345678" not in json.dumps(event.model_dump())


def test_a_claim_becomes_coupon_claimed_on_the_bus(emulator, stack):
    # Given a coupon and a customer's claim, committed
    coupon = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(shard_count=1)).json
    claimed = call(
        "POST",
        f"/coupons/{coupon['coupon_id']}/claims",
        claims={"sub": "u7", "cognito:groups": "customers", "phone_number": "+8613812345678"},
    ).json
    # When the stream is delivered to the publisher
    assert invoke("publisher", {"Records": _records(emulator, stack)}) == {"batchItemFailures": []}
    # Then the bus carries CouponClaimed for that claim, without the phone number
    delivered = {e["detail-type"]: e["detail"] for e in published(emulator.url, stack.events_queue_url)}
    assert delivered["CouponClaimed"]["claim_id"] == claimed["claim_id"]
    assert (
        delivered["CouponClaimed"]["customer_id"] == "u7" and delivered["CouponClaimed"]["channel"] == "other"
    )
    assert "13812345678" not in json.dumps(delivered)
