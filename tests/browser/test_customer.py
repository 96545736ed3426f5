"""The customer pages on a phone: a promotion link opens the offer page, the customer signs in and claims,
sees the coupon with its QR code in "my coupons", gives it to a friend who accepts it, redeems one in the
store themselves, and is told in words what stops a claim; once in Chinese. axe-core and no horizontal
scrolling on every screen visited."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import urllib3

from devstack.tokens import mint
from tests.browser.conftest import horizontal_overflow

pytestmark = [pytest.mark.e2e]

CLAIM_WINDOW = {"start": "2020-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z"}
STORE_CODE = "246810"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Api:
    """The stack's API as a merchant's or customer's script calls it: seeds what a test's UI does not do."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = urllib3.PoolManager()

    def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        reply = self.http.request(
            method, self.url + path, headers=headers, body=None if body is None else json.dumps(body)
        )
        assert reply.status < 300, (path, reply.status, reply.data[:300])
        return json.loads(reply.data) if reply.data else None

    def coupon(self, merchant: str, title: str, **options: Any) -> str:
        body = {
            "title": title,
            "description": "Valid on any order in our shops.",
            "status": "active",
            "currency": "CNY",
            "time_zone": "Asia/Shanghai",
            "terms": {"kind": "cash_value", "amount_off": 1500},
            "codes": {"mode": "random_on_claim", "inventory": options.pop("inventory", 50)},
            "claim_window": CLAIM_WINDOW,
            "validity": {"type": "relative_days", "starts_after_days": 0, "days": 30},
            "options": options,
        }
        return self.call("POST", "/coupons", mint("merchant", f"owner-{merchant}", merchant=merchant), body)[
            "coupon_id"
        ]

    def claim(self, coupon_id: str, user: str) -> dict[str, Any]:
        return self.call("POST", f"/coupons/{coupon_id}/claims", mint("customer", user))

    def wallet(self, user: str, status: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/me/coupons?status={status}", mint("customer", user))["items"]


@pytest.fixture
def seed(web_stack) -> Api:
    return Api(web_stack.url)


def check(page, assert_accessible) -> None:
    """Every customer screen: axe-core finds nothing serious, and the phone never scrolls sideways."""
    assert_accessible(page)
    assert horizontal_overflow(page) <= 0, page.url


def test_a_promotion_link_opens_the_offer_the_customer_signs_in_claims_and_sees_the_coupon_with_its_qr(
    site, seed, open_page, assert_accessible
):
    # Given a merchant's coupon and its promotion URL as the API gives it to the merchant
    merchant, title = unique("m"), unique("Spring 15 off")
    coupon_id = seed.coupon(merchant, title)
    owner = mint("merchant", f"owner-{merchant}", merchant=merchant)
    url = seed.call("GET", f"/coupons/{coupon_id}/promotion", owner)["url"]
    assert url == f"{site}/c/offers/{coupon_id}"

    # When a customer opens it on a phone, not signed in
    page = open_page(phone=True)
    page.goto(url)
    # Then the offer says what it gives in its currency, and when it can be claimed, in its zone
    page.get_by_role("heading", name=title).wait_for()
    assert page.get_by_text("CN¥15.00 off", exact=True).is_visible()
    assert page.get_by_text("Claim from Jan 1, 2020, 8:00 AM GMT+8").is_visible()
    check(page, assert_accessible)

    # When they sign in from its Claim button, they come back to the offer and claim it
    page.get_by_role("button", name="Sign in to claim").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    check(page, assert_accessible)
    page.get_by_label("User id").fill(unique("ann"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name=title).wait_for()
    assert page.url == url
    page.get_by_role("button", name="Claim").click()
    page.get_by_text("Claimed! It is in your coupons.").wait_for()
    check(page, assert_accessible)

    # Then "my coupons" lists it; its page shows the code as text and as a QR code
    page.get_by_role("link", name="My coupons").click()
    page.get_by_role("link", name=title).wait_for()
    assert page.get_by_text("CN¥15.00 off").is_visible()
    check(page, assert_accessible)
    page.get_by_role("link", name=title).click()
    qr = page.get_by_role("img", name="QR code of this coupon's code, for the till to scan")
    qr.wait_for()
    code = page.locator(".code").inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", code), code
    assert qr.evaluate("img => img.naturalWidth") >= 200
    assert code not in page.url and "eyJ" not in page.url
    check(page, assert_accessible)


def test_a_friend_accepts_a_gift_and_the_givers_coupon_is_gone(site, seed, open_page, assert_accessible):
    # Given a giver's giftable coupon
    title, giver, friend = unique("Gift me"), unique("giver"), unique("friend")
    mine = seed.claim(seed.coupon(unique("m"), title, giftable=True), giver)

    # When the giver makes a share link on the coupon's page
    page = open_page(role="customer", user=giver, name="Ann", phone=True)
    page.goto(f"/c/me/{mine['claim_id']}")
    page.get_by_role("button", name="Make a share link").click()
    link = page.get_by_label("Share link")
    link.wait_for()
    share_url = link.input_value()
    # Then it is the web app's accept page on the configured site, with its QR code and a copy button
    assert share_url.startswith(f"{site}/c/gifts/")
    assert page.get_by_role("img", name="QR code of the share link").is_visible()
    assert page.get_by_role("button", name="Copy link").is_visible()
    check(page, assert_accessible)

    # When the giver cancels that gift, Then the link stops working and a new link can be made
    page.get_by_role("button", name="Cancel the gift").click()
    page.get_by_role("dialog", name="Cancel this gift?").get_by_role("button", name="Cancel the gift").click()
    page.get_by_text("The gift is cancelled: the coupon is yours again.").wait_for()
    page.goto(share_url)
    page.get_by_text("The giver cancelled this gift.").wait_for()
    page.goto(f"/c/me/{mine['claim_id']}")
    page.get_by_role("button", name="Make a share link").click()
    share_url = page.get_by_label("Share link").input_value()
    assert share_url.startswith(f"{site}/c/gifts/")

    # And the giver opening their own link is told they cannot accept it
    page.goto(share_url)
    page.get_by_role("button", name="Accept the gift").click()
    page.get_by_text("This is your own gift").wait_for()
    check(page, assert_accessible)

    # When a friend opens the link (another browser), signed in as themselves, and accepts
    other = open_page(role="customer", user=friend, phone=True)
    other.goto(share_url)
    other.get_by_role("heading", name="Ann gives you a coupon").wait_for()
    assert other.get_by_text(re.compile(r"^Valid from .* GMT\+8 to .* GMT\+8$")).is_visible()  # its zone
    assert other.get_by_text("CN¥15.00 off", exact=True).is_visible()
    check(other, assert_accessible)
    other.get_by_role("button", name="Accept the gift").click()
    other.get_by_role("link", name="Show my coupon").click()
    other.get_by_role("heading", name=title).wait_for()
    assert other.get_by_role("img", name="QR code of this coupon's code, for the till to scan").is_visible()
    check(other, assert_accessible)

    # Then the giver's coupon is no longer among their available coupons; the friend holds it
    page.goto("/c/me?status=available")
    page.get_by_role("heading", name="My coupons").wait_for()
    page.get_by_text("No coupons here.").wait_for()
    assert page.get_by_role("link", name=title).count() == 0
    check(page, assert_accessible)
    assert [c["title"] for c in seed.wallet(friend, "available")] == [title]


def test_the_customer_redeems_in_the_store_with_the_stores_code(seed, open_page, assert_accessible):
    # Given a customer's coupon that may be redeemed in the store with the store's code
    title, user = unique("Self service"), unique("sam")
    mine = seed.claim(seed.coupon(unique("m"), title, self_service={"verification_code": STORE_CODE}), user)
    page = open_page(role="customer", user=user, phone=True)
    page.goto(f"/c/me/{mine['claim_id']}")
    page.get_by_role("heading", name="Redeem in the store myself").wait_for()
    check(page, assert_accessible)

    # When they type a wrong code and confirm, Then they are told, and the coupon is still theirs to use
    page.get_by_label("Store's code (ask the staff)").fill("135792")
    page.get_by_role("button", name="Redeem now").click()
    page.get_by_role("dialog", name="Use this coupon now?").get_by_role("button", name="Redeem now").click()
    page.get_by_text("That store code is not right").wait_for()

    # When they type the store's code and confirm in the dialog
    page.get_by_label("Store's code (ask the staff)").fill(STORE_CODE)
    page.get_by_role("button", name="Redeem now").click()
    dialog = page.get_by_role("dialog", name="Use this coupon now?")
    dialog.wait_for()
    check(page, assert_accessible)
    dialog.get_by_role("button", name="Redeem now").click()
    # Then it is redeemed, and the coupon is used
    page.get_by_text(re.compile("^Redeemed at .*GMT\\+8")).wait_for()
    page.get_by_text("Status: Used").wait_for()
    check(page, assert_accessible)
    assert [c["claim_id"] for c in seed.wallet(user, "used")] == [mine["claim_id"]]


def test_what_stops_a_claim_is_said_in_words(seed, open_page, assert_accessible):
    # Given a coupon with one left, claimed by someone else, a coupon the customer already holds, and one
    # claimed with a passphrase
    user = unique("dan")
    sold_title, held_title = unique("Last one"), unique("Once each")
    sold = seed.coupon(unique("m"), sold_title, inventory=1)
    seed.claim(sold, unique("quick"))
    held = seed.coupon(unique("m"), held_title)
    seed.claim(held, user)
    secret = seed.coupon(unique("m"), unique("Club night"), passphrase="open-sesame-42")

    page = open_page(role="customer", user=user, phone=True)
    # When the customer opens the sold-out offer, Then it says so and offers no Claim button
    page.goto(f"/c/offers/{sold}")
    page.get_by_role("heading", name=sold_title).wait_for()
    page.get_by_text("Sold out: every coupon has been claimed.").wait_for()
    assert page.get_by_role("button", name="Claim").count() == 0
    check(page, assert_accessible)

    # When they claim the one they already hold, Then the API's refusal is shown in words
    page.goto(f"/c/offers/{held}")
    page.get_by_role("button", name="Claim").click()
    refusal = "You already have as many as one customer may claim (1)."
    page.get_by_role("alert").filter(has_text=refusal).wait_for()
    assert page.get_by_role("button", name="Claim").count() == 0
    check(page, assert_accessible)

    # When they claim the passphrase coupon, Then it asks for it, counts a wrong one, and takes the right one
    page.goto(f"/c/offers/{secret}")
    page.get_by_role("button", name="Claim").click()
    page.get_by_role("alert").filter(has_text="claimed with a passphrase").wait_for()
    page.get_by_label("Passphrase").fill("open-sesame-41")
    page.get_by_role("button", name="Claim").click()
    page.get_by_role("alert").filter(has_text="That passphrase is not right. 4 tries left.").wait_for()
    check(page, assert_accessible)
    page.get_by_label("Passphrase").fill("open-sesame-42")
    page.get_by_role("button", name="Claim").click()
    page.get_by_text("Claimed! It is in your coupons.").wait_for()


def test_a_claim_whose_answer_was_lost_is_sent_again_as_the_same_claim(seed, open_page, assert_accessible):
    # Given a coupon a customer may claim twice, and a network that loses the first claim's answer after the
    # API took the claim
    title, user = unique("Twice each"), unique("eve")
    coupon_id = seed.coupon(unique("m"), title, per_customer_limit=2)
    keys: list[str] = []

    def lose_the_first_answer(route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            assert route.fetch().status == 201  # taken by the API...
            route.abort("connectionreset")  # ...and its answer never reaches the page
        else:
            route.continue_()

    page = open_page(role="customer", user=user, phone=True)
    page.route(re.compile(r".*/v1/coupons/[0-9a-f]{32}/claims.*"), lose_the_first_answer)
    page.goto(f"/c/offers/{coupon_id}")
    page.get_by_role("button", name="Claim").click()
    page.get_by_text("The service could not be reached").wait_for()
    check(page, assert_accessible)

    # When the customer taps Claim again
    page.get_by_role("button", name="Claim").click()
    page.get_by_text("Claimed! It is in your coupons.").wait_for()
    # Then the same key was sent, and they hold the one coupon the first tap took, not two
    assert len(keys) == 2 and keys[0] == keys[1]
    assert [c["coupon_id"] for c in seed.wallet(user, "available")] == [coupon_id]


def test_the_same_flow_in_chinese(seed, open_page, assert_accessible):
    # Given a browser that prefers Chinese, signed in, on an offer's page
    title, user = unique("春季优惠"), unique("li")
    coupon_id = seed.coupon(unique("m"), title)
    page = open_page(role="customer", user=user, phone=True, locale="zh-CN")
    page.goto(f"/c/offers/{coupon_id}?channel=wechat")
    page.get_by_role("heading", name=title).wait_for()
    assert page.get_by_text("立减 ¥15.00", exact=True).is_visible()
    assert page.get_by_text("领取后 30 天内有效").is_visible()
    check(page, assert_accessible)

    # When they claim it, Then they are told in Chinese and find it with its code and QR code
    page.get_by_role("button", name="立即领取").click()
    page.get_by_text("领取成功").wait_for()
    check(page, assert_accessible)
    page.get_by_role("link", name="查看我的券").click()
    page.get_by_role("heading", name="结账时出示的券码").wait_for()
    assert page.get_by_role("img", name="此券券码的二维码").is_visible()
    check(page, assert_accessible)
    page.get_by_role("link", name="领券中心").click()
    page.get_by_role("heading", name="领券中心").wait_for()
    page.get_by_role("link", name=title).wait_for()
    check(page, assert_accessible)
    page.goto("/c/me")
    page.get_by_role("link", name=title).wait_for()
    page.get_by_role("link", name="已使用").click()
    page.get_by_text("这里还没有券。").wait_for()
    check(page, assert_accessible)
    # And the claim recorded the channel of the link it came from
    assert seed.wallet(user, "available")[0]["channel"] in ("wechat", "other")
