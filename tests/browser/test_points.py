"""The points pages: a merchant sets the programme in the console (the API's refusal shown at its field),
adjusts a customer's points with a reason; the customer, on a phone, sees the balance and the entry, checks
in once a day (a second tap is told it was done), and claims a coupon priced in points from the coupon
center, its price shown on the card and taken from the balance. axe-core on every screen; no sideways
scrolling on the phone."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import urllib3

from devstack.tokens import mint
from tests.browser.conftest import horizontal_overflow

pytestmark = [pytest.mark.e2e]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call(url: str, method: str, path: str, token: str, body: Any = None, *, key: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:  # a retried request (urllib3 retries a read timeout) is the same one
        headers["Idempotency-Key"] = key
    reply = urllib3.request(
        method, url + path, headers=headers, body=None if body is None else json.dumps(body)
    )
    assert reply.status < 300, (path, reply.status, reply.data[:300])
    return json.loads(reply.data) if reply.data else None


def points_coupon(url: str, merchant: str, title: str, price: int) -> str:
    body = {
        "title": title,
        "description": "Exchanged for points.",
        "status": "active",
        "currency": "CNY",
        "time_zone": "Asia/Shanghai",
        "terms": {"kind": "cash_value", "amount_off": 1000},
        "codes": {"mode": "random_on_claim", "inventory": 10},
        "claim_window": {"start": "2020-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z"},
        "validity": {"type": "relative_days", "starts_after_days": 0, "days": 30},
        "options": {"points_price": price},
    }
    owner = mint("merchant", f"owner-{merchant}", merchant=merchant)
    return call(url, "POST", "/coupons", owner, body)["coupon_id"]


def test_a_merchant_sets_points_and_adjusts_a_customer_who_checks_in_and_claims_a_coupon_for_points(
    web_stack, open_page, assert_accessible
):
    merchant, customer = unique("m"), unique("ann")
    owner = mint("merchant", f"owner-{merchant}", merchant=merchant)
    call(web_stack.url, "PUT", f"/merchant/customers/{customer}", owner, {"tags": ["vip"]})
    console = open_page(role="merchant", user=f"owner-{merchant}", merchant=merchant)
    merchant_sets_the_programme(console, web_stack.url, owner, assert_accessible)
    merchant_adjusts(console, web_stack.url, owner, customer, assert_accessible)
    phone = open_page(role="customer", user=customer, phone=True)
    customer_checks_in(phone, merchant, assert_accessible)

    # A coupon priced at 30 points shows its price in the center; claiming it takes them
    title = unique("Tea for points")
    points_coupon(web_stack.url, merchant, title, 30)
    phone.get_by_role("link", name="Coupon center").click()
    card = phone.get_by_role("listitem").filter(has=phone.get_by_role("heading", name=title))
    card.wait_for()
    assert card.get_by_text("Costs 30 points").is_visible()
    check(phone, assert_accessible)
    card.get_by_role("button", name="Claim").click()
    phone.get_by_text("Claimed! It is in your coupons.").wait_for()
    phone.goto(f"/c/points?programme={merchant}")
    phone.get_by_text("72 points", exact=True).wait_for()
    phone.get_by_text("Coupon claimed").wait_for()
    check(phone, assert_accessible)


def merchant_sets_the_programme(console, url: str, owner: str, assert_accessible) -> None:
    """The merchant sets the programme: the API's refusal (months past 120) is shown at Months."""
    console.goto("/console/")
    console.get_by_role("link", name="Points").click()
    console.get_by_role("heading", name="Programme settings").wait_for()
    assert_accessible(console)
    console.get_by_label("Points expire").select_option("after_months")
    console.get_by_label("Months").fill("200")
    console.get_by_label("Points a day").fill("2")
    console.get_by_role("button", name="Save settings").click()
    months = console.get_by_label("Months")
    console.wait_for_function("() => document.querySelector('[aria-invalid=true]') !== null")
    assert months.get_attribute("aria-invalid") == "true"
    assert "120" in console.locator(".field.invalid .field-error").inner_text()
    assert_accessible(console)
    months.fill("12")
    console.get_by_role("button", name="Save settings").click()
    console.get_by_text("Settings saved.").wait_for()
    saved = call(url, "GET", "/merchant/points/settings", owner)
    assert saved["expiry"] == {"type": "after_months", "months": 12}
    assert saved["check_in"]["daily"] == 2


