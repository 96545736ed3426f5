"""The app's shell: sign-in, the language switch, the security headers, accessibility of the first screens."""

from __future__ import annotations

import urllib.request

from tests.browser.conftest import horizontal_overflow


def test_a_merchant_signs_in_locally_and_reaches_the_console(open_page, assert_accessible):
    # Given the console opened with no session
    page = open_page()
    page.goto("/console/")

    # Then it asks to sign in, and the screen passes axe-core
    page.get_by_role("heading", name="Sign in").wait_for()
    assert_accessible(page)

    # When a merchant signs in with the local sign-in
    page.get_by_label("Role").select_option("merchant")
    page.get_by_label("User id").fill("owner-m1")
    page.get_by_label("Merchant id").fill("m1")
    page.get_by_role("button", name="Sign in").click()

    # Then the console shows the merchant's navigation, and the token is in no URL the page visited
    page.get_by_role("navigation", name="Console").wait_for()
    assert "eyJ" not in page.url
    assert page.evaluate("sessionStorage.getItem('coupons.session')").startswith("eyJ")


def test_the_language_follows_the_browser_and_can_be_switched(open_page, assert_accessible):
    # Given a browser that prefers Chinese
    page = open_page(locale="zh-CN", phone=True)
    page.goto("/c/sign-in")
    page.get_by_role("heading", name="登录").wait_for()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert_accessible(page)
    assert horizontal_overflow(page) <= 0

    # When the customer switches to English, the choice is kept for the next page
    page.get_by_label("语言").select_option("en")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.reload()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_pages_carry_a_content_security_policy_and_a_sign_in_link_goes_nowhere_else(site, open_page):
    with urllib.request.urlopen(site + "/c/") as response:
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy

    # A crafted `next` naming another site is not followed after signing in
    page = open_page()
    page.goto("/c/sign-in?next=//evil.example/x")
    page.get_by_label("User id").fill("u9")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/c/me")
    assert page.url.startswith(site)


def test_the_accessibility_check_finds_what_it_looks_for(open_page):
    # The check itself: a page with an unlabelled image and an unlabelled field fails it.
    from tests.browser.conftest import axe_violations

    page = open_page()
    page.set_content("<html lang='en'><title>t</title><main><img src='x.png'><input></main></html>")
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label"} <= found


def test_a_page_of_another_site_cannot_use_the_local_routes(site):
    # The local stack's own routes (a token for any role, the clock) refuse a browser's request from another
    # origin, and a Host that is not this gateway (a rebound DNS name)
    import urllib3

    http = urllib3.PoolManager(retries=False)
    body = b'{"role": "platform", "user": "x"}'
    foreign = http.request(
        "POST", site + "/_local/tokens", body=body, headers={"Origin": "https://evil.example"}
    )
    rebound = http.request("POST", site + "/_local/tokens", body=body, headers={"Host": "evil.example:80"})
    own = http.request("POST", site + "/_local/tokens", body=body, headers={"Origin": site})
    assert (foreign.status, rebound.status, own.status) == (403, 403, 200)
