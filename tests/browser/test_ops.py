# ruff: noqa: RUF001 - the Chinese screens' own punctuation
"""The console's operations in a browser: the staff redemption desk, a coupon's imports and its data tab.

What a step's UI is not under test for is seeded through the API with local tokens (a coupon, a claim)."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from pathlib import Path
from typing import Any

import urllib3
from playwright.sync_api import expect

from devstack.tokens import mint
from tests.browser.conftest import horizontal_overflow
from tests.support import coupon_body

HTTP = urllib3.PoolManager()


def call(api: str, method: str, path: str, token: str, body: Any = None, **headers: str) -> Any:
    sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers}
    data = None if body is None else json.dumps(body)
    reply = HTTP.request(method, api + path, body=data, headers=sent, timeout=30)
    assert reply.status < 300, (method, path, reply.status, reply.data[:500])
    return json.loads(reply.data) if reply.data else None


def new_merchant() -> str:
    return f"m-{uuid.uuid4().hex[:10]}"


def seed_coupon(api: str, merchant: str, **overrides: Any) -> dict[str, Any]:
    token = mint("merchant", f"owner-{merchant}", merchant=merchant)
    body = coupon_body(**overrides)
    return call(api, "POST", "/coupons", token, body, **{"Idempotency-Key": uuid.uuid4().hex})


def seed_claim(api: str, coupon_id: str, customer: str) -> dict[str, Any]:
    return call(api, "POST", f"/coupons/{coupon_id}/claims", mint("customer", customer), {})


def result(page: Any, role: str, state: str) -> Any:
    """The desk's result box of a state ("Valid", "Redeemed", "Refused", "Reversed")."""
    return page.get_by_role(role).filter(has=page.get_by_text(state, exact=True))


def type_order_line(page: Any, sku: str, price: str, quantity: str) -> None:
    line = page.get_by_role("group", name="Item 1")
    line.get_by_label("Item code (SKU)").fill(sku)
    line.get_by_label("Unit price").fill(price)
    line.get_by_label("Quantity").fill(quantity)


def redeem_losing_the_first_answer(page: Any) -> dict[str, Any]:
    """Press Redeem, let the service commit it but lose its answer, press Redeem again: what it committed."""
    lost: list[Any] = []

    def lose_first_answer(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().json())
            route.abort()
        else:
            route.continue_()

    page.route("**/v1/redemptions", lose_first_answer)
    page.get_by_role("button", name="Redeem", exact=True).click()
    page.get_by_text("The answer was lost: redeeming again is safe").wait_for()
    page.get_by_role("button", name="Redeem", exact=True).click()
    return lost[0]


def reverse_by_id(page: Any, redemption_id: str, assert_accessible: Any) -> None:
    page.goto("/console/desk")
    page.get_by_role("heading", name="Reverse a redemption").wait_for()
    page.get_by_label("Redemption id").fill(redemption_id)
    page.get_by_role("button", name="Reverse this redemption").click()
    dialog = page.get_by_role("dialog", name="Reverse this redemption?")
    dialog.wait_for()
    assert_accessible(page)
    dialog.get_by_role("button", name="Reverse this redemption").click()


# --- the desk -----------------------------------------------------------------------------------------


