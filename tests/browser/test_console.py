"""The merchant console's coupon side in a browser: create a coupon and download its QR codes, the API's 422
at the field it names, an inline inventory edit (and a version conflict), delete with confirmation, a store
and an issuance rule made through the UI. Desktop viewport; axe-core on every screen visited."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import urllib3
from playwright.sync_api import expect

from devstack.tokens import mint
from tests.support import coupon_body

HTTP = urllib3.PoolManager()


def call(web_stack: Any, method: str, path: str, merchant: str, body: Any = None) -> tuple[int, Any]:
    """The API as the merchant's owner (seeding and re-reading what the UI under test did)."""
    token = mint("merchant", f"owner-{merchant}", merchant=merchant)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if method == "POST" and path == "/coupons":
        headers["Idempotency-Key"] = uuid.uuid4().hex
    response = HTTP.request(
        method, web_stack.url + path, headers=headers, body=None if body is None else json.dumps(body)
    )
    return response.status, (json.loads(response.data) if response.data else None)


def merchant_id() -> str:
    return "m-" + uuid.uuid4().hex[:10]  # a merchant of its own per test: lists hold only its coupons


def seed_coupon(web_stack: Any, merchant: str, **overrides: Any) -> dict[str, Any]:
    status, coupon = call(web_stack, "POST", "/coupons", merchant, coupon_body(**overrides))
    assert status == 201, coupon
    return coupon


def download_qr_codes(page: Any, coupon_id: str, assert_accessible: Any) -> None:
    # When the merchant opens the promotion dialog and downloads one size: a PNG
    page.get_by_role("button", name="Promote").click()
    dialog = page.get_by_role("dialog", name="Promote “Autumn 12.50 off”")
    dialog.get_by_label("Channel").select_option("poster")
    assert "channel=poster" in dialog.get_by_label("Offer link").input_value()
    assert_accessible(page)
    with page.expect_download() as one:
        dialog.get_by_role("button", name="Download QR code").click()
    download = one.value
    assert download.suggested_filename == f"coupon-{coupon_id}-qr-poster-m.png"
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # and two sizes with a common logo: a ZIP
    dialog.get_by_label("XL · 30 cm").check()
    dialog.get_by_label("Logo in the middle").select_option("star")
    with page.expect_download() as two:
        dialog.get_by_role("button", name="Download 2 QR codes (ZIP)").click()
    assert two.value.suggested_filename == f"coupon-{coupon_id}-qr-poster.zip"
    assert Path(two.value.path()).read_bytes()[:4] == b"PK\x03\x04"

    # Then the choice is remembered: reopened after a reload, the dialog offers it again
    page.reload()
    page.get_by_role("button", name="Promote").click()
    dialog = page.get_by_role("dialog", name="Promote “Autumn 12.50 off”")
    dialog.get_by_role("button", name="Download 2 QR codes (ZIP)").wait_for()
    assert dialog.get_by_label("Channel").input_value() == "poster"
    assert dialog.get_by_label("Logo in the middle").input_value() == "star"
    kept = page.evaluate("localStorage.getItem('coupons.console.promotion')")
    assert json.loads(kept) == {"channel": "poster", "sizes": ["m", "xl"], "logo": "star"}


def test_a_merchant_creates_a_coupon_and_downloads_its_qr_codes(web_stack, open_page, assert_accessible):
    merchant = merchant_id()
    page = open_page(role="merchant", user=f"owner-{merchant}", merchant=merchant)
    page.goto("/console/")
    page.get_by_role("heading", name="Key figures").wait_for()
    assert_accessible(page)

    # When the merchant fills the form: an amount-off coupon in CNY, times in Shanghai, a channel
    page.get_by_role("link", name="Create coupon").click()
    page.get_by_role("heading", name="New coupon").wait_for()
    assert_accessible(page)
    page.get_by_label("Title").fill("Autumn 12.50 off")
    page.get_by_label("Status when created").select_option("active")
    page.get_by_label("Amount off").fill("12.50")
    page.get_by_label("Minimum spend").fill("88")
    page.get_by_label("Inventory").fill("300")
    page.get_by_label("Opens").fill("2026-01-01T09:00")
    page.get_by_label("Closes").fill("2099-01-01T00:00")
    page.get_by_label("Channels").fill("poster")
    page.get_by_label("Can be given to a friend").check()
    page.get_by_role("button", name="Create coupon").click()

    # Then the coupon's page shows it, and the API holds what was typed: minor units, UTC instants
    page.get_by_role("heading", name="Autumn 12.50 off").wait_for()
    coupon_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    status, coupon = call(web_stack, "GET", f"/coupons/{coupon_id}", merchant)
    assert status == 200
    assert coupon["terms"] == {"kind": "cash_value", "amount_off": 1250, "min_spend": 8800}
    assert coupon["claim_window"]["start"] == "2026-01-01T01:00:00Z"
    assert coupon["inventory"]["total"] == 300 and coupon["options"]["channels"] == ["poster"]
    assert coupon["status"] == "active" and coupon["options"]["giftable"] is True
    page.get_by_text("CN¥12.50 off orders from CN¥88.00").wait_for()
    assert_accessible(page)

    download_qr_codes(page, coupon_id, assert_accessible)


