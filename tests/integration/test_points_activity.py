"""Points for what customers do at the merchant's app, reported as outside events (`ProfileCompleted`,
`CardBound`, `ContentShared`, `ContentPosted`): through `POST /merchant/customer-events` and the outbox to
the points worker, each credited once per its source (a profile and a card once ever, content once per
content id), whatever is delivered twice, at once, or under faults and lost answers."""

from __future__ import annotations

import json

import pytest
from coupon_service import keys
from coupon_service.events import derive
from coupon_service.point_items import PointsSettingsItem
from coupon_service.store.point_settings import PointSettingsStore
from coupon_service.store.table import Table

from devstack.streams import StreamReader
from tests.integration.test_issuance_worker import report
from tests.integration.test_points_ledger import assert_consistent, ledger_items
from tests.support import bus_message, concurrently, inject, invoke

pytestmark = pytest.mark.usefixtures("stack")

EARNING = {"profile_completed": 50, "card_bound": 30, "content_shared": 5, "content_posted": 8}
AT = "2026-05-01T09:00:00Z"


def programme(earning, merchant_id="m1"):
    PointSettingsStore().replace(PointsSettingsItem(merchant_id=merchant_id, earning=earning, updated_at=AT))


def published(reader):
    """The outbox's events of what was committed since the last read, as the points rule delivers them."""
    events = [e for r in reader.drain() for e in derive(r)]
    return [
        bus_message(e.detail_type, e.model_dump(mode="json"), message_id=f"{e.detail_type}-{n}")
        for n, e in enumerate(events)
    ]


def deliver_until_done(messages):
    """As the queue does: the messages a batch reports failed are delivered again (here until none is)."""
    for _ in range(30):
        if not messages:
            return
        answer = invoke("points_worker", {"Records": messages})
        failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
        messages = [m for m in messages if m["messageId"] in failed]
    raise AssertionError(f"still failing: {len(messages)}")


def balance(customer_id, merchant_id="m1"):
    item = Table().get(keys.points_balance(customer_id, merchant_id))
    return item["balance"] if item else 0


def test_reported_events_reach_the_points_worker_and_each_earns_once_per_its_source(emulator, stack):
    programme(EARNING)
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    # When m1 reports a completed profile (twice: a retry), then a second one under a new event id, two
    # cards, a content shared twice under two ids and another content posted
    profile = {"event_id": "p-1", "customer_id": "u1", "completed_at": AT}
    assert report("ProfileCompleted", profile).status == 202
    assert report("ProfileCompleted", profile).status == 202
    assert report("ProfileCompleted", {**profile, "event_id": "p-2"}).status == 202
    for n, card in enumerate(["card-1", "card-2"]):
        body = {"event_id": f"b-{n}", "customer_id": "u1", "card_id": card, "bound_at": AT}
        assert report("CardBound", body).status == 202
    for n in range(2):
        body = {"event_id": f"s-{n}", "customer_id": "u1", "content_id": "post-9", "shared_at": AT}
        assert report("ContentShared", body).status == 202
    body = {"event_id": "w-1", "customer_id": "u1", "content_id": "post-9", "posted_at": AT}
    assert report("ContentPosted", body).status == 202
    messages = published(reader)
    kinds = [json.loads(m["body"])["detail-type"] for m in messages]
    assert sorted(kinds).count("ProfileCompleted") == 2 and len(kinds) == 7  # the retry wrote nothing
    # And the outbox's events are each delivered twice
    deliver_until_done(messages + messages)
    # Then the profile earned once, the first card only, the content once shared and once posted
    _, entries = assert_consistent("u1", "m1")
    assert sorted((e["reason"], e["points"]) for e in entries) == [
        ("card_bound", 30),
        ("content_posted", 8),
        ("content_shared", 5),
        ("profile_completed", 50),
    ]
    assert balance("u1") == 50 + 30 + 5 + 8
    bound = next(e for e in entries if e["reason"] == "card_bound")
    assert bound["detail"] == {"card_id": "card-1"}


