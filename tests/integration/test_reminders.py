"""The scheduled reminder run, with a clock the tests move: every due coupon reminded once, none twice."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from coupon_service import events, keys
from coupon_service.aws import client
from coupon_service.reminders import Reminders
from coupon_service.store import retries as store
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

from bench.reminders import seeded
from devstack.streams import StreamReader, published
from tests.builders import GIFTABLE, claim, make_coupon, scan, seed, stored_claim
from tests.support import call, concurrently, customer, inject, invoke, merchant

pytestmark = pytest.mark.usefixtures("stack")
T0 = datetime(2030, 3, 1, 0, 0, tzinfo=UTC)


def reminded_events(records: list[dict[str, Any]]) -> Counter:
    """CouponExpiring events the outbox derives from these stream records, counted per claimed coupon."""
    return Counter(
        e.claim_id
        for record in records
        for e in events.derive(record)
        if isinstance(e, events.CouponExpiring)
    )


def test_every_due_coupon_over_two_days_is_reminded_once_at_or_after_its_time(emulator, stack, clock):
    # Given 5,000 claimed coupons with reminder times over two days, each valid six hours after it
    spread = timedelta(hours=48) / 5000
    seeds = [seeded(i, T0 + spread * i, T0 + spread * i + timedelta(hours=6)) for i in range(5000)]
    seed(seeds)
    # And real ones: claimed with a reminder 12 hours before expiry, some redeemed, some redeemed and reversed
    clock.set(T0)
    coupon = make_coupon(
        validity={"type": "hours", "hours": 20},
        options={"reminder": {"hours_before_expiry": 12, "message": "use it"}},
        claim_window={"start": "2029-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"},
    )
    real = [claim(coupon["coupon_id"], user=f"r{i}").json for i in range(6)]
    redeemed = [scan(c["code"]).json for c in real[:4]]
    for r in redeemed[2:]:
        call("POST", f"/redemptions/{r['redemption_id']}/reversal", claims=merchant("m1"))
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()

    # When the run fires every 15 simulated minutes across the period and beyond
    runs = [Reminders().run(T0 + timedelta(minutes=15 * n)) for n in range(4 * 56)]

    # Then each due coupon got exactly one reminder, at or after its time (within a run) and before expiry
    fired = reminded_events(reader.drain())
    expected = {s["claim_id"] for s in seeds} | {c["claim_id"] for c in real[2:]}
    assert set(fired) == expected and set(fired.values()) == {1}
    for s in seeds[::50]:
        stored = stored_claim(s["claim_id"])
        assert s["remind_at"] <= stored["reminded_at"] < s["valid_until"]
        assert stored["reminded_at"] <= to_iso(datetime.fromisoformat(s["remind_at"]) + timedelta(minutes=15))
        assert "GSI3PK" not in stored
    # And the redeemed ones got none, the reversed ones one each
    assert not {c["claim_id"] for c in real[:2]} & set(fired)
    assert sum(r.reminded for r in runs) == len(expected)


@pytest.mark.parametrize("fault_mode", ["clean", "lost"])
def test_three_overlapping_runs_remind_each_coupon_once(emulator, stack, fault_mode):
    now = T0 + timedelta(hours=3)
    seed(seeded(i, T0 + timedelta(seconds=7 * i), now + timedelta(days=1)) for i in range(1000))
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    # (and again with writes refused, or applied with their answer lost: 15% each)
    inject(emulator, fault_mode)
    summaries = concurrently(lambda _: Reminders().run(now), 3, threads=3)
    emulator.faults.rate = 0.0
    assert fault_mode == "clean" or emulator.faults.injected > 0
    fired = reminded_events(reader.drain())
    assert len(fired) == 1000 and set(fired.values()) == {1}
    assert sum(s.reminded for s in summaries) == 1000
    assert sum(s.skipped for s in summaries) == sum(s.due for s in summaries) - 1000


def test_a_coupon_the_store_stays_busy_on_is_left_for_the_next_run_and_the_checkpoint_waits(
    emulator, stack, monkeypatch
):
    # Given three due coupons, a run's first checkpoint, and a store that refuses every write for a while
    now = T0 + timedelta(hours=1)
    seed(seeded(i, T0 + timedelta(seconds=i + 1), now + timedelta(days=1)) for i in range(3))
    Reminders().run(T0)
    checkpoint = Table().get(keys.reminder_checkpoint())["checkpoint"]
    monkeypatch.setattr(store, "DEFAULT_BUDGET", 0.2)
    emulator.faults.set(1.0, ("throttle",), operations=frozenset({"UpdateItem"}))
    # When a run finds them
    busy = Reminders().run(now)
    emulator.faults.set(0.0)
    # Then it reports them deferred, none reminded, and keeps the checkpoint where it was
    assert (busy.due, busy.reminded, busy.deferred) == (3, 0, 3)
    assert Table().get(keys.reminder_checkpoint())["checkpoint"] == checkpoint
    # And the next run reminds them
    assert Reminders().run(now + timedelta(minutes=15)).reminded == 3


def test_a_deferred_coupon_whose_write_was_applied_counts_as_reminded_by_its_run(
    emulator, stack, monkeypatch
):
    # Given one due coupon, and a store that applies each write but loses every answer
    now = T0 + timedelta(hours=1)
    seed([seeded(0, T0, now + timedelta(days=1))])
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    monkeypatch.setattr(store, "DEFAULT_BUDGET", 0.2)
    emulator.faults.set(1.0, ("lost",), operations=frozenset({"UpdateItem"}))
    tries: list[str] = []
    settle = Reminders._settle

    def answers_come_back_after_the_first_try(self, entry, stamp, run_id):
        tries.append(settle(self, entry, stamp, run_id))
        emulator.faults.set(0.0)
        return tries[-1]

    monkeypatch.setattr(Reminders, "_settle", answers_come_back_after_the_first_try)
    # When the run defers it, then tries it once more
    summary = Reminders().run(now)
    # Then the second try finds the run's own mark: reminded once, by this run
    assert tries == ["deferred", "reminded"]
    assert (summary.reminded, summary.skipped, summary.deferred) == (1, 0, 0)
    assert list(reminded_events(reader.drain()).values()) == [1]


class _FlakyBus:
    """The real events client, failing every third entry of the first call it sees of each event."""

    def __init__(self) -> None:
        self.real = client("events")
        self.seen: set[str] = set()
        self.failed = 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        results, passing = [], []
        for n, entry in enumerate(Entries):
            event_id = json.loads(entry["Detail"])["event_id"]
            fail = event_id not in self.seen and n % 3 == 0
            self.seen.add(event_id)
            results.append({"ErrorCode": "InternalFailure"} if fail else None)
            if not fail:
                passing.append(entry)
        self.failed += sum(r is not None for r in results)
        sent = iter(self.real.put_events(Entries=passing)["Entries"]) if passing else iter([])
        return {
            "FailedEntryCount": sum(r is not None for r in results),
            "Entries": [r or next(sent) for r in results],
        }


def test_events_that_fail_to_publish_are_delivered_on_retry_and_none_twice(emulator, stack, monkeypatch):
    now = T0 + timedelta(hours=1)
    seed(seeded(i, T0 + timedelta(seconds=i), now + timedelta(days=1)) for i in range(120))
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    Reminders().run(now)
    flaky = _FlakyBus()
    monkeypatch.setattr(events, "client", lambda service: flaky)
    assert invoke("publisher", {"Records": reader.drain()}) == {"batchItemFailures": []}
    delivered = Counter(
        e["detail"]["claim_id"]
        for e in published(emulator.url, stack.events_queue_url)
        if e["detail-type"] == "CouponExpiring"
    )
    assert flaky.failed >= 40 and len(delivered) == 120 and set(delivered.values()) == {1}


def test_after_twelve_hours_without_a_run_one_run_catches_up_and_reminds_nothing_expired(emulator, stack):
    # Given a run at T0, then none for 12 hours
    Reminders().run(T0)
    seeds = [
        seeded(
            i,
            T0 + timedelta(minutes=7 * i),
            T0 + timedelta(minutes=7 * i) + timedelta(hours=8 if i % 5 else 1),
        )
        for i in range(100)
    ]
    seed(seeds)
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    # When one run comes 12 hours later
    now = T0 + timedelta(hours=12)
    summary = Reminders().run(now)
    # Then every coupon still valid is reminded, and none that expired meanwhile
    fired = reminded_events(reader.drain())
    still_valid = {s["claim_id"] for s in seeds if s["valid_until"] > to_iso(now)}
    assert set(fired) == still_valid and set(fired.values()) == {1}
    assert len(still_valid) < len(seeds)
    assert summary.buckets_scanned == (12 + 2 + 1) * keys.REMINDER_SHARDS


def test_a_run_reads_what_is_due_and_little_else(dynamodb_items_read):
    # Given 100,000 claimed coupons of which 1,000 are due
    now = T0 + timedelta(hours=5)
    ends = now + timedelta(days=90)
    seed(seeded(i, now - timedelta(seconds=0.8 * (i + 1)), ends) for i in range(1000))  # since the last run
    seed(seeded(i, now + timedelta(minutes=i), ends) for i in range(1000, 100_000))
    Reminders().run(now - timedelta(minutes=15))
    # When a run comes
    dynamodb_items_read.reset()
    summary = Reminders().run(now)
    # Then it read about what was due, counted from the store's own responses
    assert summary.reminded == 1000
    print(f"items read by one run: {dynamodb_items_read.count} for {summary.due} due")
    assert dynamodb_items_read.count <= 1100, dynamodb_items_read.count


def test_a_coupon_gifted_before_its_reminder_reminds_the_friend(emulator, stack, clock):
    clock.set(T0)
    coupon = make_coupon(
        validity={"type": "hours", "hours": 20},
        options={**GIFTABLE, "reminder": {"hours_before_expiry": 12, "message": "use it"}},
        claim_window={"start": "2029-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"},
    )
    held = claim(coupon["coupon_id"], user="giver").json
    token = call("POST", f"/me/coupons/{held['claim_id']}/gifts", claims=customer("giver")).json["token"]
    assert call("POST", f"/gifts/{token}/accept", claims=customer("friend")).status == 200
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    Reminders().run(T0 + timedelta(hours=8, minutes=1))
    expiring = [e for r in reader.drain() for e in events.derive(r) if isinstance(e, events.CouponExpiring)]
    assert [(e.claim_id, e.customer_id, e.message) for e in expiring] == [
        (held["claim_id"], "friend", "use it")
    ]


def test_the_run_settles_gifts_past_their_lifetime(clock):
    clock.set(T0)
    coupon = make_coupon(
        options=GIFTABLE, claim_window={"start": "2029-01-01T00:00:00Z", "end": "2031-01-01T00:00:00Z"}
    )
    held = claim(coupon["coupon_id"], user="giver").json
    token = call("POST", f"/me/coupons/{held['claim_id']}/gifts", claims=customer("giver")).json["token"]
    early = Reminders().run(T0 + timedelta(hours=1))
    assert early.gifts_cleaned == 0
    summary = Reminders().run(T0 + timedelta(hours=25))
    assert summary.gifts_cleaned == 1
    stored = stored_claim(held["claim_id"])
    assert stored["state"] == "available" and "gift_id" not in stored
    clock.set(T0 + timedelta(hours=25))
    assert call("GET", f"/gifts/{token}").json["state"] == "expired"
