"""Validity edits reach holders: a lengthened validity extends every held, unused coupon's window (with its
wallet and reminder entries) exactly once, resumably, while customers claim, redeem and give; a shorter
one leaves every holder as they were."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from coupon_service import keys
from coupon_service.clock import SYSTEM
from coupon_service.figures.reading import summed
from coupon_service.figures.reconcile import reconcile
from coupon_service.gifts import Gifts
from coupon_service.holders import Holders
from coupon_service.models.holders import HoldersRecord
from coupon_service.models.redemptions import StaffRedemption
from coupon_service.redemptions import Redemptions
from coupon_service.store.figures import FiguresStore
from coupon_service.store.table import Table
from coupon_service.validity import from_iso, to_iso

from devstack.emulator import DEFAULT_KINDS, WITH_LOST
from devstack.provision import client
from devstack.streams import StreamReader, published
from tests.builders import CART, claim_items, claim_now, make_coupon, seed_held
from tests.support import call, caller_for, customer, invoke, merchant, outcome, sqs_message, staff

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]
BASE = "https://coupons.example/v1"
OLD_END, NEW_END = "2031-01-01T00:00:00Z", "2032-01-01T00:00:00Z"
LEAD = timedelta(hours=24)
ROOMY = 900_000  # the function's own timeout, in ms, as its context reports it


class Bus:
    """The way an edit reaches the holders function, as deployed: the table's stream to the publisher, the
    bus's rule to the holders queue, the queue's messages to the function."""

    def __init__(self, emulator, stack):
        self.stream = StreamReader(emulator.url, stack.tables["CouponsTable"])
        self.sqs = client("sqs", emulator.url)
        self.queue_url = stack.refs["HoldersQueue"]
        self.skip()

    def skip(self):
        """Forget what the table committed so far (seeded data: nothing to publish)."""
        self.stream.drain()

    def drain(self):
        """Publish what the table committed since the last call; the holders queue's messages, taken."""
        records = self.stream.drain()
        if records:
            assert invoke("publisher", {"Records": records}, ROOMY) == {"batchItemFailures": []}
        messages = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            messages += batch
            for message in batch:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return {"Records": [sqs_message(m["Body"], m["MessageId"]) for m in messages]}


@pytest.fixture
def stream(emulator, stack):
    return Bus(emulator, stack)


def extend_all(event, time_left):
    """What the function's record handler does for each record, for tests that read its progress."""
    return [
        Holders(settle=timedelta(0)).extend_change(HoldersRecord.model_validate(r).body.detail, time_left)
        for r in event["Records"]
    ]


def fixed_coupon(**overrides):
    overrides.setdefault("shard_count", 4)
    return make_coupon(
        codes={"mode": "random_on_claim", "inventory": 100_000},
        claim_window={"start": "2020-01-01T00:00:00Z", "end": "2030-06-01T00:00:00Z"},
        validity={"type": "fixed", "start": "2020-01-01T00:00:00Z", "end": OLD_END},
        options={"giftable": True, "reminder": {"hours_before_expiry": 24, "message": "Ends tomorrow"}},
        **overrides,
    )


