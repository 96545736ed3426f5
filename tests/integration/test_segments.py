"""A merchant's segments (/merchant/segments, coupon_service.segments): a segment over 10,000 orders equals a
recount done here; each condition keeps exactly its customers; an evaluation replaces the membership only
once complete (readers see the previous one until then); a coupon for a segment admits its members only;
bad input is a 4xx naming the field; another merchant's segment is a 404."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import settings
from coupon_service.aws import client
from coupon_service.customers import CustomerDirectory
from coupon_service.segments import Segments
from coupon_service.segments.run import Evaluation
from coupon_service.store.segments import SegmentBook
from coupon_service.validity import to_iso

from tests.builders import claim, make_coupon, seed_orders, table_snapshot
from tests.support import call, customer, invoke, merchant, sqs_message

pytestmark = pytest.mark.usefixtures("stack", "segmenting")

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BASE = "/merchant/segments"


@pytest.fixture
def segmenting(stack, monkeypatch, clock):
    """The customers function's environment (its queue), and a clock fixed at NOW."""
    for name, value in stack.environment("CustomersFunction").items():
        monkeypatch.setenv(name, value)
    settings.settings.cache_clear()
    clock.set(NOW)
    yield clock
    settings.settings.cache_clear()


def ago(days, hours=0):
    return to_iso(NOW - timedelta(days=days, hours=hours))


def create(conditions, merchant_id="m1", name="S"):
    reply = call("POST", BASE, claims=merchant(merchant_id), body={"name": name, "conditions": conditions})
    assert reply.status == 201, reply.json
    return reply.json["segment_id"]


def work():
    """Deliver every queued message to the segment worker, as the queue does, until none is left."""
    sqs, url, runs = client("sqs"), os.environ["SEGMENT_QUEUE_URL"], 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            answer = invoke("segment_worker", {"Records": [sqs_message(message["Body"])]}, 900_000)
            assert answer == {"batchItemFailures": []}, answer
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            runs += 1
    return runs


def evaluated(segment_id, merchant_id="m1"):
    """Ask for an evaluation through the API, run the worker, and read every member page by page."""
    asked = call("POST", f"{BASE}/{segment_id}/evaluations", claims=merchant(merchant_id))
    assert asked.status == 202, asked.json
    assert work() == 1
    return members(segment_id, merchant_id)


def members(segment_id, merchant_id="m1", limit=500):
    found, token = [], None
    while True:
        query = {"limit": str(limit), **({"next_token": token} if token else {})}
        page = call("GET", f"{BASE}/{segment_id}/members", claims=merchant(merchant_id), query=query)
        assert page.status == 200, page.json
        found += page.json["customer_ids"]
        token = page.json["next_token"]
        if token is None:
            return found


