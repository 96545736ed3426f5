"""The rules worker: the service's own events applied to the merchant's rules, each coupon issued once per
trigger however often the event is delivered, in whatever order, from however many threads, with injected
faults and lost answers; outside events checked and stored once (the bus and the API); events of another
merchant or from an account not allowed do nothing."""

from __future__ import annotations

import json
import random
from functools import partial

import pytest
from coupon_service import keys, settings
from coupon_service.customers import CustomerDirectory
from coupon_service.events import derive
from coupon_service.issuance.apply import RuleWorker
from coupon_service.order_outbox import DERIVERS
from coupon_service.store.table import Table

from devstack.streams import StreamReader
from tests.builders import claim_items, make_coupon, table_snapshot
from tests.integration.test_orders_worker import envelope as orders_envelope
from tests.support import call, concurrently, coupon_body, inject, invoke, merchant, sqs_message

pytestmark = [pytest.mark.usefixtures("stack")]
RULES = "/merchant/issuance-rules"
THRESHOLD = 10000
MERCHANTS_ACCOUNT = "210987654321"


@pytest.fixture
def worker(stack, monkeypatch):
    """The rules worker's own environment, as the template gives it, with one merchant's account added."""
    environment = stack.environment("IssuanceWorkerFunction")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ORDER_FEED_SENDERS", f"{environment['ORDER_FEED_SENDERS']}{MERCHANTS_ACCOUNT}:m2")
    settings.settings.cache_clear()
    yield
    settings.settings.cache_clear()


def envelope(detail_type, detail, *, source="coupons", account="123456789012", event_id="e"):
    """An event as EventBridge delivers it to the rule's queue (by default one of the service's own)."""
    return orders_envelope(detail_type, detail, event_id=event_id, source=source, account=account)


def batch(*events):
    return {"Records": [sqs_message(json.dumps(e), message_id=f"msg-{i}") for i, e in enumerate(events)]}


def seeded_orders(merchant_id, amounts):
    """Reported orders written with BatchWriteItem, and the `OrderPlaced` the outbox derives of each."""
    items = []
    for n, amount in enumerate(amounts):
        order_id = f"o-{n:04d}"
        lines = [{"sku": "tea" if n % 2 else "cake", "quantity": 1, "unit_price": amount, "amount": amount}]
        items.append(
            {
                **keys.reported_order(merchant_id, order_id),
                "type": "reported_order",
                "order_id": order_id,
                "merchant_id": merchant_id,
                "customer_id": f"c{n % 250:03d}",
                "amount": amount,
                "currency": "CNY",
                "lines": lines,
                "placed_at": "2026-05-09T10:00:00Z",
                "received_at": "2026-05-09T10:00:01Z",
                "reported_via": "api",
                "digest": f"d{n}",
            }
        )
    Table().batch_write(items)
    return [DERIVERS["reported_order"](item, {}, "INSERT")[0] for item in items]


def order_rule(coupon_id, merchant_id="m1", **trigger):
    body = {
        "name": "Over 100",
        "trigger": {"type": "order_placed", "min_amount": THRESHOLD, "coupon_id": coupon_id, **trigger},
    }
    made = call("POST", RULES, claims=merchant(merchant_id), body=body)
    assert made.status == 201, made.json
    return made.json


def deliver(worker, events, *, seed, threads=4, size=10):
    """Every event twice, shuffled, in batches of `size` from `threads` threads; what failed is delivered
    again, as the queue would."""
    pending = [(e.detail_type, e.model_dump(mode="json")) for e in events] * 2
    random.Random(seed).shuffle(pending)
    for _ in range(20):
        batches = [pending[i : i + size] for i in range(0, len(pending), size)]
        results = concurrently(partial(_apply_batch, worker, batches), len(batches), threads)
        pending = [e for b, r in zip(batches, results, strict=True) for e in r]
        if not pending:
            return
    raise AssertionError(f"{len(pending)} events never applied")


def _apply_batch(worker, batches, index):
    """A batch as the handler takes it; the events that failed are handed back."""
    try:
        outcomes = worker.apply_all([("coupons", t, d) for t, d in batches[index]])
    except Exception:
        return batches[index]
    return [e for e, o in zip(batches[index], outcomes, strict=True) if isinstance(o, Exception)]