def test_staff_redeem_a_typed_code_after_its_validation_and_the_merchant_reverses_it(
    web_stack, open_page, assert_accessible
):
    # Given a customer holding a coupon of ¥10 off ¥100
    merchant = new_merchant()
    coupon = seed_coupon(web_stack.url, merchant)
    claim = seed_claim(web_stack.url, coupon["coupon_id"], "u-desk")
    code = claim["code"]

    # When store staff type its code and a ¥120 order at the desk, and check it
    page = open_page(role="staff", user="till-1", merchant=merchant)
    page.goto("/console/desk")
    page.get_by_role("heading", name="Redemption desk").wait_for()
    assert_accessible(page)
    page.get_by_label("Coupon code").fill(code)
    type_order_line(page, "tea", "60", "2")
    page.get_by_role("button", name="Check the code").click()

    # Then the desk shows what it gives for this order, in the coupon's currency, and nothing is used yet
    valid = result(page, "status", "Valid")
    valid.wait_for()
    assert "¥10.00" in valid.inner_text() and "¥110.00" in valid.inner_text()
    assert_accessible(page)
    available = call(web_stack.url, "GET", "/me/coupons?status=available", mint("customer", "u-desk"))
    assert [c["claim_id"] for c in available["items"]] == [claim["claim_id"]]

    # When they redeem it and the answer is lost on the way back (the service committed it), and redeem again
    committed = redeem_losing_the_first_answer(page)

    # Then the retry is the same redemption, not a second one or an "already used"; the code field is
    # emptied, and the code is in no URL or storage
    redeemed = result(page, "status", "Redeemed")
    redeemed.wait_for()
    assert committed["redemption_id"] in redeemed.inner_text()
    assert page.get_by_label("Coupon code").input_value() == ""
    stored = page.evaluate("JSON.stringify([location.href, {...localStorage}, {...sessionStorage}])")
    assert code not in stored
    assert_accessible(page)

    # When the same code is checked again for the next customer
    page.get_by_role("button", name="Next customer").click()
    page.get_by_label("Coupon code").fill(code)
    page.get_by_role("button", name="Check the code").click()

    # Then it is refused, and the desk says why
    refused = result(page, "alert", "Refused")
    refused.wait_for()
    assert "This coupon has already been used." in refused.inner_text()
    assert_accessible(page)

    # When the merchant reverses the redemption by its id, confirming it
    owner = open_page(role="merchant", user="owner", merchant=merchant)
    reverse_by_id(owner, committed["redemption_id"], assert_accessible)

    # Then it is reversed, and the coupon is usable again with a fresh code that the desk finds valid
    reversed_ = result(owner, "status", "Reversed")
    reversed_.wait_for()
    assert "The coupon can be used again" in reversed_.inner_text()
    assert_accessible(owner)
    fresh = call(web_stack.url, "GET", f"/me/coupons/{claim['claim_id']}", mint("customer", "u-desk"))["code"]
    assert fresh != code
    page.get_by_label("Coupon code").fill(fresh)
    type_order_line(page, "tea", "60", "2")
    page.get_by_role("button", name="Check the code").click()
    result(page, "status", "Valid").wait_for()


def test_the_desk_speaks_chinese_and_checks_a_typed_order_before_asking(open_page, assert_accessible):
    # Given the desk on a phone that prefers Chinese (staff scan with their phones)
    staff = {"role": "staff", "user": "till-2", "merchant": new_merchant(), "store": "s-1"}
    page = open_page(**staff, locale="zh-CN", phone=True)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/redemptions" in request.url else None)
    page.goto("/console/desk")
    page.get_by_role("heading", name="核销台").wait_for()
    assert page.get_by_text("您的门店：s-1").is_visible()

    # When a price is typed with more digits than the currency has
    page.get_by_label("券码").fill("ABCD-1234")
    line = page.get_by_role("group", name="商品 1")
    line.get_by_label("商品编码（SKU）").fill("tea")
    line.get_by_label("单价").fill("5.123")
    page.get_by_role("button", name="校验券码").click()

    # Then the field says so in Chinese and nothing is sent
    assert line.get_by_role("alert").inner_text() == "请输入 CNY 金额，例如 12.50。"
    assert page.get_by_role("status").count() == 0 and sent == []
    assert_accessible(page)
    assert horizontal_overflow(page) <= 0


# --- imports -------------------------------------------------------------------------------------------

