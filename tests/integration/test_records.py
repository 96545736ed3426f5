"""A coupon's records for its merchant: claims and redemptions in a time range, found by exact nickname,
name or phone (any common spelling, matched by its keyed hash), channel, store and state; paged with
signed cursors; another merchant's coupon a 404."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from coupon_service.store.records import RecordFilter, coupon_records
from coupon_service.validity import to_iso

from tests.builders import claim, make_coupon, make_store, scan, seed_held
from tests.support import call, merchant

pytestmark = pytest.mark.usefixtures("stack")

PHONE = "+8613800138000"
SPELLINGS = [
    "+86 138 0013 8000",
    "+8613800138000",
    "13800138000",
    "138-0013-8000",
    "+86-138-0013-8000",
    "138 0013 8000",
    "0086 138 0013 8000",
    " +86 (138) 0013.8000 ",
]


def records(coupon_id, who="m1", **query):
    return call("GET", f"/coupons/{coupon_id}/records", claims=merchant(who), query=query)


def ok(coupon_id, who="m1", **query):
    reply = records(coupon_id, who, **query)
    assert reply.status == 200, reply.json
    return reply.json


def refused(reply, field):
    assert reply.status == 422, (reply.status, reply.json)
    assert reply.json["error"]["field"] in (field, f"query.{field}"), reply.json
    return reply.json


@pytest.fixture
def shop():
    """A coupon of m1 with channels, claimed by Li (phone, nickname, name) on wechat and by two others; Li's
    coupon redeemed at store sh-001; 30 older claims seeded a day earlier."""
    make_store("sh-001")
    make_store("sh-002")
    coupon = make_coupon(shard_count=4, options={"channels": ["wechat", "poster"]})
    coupon_id = coupon["coupon_id"]
    li = claim(coupon_id, "li", channel="wechat", phone_number=PHONE, name="Li Lei", nickname="lilei")
    assert li.status == 201, li.json
    other = claim(coupon_id, "wang", channel="poster", phone_number="+8613900139000", name="Wang Fang")
    assert other.status == 201, other.json
    assert claim(coupon_id, "zhao").status == 201
    used = scan(li.json["code"], store_id="sh-001", order_id="o-1")
    assert used.status == 201, used.json
    day_before = to_iso(datetime.now(UTC) - timedelta(days=1))
    seed_held(coupon_id, 30, prefix="old", claimed_at=day_before)
    return {"coupon_id": coupon_id, "li": li.json, "redemption": used.json}


def _spellings(shop):
    for spelling in SPELLINGS:
        page = ok(shop["coupon_id"], phone=spelling)
        kinds = sorted((r["kind"], r["claim_id"]) for r in page["items"])
        assert kinds == [("claim", shop["li"]["claim_id"]), ("redemption", shop["li"]["claim_id"])], spelling
        for record in page["items"]:
            assert record["phone_masked"] == "+86*******8000"
            assert record["nickname"] == "lilei"
            assert record["name"] == "Li Lei"
            assert "8613800138000" not in json.dumps(page)


def _partial_phones(shop):
    # A whole number that is a part of Li's (or Li's with a digit more) is another number: nothing.
    for partial in ("1380013800", "138001380001", "+86 138 0013 800"):
        assert ok(shop["coupon_id"], phone=partial)["items"] == [], partial
    # Not a whole number at all: 422 naming `phone`, and the text is not echoed.
    for fragment in ("8000", "+86 138", "138x0013", "+", "phone"):
        body = refused(records(shop["coupon_id"], phone=fragment), "phone")
        assert fragment.strip() not in json.dumps(body) or fragment in ("phone", "+"), (fragment, body)


def _exact_names(shop):
    coupon_id = shop["coupon_id"]
    assert {r["kind"] for r in ok(coupon_id, nickname="lilei")["items"]} == {"claim", "redemption"}
    assert {r["kind"] for r in ok(coupon_id, name="Li Lei")["items"]} == {"claim", "redemption"}
    for query in ({"nickname": "lile"}, {"nickname": "LILEI"}, {"name": "Li"}, {"name": "Li Lei "}):
        assert ok(coupon_id, **query)["items"] == [], query


def _filters(shop):
    coupon_id = shop["coupon_id"]
    wechat = ok(coupon_id, channel="wechat")["items"]
    assert {(r["kind"], r["claim_id"]) for r in wechat} == {
        ("claim", shop["li"]["claim_id"]),
        ("redemption", shop["li"]["claim_id"]),
    }
    poster = ok(coupon_id, channel="poster")["items"]
    assert [(r["kind"], r["name"]) for r in poster] == [("claim", "Wang Fang")]
    at_store = ok(coupon_id, store="sh-001")["items"]
    assert [(r["kind"], r["store_id"], r["order_id"]) for r in at_store] == [("redemption", "sh-001", "o-1")]
    assert ok(coupon_id, store="sh-002")["items"] == []
    used = ok(coupon_id, state="used")["items"]
    assert [(r["kind"], r["claim_id"]) for r in used] == [("claim", shop["li"]["claim_id"])]
    assert used[0]["redemption_id"] == shop["redemption"]["redemption_id"]
    assert [r["kind"] for r in ok(coupon_id, state="redeemed")["items"]] == ["redemption"]
    assert ok(coupon_id, state="reversed")["items"] == []
    available = ok(coupon_id, state="available", limit="100")["items"]
    assert len(available) == 32 and {r["kind"] for r in available} == {"claim"}
    assert len(ok(coupon_id, kind="claim", limit="100")["items"]) == 33
    redemptions = ok(coupon_id, kind="redemption")["items"]
    assert [(r["redemption_id"], r["store_id"], r["order_id"]) for r in redemptions] == [
        (shop["redemption"]["redemption_id"], "sh-001", "o-1")
    ]
    assert redemptions[0]["discount"] == shop["redemption"]["discount"]


def _time_range(shop):
    coupon_id = shop["coupon_id"]
    seeded = ok(coupon_id, kind="claim", limit="100")["items"]
    old = [r for r in seeded if r["claim_id"].startswith("old-")]
    assert len(old) == 30
    at = old[0]["at"]
    assert len(ok(coupon_id, **{"from": at, "to": shift(at, 1)}, limit="100")["items"]) == 30
    assert ok(coupon_id, **{"from": shift(at, -60), "to": at})["items"] == []  # the end excluded
    assert ok(coupon_id, **{"from": shift(at, 1), "to": shift(at, 2)})["items"] == []
    default = ok(coupon_id, limit="100")
    assert len(default["items"]) == 34
    start, end = datetime.fromisoformat(default["start"]), datetime.fromisoformat(default["end"])
    assert end - start == timedelta(days=7)
    # Seeded records older than the range are outside it.
    week_ago = datetime.now(UTC) - timedelta(days=8)
    assert ok(coupon_id, to=week_ago.isoformat())["items"] == []


def shift(instant: str, seconds: int) -> str:
    return (datetime.fromisoformat(instant) + timedelta(seconds=seconds)).isoformat()


def _paging(shop):
    coupon_id = shop["coupon_id"]
    everything = ok(coupon_id, limit="100")["items"]
    seen, token = [], None
    while True:
        page = ok(coupon_id, limit="7", **({"next_token": token} if token else {}))
        seen += page["items"]
        token = page["next_token"]
        if not token:
            break
    assert [(r["kind"], r["claim_id"]) for r in seen] == [(r["kind"], r["claim_id"]) for r in everything]
    assert len(seen) == 34
    ats = [r["at"] for r in seen]
    assert ats == sorted(ats, reverse=True)


def _other_merchant(shop):
    reply = records(shop["coupon_id"], "m2", phone=SPELLINGS[0])
    assert reply.status == 404
    assert reply.json["error"]["field"] == "couponId"
    assert "8000" not in reply.raw.decode()
    assert records("0" * 32, "m1").status == 404


def test_filters_another_merchants_404_and_crafted_or_foreign_cursors(shop):
    _filters(shop)
    _other_merchant(shop)
    coupon_id = shop["coupon_id"]
    token = ok(coupon_id, limit="5")["next_token"]
    assert token
    other = make_coupon()["coupon_id"]
    # Another coupon of the same merchant, another merchant's own coupon, other filters: refused.
    refused(records(other, next_token=token), "next_token")
    m2_coupon = call("POST", "/coupons", claims=merchant("m2"), body=make_body()).json["coupon_id"]
    refused(records(m2_coupon, "m2", next_token=token), "next_token")
    refused(records(coupon_id, next_token=token, channel="wechat"), "next_token")
    refused(records(coupon_id, next_token=token, phone=SPELLINGS[0]), "next_token")
    payload, _, mac = token.partition(".")
    key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for after in ("2099-01-01T00:00:00Z", "", "~"):
        forged = base64.urlsafe_b64encode(json.dumps({**key, "after": {"S": after}}).encode()).decode()
        refused(records(coupon_id, next_token=f"{forged.rstrip('=')}.{mac}"), "next_token")
    refused(records(coupon_id, next_token="not-a-token"), "next_token")
    # The phone filter's cursor is signed for the hash, not the spelling: another spelling pages on.
    by_phone = ok(coupon_id, phone=SPELLINGS[0], limit="1")
    assert by_phone["next_token"]
    rest = ok(coupon_id, phone=SPELLINGS[2], limit="5", next_token=by_phone["next_token"])
    assert len(by_phone["items"]) + len(rest["items"]) == 2


def make_body():
    from tests.support import coupon_body

    return coupon_body()


BAD_INPUT = [
    ({"from": "2026-01-01T00:00:00Z", "to": "2025-12-31T00:00:00Z"}, "to"),
    ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
    ({"from": "2026-01-01T00:00:00Z", "to": "2026-04-02T00:00:01Z"}, "from"),
    ({"from": "2026-01-01T00:00:00"}, "from"),
    ({"to": "1999-01-01T00:00:00Z"}, "to"),
    ({"from": "yesterday"}, "from"),
    ({"channel": "tiktok"}, "channel"),
    ({"store": "nowhere"}, "store"),
    ({"store": "../x"}, "store"),
    ({"state": "lost"}, "state"),
    ({"kind": "gift"}, "kind"),
    ({"limit": "0"}, "limit"),
    ({"nickname": ""}, "nickname"),
    ({"phone": "+86 138 0013 8000 8000 8000 8000 8000"}, "phone"),
    ({"phone": "+86 138 0013 8000", "from": "2026-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, "to"),
]


def test_bad_input_is_a_422_naming_the_field_and_never_echoes_a_phone():
    coupon_id = make_coupon(options={"channels": ["wechat"]})["coupon_id"]
    for query, field in BAD_INPUT:
        body = refused(records(coupon_id, **query), field)
        assert "13800138000" not in json.dumps(body).replace(" ", ""), body


def _generator(shop):
    from coupon_service.items import ClaimItem, RedemptionItem

    now = to_iso(datetime.now(UTC) + timedelta(seconds=1))
    everything = list(coupon_records(shop["coupon_id"], 4, now=now, page_size=10))
    assert len(everything) == 34
    assert sum(isinstance(r, ClaimItem) for r in everything) == 33
    assert sum(isinstance(r, RedemptionItem) for r in everything) == 1
    only_li = list(coupon_records(shop["coupon_id"], 4, now=now, filters=RecordFilter(nickname="lilei")))
    assert len(only_li) == 2


def test_every_spelling_of_a_whole_phone_finds_its_records_a_part_finds_nothing_names_match_exactly(shop):
    _spellings(shop)
    _partial_phones(shop)
    _exact_names(shop)


def test_a_time_range_includes_its_start_excludes_its_end_and_pages_newest_first(shop):
    """The default range is the last week; pages follow one another without loss or repeat, and the
    generator the export job reads yields the same records as typed items."""
    _time_range(shop)
    _paging(shop)
    _generator(shop)
