"""The points expiry run: oldest lots first, every expiring point expires once, with runs overlapping each
other, crashing midway, and under injected conflicts and lost answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from coupon_service import keys
from coupon_service.clock import ManualClock
from coupon_service.point_items import PointsSettingsItem
from coupon_service.points import expiry as expiry_module
from coupon_service.points.expiry import PointsExpiry
from coupon_service.points.ledger import Ledger
from coupon_service.store.point_settings import PointSettingsStore
from coupon_service.store.table import Table

from tests.integration.test_points_ledger import assert_consistent, ledger_items
from tests.support import concurrently, inject

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]

T0 = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
MONTHLY = {"type": "after_months", "months": 1}


def seed(customers, clock):
    """Each customer earns 10 on T0 and 5 a day later (1 month's expiry), then spends 12."""
    PointSettingsStore().replace(PointsSettingsItem(merchant_id="m1", expiry=MONTHLY, updated_at="x"))
    ledger = Ledger(clock=clock)
    for customer in customers:
        clock.set(T0)
        ledger.credit(customer, "m1", "first", "order", 10)
        clock.set(T0 + timedelta(days=1))
        ledger.credit(customer, "m1", "second", "order", 5)
        ledger.debit(customer, "m1", "spend", "coupon_claim", 12)


def seed_many(customers):
    """What `seed` leaves, written with BatchWriteItem: balance 3, 12 consumed, lots of 10 and 5."""
    first, second = "2030-02-11T00:00:00Z", "2030-02-12T00:00:00Z"

    def items(customer):
        yield {
            **keys.points_balance(customer, "m1"),
            "type": "points_balance",
            "customer_id": customer,
            "programme": "m1",
            "balance": 3,
            "consumed": 12,
            "version": 3,
        }
        for at, points in ((first, 10), (second, 5)):
            yield {
                **keys.points_lot(customer, "m1", at),
                **keys.points_due_index(customer, "m1", at),
                "type": "points_lot",
                "customer_id": customer,
                "programme": "m1",
                "expires_at": at,
                "points": points,
            }
        for source, points, at in (("first", 10, first), ("second", 5, second), ("spend", -12, None)):
            entry = Ledger().entry(customer, "m1", source, "order", points, expires_at=at)
            yield {
                **keys.points_entry(customer, "m1", entry.entry_id),
                "type": "points_entry",
                **entry.model_dump(exclude_none=True),
            }

    Table().batch_write(item for customer in customers for item in items(customer))


def test_debits_are_charged_to_the_oldest_lot_and_the_rest_expires_once():
    clock = ManualClock(T0)
    seed(["u1"], clock)
    # one month and a day later the first lot is due: the 12 spent took all its 10, nothing expires of it
    clock.set(T0 + timedelta(days=32))
    first = PointsExpiry(clock=clock).run()
    assert first.points_expired == 0
    balance, _ = assert_consistent("u1", "m1")
    assert balance["balance"] == 3 and balance["consumed"] == 2
    # a day later the second lot is due: 5 earned, 2 of it spent: 3 expire
    clock.set(T0 + timedelta(days=33))
    second = PointsExpiry(clock=clock).run()
    assert second.points_expired == 3
    balance, entries = assert_consistent("u1", "m1")
    assert balance["balance"] == 0 and [e["points"] for e in entries if e["reason"] == "expiry"] == [-3]
    assert PointsExpiry(clock=clock).run().points_expired == 0


@pytest.mark.parametrize("mode", ["clean", "lost"])  # lost: 15% refused, 15% applied with the answer lost
def test_overlapping_runs_and_a_run_crashing_midway_expire_every_point_once(emulator, monkeypatch, mode):
    clock = ManualClock(T0)
    customers = [f"c{n:03d}" for n in range(24)]
    seed_many(customers)
    clock.set(T0 + timedelta(days=40))  # both lots due: 3 of each ledger's 15 expire
    # Given a run that crashes after expiring some ledgers
    real = PointsExpiry.expire_ledger
    done = []

    def crashing(self, *args):
        if len(done) >= 10:
            raise SystemExit("the run's process died")
        done.append(args)
        return real(self, *args)

    monkeypatch.setattr(PointsExpiry, "expire_ledger", crashing)
    monkeypatch.setattr(expiry_module, "WORKERS", 1)
    with pytest.raises(SystemExit):
        PointsExpiry(clock=clock).run()
    monkeypatch.setattr(PointsExpiry, "expire_ledger", real)
    # When three runs overlap after it, with faults
    inject(emulator, mode)
    runs = concurrently(lambda _: PointsExpiry(clock=clock).run(), 3, threads=3)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)
    assert [r for r in runs if isinstance(r, BaseException)] == []
    # Then every ledger lost exactly 3 points to expiry, once, and balances are their entries' sums
    for customer in customers:
        balance, entries = assert_consistent(customer, "m1")
        expired = [e for e in entries if e["reason"] == "expiry"]
        assert sum(e["points"] for e in expired) == -3, (customer, expired)
        assert balance["balance"] == 0
        assert ledger_items(customer, "m1")[2] == []  # no lot left
    assert sum(r.points_expired for r in runs) <= 3 * len(customers)
    assert (injected > 0) == (mode != "clean")