def test_an_invalid_value_shows_the_apis_message_at_its_field_and_creates_nothing(
    web_stack, open_page, assert_accessible
):
    merchant = merchant_id()
    page = open_page(role="merchant", user=f"owner-{merchant}", merchant=merchant)
    page.goto("/console/coupons/new")
    page.get_by_label("Title").fill("Bad channel")
    page.get_by_label("Amount off").fill("5")

    # A client-side check first: a percent above 99 is caught before any request
    page.get_by_label("Kind").select_option("discount")
    page.get_by_label("Percent off").fill("120")
    page.get_by_role("button", name="Create coupon").click()
    page.get_by_text("A whole number from 1 to 99.").wait_for()
    page.get_by_label("Percent off").fill("15")

    # What only the API knows: a channel name with a character it refuses
    page.get_by_label("Channels").fill("poster wechat!")
    page.get_by_role("button", name="Create coupon").click()
    channels = page.get_by_label("Channels")
    expect(channels).to_have_attribute("aria-invalid", "true")
    error_id = channels.get_attribute("aria-describedby").split()[-1]
    message = page.locator(f"[id='{error_id}']")
    assert re.match(r"body\.options\.channels\.1: String should match pattern", message.inner_text())
    assert page.get_by_role("heading", name="New coupon").is_visible()
    assert_accessible(page)

    status, listed = call(web_stack, "GET", "/coupons", merchant)
    assert status == 200 and listed["items"] == []


def test_an_inline_inventory_edit_is_saved_and_a_stale_one_reloads(web_stack, open_page, assert_accessible):
    merchant = merchant_id()
    coupon = seed_coupon(web_stack, merchant, title="Inline stock")
    page = open_page(role="merchant", user=f"owner-{merchant}", merchant=merchant)
    page.goto("/console/")
    page.get_by_text("0 claimed · 100 left of 100").wait_for()
    assert_accessible(page)

    # When the merchant edits the total in the list
    page.get_by_role("button", name="Edit inventory of Inline stock").click()
    page.get_by_label("Inventory total").fill("250")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("status").filter(has_text="“Inline stock” saved.").wait_for()
    page.get_by_text("0 claimed · 250 left of 250").wait_for()

    # Then the API reads the new total
    status, read = call(web_stack, "GET", f"/coupons/{coupon['coupon_id']}", merchant)
    assert status == 200 and read["inventory"]["total"] == 250

    # When someone else edits the coupon meanwhile, the next inline edit (on the version read) is refused:
    # the list reloads, says so, and nothing of the stale edit is saved
    status, _ = call(
        web_stack,
        "PATCH",
        f"/coupons/{coupon['coupon_id']}",
        merchant,
        {"version": read["version"], "title": "Inline stock 2"},
    )
    assert status == 200
    page.get_by_role("button", name="Edit inventory of Inline stock").click()
    page.get_by_label("Inventory total").fill("400")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("alert").filter(has_text="changed “Inline stock” meanwhile").wait_for()
    page.get_by_role("link", name="Inline stock 2").wait_for()
    status, read = call(web_stack, "GET", f"/coupons/{coupon['coupon_id']}", merchant)
    assert read["inventory"]["total"] == 250 and read["title"] == "Inline stock 2"
    assert_accessible(page)

    # The coupon's history tab lists both edits, newest first, with who made them
    page.get_by_role("link", name="Inline stock 2").click()
    page.get_by_role("link", name="History").click()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("title")
    expect(rows.nth(2)).to_contain_text("inventory")
    expect(rows.nth(2)).to_contain_text(f"owner-{merchant}")
    assert_accessible(page)


