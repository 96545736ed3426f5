"""The points birthday rule: each customer of the directory credited once a year, on their birthday in the
programme's time zone (02-29 on 28 February in other years), by the hourly points run; repeated, overlapping
and crashing runs under injected faults credit once; a missed day is caught up; a programme without the rule
(or whose rule was removed) credits nothing and is off the index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import keys
from coupon_service.customers import CustomerDirectory
from coupon_service.merchant_items import MerchantSettingsItem
from coupon_service.points import birthdays as birthdays_module
from coupon_service.points.birthdays import BirthdayPoints
from coupon_service.store.merchants import MerchantSettingsStore
from coupon_service.store.table import Table, values

from devstack.clock_event import scheduled
from tests.integration.test_points_ledger import assert_consistent, ledger_items
from tests.support import call, concurrently, inject, invoke, merchant

pytestmark = pytest.mark.usefixtures("stack")

SETTINGS = "/merchant/points/settings"
SHANGHAI_MIDNIGHT = datetime(2027, 6, 14, 16, 0, tzinfo=UTC)  # 2027-06-15 00:00 in Asia/Shanghai


def in_zone(merchant_id, zone):
    MerchantSettingsStore().replace(
        merchant_id,
        MerchantSettingsItem(max_stacked_coupons=2, updated_at="2027-01-01T00:00:00Z", time_zone=zone),
    )


def set_rules(merchant_id, birthday=None, expiry=None):
    body = {"expiry": expiry or {"type": "never"}, "earning": {"birthday": birthday} if birthday else {}}
    answer = call("PUT", SETTINGS, claims=merchant(merchant_id), body=body)
    assert answer.status == 200, answer.json
    return answer.json


def run(clock):
    summary = BirthdayPoints(clock=clock).run(lambda: 900.0)
    assert not summary.unfinished
    return summary


def birthday_entries(customer_id, programme="m1"):
    _, entries, _ = ledger_items(customer_id, programme)
    return sorted((e["source"], e["points"]) for e in entries if e["reason"] == "birthday")


def indexed():
    found = Table().query_all(
        index="GSI2",
        key_condition="GSI2PK = :p",
        ExpressionAttributeValues=values(p=keys.birthday_programmes()),
    )
    return [item["merchant_id"] for item in found]


def test_the_run_credits_each_customer_on_their_day_in_the_merchants_zone_once_a_year(
    clock, dynamodb_requests
):
    # Given m1 in Shanghai whose birthday rule (50 points, expiring at the end of the local year) was set at
    # midnight of 15 June there, and its directory
    in_zone("m1", "Asia/Shanghai")
    clock.set(SHANGHAI_MIDNIGHT)
    set_rules("m1", birthday=50, expiry={"type": "end_of_year"})
    directory = CustomerDirectory()
    for customer_id, born in (("b1", "06-15"), ("b2", "06-15"), ("b14", "06-14"), ("b16", "06-16")):
        directory.record("m1", customer_id, birthday=born)
    directory.record("m2", "elsewhere", birthday="06-15")  # another merchant's directory
    # When the run runs at 00:30 in Shanghai (still 14 June in UTC, so 06-15 is tomorrow there), twice
    clock.set(SHANGHAI_MIDNIGHT + timedelta(minutes=30))
    dynamodb_requests.reset()
    first = run(clock)
    # (the index, a batch of time zones and days done, the day's birthdays, a batch of the entries credited
    # before, one transaction for both ledgers, the day's mark)
    assert dict(dynamodb_requests.calls) == {
        "Query": 2,
        "BatchGetItem": 2,
        "TransactWriteItems": 1,
        "UpdateItem": 1,
    }
    dynamodb_requests.reset()
    again = run(clock)
    # Then the customers born on 06-15 are credited once each, for 2027; 14 June (before the rule) is not
    assert (first.programmes, first.days, first.customers, first.credited) == (1, 1, 2, 2)
    assert (again.days, again.credited) == (0, 0)
    assert dynamodb_requests.total() == 2  # a run after the day was done: the index and one batch read
    for customer_id in ("b1", "b2"):
        balance, entries = assert_consistent(customer_id, "m1")
        assert balance["balance"] == 50
        (entry,) = entries
        assert (entry["source"], entry["reason"], entry["points"]) == ("birthday:2027", "birthday", 50)
        assert entry["expires_at"] == "2027-12-31T16:00:00Z"  # the end of 2027 in Shanghai
        assert entry["detail"] == {"day": "2027-06-15"}
    assert birthday_entries("b14") == [] and birthday_entries("b16") == []
    assert birthday_entries("elsewhere", "m2") == []
    # And every hour of the next day credits 06-16's customer once
    for hour in range(24):
        clock.set(SHANGHAI_MIDNIGHT + timedelta(days=1, hours=hour))
        run(clock)
    assert birthday_entries("b16") == [("birthday:2027", 50)]
    # And a customer whose birthday the merchant moves to a later day of the year earns nothing more that year
    directory.record("m1", "b1", birthday="06-20")
    clock.set(SHANGHAI_MIDNIGHT + timedelta(days=5, hours=1))
    assert run(clock).customers == 1
    assert birthday_entries("b1") == [("birthday:2027", 50)]
    # And the next year credits them again (and 06-14's customer, within the days a late run catches up)
    clock.set(datetime(2028, 6, 14, 16, 30, tzinfo=UTC))
    assert run(clock).credited == 2  # b2, b14 (b1's birthday is 06-20 now)
    assert birthday_entries("b2") == [("birthday:2027", 50), ("birthday:2028", 50)]
    assert birthday_entries("b14") == [("birthday:2028", 50)]
    assert assert_consistent("b2", "m1")[0]["balance"] == 100


def test_29_february_on_the_28th_in_other_years_and_a_missed_day_is_caught_up(clock):
    # Given a UTC programme with the rule since 26 February 2027
    clock.set(datetime(2027, 2, 26, 9, 0, tzinfo=UTC))
    set_rules("m1", birthday=10)
    directory = CustomerDirectory()
    for customer_id, born in (("d26", "02-26"), ("d27", "02-27"), ("d28", "02-28"), ("d29", "02-29")):
        directory.record("m1", customer_id, birthday=born)
    directory.record("m1", "d01", birthday="03-01")
    assert run(clock).credited == 1  # d26
    # When the schedule misses 27 February entirely and runs again on the 28th
    clock.set(datetime(2027, 2, 28, 0, 30, tzinfo=UTC))
    late = run(clock)
    # Then the 27th's customer is credited with the 28th's and 29th's (kept on the 28th in 2027)
    assert (late.days, late.credited) == (2, 3)
    for customer_id in ("d26", "d27", "d28", "d29"):
        assert birthday_entries(customer_id) == [("birthday:2027", 10)]
    # And in 2028, a leap year, 02-29's customer is credited on the 29th, not the 28th
    clock.set(datetime(2028, 2, 28, 12, 0, tzinfo=UTC))
    run(clock)
    assert birthday_entries("d29") == [("birthday:2027", 10)]
    clock.set(datetime(2028, 2, 29, 12, 0, tzinfo=UTC))
    run(clock)
    assert birthday_entries("d29") == [("birthday:2027", 10), ("birthday:2028", 10)]
    # And a run a fortnight late credits only the last CATCH_UP_DAYS days
    directory.record("m1", "m05", birthday="03-05")
    clock.set(datetime(2028, 3, 14, 12, 0, tzinfo=UTC))
    assert run(clock).days == birthdays_module.CATCH_UP_DAYS
    assert birthday_entries("m05") == [] and birthday_entries("d01") == []  # 03-01, 03-05: too long ago


def test_without_the_rule_nothing_is_credited_and_removing_it_takes_the_programme_off_the_index(clock):
    # Given m1 with points settings but no birthday rule, and customers born today
    clock.set(datetime(2027, 6, 15, 9, 0, tzinfo=UTC))
    set_rules("m1", expiry={"type": "end_of_year"})
    directory = CustomerDirectory()
    directory.record("m1", "c1", birthday="06-15")
    directory.record("m1", "c2", birthday="06-18")
    # Then the run finds no programme and credits nothing
    assert indexed() == []
    assert run(clock).programmes == 0 and birthday_entries("c1") == []
    # When the rule is set, the programme is on the index and today's customer is credited
    settings = set_rules("m1", birthday=5)
    assert settings["earning"]["birthday"] == 5 and indexed() == ["m1"]
    assert run(clock).credited == 1
    # When the rule is removed the next day, the programme leaves the index and nothing is credited
    clock.set(datetime(2027, 6, 16, 9, 0, tzinfo=UTC))
    set_rules("m1", expiry={"type": "end_of_year"})
    assert indexed() == []
    clock.set(datetime(2027, 6, 18, 9, 0, tzinfo=UTC))
    assert run(clock).programmes == 0 and birthday_entries("c2") == []
    # And set again on the 19th, the rule credits from that day on, not the days it was away
    clock.set(datetime(2027, 6, 19, 9, 0, tzinfo=UTC))
    set_rules("m1", birthday=5)
    assert run(clock).days == 1 and birthday_entries("c2") == []


def seed_directory(merchant_id, born, count):
    def items():
        for n in range(count):
            customer_id = f"c{n:03d}"
            yield {
                **keys.customer_entry(merchant_id, customer_id),
                **keys.birthday_index(merchant_id, born, customer_id),
                "type": "customer",
                "merchant_id": merchant_id,
                "customer_id": customer_id,
                "tags": [],
                "birthday": born,
                "created_at": "2027-01-01T00:00:00Z",
                "updated_at": "2027-01-01T00:00:00Z",
                "version": 1,
            }

    Table().batch_write(items())
    return [f"c{n:03d}" for n in range(count)]


@pytest.mark.concurrency
@pytest.mark.parametrize("mode", ["clean", "lost"])  # lost: 30% of writes conflicted, throttled or lost
def test_runs_repeated_overlapping_and_crashing_midway_credit_each_customer_once(
    emulator, clock, monkeypatch, mode
):
    # Given a programme with 40 customers born today, credited 10 a transaction
    monkeypatch.setattr(birthdays_module, "CREDITS_PER_TRANSACTION", 10)
    clock.set(datetime(2027, 6, 14, 10, 0, tzinfo=UTC))
    set_rules("m1", birthday=20)
    customers = seed_directory("m1", "06-14", 40)
    # And a run that crashes after crediting the first two transactions' customers
    real = BirthdayPoints._credit
    written = []

    def crashing(self, entries):
        if len(written) >= 2:
            raise SystemExit("the run's process died")
        written.append(entries)
        return real(self, entries)

    monkeypatch.setattr(BirthdayPoints, "_credit", crashing)
    with pytest.raises(SystemExit):
        run(clock)
    monkeypatch.setattr(BirthdayPoints, "_credit", real)
    credited_before = sum(len(e) for e in written)
    # When three runs overlap after it, with faults, then one more runs
    clock.set(datetime(2027, 6, 14, 11, 0, tzinfo=UTC))
    inject(emulator, mode)
    runs = concurrently(lambda _: run(clock), 3, threads=3)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert [r for r in runs if isinstance(r, BaseException)] == []
    assert run(clock).credited == 0
    # Then every customer has one birthday entry of 20 points and their balance is its sum
    for customer_id in customers:
        balance, entries = assert_consistent(customer_id, "m1")
        assert [(e["source"], e["points"]) for e in entries] == [("birthday:2027", 20)], customer_id
        assert balance["balance"] == 20
    assert credited_before + sum(r.credited for r in runs) == len(customers)
    done = Table().get(keys.points_birthdays_done("m1"))
    assert done["day"] == "2027-06-14"
    assert (injected > 0) == (mode != "clean")


def test_the_hourly_points_function_credits_birthdays_with_the_expiry(clock):
    # Given a programme with the rule and a customer born today
    clock.set(datetime(2027, 6, 14, 10, 0, tzinfo=UTC))
    set_rules("m1", birthday=8)
    CustomerDirectory().record("m1", "u1", birthday="06-14")
    # When the hourly points function runs
    summary = invoke("points_expiry", scheduled("PointsExpiryFunction"), remaining_ms=300_000)
    # Then it expired what was due (nothing) and credited the birthday
    assert summary["points_expired"] == 0
    assert summary["birthdays"]["credited"] == 1
    assert birthday_entries("u1") == [("birthday:2027", 8)]