@pytest.mark.concurrency
def test_500_orders_over_the_threshold_delivered_twice_with_lost_answers_issue_500_coupons(emulator, worker):
    # Given a coupon, m1's rule for orders of 100.00 or more, and another merchant's rule
    coupon_id = make_coupon(
        codes={"mode": "random_on_claim", "inventory": 2000}, options={"per_customer_limit": 10}
    )["coupon_id"]
    rule = order_rule(coupon_id)
    # And 500 orders at or over the threshold, 30 under it, from 250 customers (two or three orders each)
    amounts = [THRESHOLD + n for n in range(500)] + [THRESHOLD - 1 - n for n in range(30)]
    random.Random(7).shuffle(amounts)
    events = seeded_orders("m1", amounts)
    qualifying = {e.order_id for e in events if e.amount >= THRESHOLD}
    assert len(qualifying) == 500
    # When each is delivered twice, in concurrent batches, with 30% of writes failed (half lost answers)
    inject(emulator, "lost")
    deliver(RuleWorker(), events, seed=1)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert injected > 0
    # And the whole stream once more through the worker's handler (a redelivered batch)
    for start in range(0, 60, 10):
        answer = invoke(
            "issuance_worker",
            batch(*(envelope(e.detail_type, e.model_dump(mode="json")) for e in events[start : start + 10])),
        )
        assert answer == {"batchItemFailures": []}
    # Then exactly 500 coupons were issued, one per qualifying order, each saying why
    claims = claim_items(coupon_id)
    assert len(claims) == 500
    reasons = [c["issue_reason"] for c in claims]
    assert {r["detail"] for r in reasons} == {f"order {o}" for o in qualifying}
    assert {(r["kind"], r["source_id"]) for r in reasons} == {("rule", rule["rule_id"])}
    by_order = {e.order_id: e.customer_id for e in events}
    assert all(by_order[c["issue_reason"]["detail"].split()[1]] == c["owner_id"] for c in claims)
    assert {c["channel"] for c in claims} == {"rule"}


def published(reader):
    """The events the outbox publishes of what the table committed since the last read."""
    return [e for r in reader.drain() for e in derive(r)]


def to_worker(events):
    """The events as the rule's queue hands them to the worker; its answer."""
    return invoke(
        "issuance_worker", batch(*(envelope(e.detail_type, e.model_dump(mode="json")) for e in events))
    )


def report(detail_type, detail, merchant_id="m1"):
    return call(
        "POST",
        "/merchant/customer-events",
        claims=merchant(merchant_id),
        body={"detail_type": detail_type, "detail": detail},
    )


def rule(trigger, merchant_id="m1"):
    made = call("POST", RULES, claims=merchant(merchant_id), body={"name": "R", "trigger": trigger})
    assert made.status == 201, made.json
    return made.json