def test_a_coupon_is_deleted_after_confirmation(web_stack, open_page, assert_accessible):
    merchant = merchant_id()
    coupon = seed_coupon(web_stack, merchant, title="To delete")
    page = open_page(role="merchant", user=f"owner-{merchant}", merchant=merchant)
    page.goto(f"/console/coupons/{coupon['coupon_id']}/grants")
    page.get_by_role("heading", name="To delete").wait_for()

    # Before it goes: a grant to two customers (one given twice) runs to its end on the grants tab
    page.get_by_label("Customer ids").fill("cust-1, cust-2 cust-1")
    page.get_by_role("button", name="Issue").click()
    done = page.get_by_role("row").filter(has_text="Done")
    expect(done).to_contain_text("2 / 2", timeout=30_000)
    assert_accessible(page)

    # and an edit through the form: the new title and a longer claim window, sent with the version read
    page.get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_role("heading", name="Edit coupon").wait_for()
    assert page.get_by_label("Amount off").is_disabled()  # the face value never changes
    page.get_by_label("Title").fill("To delete, renamed")
    page.get_by_label("Closes").fill("2099-06-30T23:59")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="To delete, renamed").wait_for()
    edited = call(web_stack, "GET", f"/coupons/{coupon['coupon_id']}", merchant)[1]
    assert (
        edited["claim_window"]["end"] == "2099-06-30T15:59:00Z" and edited["version"] == coupon["version"] + 1
    )

    # Cancelling the confirmation deletes nothing
    page.get_by_role("button", name="Delete coupon").click()
    dialog = page.get_by_role("dialog", name="Delete “To delete, renamed”?")
    dialog.wait_for()
    assert_accessible(page)
    dialog.get_by_role("button", name="Cancel").click()
    assert call(web_stack, "GET", f"/coupons/{coupon['coupon_id']}", merchant)[1]["status"] == "active"

    # Confirming deletes it and goes back to the list
    page.get_by_role("button", name="Delete coupon").click()
    dialog.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/console/")
    page.get_by_role("heading", name="Coupons", exact=True).wait_for()
    status, read = call(web_stack, "GET", f"/coupons/{coupon['coupon_id']}", merchant)
    assert status == 200 and read["status"] == "deleted"
    page.get_by_text("No coupons yet. Create the first one.").wait_for()  # the list leaves it out
    assert_accessible(page)


def test_a_store_and_an_issuance_rule_are_created_through_the_console(
    web_stack, open_page, assert_accessible
):
    merchant = merchant_id()
    coupon = seed_coupon(web_stack, merchant, title="Welcome gift")
    page = open_page(role="merchant", user=f"owner-{merchant}", merchant=merchant)

    # A store added through the form is in the merchant's registry, with its address
    page.goto("/console/stores")
    page.get_by_role("heading", name="Add a store").wait_for()
    assert_accessible(page)
    page.get_by_label("Store code").fill("sh-001")
    page.get_by_label("Name", exact=True).fill("Jing'an flagship")
    page.get_by_label("Street address").fill("1 Nanjing West Road")
    page.get_by_label("City").fill("Shanghai")
    page.get_by_role("button", name="Add store").click()
    page.get_by_role("cell", name="Jing'an flagship", exact=True).wait_for()
    status, store = call(web_stack, "GET", "/stores/sh-001", merchant)
    assert status == 200 and store["name"] == "Jing'an flagship" and store["time_zone"] == "Asia/Shanghai"
    assert store["address"]["city"] == "Shanghai" and store["address"]["country"] == "CN"
    assert_accessible(page)

    # A rule: orders of 199.00 CNY or more issue the coupon picked by its title; then it is disabled
    page.get_by_role("link", name="Issuance rules").click()
    page.get_by_role("heading", name="New rule").wait_for()
    assert_accessible(page)
    page.get_by_label("Rule name").fill("Big orders")
    page.get_by_label("Minimum order amount").fill("199")
    page.get_by_label("Coupon to issue").select_option(label="Welcome gift")
    page.get_by_role("button", name="Create rule").click()
    page.get_by_role("cell", name="Big orders", exact=True).wait_for()
    page.get_by_role("cell", name="An order of CN¥199.00 or more").wait_for()
    status, rules = call(web_stack, "GET", "/merchant/issuance-rules", merchant)
    assert status == 200 and len(rules["items"]) == 1
    rule = rules["items"][0]
    assert rule["enabled"] is True
    assert rule["trigger"] == {
        "type": "order_placed",
        "min_amount": 19900,
        "currency": "CNY",
        "products": [],
        "categories": [],
        "coupon_id": coupon["coupon_id"],
    }
    page.get_by_role("button", name="Disable Big orders").click()
    page.get_by_role("button", name="Enable Big orders").wait_for()
    assert (
        call(web_stack, "GET", f"/merchant/issuance-rules/{rule['rule_id']}", merchant)[1]["enabled"] is False
    )
    assert_accessible(page)
