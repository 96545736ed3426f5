"""The scheduled run of the rules no event triggers: birthdays (each merchant's day once, in its time zone;
02-29 on 02-28 in years without one; once a year however often the run runs) and packs issued again once
every coupon of the one before ended unused (a used or voided one stops them; at most `max_reissues`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service.customers import CustomerDirectory
from coupon_service.issuance.apply import RuleWorker
from coupon_service.issuance.daily import ScheduledRules
from coupon_service.merchant_items import MerchantSettingsItem
from coupon_service.models.customer_events import CustomerJoinedEvent
from coupon_service.store.merchants import MerchantSettingsStore

from tests.builders import table_snapshot
from tests.support import call, coupon_body, merchant

pytestmark = pytest.mark.usefixtures("stack")
RULES = "/merchant/issuance-rules"


def coupon(merchant_id="m1", **overrides):
    made = call("POST", "/coupons", claims=merchant(merchant_id), body=coupon_body(**overrides))
    assert made.status == 201, made.json
    return made.json["coupon_id"]


def rule(trigger, merchant_id="m1"):
    made = call("POST", RULES, claims=merchant(merchant_id), body={"name": "R", "trigger": trigger})
    assert made.status == 201, made.json
    return made.json


def claims():
    return sorted(
        (c["owner_id"], c["coupon_id"], c["issue_reason"]["detail"])
        for c in table_snapshot()
        if c.get("type") == "claim"
    )


def run(clock):
    report = ScheduledRules(clock=clock).run(lambda: 900.0)
    assert not report.unfinished
    return report


def test_birthdays_are_issued_on_the_merchants_day_once_a_year_and_29_february_on_the_28th(clock):
    # Given m1 in Shanghai with a birthday rule, customers born on 02-28, 02-29 and 03-01, and m2's customer
    MerchantSettingsStore().replace(
        "m1",
        MerchantSettingsItem(
            max_stacked_coupons=2, updated_at="2026-01-01T00:00:00Z", time_zone="Asia/Shanghai"
        ),
    )
    gift = coupon(options={"per_customer_limit": 5})
    birthday = rule({"type": "birthday", "coupon_id": gift})
    directory = CustomerDirectory()
    for customer_id, born in (("b28", "02-28"), ("b29", "02-29"), ("b01", "03-01")):
        directory.record("m1", customer_id, birthday=born)
    directory.record("m2", "other", birthday="02-28")
    # When the run runs at 01:30 on 28 February 2027 in Shanghai (still the 27th in UTC), twice
    clock.set(datetime(2027, 2, 27, 17, 30, tzinfo=UTC))
    assert run(clock).birthdays == 2
    assert run(clock).birthdays == 0
    # Then the 28th's and the 29th's customers have one coupon each, issued for 2027
    assert claims() == [("b28", gift, "birthday 2027"), ("b29", gift, "birthday 2027")]
    # And every hour of the day after issues the 1 March birthday once
    for hour in range(24):
        clock.set(datetime(2027, 2, 28, 16, 30, tzinfo=UTC) + timedelta(hours=hour))
        run(clock)
    assert [c for c in claims() if c[0] == "b01"] == [("b01", gift, "birthday 2027")]
    # And in 2028, a leap year, 02-29's customer is issued on the 29th, not the 28th
    clock.set(datetime(2028, 2, 27, 17, 30, tzinfo=UTC))
    run(clock)
    assert [c[0] for c in claims() if c[2] == "birthday 2028"] == ["b28"]
    clock.set(datetime(2028, 2, 28, 17, 30, tzinfo=UTC))
    run(clock)
    assert [c[0] for c in claims() if c[2] == "birthday 2028"] == ["b28", "b29"]
    assert len(claims()) == 5
    # And a rule's marks are per day of the merchant's zone
    done = {i["SK"] for i in table_snapshot() if i.get("type") == "rule_run_done"}
    assert {"DAY#2027-02-28", "DAY#2027-03-01", "DAY#2028-02-28", "DAY#2028-02-29"} <= done
    assert all(
        i["PK"].endswith(birthday["rule_id"]) for i in table_snapshot() if i.get("type") == "rule_run_done"
    )


def joined(customer_id, at):
    return CustomerJoinedEvent(
        event_id=f"ev-{customer_id}", occurred_at=at, merchant_id="m1", customer_id=customer_id, joined_at=at,
        reported_id=f"crm-{customer_id}",
    ).model_dump(mode="json")  # fmt: skip


def test_a_pack_that_expired_unused_is_issued_again_once_and_one_used_is_not(clock):
    # Given a pack of two coupons valid one day, issued again once when all expired unused
    validity = {"type": "relative_days", "starts_after_days": 0, "days": 1}
    x, y = (coupon(validity=validity, options={"per_customer_limit": 3}) for _ in range(2))
    pack = rule({"type": "customer_joined", "coupon_ids": [x, y], "reissue_when_expired_unused": True})
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    worker = RuleWorker(clock=clock)
    for customer_id in ("idle", "busy"):
        worker.apply("coupons", "CustomerJoined", joined(customer_id, "2026-06-01T09:00:00Z"))
    assert len(claims()) == 4
    # And "busy" had one of theirs voided by the merchant (it counts as not unused)
    busy = next(c for c in table_snapshot() if c.get("type") == "claim" and c["owner_id"] == "busy")
    voided = call(
        "POST",
        f"/coupons/{busy['coupon_id']}/claims/{busy['claim_id']}/void",
        claims=merchant(),
        body={"reason": "test"},
    )
    assert voided.status == 200, voided.json
    # When the run runs before they ended, nothing; after, "idle" gets a second pack, once
    assert run(clock).packs == 0
    clock.set(datetime(2026, 6, 4, 9, 0, tzinfo=UTC))
    assert run(clock).packs == 1
    assert run(clock).packs == 0
    second = [c for c in claims() if c[2] == "joined, pack 2"]
    assert second == sorted([("idle", x, "joined, pack 2"), ("idle", y, "joined, pack 2")])
    # And once the second pack expired unused too, no third (max_reissues is 1)
    clock.set(datetime(2026, 6, 10, 9, 0, tzinfo=UTC))
    assert run(clock).packs == 0
    assert len(claims()) == 6
    packs = {
        i["customer_id"]: (i["generation"], i.get("settled"))
        for i in table_snapshot()
        if i.get("type") == "rule_pack"
    }
    assert packs == {"idle": (1, "last"), "busy": (0, "used")}
    assert {i["rule_id"] for i in table_snapshot() if i.get("type") == "rule_pack"} == {pack["rule_id"]}