@pytest.mark.slow  # 10,000 orders through the serialized emulator: a minute on 2 loaded cores
def test_spent_at_least_100_in_30_days_over_10000_orders_equals_a_recount():
    # Given 10,000 orders of 1,500 customers over 45 days (none within an hour of the 30-day line), some in
    # another currency, some refunded in part, some in full
    rng = random.Random(16)
    orders = []
    for n in range(10_000):
        days = rng.choice([rng.uniform(0, 29.9), rng.uniform(30.1, 45)])
        amount = rng.randrange(500, 6000)
        refunded = rng.choice([0] * 17 + [amount // 2, amount, rng.randrange(0, amount)])
        currency = "USD" if n % 20 == 0 else "CNY"
        orders.append(
            (f"o{n:05d}", f"c{rng.randrange(1500):04d}", amount, ago(days), refunded, {"currency": currency})
        )
    seed_orders(orders)
    # When the segment "spent at least 100.00 (CNY) in 30 days" is evaluated through the API and the queue
    segment_id = create([{"type": "spent_at_least", "amount": 10_000, "currency": "CNY", "days": 30}])
    found = evaluated(segment_id)
    # Then its members are those of a recount of the same orders, net of refunds
    since, spent = ago(30), {}
    for _, customer_id, amount, placed_at, refunded, extra in orders:
        if placed_at >= since and extra["currency"] == "CNY":
            spent[customer_id] = spent.get(customer_id, 0) + amount - refunded
    expected = sorted(c for c, total in spent.items() if total >= 10_000)
    assert 100 < len(expected) < 1400  # the threshold divides the customers
    assert found == expected
    # And the segment shows its evaluation: when, how many
    shown = call("GET", f"{BASE}/{segment_id}", claims=merchant()).json["evaluation"]
    assert shown == {**shown, "state": "done", "generation": 1, "members": len(expected)}
    assert shown["evaluated_at"] == to_iso(NOW)


def test_each_condition_keeps_exactly_its_customers(segmenting):
    # Given a directory and orders: a (big spender, recent), b (two small recent orders, one of them
    # refunded in full), c (bought cake 10 days ago), d (last order 90 days ago), e (joined 3 days ago, no
    # order), f (first order 2 days ago), g (directory only, joined long ago), h (spent in USD)
    directory = CustomerDirectory()
    directory.record("m1", "a", tags={"vip"})
    directory.record("m1", "d", tags={"vip"}, joined_at=ago(400))
    directory.record("m1", "e", joined_at=ago(3))
    directory.record("m1", "g", joined_at=ago(500))
    cake = {"lines": [{"sku": "cake-1", "category": "cakes"}]}
    seed_orders(
        [
            ("a1", "a", 30_000, ago(5), 0),
            ("a2", "a", 9_000, ago(100), 0),
            ("b1", "b", 1_000, ago(1), 0),
            ("b2", "b", 2_000, ago(2), 2_000),
            ("b3", "b", 1_500, ago(20), 500),
            ("c1", "c", 4_000, ago(10), 0, cake),
            ("d1", "d", 50_000, ago(90), 0),
            ("f1", "f", 800, ago(2), 0),
            ("h1", "h", 90_000, ago(1), 0, {"currency": "USD"}),
        ]
    )
    cases = [
        ({"type": "spent_at_least", "amount": 2_000, "currency": "CNY", "days": 30}, ["a", "b", "c"]),
        ({"type": "spent_at_least", "amount": 2_001, "currency": "CNY", "days": 30}, ["a", "c"]),
        ({"type": "orders_at_least", "count": 2, "days": 30}, ["b"]),  # b2 was refunded in full
        ({"type": "bought", "products": ["cake-1"], "days": 30}, ["c"]),
        ({"type": "bought", "categories": ["cakes"], "days": 7}, []),
        ({"type": "no_order_for", "days": 30}, ["d", "e", "g"]),
        ({"type": "top_spenders", "count": 2, "currency": "CNY", "days": 365}, ["a", "d"]),
        ({"type": "has_tag", "tag": "vip"}, ["a", "d"]),
        ({"type": "new_customers", "days": 7}, ["e", "f", "h"]),
    ]
    for condition, expected in cases:
        segment_id = create([condition])
        assert (
            Evaluation(clock=segmenting).run(segment_id, Segments().evaluate("m1", segment_id).generation)
            == "evaluated"
        )
        assert list(Segments().members("m1", segment_id)) == expected, condition
    # And conditions are AND-ed: a top spender among the tagged customers with no order in 30 days
    both = create(
        [
            {"type": "has_tag", "tag": "vip"},
            {"type": "no_order_for", "days": 30},
            {"type": "top_spenders", "count": 5, "currency": "CNY", "days": 365},
        ]
    )
    assert Evaluation(clock=segmenting).run(both, Segments().evaluate("m1", both).generation) == "evaluated"
    assert list(Segments().members("m1", both)) == ["d"]


def test_readers_see_the_previous_membership_until_the_new_one_is_complete(monkeypatch, segmenting):
    # Given a segment evaluated once: u1 and u2 spent enough
    seed_orders([("o1", "u1", 5_000, ago(1), 0), ("o2", "u2", 5_000, ago(1), 0)])
    segment_id = create([{"type": "spent_at_least", "amount": 5_000, "currency": "CNY", "days": 30}])
    assert evaluated(segment_id) == ["u1", "u2"]
    first_page = call("GET", f"{BASE}/{segment_id}/members", claims=merchant(), query={"limit": "1"}).json
    # When u2's order is refunded, u3 and u4 spend, and the next evaluation dies before its last write
    seed_orders(
        [("o2", "u2", 5_000, ago(1), 5_000), ("o3", "u3", 9_000, ago(1), 0), ("o4", "u4", 7_000, ago(2), 0)]
    )
    book = SegmentBook()
    generation = Segments().evaluate("m1", segment_id).generation
    monkeypatch.setattr(SegmentBook, "switch", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("died")))
    with pytest.raises(RuntimeError):
        Evaluation(clock=segmenting).run(segment_id, generation)
    monkeypatch.undo()
    # Then readers still see the first membership, whole: paged, listed, and at claim
    assert members(segment_id) == ["u1", "u2"]
    assert [book.holds("m1", segment_id, c) for c in ("u1", "u2", "u3", "u4")] == [True, True, False, False]
    shown = call("GET", f"{BASE}/{segment_id}", claims=merchant()).json["evaluation"]
    assert (shown["state"], shown["generation"], shown["members"], shown["requested"]) == ("pending", 1, 2, 2)
    # And the message delivered again completes it: the new membership at once, nothing of the dead run
    assert Evaluation(clock=segmenting).run(segment_id, generation) == "evaluated"
    assert members(segment_id) == ["u1", "u3", "u4"]
    assert [book.holds("m1", segment_id, c) for c in ("u1", "u2", "u3", "u4")] == [True, False, True, True]
    # And a reader paging the first membership with its token goes on in that membership
    rest = call(
        "GET",
        f"{BASE}/{segment_id}/members",
        claims=merchant(),
        query={"limit": "10", "next_token": first_page["next_token"]},
    ).json
    assert (first_page["customer_ids"], rest["customer_ids"], rest["generation"]) == (["u1"], ["u2"], 1)
    # And a message of a generation done or superseded changes nothing
    assert Evaluation(clock=segmenting).run(segment_id, generation) == "done"
    later = Segments().evaluate("m1", segment_id).generation
    Segments().evaluate("m1", segment_id)
    assert Evaluation(clock=segmenting).run(segment_id, later) == "superseded"


def test_a_coupon_for_a_segment_admits_its_members_only(dynamodb_requests):
    seed_orders([("o1", "u1", 20_000, ago(1), 0)])
    segment_id = create([{"type": "spent_at_least", "amount": 10_000, "currency": "CNY", "days": 30}])
    coupon = make_coupon(audience={"type": "segment", "segment_id": segment_id})
    assert (coupon["audience_type"], coupon["audience_segment"]) == ("segment", segment_id)
    # Before the first evaluation nobody is a member
    assert claim(coupon["coupon_id"], user="u1").json["error"]["code"] == "not_in_audience"
    assert evaluated(segment_id) == ["u1"]
    # Then the member claims, with one read more than a coupon for everyone; another customer cannot
    dynamodb_requests.reset()
    assert claim(coupon["coupon_id"], user="u1").status == 201
    assert dynamodb_requests.calls["TransactGetItems"] == 1
    refused = claim(coupon["coupon_id"], user="u2")
    assert (refused.status, refused.json["error"]["code"]) == (403, "not_in_audience")
    # And once the segment is deleted its coupon admits nobody, and the worker removes its members
    assert call("DELETE", f"{BASE}/{segment_id}", claims=merchant()).status == 200
    assert work() == 1
    assert (
        claim(coupon["coupon_id"], user="u1", key="second-claim-1").json["error"]["code"] == "not_in_audience"
    )
    assert [i for i in table_snapshot() if i.get("type") == "segment_member"] == []


def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing():
    spent = {"type": "spent_at_least", "amount": 100, "currency": "CNY", "days": 30}
    bad = [
        ({"name": "S", "conditions": [{**spent, "amount": -1}]}, "body.conditions.0.spent_at_least.amount"),
        ({"name": "S", "conditions": [{**spent, "days": 0}]}, "body.conditions.0.spent_at_least.days"),
        (
            {"name": "S", "conditions": [{"type": "orders_at_least", "count": -3, "days": 7}]},
            "body.conditions.0.orders_at_least.count",
        ),
        ({"name": "S", "conditions": [{"type": "bought", "days": 7}]}, "body.conditions.0.bought"),
        ({"name": "S", "conditions": [{"type": "vip"}]}, "body.conditions.0"),
        ({"name": "S", "conditions": []}, "body.conditions"),
        ({"name": "S", "conditions": [{"type": "has_tag", "tag": "a b"}]}, "body.conditions.0.has_tag.tag"),
        ({"conditions": [spent]}, "body.name"),
    ]
    before = table_snapshot()
    for body, field in bad:
        reply = call("POST", BASE, claims=merchant(), body=body)
        assert (reply.status, reply.json["error"].get("field")) == (422, field), (body, reply.json)
    assert table_snapshot() == before
    # An unknown segment: 404 naming it, on every route and in a coupon's audience
    unknown = "0" * 32
    for method, path in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/evaluations"),
        ("GET", "/members"),
    ):
        body = {"version": 1, "name": "x"} if method == "PATCH" else None
        reply = call(method, f"{BASE}/{unknown}{path}", claims=merchant(), body=body)
        assert (reply.status, reply.json["error"]["field"]) == (404, "segmentId"), (method, path)
    made = call(
        "POST", "/coupons", claims=merchant(), body=_coupon({"type": "segment", "segment_id": unknown})
    )
    assert (made.status, made.json["error"]["field"]) == (404, "audience.segment_id")
    # An edit of a version read before another edit is a 409 naming the version
    segment_id = create([spent])
    assert (
        call("PATCH", f"{BASE}/{segment_id}", claims=merchant(), body={"version": 1, "name": "T"}).status
        == 200
    )
    stale = call("PATCH", f"{BASE}/{segment_id}", claims=merchant(), body={"version": 1, "name": "U"})
    assert (stale.status, stale.json["error"]["field"]) == (409, "version")