@pytest.mark.concurrency
def test_each_event_credits_once_under_concurrent_redelivery_faults_and_lost_answers(emulator):
    # Given a programme rewarding all four, and 6 customers each with 6 events (a profile, a card, three
    # shares of two contents, a post): 36 events, each delivered twice, in batches of 4 on 4 threads
    programme(EARNING)
    events = []
    for c in range(6):
        who = {"merchant_id": "m1", "customer_id": f"u{c}", "reported_id": "x", "version": "1"}
        events += [
            ("ProfileCompleted", {**who, "completed_at": AT}),
            ("CardBound", {**who, "card_id": f"card-{c}", "bound_at": AT}),
            ("ContentShared", {**who, "content_id": "a", "shared_at": AT}),
            ("ContentShared", {**who, "content_id": "a", "shared_at": AT}),
            ("ContentShared", {**who, "content_id": "b", "shared_at": AT}),
            ("ContentPosted", {**who, "content_id": "a", "posted_at": AT}),
        ]
    messages = [
        bus_message(kind, {**detail, "event_id": f"e{n}", "occurred_at": AT}, message_id=f"{kind}-{n}-{copy}")
        for n, (kind, detail) in enumerate(events)
        for copy in range(2)
    ]
    batches = [messages[i::9] for i in range(9)]
    inject(emulator, "lost")
    outcomes = concurrently(lambda i: deliver_until_done(batches[i]), len(batches), threads=4)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert [o for o in outcomes if o is not None] == []  # every batch delivered until none failed
    # Then each customer earned 50 + 30 + 5 (content a) + 5 (content b) + 8, once each
    for c in range(6):
        _, entries = assert_consistent(f"u{c}", "m1")
        assert sorted(e["source"] for e in entries) == sorted(
            ["profile_completed", "card_bound", "content_shared:a", "content_shared:b", "content_posted:a"]
        )
        assert balance(f"u{c}") == 50 + 30 + 5 + 5 + 8
    assert injected > 0


def test_a_rule_absent_from_the_programme_credits_nothing():
    # Given m1 rewards only profiles, and m2 has no programme at all
    programme({"profile_completed": 10})
    who = {"merchant_id": "m1", "customer_id": "u1", "reported_id": "x", "version": "1", "occurred_at": AT}
    deliver_until_done(
        [
            bus_message("CardBound", {**who, "event_id": "e1", "card_id": "k", "bound_at": AT}, "1"),
            bus_message("ContentPosted", {**who, "event_id": "e2", "content_id": "c", "posted_at": AT}, "2"),
            bus_message(
                "ProfileCompleted", {**who, "event_id": "e3", "merchant_id": "m2", "completed_at": AT}, "3"
            ),
        ]
    )
    assert ledger_items("u1", "m1")[1] == [] and ledger_items("u1", "m2")[1] == []
    assert balance("u1") == 0 and balance("u1", "m2") == 0


@pytest.mark.parametrize(
    ("detail_type", "detail", "field"),
    [
        ("CardBound", {"event_id": "e", "customer_id": "u1", "bound_at": AT}, "detail.card_id"),
        ("ContentShared", {"event_id": "e", "customer_id": "u1", "content_id": "c"}, "detail.shared_at"),
        (
            "ContentPosted",
            {"event_id": "e", "customer_id": "u1", "content_id": "", "posted_at": AT},
            "detail.content_id",
        ),
        (
            "ProfileCompleted",
            {"event_id": "e", "customer_id": "u1", "completed_at": AT, "points": 500},
            "detail.points",
        ),
        (
            "ProfileCompleted",
            {"event_id": "e", "customer_id": "u1", "completed_at": "2999-01-01T00:00:00Z"},
            "completed_at",
        ),
    ],
)
def test_bad_reports_are_refused_naming_the_field_and_store_nothing(detail_type, detail, field):
    answer = report(detail_type, detail)
    assert 400 <= answer.status < 500, answer.json
    assert field in str(answer.json["error"]), answer.json
    assert Table().get(keys.customer_event("m1", "e")) is None
