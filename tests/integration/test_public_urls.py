"""Share and promotion links come from the stack's configured public URLs, never from the request: the
pages customers open on the web app's (`PUBLIC_WEB_URL`), the merchant's QR download on the API's."""

from __future__ import annotations

import pytest
from coupon_service import settings
from coupon_service.api import base_url, web_url

from tests.builders import held_giftable as held
from tests.support import call, coupon_body, customer, merchant

pytestmark = pytest.mark.usefixtures("stack")

PUBLIC = "https://coupons.example.com/v1"
WEB = "https://shop.example.com"
FORGED = {"Host": "evil.example", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}


@pytest.fixture
def configured(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC + "/")
    monkeypatch.setenv("PUBLIC_WEB_URL", WEB + "/")
    settings.settings.cache_clear()
    yield PUBLIC
    settings.settings.cache_clear()


def test_a_forged_host_gets_promotion_links_on_the_configured_url(configured):
    # Given a merchant's coupon
    coupon = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body()).json
    # When its promotion is asked for with a Host header naming another site
    reply = call("GET", f"/coupons/{coupon['coupon_id']}/promotion", claims=merchant("m1"), headers=FORGED)
    # Then the offer page's link is on the configured web app's URL, the QR download on the API's, and the
    # other site appears nowhere
    assert reply.status == 200, reply.json
    assert reply.json["url"] == f"{WEB}/c/offers/{coupon['coupon_id']}"
    assert reply.json["qr_png_url"] == f"{configured}/coupons/{coupon['coupon_id']}/promotion/qr"
    assert b"evil" not in reply.raw


def test_a_forged_host_gets_a_share_link_on_the_configured_url(configured):
    # Given a customer's giftable coupon
    mine = held()
    # When the customer gives it away through a request with a forged Host header
    path = f"/me/coupons/{mine['claim_id']}/gifts"
    reply = call("POST", path, claims=customer("giver"), headers=FORGED)
    # Then the share link is the web app's accept page on its configured URL
    assert reply.status == 201, reply.json
    assert reply.json["share_url"] == f"{WEB}/c/gifts/{reply.json['token']}"
    assert b"evil" not in reply.raw


def test_without_a_configured_url_no_link_is_made(monkeypatch):
    # Given a function whose PUBLIC_BASE_URL is not set (a deployment fault: the template requires it)
    monkeypatch.setenv("PUBLIC_BASE_URL", "")
    settings.settings.cache_clear()
    # When a link is to be built, Then it fails naming the missing setting instead of guessing an address
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        base_url()
    settings.settings.cache_clear()


def test_without_a_configured_web_url_no_customer_link_is_made(monkeypatch):
    # Given a function whose PUBLIC_WEB_URL is not set (the template requires it of the functions that
    # build customer links)
    monkeypatch.setenv("PUBLIC_WEB_URL", "")
    settings.settings.cache_clear()
    # When a customer link is to be built, Then it fails naming the missing setting
    with pytest.raises(RuntimeError, match="PUBLIC_WEB_URL"):
        web_url()
    # And a merchant asking for a promotion gets the one 500 shape, with no guessed link in it
    coupon = call("POST", "/coupons", claims=merchant("m1"), body=coupon_body()).json
    reply = call("GET", f"/coupons/{coupon['coupon_id']}/promotion", claims=merchant("m1"))
    assert reply.status == 500 and reply.json["error"]["code"] == "internal"
    assert b"/c/offers" not in reply.raw
    settings.settings.cache_clear()