def _coupon(audience):
    from tests.support import coupon_body

    return coupon_body(audience=audience)


def test_another_merchants_segment_is_a_404_and_never_listed():
    theirs = create([{"type": "has_tag", "tag": "vip"}], merchant_id="m2")
    mine = create([{"type": "has_tag", "tag": "vip"}], merchant_id="m1")
    for method, path in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/evaluations"),
        ("GET", "/members"),
    ):
        body = {"version": 1, "name": "mine now"} if method == "PATCH" else None
        reply = call(method, f"{BASE}/{theirs}{path}", claims=merchant("m1"), body=body)
        assert (reply.status, reply.json["error"]["message"]) == (404, "no such segment"), (method, path)
    listed = call("GET", BASE, claims=merchant("m1")).json["items"]
    assert [s["segment_id"] for s in listed] == [mine]
    # nor can m1's coupon name m2's segment, nor a customer or m2's page token reach m1's members
    made = call(
        "POST", "/coupons", claims=merchant("m1"), body=_coupon({"type": "segment", "segment_id": theirs})
    )
    assert (made.status, made.json["error"]["field"]) == (404, "audience.segment_id")
    assert call("GET", BASE, claims=customer("u1")).status == 403
    CustomerDirectory().record("m2", "x1", tags={"vip"})
    CustomerDirectory().record("m2", "x2", tags={"vip"})
    assert evaluated(theirs, "m2") == ["x1", "x2"]
    token = call("GET", f"{BASE}/{theirs}/members", claims=merchant("m2"), query={"limit": "1"}).json[
        "next_token"
    ]
    crossed = call("GET", f"{BASE}/{mine}/members", claims=merchant("m1"), query={"next_token": token})
    assert (crossed.status, crossed.json["error"]["field"]) == (422, "next_token")