def test_a_pack_an_invitation_and_a_tier_issue_once_each_and_another_merchants_rules_never(
    emulator, stack, worker
):
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    a, b, c, d, e = (make_coupon()["coupon_id"] for _ in range(5))
    their = call("POST", "/coupons", claims=merchant("m2"), body=coupon_body()).json["coupon_id"]
    pack = rule({"type": "customer_joined", "coupon_ids": [a, b, c]})
    invitation = rule({"type": "invitation_accepted", "inviter_coupon_id": d, "invitee_coupon_id": e})
    rule({"type": "tier_upgraded", "tier": "gold", "coupon_id": b})
    rule({"type": "customer_joined", "coupon_ids": [their]}, merchant_id="m2")
    reader.drain()
    # When m1 reports a customer who joined (twice: a retry), an accepted invitation and two tier upgrades
    joined = {
        "event_id": "j-1",
        "customer_id": "new",
        "joined_at": "2026-05-01T09:00:00Z",
        "birthday": "07-14",
        "tags": ["vip"],
    }
    first = report("CustomerJoined", joined)
    assert first.status == 202, first.json
    assert report("CustomerJoined", joined).json == first.json
    accepted = {
        "event_id": "i-1",
        "invitation_id": "inv-1",
        "inviter_id": "old",
        "invitee_id": "new",
        "accepted_at": "2026-05-01T09:05:00Z",
    }
    assert report("InvitationAccepted", accepted).status == 202
    for n, tier in enumerate(("silver", "gold")):
        upgraded = {
            "event_id": f"t-{n}",
            "customer_id": "old",
            "tier": tier,
            "upgraded_at": "2026-05-01T10:00:00Z",
        }
        assert report("TierUpgraded", upgraded).status == 202
    events = published(reader)
    assert sorted(e.detail_type for e in events) == [
        "CustomerJoined",
        "InvitationAccepted",
        "TierUpgraded",
        "TierUpgraded",
    ]
    # And the worker takes them twice (a redelivered batch)
    assert to_worker(events) == {"batchItemFailures": []}
    assert to_worker(events) == {"batchItemFailures": []}
    # Then the new customer holds the pack and the invitee's coupon, the inviter theirs and gold's, once each
    held = {(c["owner_id"], c["coupon_id"]) for c in all_claims()}
    assert sorted(held) == sorted({("new", a), ("new", b), ("new", c), ("new", e), ("old", d), ("old", b)})
    assert len(all_claims()) == 6
    reasons = {c["issue_reason"]["detail"] for c in all_claims()}
    assert reasons == {"joined", "invitation inv-1 inviter", "invitation inv-1 invitee", "tier gold"}
    assert {c["issue_reason"]["source_id"] for c in all_claims() if c["owner_id"] == "new"} == {
        pack["rule_id"],
        invitation["rule_id"],
    }
    # And the directory has what the events told
    new = CustomerDirectory().get("m1", "new")
    assert (new.birthday, new.tags, new.joined_at) == ("07-14", ["vip"], "2026-05-01T09:00:00Z")
    assert CustomerDirectory().get("m1", "old").tier == "gold"
    # And m2's rule issued nothing for m1's customer
    assert claim_items(their) == []


def all_claims():
    return [i for i in table_snapshot() if i.get("type") == "claim"]


def test_outside_events_are_stored_once_checked_and_refused_from_an_account_not_allowed(
    emulator, stack, worker
):
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    joined = {"event_id": "j-9", "customer_id": "u9", "joined_at": "2026-05-01T09:00:00Z"}
    # Through the API: a different event under a used id is a 409, a bad one a 422 naming the field
    assert report("CustomerJoined", joined).status == 202
    assert report("CustomerJoined", {**joined, "customer_id": "u8"}).status == 409
    for bad, field in (
        ({**joined, "event_id": "j-10", "birthday": "13-01"}, "birthday"),
        ({**joined, "event_id": "j-11", "joined_at": "2099-01-01T00:00:00Z"}, "joined_at"),
        ({**joined, "event_id": "j-12", "merchant_id": "m2"}, "merchant_id"),
    ):
        answer = report("CustomerJoined", bad)
        assert answer.status in (403, 422) and field in answer.json["error"]["field"], answer.json
    invited = {
        "event_id": "i-9",
        "invitation_id": "x",
        "inviter_id": "u9",
        "invitee_id": "u9",
        "accepted_at": "2026-05-01T09:00:00Z",
    }
    assert report("InvitationAccepted", invited).status == 422
    # On the bus: m2's account reports for m2; for m1, an unknown kind, the service's own source refused
    m2_event = {**joined, "event_id": "j-20", "merchant_id": "m2"}
    events = [
        envelope("CustomerJoined", m2_event, source="coupons.customers", account=MERCHANTS_ACCOUNT),
        envelope(
            "CustomerJoined",
            {**m2_event, "merchant_id": "m1"},
            source="coupons.customers",
            account=MERCHANTS_ACCOUNT,
        ),
        envelope("CustomerLeft", m2_event, source="coupons.customers", account=MERCHANTS_ACCOUNT),
        envelope(
            "CustomerJoined",
            {**m2_event, "phone": "+86 138 1234 5678"},
            source="coupons.customers",
            account=MERCHANTS_ACCOUNT,
        ),
    ]
    answer = invoke("issuance_worker", batch(*events))
    assert sorted(f["itemIdentifier"] for f in answer["batchItemFailures"]) == ["msg-1", "msg-2", "msg-3"]
    stored = [
        (i["merchant_id"], i["event_id"], i["reported_via"])
        for i in table_snapshot()
        if i.get("type") == "customer_event"
    ]
    assert sorted(stored) == [("m1", "j-9", "api"), ("m2", "j-20", "bus")]
    assert sorted(e.detail_type for e in published(reader)) == ["CustomerJoined", "CustomerJoined"]