def edit(coupon, validity, version=1):
    body = {"version": version, "validity": validity}
    return call("PATCH", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"), body=body)


def hours_ago(hours):
    return to_iso(SYSTEM.now() - timedelta(hours=hours))


def check_entries(item):
    """The claimed coupon's wallet and reminder entries agree with its window."""
    assert item["GSI1SK"] == keys.wallet_sort(item["valid_until"], item["claim_id"])
    if "GSI3SK" in item:
        assert {k: item[k] for k in ("GSI3PK", "GSI3SK")} == keys.reminder_index(
            item["remind_at"], item["claim_id"]
        )


def claimer(coupon_id, worker, stop, activity):
    """New customers claiming while the extension runs (at most 20 per thread)."""
    for n in range(20):
        if stop.is_set():
            return
        activity[f"claim {claim_now(coupon_id, f'new{worker}-{n}').status}"] += 1


def redeemer(items, activity):
    for item in items:
        body = StaffRedemption(code=item["code"], order_id=f"o-{item['claim_id']}", order=CART)
        reply = outcome(lambda body=body: Redemptions().by_staff(caller_for(staff("m1")), "m1", body))
        activity[f"redeem {reply.status}"] += 1


def gifter(items, activity):
    for item in items:
        giver = caller_for(customer(item["owner_id"]))
        given = outcome(lambda giver=giver, item=item: Gifts().give(giver, item["claim_id"], BASE))
        if given.status != 201:
            activity[f"give {given.status}"] += 1
            continue
        friend = caller_for(customer(f"friend-{item['owner_id']}"))
        token = given.json["token"]
        activity[
            f"accept {outcome(lambda friend=friend, token=token: Gifts().accept(friend, token)).status}"
        ] += 1


def check_extended(items, used_before):
    """Every claimed coupon not used ends at NEW_END, its reminder a day before, its entries with it; those
    used before the edit are untouched; those used while it ran end at either."""
    for item in items.values():
        check_entries(item)
        if item["claim_id"] in used_before:
            assert (item["valid_until"], item["remind_at"]) == (OLD_END, to_iso(from_iso(OLD_END) - LEAD))
        elif item["state"] == "used":
            assert item["valid_until"] in (OLD_END, NEW_END)
        else:
            assert (item["valid_until"], item["remind_at"]) == (NEW_END, to_iso(from_iso(NEW_END) - LEAD)), (
                item
            )


def test_extension_over_5000_held_coupons_while_customers_claim_redeem_and_give(stream):
    # Given 5,000 customers each holding an unused coupon ending OLD_END, and 500 holding one they used
    coupon = fixed_coupon()
    coupon_id = coupon["coupon_id"]
    held = seed_held(coupon_id, 5000, prefix="h", claimed_at=hours_ago(1))
    used = {
        c["claim_id"] for c in seed_held(coupon_id, 500, prefix="x", claimed_at=hours_ago(1), state="used")
    }
    assert {c["valid_until"] for c in held} == {OLD_END}
    assert {c["remind_at"] for c in held} == {to_iso(from_iso(OLD_END) - LEAD)}
    stream.skip()

    # When the merchant moves the end a year later while, on other threads, new customers claim, tills
    # redeem 40 of the held coupons and 40 holders give theirs to friends who accept
    stop, activity = threading.Event(), Counter()
    with ThreadPoolExecutor(max_workers=6) as pool:
        busy = [pool.submit(claimer, coupon_id, w, stop, activity) for w in range(2)]
        busy += [pool.submit(redeemer, held[w * 20 : (w + 1) * 20], activity) for w in range(2)]
        busy += [pool.submit(gifter, held[100 + w * 20 : 120 + w * 20], activity) for w in range(2)]
        time.sleep(0.5)
        reply = edit(coupon, {"type": "fixed", "start": "2020-01-01T00:00:00Z", "end": NEW_END})
        assert (reply.status, reply.json["holders"]) == (200, "extending")
        started = time.monotonic()
        # The coupon's change reaches the holders function (one message on its queue)
        records = stream.drain()
        assert len(records["Records"]) == 1
        assert invoke("holders", records, ROOMY) == {"batchItemFailures": []}
        took = time.monotonic() - started
        stop.set()
        for future in busy:
            future.result()
    assert activity["redeem 201"] == 40 and activity["accept 201"] == 40, activity
    assert activity["claim 201"] > 0, activity

    # Then every claimed coupon not used ends at NEW_END, its reminder a day before, its entries with it
    items = {c["claim_id"]: c for c in claim_items(coupon_id)}
    assert len(items) == 5500 + activity["claim 201"]
    check_extended(items, used)
    # And the friends hold the extended coupons
    accepted = [i for i in items.values() if i.get("received_from")]
    assert len(accepted) == 40 and {i["valid_until"] for i in accepted if i["state"] != "used"} == {NEW_END}
    print(f"extended {len(items)} claimed coupons, with claims, redemptions and gifts running: {took:.1f} s")

    # And the same change delivered again, to a consumer that lost its checkpoint, extends nothing twice
    Table().delete(keys.holder_extension(coupon_id, 2))
    [again] = extend_all(records, lambda: 900.0)
    assert (again.finished, again.extended) == (True, 0)
    assert {c["claim_id"]: c for c in claim_items(coupon_id)} == items


def test_a_change_delivered_again_extends_nothing_twice(stream, dynamodb_requests):
    # Given 300 held coupons extended once by the change's delivery
    coupon = fixed_coupon()
    seed_held(coupon["coupon_id"], 300, claimed_at=hours_ago(1))
    stream.skip()
    edit(coupon, {"type": "fixed", "start": "2020-01-01T00:00:00Z", "end": NEW_END})
    records = stream.drain()
    [first] = extend_all(records, lambda: 900.0)
    assert (first.finished, first.extended) == (True, 300)
    after_first = {c["claim_id"]: c for c in claim_items(coupon["coupon_id"])}

    # When the queue delivers the same message again, to the function
    dynamodb_requests.reset()
    assert invoke("holders", records, ROOMY) == {"batchItemFailures": []}
    # Then it wrote no claimed coupon (the change's checkpoint says it finished)
    assert dynamodb_requests.calls["UpdateItem"] <= 1, dynamodb_requests.calls

    # And even with its checkpoint gone, a delivery extends nothing twice: each write's condition (and
    # the window already at the new end) refuses it
    Table().delete(keys.holder_extension(coupon["coupon_id"], 2))
    [again] = extend_all(records, lambda: 900.0)
    assert (again.finished, again.extended) == (True, 0)
    assert {c["claim_id"]: c for c in claim_items(coupon["coupon_id"])} == after_first


@pytest.mark.parametrize("kinds", [None, DEFAULT_KINDS, WITH_LOST], ids=["clean", "faults", "lost-answers"])
def test_an_interrupted_extension_resumes_and_extends_each_coupon_once(emulator, stream, kinds):
    # Given 300 coupons valid 5 hours from their own claim, claimed over the last four hours
    coupon = make_coupon(
        validity={"type": "hours", "hours": 5},
        codes={"mode": "random_on_claim", "inventory": 5000},
        shard_count=4,
    )
    moment = SYSTEM.now()
    items = seed_held(
        coupon["coupon_id"], 300, claimed_at=lambda i: to_iso(moment - timedelta(seconds=48 * i))
    )
    assert len(items) == 300
    stream.skip()
    reply = edit(coupon, {"type": "hours", "hours": 10})
    assert reply.json["holders"] == "extending"
    records = stream.drain()
    if kinds is not None:
        emulator.faults.set(0.15, kinds)

    # When the consumer runs out of time after two pages
    pages = iter(range(10_000))
    [interrupted] = extend_all(records, lambda: 900.0 if next(pages) < 2 else 0.0)
    assert not interrupted.finished and 0 < interrupted.extended < 300, interrupted
    # And the change is delivered again
    [resumed] = extend_all(records, lambda: 900.0)
    emulator.faults.set(0.0)

    # Then every coupon was extended exactly once: its own claim time + 10 hours
    assert resumed.finished
    assert interrupted.extended + resumed.extended == 300, (interrupted, resumed)
    for item in claim_items(coupon["coupon_id"]):
        assert item["valid_until"] == to_iso(from_iso(item["claimed_at"]) + timedelta(hours=10))
        check_entries(item)


def test_a_shorter_validity_leaves_every_holder_as_they_were(stream, emulator, stack):
    coupon = fixed_coupon()
    seed_held(coupon["coupon_id"], 50, claimed_at=hours_ago(1))
    before = {c["claim_id"]: c for c in claim_items(coupon["coupon_id"])}
    stream.skip()
    reply = edit(coupon, {"type": "fixed", "start": "2020-01-01T00:00:00Z", "end": "2030-12-01T00:00:00Z"})
    assert (reply.status, reply.json["holders"]) == (200, "unchanged")
    # The edit's event does not reach the holders queue, and the function given it anyway changes nothing
    assert stream.drain() == {"Records": []}
    [changed] = [
        e for e in published(emulator.url, stack.events_queue_url) if e["detail-type"] == "CouponChanged"
    ]
    assert (changed["detail"]["holders"], changed["detail"]["validity"]) == ("unchanged", None)
    delivered = {"Records": [sqs_message(json.dumps(changed))]}
    assert invoke("holders", delivered, ROOMY) == {"batchItemFailures": []}
    assert {c["claim_id"]: c for c in claim_items(coupon["coupon_id"])} == before


def test_coupons_expired_when_the_coupon_was_edited_stay_expired(stream):
    coupon = make_coupon(validity={"type": "hours", "hours": 5})
    long_ago = hours_ago(6)
    seed_held(coupon["coupon_id"], 10, prefix="old", claimed_at=long_ago)
    fresh = seed_held(coupon["coupon_id"], 10, prefix="new", claimed_at=hours_ago(1))
    stream.skip()
    edit(coupon, {"type": "hours", "hours": 10})
    assert invoke("holders", stream.drain(), ROOMY) == {"batchItemFailures": []}
    ends = {c["claim_id"]: c["valid_until"] for c in claim_items(coupon["coupon_id"])}
    assert sum(end == to_iso(from_iso(long_ago) + timedelta(hours=5)) for end in ends.values()) == 10
    assert all(ends[c["claim_id"]] == to_iso(from_iso(c["claimed_at"]) + timedelta(hours=10)) for c in fresh)


def test_extended_coupons_expire_unused_on_their_new_last_day_in_the_figures(stream, stack):
    # Given 20 held coupons whose claims the figures counted, all due to expire unused on OLD_END's day
    coupon = fixed_coupon()
    seed_held(coupon["coupon_id"], 20, claimed_at=hours_ago(1))
    stream.drain()

    # When the validity is lengthened, the holders extend them and the figures count what was published
    edit(coupon, {"type": "fixed", "start": "2020-01-01T00:00:00Z", "end": NEW_END})
    assert invoke("holders", stream.drain(), ROOMY) == {"batchItemFailures": []}
    stream.drain()
    sqs, queue_url, counted = client("sqs", stack.endpoint), stack.refs["FiguresQueue"], 0
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        records = [sqs_message(m["Body"], m["MessageId"]) for m in batch]
        assert invoke("aggregator", {"Records": records}, ROOMY) == {"batchItemFailures": []}
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        counted += sum('"CouponExtended"' in m["Body"] for m in batch)

    # Then each extension was one event, they expire unused on the new last day, and a recount agrees
    assert counted == 20
    by_day = {}
    for (day, _, _), counts in summed(
        FiguresStore().cells(coupon["coupon_id"], "2030-01-01", "2032-12-31")
    ).items():
        by_day[day] = by_day.get(day, 0) + counts.get("expired_unused", 0)
    assert {d: n for d, n in by_day.items() if n} == {NEW_END[:10]: 20}
    assert reconcile() == []


LONGEST = {"type": "fixed", "start": "2020-01-01T00:00:00Z", "end": "2099-01-01T00:00:00Z"}


def test_a_forged_or_altered_change_event_extends_only_what_the_committed_edit_did(stream, emulator, stack):
    # Given 10 held coupons of a coupon never edited
    coupon = fixed_coupon()
    seed_held(coupon["coupon_id"], 10, claimed_at=hours_ago(1))
    stream.skip()
    before = {c["claim_id"]: c for c in claim_items(coupon["coupon_id"])}
    forged = {
        "version": "0", "id": "forged", "detail-type": "CouponChanged", "source": "coupons",
        "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"event_id": "x", "occurred_at": "2026-01-01T00:00:00Z", "coupon_id": coupon["coupon_id"],
                   "merchant_id": "m1", "coupon_version": 2, "changed": ["validity"], "changed_by": "m1",
                   "holders": "extending", "validity": LONGEST},
    }  # fmt: skip

    # When a CouponChanged naming an edit that was never made reaches the function
    delivered = {"Records": [sqs_message(json.dumps(forged))]}
    assert invoke("holders", delivered, ROOMY) == {"batchItemFailures": []}
    # Then nothing moved
    assert {c["claim_id"]: c for c in claim_items(coupon["coupon_id"])} == before

    # And when the edit is made, an event altered to carry a longer validity extends to the edit's own end
    edit(coupon, {"type": "fixed", "start": "2020-01-01T00:00:00Z", "end": NEW_END})
    stream.drain()
    assert invoke("holders", delivered, ROOMY) == {"batchItemFailures": []}
    assert {c["valid_until"] for c in claim_items(coupon["coupon_id"])} == {NEW_END}
