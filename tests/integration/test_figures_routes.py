"""The figures routes: a coupon's figures per day, channel and store over a range inside the last 90 days,
in the merchant's time zone; the merchant's overview sorted and paged; bad queries refused naming the
field; another merchant's coupon a 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service.figures.aggregator import Aggregator

from tests.builders import make_coupon, make_store
from tests.support import call, customer, merchant, staff

pytestmark = pytest.mark.usefixtures("stack")
CHANNELS = {"channels": ["wechat", "poster"]}


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def history(coupon_id, claims, redeemed, *, prefix, now):
    """`claims` claims today (wechat, then poster), the first `redeemed` redeemed at sh-001."""
    events, common = [], {"coupon_id": coupon_id, "merchant_id": "m1", "version": "1"}
    for i in range(claims):
        at = iso(now - timedelta(minutes=30 + i))
        events.append(("CouponClaimed", {**common, "event_id": f"{prefix}c{i}", "occurred_at": at,
                       "claim_id": f"{prefix}k{i}", "customer_id": f"{prefix}u{i}",
                       "channel": "wechat" if i % 2 == 0 else "poster", "valid_from": at,
                       "valid_until": iso(now + timedelta(days=3))}))  # fmt: skip
    for i in range(redeemed):
        events.append(("CouponRedeemed", {**common, "event_id": f"{prefix}r{i}", "occurred_at": iso(now),
                       "redemption_id": f"{prefix}red{i}", "claim_id": f"{prefix}k{i}",
                       "customer_id": f"{prefix}u{i}", "method": "staff", "redeemed_by": "s1",
                       "store_id": "sh-001", "order_id": f"{prefix}o{i}", "order_amount": 5000,
                       "discount": 500}))  # fmt: skip
    aggregator = Aggregator()
    for kind, detail in events:
        aggregator.apply(kind, detail)


def figures(coupon_id, who=None, **query):
    return call("GET", f"/coupons/{coupon_id}/figures", claims=who or merchant(), query=query or None)


@pytest.fixture
def coupons():
    assert call("PUT", "/merchant/settings", claims=merchant(), body={"time_zone": "UTC"}).status == 200
    make_store("sh-001")
    made = [make_coupon(options=CHANNELS)["coupon_id"] for _ in range(3)]
    now = datetime.now(UTC) - timedelta(minutes=1)
    if now.hour == 0:  # the claims below must fall on today
        now = now.replace(minute=59)
    for n, (claims, redeemed) in enumerate([(6, 3), (10, 1), (2, 2)]):
        history(made[n], claims, redeemed, prefix=f"h{n}", now=now)
    return made


def test_a_coupons_figures_per_day_channel_and_store(coupons):
    reply = figures(coupons[0])
    assert reply.status == 200, reply.json
    body = reply.json
    today = datetime.now(UTC).date()
    assert [r["day"] for r in body["rows"]] == [(today - timedelta(days=6 - n)).isoformat() for n in range(7)]
    assert (
        body["totals"]["claimed"] == 6 and body["totals"]["used"] == 3 and body["totals"]["discount"] == 1500
    )
    assert body["totals"]["redemption_rate"] == 0.5 and body["time_zone"] == "UTC"
    assert body["totals"]["orders"] == 3 and body["totals"]["order_value"] == 15000
    by_channel = {r["channel"]: r for r in figures(coupons[0], by="channel").json["rows"]}
    assert {c: r["claimed"] for c, r in by_channel.items()} == {"wechat": 3, "poster": 3, None: 0}
    assert {c: r["used"] for c, r in by_channel.items()} == {"wechat": 2, "poster": 1, None: 0}
    stores = {r["store_id"]: r for r in figures(coupons[0], by="store").json["rows"]}
    assert stores["sh-001"]["used"] == 3 and stores[None]["claimed"] == 6
    only = figures(coupons[0], channel="poster", store="sh-001").json["totals"]
    assert (only["used"], only["claimed"]) == (1, 0)
    # A range inside the last 90 days
    first = (today - timedelta(days=89)).isoformat()
    ranged = figures(coupons[0], **{"from": first, "to": today.isoformat()})
    assert ranged.status == 200 and len(ranged.json["rows"]) == 90


BAD_QUERIES = [
    ({"from": "2020-01-01"}, "from"),  # longer than 90 days
    ({"from": "2026-13-01"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"to": "2099-01-01"}, "to"),  # after today
    ({"to": "0001-01-01"}, "to"),  # before the kept days: no arithmetic on it (a week before year 1)
    ({"from": "0001-01-01", "to": "0001-01-02"}, "to"),
    ({"from": "2026-W48-1"}, "from"),  # an ISO week date is not a day
    ({"channel": "tiktok"}, "channel"),
    ({"store": "sh-999"}, "store"),
]


def test_bad_figure_queries_name_the_field(coupons):
    for query, field in BAD_QUERIES:  # one seeded fixture for every case
        reply = figures(coupons[0], **query)
        assert reply.status == 422, (query, reply.json)
        assert reply.json["error"]["field"] == field, query


def test_a_range_that_ends_before_it_starts_or_is_too_long(coupons):
    today = datetime.now(UTC).date()
    back = figures(coupons[0], **{"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()})
    assert back.status == 422 and back.json["error"]["field"] == "to"
    longer = figures(
        coupons[0], **{"from": (today - timedelta(days=90)).isoformat(), "to": today.isoformat()}
    )
    assert longer.status == 422 and longer.json["error"]["field"] == "from"
    unknown = figures(coupons[0], by="week")
    assert unknown.status == 422 and "by" in unknown.json["error"]["field"]


def test_another_merchants_coupon_is_a_404_and_staff_or_customers_a_403(coupons):
    assert figures(coupons[0], who=merchant("m2")).status == 404
    assert figures("0" * 32).status == 404
    assert figures(coupons[0], who=staff("m1")).status == 403
    assert figures(coupons[0], who=customer("u1")).status == 403
    assert call("GET", "/merchant/overview", claims=customer("u1")).status == 403


def test_the_overview_sorts_and_pages_the_merchants_coupons(coupons):
    first = call("GET", "/merchant/overview", claims=merchant(), query={"sort": "claimed", "limit": "2"})
    assert first.status == 200, first.json
    assert [i["claimed"] for i in first.json["items"]] == [10, 6]
    rest = call("GET", "/merchant/overview", claims=merchant(),
                query={"sort": "claimed", "limit": "2", "next_token": first.json["next_token"]})  # fmt: skip
    assert [i["coupon_id"] for i in rest.json["items"]] == [coupons[2]] and rest.json["next_token"] is None
    rates = call(
        "GET", "/merchant/overview", claims=merchant(), query={"sort": "redemption_rate", "order": "asc"}
    )
    assert [i["coupon_id"] for i in rates.json["items"]] == [coupons[1], coupons[0], coupons[2]]
    # A token of another sort, or of another merchant, is no start here
    crafted = call("GET", "/merchant/overview", claims=merchant(),
                   query={"sort": "used", "next_token": first.json["next_token"]})  # fmt: skip
    assert crafted.status == 422 and crafted.json["error"]["field"] == "next_token"
    other = call("GET", "/merchant/overview", claims=merchant("m2"),
                 query={"sort": "claimed", "limit": "2", "next_token": first.json["next_token"]})  # fmt: skip
    assert other.status == 422
    assert call("GET", "/merchant/overview", claims=merchant("m2")).json["items"] == []
    bad = call("GET", "/merchant/overview", claims=merchant(), query={"sort": "profit"})
    assert bad.status == 422 and "sort" in bad.json["error"]["field"]