def merchant_adjusts(console, url: str, owner: str, customer: str, assert_accessible) -> None:
    """It looks the customer up and adds 100 points with a reason; taking 500 is refused at Points."""
    console.get_by_label("Customer id").fill(customer)
    console.get_by_role("button", name="Look up").click()
    console.get_by_text("Balance: 0 points").wait_for()
    console.get_by_label("Points", exact=True).fill("100")
    console.get_by_label("Reason").fill("Welcome gift")
    console.get_by_role("button", name="Apply").click()
    console.get_by_text("Balance: 100 points").wait_for()
    console.get_by_text("Adjusted by the shop: Welcome gift").wait_for()
    assert_accessible(console)
    console.get_by_label("Points", exact=True).fill("-500")
    console.get_by_label("Reason").fill("Mistake")
    console.get_by_role("button", name="Apply").click()
    dialog = console.get_by_role("dialog", name=f"Take 500 points from {customer}?")
    dialog.wait_for()
    assert_accessible(console)
    dialog.get_by_role("button", name="Take points").click()
    console.wait_for_function("() => document.querySelector('[aria-invalid=true]') !== null")
    assert console.get_by_label("Points", exact=True).get_attribute("aria-invalid") == "true"
    assert call(url, "GET", f"/merchant/points/customers/{customer}", owner)["balance"] == 100
    assert_accessible(console)


def customer_checks_in(phone, merchant: str, assert_accessible) -> None:
    """The customer sees 100 points and the entry, checks in for the day's 2 points; a second tap the same
    day is told it was done."""
    phone.goto("/c/")
    phone.get_by_role("link", name="Points").click()
    phone.get_by_label("Programme").fill(merchant)
    phone.get_by_role("button", name="Show").click()
    phone.get_by_text("100 points", exact=True).wait_for()
    phone.get_by_text("Adjusted by the shop: Welcome gift").wait_for()
    assert phone.get_by_text("Times are in the programme's time zone (UTC).").is_visible()
    check(phone, assert_accessible)
    phone.get_by_role("button", name="Check in").click()
    phone.get_by_text("+2 points today").wait_for()
    phone.get_by_text("102 points", exact=True).wait_for()
    phone.get_by_role("listitem").filter(has_text="Daily check-in").filter(has_text="+2").wait_for()
    check(phone, assert_accessible)
    phone.get_by_role("button", name="Check in").click()
    phone.get_by_text("You have already checked in today").wait_for()
    assert phone.get_by_text("102 points", exact=True).is_visible()


def test_the_points_page_in_chinese_at_a_programme_without_points_has_no_check_in(
    web_stack, open_page, assert_accessible
):
    phone = open_page(role="customer", user=unique("li"), phone=True, locale="zh-CN")
    phone.goto(f"/c/points?programme={unique('none')}")
    phone.get_by_role("heading", name="我的积分").wait_for()
    phone.get_by_text("0 积分", exact=True).wait_for()
    check(phone, assert_accessible)
    phone.get_by_role("button", name="签到").click()
    phone.get_by_role("alert").get_by_text("该计划暂无每日签到。").wait_for()
    check(phone, assert_accessible)


