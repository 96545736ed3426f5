"""The points routes: a customer's balance and entries, the daily check-in and its streak in the merchant's
time zone, a merchant's view and adjustments, the programme's settings; bad input and attackers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import keys
from coupon_service.points.ledger import Ledger
from coupon_service.store.table import Table

from tests.support import call, concurrently, customer, merchant, platform, staff

pytestmark = pytest.mark.usefixtures("stack")

SETTINGS = {"check_in": {"daily": 1, "streak_days": 7, "streak_bonus": 7}}


def put_settings(merchant_id="m1", body=None, time_zone=None):
    if time_zone:
        reply = call("PUT", "/merchant/settings", claims=merchant(merchant_id), body={"time_zone": time_zone})
        assert reply.status == 200, reply.json
    reply = call("PUT", "/merchant/points/settings", claims=merchant(merchant_id), body=body or SETTINGS)
    assert reply.status == 200, reply.json
    return reply.json


def check_in(user="u1", programme="m1"):
    return call("POST", "/me/check-ins", claims=customer(user), body={"programme": programme})


def balance(user="u1", programme="m1"):
    return call("GET", f"/me/points?programme={programme}", claims=customer(user)).json


def entries_of(user="u1", programme="m1"):
    return call("GET", f"/me/points/entries?programme={programme}&limit=100", claims=customer(user)).json[
        "items"
    ]


def test_seven_consecutive_days_earn_seven_and_seven_more_and_a_missed_day_starts_again(clock):
    put_settings(time_zone="Asia/Shanghai")
    clock.set(datetime(2030, 5, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    for day in range(7):
        reply = check_in()
        assert reply.status == 201, reply.json
        assert reply.json["streak"] == day + 1
        clock.advance(timedelta(days=1))
    assert reply.json["bonus"] == 7
    assert balance()["balance"] == 7 + 7
    clock.advance(timedelta(days=1))  # a day missed
    again = check_in().json
    assert again["streak"] == 1 and again["bonus"] == 0
    assert balance()["balance"] == 15
    assert sum(e["points"] for e in entries_of()) == 15


def test_a_check_in_at_2359_and_one_at_0001_in_the_merchants_zone_are_two_days(clock):
    put_settings(time_zone="Asia/Shanghai")
    clock.set(datetime(2030, 5, 1, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    first = check_in()
    clock.set(datetime(2030, 5, 1, 16, 1, tzinfo=UTC))  # 00:01 the next day
    second = check_in()
    assert (first.status, second.status) == (201, 201)
    assert (first.json["day"], second.json["day"]) == ("2030-05-01", "2030-05-02")
    assert second.json["streak"] == 2 and balance()["balance"] == 2
    # and the same day again answers the day's check-in, writing nothing
    repeat = check_in()
    assert repeat.status == 200 and repeat.json["first"] is False and balance()["balance"] == 2


@pytest.mark.concurrency
def test_twenty_concurrent_check_ins_on_one_day_give_one_entry(emulator, clock):
    from tests.support import FAULT_MODES, inject

    put_settings()
    clock.set(datetime(2030, 5, 1, 10, 0, tzinfo=UTC))
    from coupon_service.identity import Caller
    from coupon_service.points.service import Points

    caller = Caller(user_id="u1", groups=frozenset({"customers"}))
    for mode in FAULT_MODES:
        inject(emulator, mode)
        answers = concurrently(lambda i: Points(clock=clock).check_in(caller, "m1"), 20, threads=20)
        emulator.faults.set(0.0)
        assert [a for a in answers if isinstance(a, Exception)] == []
        firsts = sum(1 for a in answers if a.first)
        assert firsts == 1 if mode == "clean" else firsts <= 1
        assert {a.day for a in answers} == {clock.now().date().isoformat()}
        clock.advance(timedelta(days=1))
    stored = entries_of()
    assert len(stored) == 3 and sum(e["points"] for e in stored) == 3 == balance()["balance"]


def test_a_merchant_reads_and_adjusts_its_customer_and_the_adjustment_is_audited():
    put_settings()
    Ledger().credit("u1", "m1", "seed", "order", 10)
    reply = call(
        "POST",
        "/merchant/points/customers/u1/adjustments",
        claims=merchant("m1", user="alice"),
        body={"points": -4, "reason": "goodwill reversed"},
        headers={"Idempotency-Key": "adjust-0001"},
    )
    assert reply.status == 201, reply.json
    assert (
        reply.json["by"] == "alice"
        and reply.json["note"] == "goodwill reversed"
        and reply.json["points"] == -4
    )
    retried = call(
        "POST",
        "/merchant/points/customers/u1/adjustments",
        claims=merchant("m1", user="alice"),
        body={"points": -4, "reason": "goodwill reversed"},
        headers={"Idempotency-Key": "adjust-0001"},
    )
    assert retried.json["entry_id"] == reply.json["entry_id"]
    view = call("GET", "/merchant/points/customers/u1", claims=merchant("m1")).json
    assert view["balance"] == 6
    listed = call("GET", "/merchant/points/customers/u1/entries", claims=merchant("m1")).json["items"]
    assert [e["points"] for e in listed] == [-4, 10]


def test_bad_input_is_a_422_naming_the_field_and_writes_nothing():
    put_settings()
    Ledger().credit("u1", "m1", "seed", "order", 3)
    before = Table().get(keys.points_balance("u1", "m1"))
    past_zero = call(
        "POST",
        "/merchant/points/customers/u1/adjustments",
        claims=merchant(),
        body={"points": -4, "reason": "x"},
    )
    assert past_zero.status == 422 and past_zero.json["error"]["field"] == "points"
    settings_before = call("GET", "/merchant/points/settings", claims=merchant()).json
    zero_rule = call(
        "PUT",
        "/merchant/points/settings",
        claims=merchant(),
        body={"earning": {"order": {"points": 0, "per_amount": 100}}},
    )
    assert zero_rule.status == 422 and "earning.order.points" in zero_rule.json["error"]["field"]
    assert call("GET", "/merchant/points/settings", claims=merchant()).json == settings_before
    other = call(
        "POST",
        "/me/check-ins",
        claims=customer("u1", **{"custom:merchant_id": "m1"}),
        body={"programme": "m2"},
    )
    assert other.status == 403 and other.json["error"]["field"] == "programme"
    unknown = check_in(programme="m9")
    assert unknown.status == 404 and unknown.json["error"]["field"] == "programme"
    extra = call("POST", "/me/check-ins", claims=customer("u1"), body={"programme": "m1", "points": 100})
    assert extra.status == 422
    assert Table().get(keys.points_balance("u1", "m1")) == before
    assert Table().get(keys.points_balance("u1", "m2")) is None
    assert Table().get(keys.points_balance("u1", "m9")) is None


def test_attackers_reach_no_ledger_but_their_own():
    put_settings()
    Ledger().credit("victim", "m1", "seed", "order", 50)
    # another merchant, or its staff, cannot read or adjust m1's customer
    assert call("GET", "/merchant/points/customers/victim", claims=merchant("m2")).status == 404
    stolen = call(
        "POST",
        "/merchant/points/customers/victim/adjustments",
        claims=merchant("m2"),
        body={"points": 5, "reason": "x"},
    )
    assert stolen.status == 404
    assert call("GET", "/merchant/points/customers/victim", claims=staff("m1")).status == 403
    assert call("GET", "/merchant/points/customers/victim", claims=platform()).status == 404
    # a customer reads only their own ledger: the query names a programme, never a customer
    assert balance("thief")["balance"] == 0
    # a page token of one ledger is no start for another, and a crafted one is refused
    for n in range(3):
        Ledger().credit("victim", "m1", f"more-{n}", "order", 1)
    page = call("GET", "/merchant/points/customers/victim/entries?limit=1", claims=merchant("m1")).json
    token = page["next_token"]
    assert token
    theirs = call("GET", f"/me/points/entries?programme=m1&next_token={token}", claims=customer("thief"))
    assert theirs.status == 422 and theirs.json["error"]["field"] == "next_token"
    crafted = call(
        "GET", "/me/points/entries?programme=m1&next_token=eyJQSyI6e319.AAAA", claims=customer("u1")
    )
    assert crafted.status == 422 and crafted.json["error"]["field"] == "next_token"
    assert Table().get(keys.points_balance("victim", "m1"))["balance"] == 53


def test_the_ledger_names_the_programme_s_zone_at_no_extra_request(dynamodb_requests):
    put_settings(body={"expiry": {"type": "end_of_year"}}, time_zone="Asia/Shanghai")
    Ledger().credit("u1", "m1", "seed", "order", 10)
    dynamodb_requests.reset()
    mine = call("GET", "/me/points?programme=m1", claims=customer("u1"))
    # the settings (with the merchant's zone) and the balance in one BatchGetItem, the lots in one Query
    assert dict(dynamodb_requests.calls) == {"BatchGetItem": 1, "Query": 1}
    assert mine.json["time_zone"] == "Asia/Shanghai" and mine.json["balance"] == 10
    (lot,) = mine.json["expiring"]
    assert lot["expires_at"].endswith("-12-31T16:00:00Z")  # 1 January, 00:00 in Shanghai
    dynamodb_requests.reset()
    theirs = call("GET", "/merchant/points/customers/u1", claims=merchant("m1"))
    assert dict(dynamodb_requests.calls) == {"BatchGetItem": 1, "Query": 1}
    assert theirs.json == mine.json
    # a programme without settings is in UTC; a merchant's customer with no ledger yet reads as empty
    assert balance(programme="m7")["time_zone"] == "UTC"
    call("PUT", "/merchant/customers/new", claims=merchant("m1"), body={"tags": []})
    fresh = call("GET", "/merchant/points/customers/new", claims=merchant("m1"))
    assert fresh.status == 200 and fresh.json["balance"] == 0
    assert call("GET", "/merchant/points/customers/nobody", claims=merchant("m1")).status == 404