CODES_FILE = (
    b"code\nSPRING-7Q2M-X9KD\nSPRING-4HV8-PL3C\nSPRING-8RTN-2WQZ\n"  # three good codes
    b"SPRING-4HV8-PL3C\nbad code!\n1234\n"  # one twice, one malformed, one too guessable
)
WATCH_PROGRESS = """() => {
  window.progressSeen = [];
  new MutationObserver(() => {
    const bar = document.querySelector('progress[aria-label="Upload progress"]');
    if (bar) window.progressSeen.push(Number(bar.value));
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def test_an_import_uploaded_in_the_console_ends_with_its_counts_and_a_failed_codes_file(
    web_stack, site, open_page, assert_accessible
):
    # Given a coupon with imported codes
    merchant = new_merchant()
    coupon = seed_coupon(web_stack.url, merchant, codes={"mode": "imported"})
    page = open_page(role="merchant", user="owner", merchant=merchant)
    page.goto(f"/console/coupons/{coupon['coupon_id']}/imports")
    page.get_by_role("heading", name="Import codes").wait_for()
    page.get_by_text("No earlier imports.").wait_for()
    assert_accessible(page)

    # When the merchant uploads a file of three good codes, one twice, one malformed and one too guessable
    page.get_by_label("File of codes").set_input_files(
        files=[{"name": "spring codes.csv", "mimeType": "text/csv", "buffer": CODES_FILE}]
    )
    page.evaluate(WATCH_PROGRESS)
    page.get_by_role("button", name="Upload and import").click()

    # Then the upload's progress is shown, and the job, refreshed until done, ends with its counts per reason
    job = page.get_by_role("article").filter(has_text="spring_codes.csv")
    job.get_by_text("Finished").wait_for(timeout=30_000)
    assert max(page.evaluate("window.progressSeen")) == 100
    counts = dict(zip(job.locator("dt").all_inner_texts(), job.locator("dd").all_inner_texts(), strict=True))
    assert counts == {
        "Codes in the file": "6",
        "Imported": "3",
        "Failed": "3",
        "Not a valid code": "1",
        "Too easy to guess": "1",
        "Twice in the file": "1",
    }
    assert_accessible(page)

    # And the failed codes download as a CSV naming each line, code and reason
    with page.expect_download() as download:
        job.get_by_role("button", name="Download the failed codes (CSV)").click()
    assert download.value.suggested_filename == "failed-codes-spring_codes.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0] == ["line", "code", "reason"]
    assert sorted(rows[1:]) == [
        ["5", "SPRING-4HV8-PL3C", "duplicate_in_file"],
        ["6", "bad code!", "malformed"],
        ["7", "1234", "too_guessable"],
    ]

    # And the bucket takes uploads from the console's origin only
    preflight = {"Access-Control-Request-Method": "POST"}
    bucket = f"{web_stack.emulator.url}/{web_stack.stack.refs['ImportBucket']}"
    own = HTTP.request("OPTIONS", bucket, headers={"Origin": site, **preflight})
    other = HTTP.request("OPTIONS", bucket, headers={"Origin": "https://evil.example", **preflight})
    assert (own.status, own.headers["Access-Control-Allow-Origin"]) == (200, site)
    assert other.status == 403


# --- the data tab --------------------------------------------------------------------------------------


def key_figures(page: Any) -> dict[str, str]:
    figures = page.get_by_role("region", name="Data").locator("dl").first
    terms, values = figures.locator("dt").all_inner_texts(), figures.locator("dd").all_inner_texts()
    return dict(zip(terms, values, strict=True))


def wait_for_figures(page: Any, claimed: str, used: str, seconds: float = 40) -> dict[str, str]:
    """The figures come from the table's stream through the figures function: refresh until they show."""
    deadline = time.monotonic() + seconds
    while True:
        page.get_by_role("button", name="Refresh").wait_for()
        page.wait_for_load_state("networkidle")
        figures = key_figures(page)
        if (figures.get("Claimed"), figures.get("Used")) == (claimed, used) or time.monotonic() > deadline:
            return figures
        page.wait_for_timeout(1000)
        page.get_by_role("button", name="Refresh").click()