def test_points_expiring_at_a_shanghai_midnight_show_that_day_to_the_customer_and_the_merchant(
    web_stack, open_page, assert_accessible
):
    # Given a programme in Asia/Shanghai whose points expire at the end of the local year: points earned now
    # expire at the next 1 January, 00:00 +08:00 (16:00 UTC on 31 December)
    merchant, customer = unique("sh"), unique("mei")
    owner = mint("merchant", f"owner-{merchant}", merchant=merchant)
    call(web_stack.url, "PUT", "/merchant/settings", owner, {"time_zone": "Asia/Shanghai"})
    call(web_stack.url, "PUT", "/merchant/points/settings", owner, {"expiry": {"type": "end_of_year"}})
    call(web_stack.url, "PUT", f"/merchant/customers/{customer}", owner, {"tags": []})
    welcome, path = {"points": 50, "reason": "Welcome"}, f"/merchant/points/customers/{customer}"
    call(web_stack.url, "POST", f"{path}/adjustments", owner, welcome, key=unique("k"))
    year = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year + 1
    held = call(web_stack.url, "GET", path, owner)
    assert held["time_zone"] == "Asia/Shanghai"
    assert held["expiring"] == [{"expires_at": f"{year - 1}-12-31T16:00:00Z", "points": 50}]
    # When the customer opens their points on a phone whose browser runs in UTC
    phone = open_page(role="customer", user=customer, phone=True)
    phone.goto(f"/c/points?programme={merchant}")
    phone.get_by_text("50 points", exact=True).wait_for()
    # Then what expires, and the entry's expiry, are on 1 January in the programme's zone, not 31 December
    phone.get_by_role("listitem").filter(has_text=f"50 points on Jan 1, {year}").wait_for()
    entry = phone.get_by_role("listitem").filter(has_text="Adjusted by the shop: Welcome")
    assert f"expires Jan 1, {year}" in entry.inner_text()
    assert phone.get_by_text("Times are in the programme's time zone (Asia/Shanghai).").is_visible()
    assert "Dec 31" not in phone.locator("main").inner_text()
    check(phone, assert_accessible)
    # And the merchant's view of the ledger says the same
    console = open_page(role="merchant", user=f"owner-{merchant}", merchant=merchant)
    console.goto("/console/points")
    console.get_by_label("Customer id").fill(customer)
    console.get_by_role("button", name="Look up").click()
    console.get_by_text(f"50 points expire on Jan 1, {year}").wait_for()
    assert "Dec 31" not in console.locator("main").inner_text()
    assert_accessible(console)


def check(page, assert_accessible) -> None:
    assert_accessible(page)
    assert horizontal_overflow(page) <= 0, page.url


def test_points_a_refund_could_not_take_back_are_owed_and_the_next_credit_pays_them_first(
    web_stack, open_page, assert_accessible
):
    from tests.support import bus_message

    # Given an order that earned 30 points, the points spent, then the order refunded whole: 30 owed
    merchant, customer = unique("ow"), unique("sam")
    owner = mint("merchant", f"owner-{merchant}", merchant=merchant)
    rule = {"earning": {"order": {"points": 1, "per_amount": 100}}}
    call(web_stack.url, "PUT", "/merchant/points/settings", owner, rule)
    order = {
        "order_id": "o1",
        "merchant_id": merchant,
        "customer_id": customer,
        "amount": 3000,
        "currency": "CNY",
    }
    assert web_stack.invoke("PointsWorkerFunction", {"Records": [bus_message("OrderPlaced", order)]}) == {
        "batchItemFailures": []
    }
    path = f"/merchant/points/customers/{customer}"
    spent = {"points": -30, "reason": "Spent at the till"}
    call(web_stack.url, "POST", f"{path}/adjustments", owner, spent, key=unique("k"))
    refunded = {**order, "refund_id": "r1"}
    web_stack.invoke("PointsWorkerFunction", {"Records": [bus_message("OrderRefunded", refunded, "m-2")]})
    # When the merchant then gives 10 points: they pay the debt first
    thanks = {"points": 10, "reason": "Thanks"}
    call(web_stack.url, "POST", f"{path}/adjustments", owner, thanks, key=unique("k"))
    assert (
        call(web_stack.url, "GET", path, owner)["balance"],
        call(web_stack.url, "GET", path, owner)["owed"],
    ) == (0, 20)
    # Then the customer sees no points, the 20 owed, and what of the 10 paid it
    phone = open_page(role="customer", user=customer, phone=True)
    phone.goto(f"/c/points?programme={merchant}")
    phone.get_by_text("0 points", exact=True).wait_for()
    phone.get_by_text("You owe 20 points that a refund could not take back").wait_for()
    entry = phone.get_by_role("listitem").filter(has_text="Adjusted by the shop: Thanks")
    assert "10 paid points owed" in entry.inner_text()
    refund = phone.get_by_role("listitem").filter(has_text="Order refunded")
    assert "30 could not be taken back" in refund.inner_text()
    check(phone, assert_accessible)
    # And so does the merchant
    console = open_page(role="merchant", user=f"owner-{merchant}", merchant=merchant)
    console.goto("/console/points")
    console.get_by_label("Customer id").fill(customer)
    console.get_by_role("button", name="Look up").click()
    console.get_by_text("Owed: 20 points").wait_for()
    assert_accessible(console)
