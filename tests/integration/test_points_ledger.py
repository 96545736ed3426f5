"""The points ledger's invariants under many real threads against the serialized local store, clean, with
injected conflicts and throttling, and with lost answers: the balance is the sum of the entries, never
below zero, and each source changes a ledger once."""

from __future__ import annotations

import pytest
from coupon_service import keys
from coupon_service.errors import NotEnoughPoints
from coupon_service.points.ledger import Ledger
from coupon_service.store.table import Table, values

from tests.support import FAULT_MODES, concurrently, inject

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]


def ledger_items(customer_id, programme):
    """(balance item, entries, lots) as the table holds them."""
    found = list(
        Table().query_all(
            key_condition="PK = :p",
            ExpressionAttributeValues=values(p=keys.points_ledger(customer_id, programme)),
        )
    )
    balance = next((i for i in found if i["SK"] == "BALANCE"), {"balance": 0, "consumed": 0})
    entries = [i for i in found if i["SK"].startswith("ENTRY#")]
    lots = [i for i in found if i["SK"].startswith("LOT#")]
    return balance, entries, lots


def assert_consistent(customer_id, programme):
    balance, entries, lots = ledger_items(customer_id, programme)
    # A credit's `repaid` went to the debt, not the balance; the debt is the shortfalls not yet repaid
    assert balance["balance"] == sum(e["points"] - e.get("repaid", 0) for e in entries), (balance, entries)
    owed = sum(e.get("shortfall", 0) - e.get("repaid", 0) for e in entries)
    assert balance.get("owed", 0) == owed >= 0, (balance, entries)
    assert balance["balance"] >= 0
    assert owed == 0 or balance["balance"] == 0  # a debt stands only beside an empty balance
    assert balance["balance"] == sum(lot["points"] for lot in lots) - balance.get("consumed", 0)
    assert len({e["source"] for e in entries}) == len(entries)
    return balance, entries


@pytest.mark.parametrize("mode", list(FAULT_MODES))
def test_concurrent_credits_and_debits_keep_the_balance_the_sum_of_the_entries(emulator, mode):
    ledger = Ledger()
    ledger.credit("u1", "m1", "seed", "adjustment", 100)
    inject(emulator, mode)

    def work(i):
        if i < 40:  # 20 credits of 5, each delivered twice
            return ledger.credit("u1", "m1", f"earn-{i // 2}", "order", 5)
        return ledger.debit("u1", "m1", f"spend-{i}", "coupon_claim", 30)

    results = concurrently(work, 50, threads=16)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)

    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, NotEnoughPoints)]
    assert others == []
    debits = [r for r in results[40:] if not isinstance(r, Exception)]
    balance, entries = assert_consistent("u1", "m1")
    # every credit landed once; each accepted debit took 30, and no more were accepted than 200 allow
    assert sorted(e["source"] for e in entries if e["source"].startswith("earn-")) == sorted(
        f"earn-{n}" for n in range(20)
    )
    assert len(debits) == 6 and balance["balance"] == 200 - 6 * 30
    # a credit answered twice is the same entry
    for n in range(20):
        first, second = results[2 * n], results[2 * n + 1]
        assert first.entry_id == second.entry_id and first.points == second.points == 5
    assert (injected > 0) == (mode != "clean")


def test_a_debit_past_the_balance_writes_nothing():
    ledger = Ledger()
    ledger.credit("u1", "m1", "seed", "adjustment", 20)
    with pytest.raises(NotEnoughPoints):
        ledger.debit("u1", "m1", "too-much", "coupon_claim", 21)
    balance, entries = assert_consistent("u1", "m1")
    assert balance["balance"] == 20 and len(entries) == 1


def test_a_take_back_stops_at_zero_and_records_the_shortfall():
    ledger = Ledger()
    ledger.credit("u1", "m1", "order:o1", "order", 10)
    ledger.debit("u1", "m1", "spend", "coupon_claim", 7)
    taken = ledger.take_back("u1", "m1", "refund:r1", "refund", 10)
    assert taken.points == -3 and taken.shortfall == 7 and taken.wanted == 10
    again = ledger.take_back("u1", "m1", "refund:r1", "refund", 10)
    assert again.entry_id == taken.entry_id and again.points == -3
    balance, _ = assert_consistent("u1", "m1")
    assert balance["balance"] == 0


def test_a_retry_after_a_lost_answer_finds_its_own_entry(emulator):
    ledger = Ledger()
    emulator.faults.set(1.0, ("lost",), limit=1)  # the first write commits, its answer is lost
    first = ledger.credit("u1", "m1", "order:o9", "order", 12)
    assert emulator.faults.injected == 1
    retried = ledger.credit("u1", "m1", "order:o9", "order", 12)
    assert retried.entry_id == first.entry_id and retried.at == first.at
    balance, entries = assert_consistent("u1", "m1")
    assert balance["balance"] == 12 and len(entries) == 1


def test_each_entry_is_one_event_from_the_outbox(emulator, stack):
    from coupon_service.events import derive

    from devstack.streams import StreamReader

    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    ledger = Ledger()
    ledger.credit("u1", "m1", "order:o1", "order", 10)
    ledger.credit("u1", "m1", "order:o1", "order", 10)  # delivered again: no second entry, no event
    ledger.debit("u1", "m1", "claim:c1", "coupon_claim", 4)
    ledger.take_back("u1", "m1", "refund:r1", "refund", 9)
    ledger.credit("u1", "m1", "adjustment:m1:u1:k", "adjustment", 1)
    events = [e for record in reader.drain() for e in derive(record)]
    assert [(e.detail_type, e.points) for e in events] == [
        ("PointsEarned", 10),
        ("PointsSpent", -4),
        ("PointsAdjusted", -6),
        ("PointsAdjusted", 1),
    ]
    assert events[2].shortfall == 3 and len({e.event_id for e in events}) == 4
    assert all(e.customer_id == "u1" and e.programme == "m1" for e in events)