def test_the_data_tab_shows_one_claim_and_one_use_its_records_and_an_export(
    web_stack, open_page, assert_accessible
):
    # Given a coupon claimed once and redeemed once at a store for a ¥120 order
    merchant = new_merchant()
    coupon = seed_coupon(web_stack.url, merchant)
    code = seed_claim(web_stack.url, coupon["coupon_id"], "u-data")["code"]
    lines = [{"sku": "tea", "unit_price": 6000, "quantity": 2}]
    order = {"merchant_id": merchant, "currency": "CNY", "lines": lines}
    till = mint("staff", "till-d", merchant=merchant)
    call(web_stack.url, "POST", "/redemptions", till, {"code": code, "order_id": "o-data-1", "order": order})

    # When the merchant opens the coupon's data tab
    page = open_page(role="merchant", user="owner", merchant=merchant)
    page.goto(f"/console/coupons/{coupon['coupon_id']}/data")
    page.get_by_role("heading", name="Data", exact=True).wait_for()

    # Then its key figures show one claim, one use, the rate and the discount in the coupon's currency
    figures = wait_for_figures(page, "1", "1")
    assert (figures["Claimed"], figures["Used"], figures["Redemption rate"]) == ("1", "1", "100%")
    assert figures["Discount given"] == "CN¥10.00"  # en-US names the yuan CN¥
    # and the charts say the same to a screen reader
    assert page.get_by_role("img", name="Per day Claimed: 1, Used: 1").is_visible()
    assert page.get_by_role("img", name="Per channel Claimed: 1, Used: 1").is_visible()
    assert_accessible(page)

    # When the merchant searches the records of the last week
    records = page.get_by_role("region", name="Records")
    records.get_by_role("button", name="Search").click()

    # Then the claim and the redemption are listed, with the order and its discount
    records.get_by_role("status").filter(has_text="2 records shown").wait_for()
    redemption = records.get_by_role("row").filter(has_text="Redeemed")
    assert "¥120.00" in redemption.inner_text() and "¥10.00" in redemption.inner_text()
    assert_accessible(page)

    # When they export the records as CSV, it is made by the worker and downloads with both rows
    exports = page.get_by_role("region", name="Exports")
    exports.get_by_role("button", name="Export as CSV").click()
    exports.get_by_role("status").filter(has_text="Ready: 2 rows").wait_for(timeout=30_000)
    with page.expect_download() as download:
        exports.get_by_role("button", name="Download the CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == 3
    assert_accessible(page)


# A camera and a QR decoder where the test's chromium has neither: a canvas's stream, and a detector that
# reads the code below from any frame once the video plays.
FAKE_CAMERA = """
window.BarcodeDetector = class {
  constructor(options) { window.detectorFormats = options.formats; }
  async detect(video) { return video.readyState >= 2 ? [{rawValue: 'SCANNED-QR-0001'}] : []; }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = Object.assign(document.createElement('canvas'), {width: 64, height: 64});
  const paint = () => canvas.getContext('2d').fillRect(0, 0, 64, 64);
  paint();
  setInterval(paint, 100);
  return canvas.captureStream(10);
};
"""


def test_a_code_scanned_with_the_camera_fills_the_code_field(open_page, assert_accessible):
    # Given a browser with a camera and BarcodeDetector
    page = open_page(role="staff", user="till-3", merchant=new_merchant())
    page.context.add_init_script(FAKE_CAMERA)
    page.goto("/console/desk")

    # When staff scan a coupon's QR code
    page.get_by_role("button", name="Scan with the camera").click()

    # Then the code is in the field, only QR codes were looked for, and the camera is let go
    expect(page.get_by_label("Coupon code")).to_have_value("SCANNED-QR-0001")
    assert page.evaluate("window.detectorFormats") == ["qr_code"]
    assert page.get_by_role("button", name="Stop scanning").count() == 0
    assert_accessible(page)
