"""The coupon center (`GET /offers`, `GET /me/offers`): only what a customer may claim now, read from the
listing the coupon's own writes keep (one Query and at most one BatchGetItem a page, never a Scan); the
item filters; signed page tokens; the public answer cacheable and a customer's never."""

from __future__ import annotations

import pytest
from coupon_service import claims
from coupon_service.stock import StockWatch

from tests.builders import claim, make_coupon, report_order
from tests.support import call, coupon_body, customer, merchant

pytestmark = pytest.mark.usefixtures("stack")
PAST = {"start": "2000-01-01T00:00:00Z", "end": "2001-01-01T00:00:00Z"}
LATER = {"start": "2090-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z"}


def _titles(reply):
    assert reply.status == 200, reply.json
    return {o["title"] for o in reply.json["items"]}


def _offers(path="/offers", who=None, **query):
    return call("GET", path, claims=who, query={k: str(v) for k, v in query.items()} or None)


def _every_page(path, who=None, **query):
    """Every offer of a listing, page by page (two a page)."""
    seen, token = [], None
    while True:
        reply = _offers(path, who, limit=2, **({"next_token": token} if token else {}), **query)
        assert reply.status == 200, reply.json
        seen += [o["title"] for o in reply.json["items"]]
        token = reply.json.get("next_token")
        if not token:
            return seen


def test_the_center_shows_only_what_a_customer_may_claim_now(dynamodb_requests):
    make_coupon(title="open")
    make_coupon(title="draft", status="draft")
    paused = make_coupon(title="paused")
    call(
        "PATCH",
        f"/coupons/{paused['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "status": "paused"},
    )
    gone = make_coupon(title="deleted")
    call("DELETE", f"/coupons/{gone['coupon_id']}", claims=merchant("m1"))
    make_coupon(title="not yet", claim_window=LATER)
    make_coupon(title="over", claim_window=PAST)
    make_coupon(title="vip", audience={"type": "tags", "tags": ["vip"]})
    make_coupon(title="listed", audience={"type": "customers", "customer_ids": ["u2"]})
    sold = make_coupon(title="sold out", codes={"mode": "random_on_claim", "inventory": 1})
    assert claim(sold["coupon_id"], user="u9").status == 201
    StockWatch().check(sold["coupon_id"])  # what the stream would make it do
    once = make_coupon(title="once")
    assert claim(once["coupon_id"], user="u1").status == 201
    make_coupon(title="community", options={"passphrase": "our club 2026"})
    newcomers = make_coupon(title="newcomers", options={"new_customers_only": True})
    other = call("POST", "/coupons", claims=merchant("m2"), body=coupon_body(title="elsewhere"))
    assert other.status == 201
    # A draft published later is listed from its publishing on; a renamed coupon under its new name.
    later = make_coupon(title="published", status="draft")
    call(
        "PATCH",
        f"/coupons/{later['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 1, "status": "active"},
    )
    call(
        "PATCH",
        f"/coupons/{later['coupon_id']}",
        claims=merchant("m1"),
        body={"version": 2, "title": "renamed"},
    )
    report_order("o-1", "u1", "2026-01-01T08:00:00+08:00")  # u1 is no new customer of m1 any more

    everyone = {"open", "once", "community", "newcomers", "elsewhere", "renamed"}
    dynamodb_requests.reset()
    public = _offers()
    assert _titles(public) == everyone
    # One Query of the listing and one BatchGetItem (the limited coupons' stock): no Scan, no coupon read.
    assert dict(dynamodb_requests.calls) == {"Query": 1, "BatchGetItem": 1}
    assert public.headers["cache-control"] == "public, max-age=60"
    assert all(o["held"] is None and o["stops"] is None for o in public.json["items"])  # nobody's
    assert _titles(_offers(merchant_id="m1")) == everyone - {"elsewhere"}
    assert _titles(_offers(merchant_id="m2")) == {"elsewhere"}

    # Signed in: the audiences they are in, and what stops them.
    mine = _offers("/me/offers", customer("u1"))
    assert mine.headers["cache-control"] == "private, no-store"
    assert _titles(mine) == everyone
    stops = {o["title"]: o["stops"] for o in mine.json["items"]}
    assert stops["once"] == ["at_limit"] and stops["open"] == []
    assert stops["community"] == ["passphrase_required"] and stops["newcomers"] == ["not_new_customer"]
    assert {o["title"]: o["held"] for o in mine.json["items"]}["once"] == 1
    assert _titles(_offers("/me/offers", customer("u2", **{"custom:tags": "vip"}))) == everyone | {
        "vip",
        "listed",
    }
    fresh = {o["title"]: o["stops"] for o in _offers("/me/offers", customer("u3")).json["items"]}
    assert fresh["newcomers"] == [] and fresh["once"] == []
    # The claim says what the center said: a customer with an order is refused a new-customer coupon.
    claims.cache.clear()
    refused = claim(newcomers["coupon_id"], user="u1")
    assert refused.status == 403 and refused.json["error"]["code"] == "not_new_customer"
    assert refused.json["error"]["field"] == "new_customers_only"
    assert claim(newcomers["coupon_id"], user="u3").status == 201

    # Paged two at a time, the same offers, each once.
    pages = _every_page("/offers")
    assert sorted(pages) == sorted(everyone)


def test_an_items_coupons_and_what_a_crafted_request_gets():
    make_coupon(title="whole order")
    make_coupon(title="tea", scope={"type": "items", "products": ["tea"], "categories": ["drinks"]})
    make_coupon(title="cake", scope={"type": "items", "products": ["cake"]})
    assert _titles(_offers(merchant_id="m1", product_id="tea")) == {"whole order", "tea"}
    assert _titles(_offers(merchant_id="m1", category="drinks")) == {"whole order", "tea"}
    assert _titles(_offers(merchant_id="m1", product_id="cake", category="drinks")) == {"whole order"}
    no_merchant = _offers(product_id="tea")
    assert no_merchant.status == 422 and no_merchant.json["error"]["field"] == "merchant_id"
    # Page tokens are signed for their listing: crafted, or carried to another filter or reader, a 422.
    first = _offers(limit=1)
    token = first.json["next_token"]
    assert token
    for path, who, query in [
        ("/offers", None, {"next_token": token[:-2] + "xx"}),
        ("/offers", None, {"next_token": "eyJQSyI6eyJTIjoiQ09VUE9OI3gifX0.abc"}),
        ("/offers", None, {"merchant_id": "m1", "next_token": token}),
        ("/me/offers", customer("u1"), {"next_token": token}),
    ]:
        reply = _offers(path, who, **query)
        assert reply.status == 422 and reply.json["error"]["field"] == "next_token", (path, query, reply.json)
    assert _offers(merchant_id="m1;DROP").status == 422
    assert _offers("/me/offers").status == 401
    assert _offers("/me/offers", merchant("m1")).status == 403
