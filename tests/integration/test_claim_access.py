"""Who may claim beyond the shard's condition: the claim passphrase (hashed, never shown, wrong ones lock),
a draft's test release (its merchant's staff and listed testers only, kept out of the figures), and the
new-customer rules (a customer with an order at the merchant is refused, at the claim and at the till)."""

from __future__ import annotations

import pytest
from coupon_service import claims, keys
from coupon_service.events import derive
from coupon_service.figures.aggregator import Aggregator
from coupon_service.figures.reading import summed
from coupon_service.figures.reconcile import reconcile
from coupon_service.models.claims import ClaimRequest
from coupon_service.store.figures import FiguresStore
from coupon_service.store.table import Table

from tests.builders import claim_items, make_coupon, report_order, scan, shards, stream_record, table_snapshot
from tests.support import (
    call,
    caller_for,
    concurrently,
    coupon_body,
    customer,
    inject,
    merchant,
    outcome,
    staff,
)

pytestmark = pytest.mark.usefixtures("stack")
SECRET_WORDS = "open sesame 42"


def _claim(coupon_id, who, body=None):
    return call("POST", f"/coupons/{coupon_id}/claims", claims=who, body=body)


# --- the passphrase -----------------------------------------------------------------------------------


def _too_short_is_refused_and_changes_nothing():
    created = call(
        "POST", "/coupons", claims=merchant("m1"), body=coupon_body(options={"passphrase": "abc12"})
    )
    coupon = make_coupon()
    edit = {"version": 1, "options": {"passphrase": "pw123"}}
    edited = call("PATCH", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"), body=edit)
    for reply in (created, edited):
        assert reply.status == 422, reply.json
        assert reply.json["error"]["field"] == "body.options.passphrase"
        assert "abc12" not in reply.raw.decode() and "pw123" not in reply.raw.decode()  # never echoed
    assert not [i for i in table_snapshot() if i.get("passphrase_hash")]
    assert call("GET", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1")).json["version"] == 1


def test_a_passphrase_too_short_is_a_422_naming_it_and_one_set_is_kept_only_as_a_keyed_hash():
    _too_short_is_refused_and_changes_nothing()
    coupon = make_coupon(options={"passphrase": SECRET_WORDS})
    assert coupon["options"]["passphrase_required"] is True
    read = call("GET", f"/coupons/{coupon['coupon_id']}", claims=merchant("m1"))
    history = call("GET", f"/coupons/{coupon['coupon_id']}/history", claims=merchant("m1"))
    held = _claim(coupon["coupon_id"], customer("u1"), {"passphrase": SECRET_WORDS})
    assert held.status == 201, held.json
    for text in (str(table_snapshot()), read.raw.decode(), history.raw.decode(), held.raw.decode()):
        assert SECRET_WORDS not in text
    item = Table().get(keys.coupon(coupon["coupon_id"]))
    assert len(item["passphrase_hash"]) == 64 and "passphrase" not in item["options"]


def test_wrong_passphrases_lock_the_customer_out_of_the_coupon_and_only_them():
    coupon = make_coupon(options={"passphrase": SECRET_WORDS, "per_customer_limit": 3})
    cid = coupon["coupon_id"]
    missing = _claim(cid, customer("u1"))
    assert missing.status == 403 and missing.json["error"]["code"] == "passphrase_required"
    assert missing.json["error"]["field"] == "passphrase"
    # A right passphrase spends no try: two claims with it still leave five.
    assert _claim(cid, customer("u1"), {"passphrase": SECRET_WORDS}).status == 201
    assert _claim(cid, customer("u1"), {"passphrase": SECRET_WORDS}).status == 201
    answers = [_claim(cid, customer("u1"), {"passphrase": f"guess-{i}"}) for i in range(5)]
    assert [a.status for a in answers] == [422, 422, 422, 422, 423]
    assert [a.json["error"].get("details", {}).get("tries_left") for a in answers[:4]] == [4, 3, 2, 1]
    assert all(a.json["error"]["field"] == "passphrase" for a in answers)
    assert answers[-1].headers["retry-after"] == "900"
    # Locked: the right passphrase too, for this customer only.
    again = _claim(cid, customer("u1"), {"passphrase": SECRET_WORDS})
    assert again.status == 423 and again.json["error"]["field"] == "passphrase"
    assert _claim(cid, customer("u2"), {"passphrase": SECRET_WORDS}).status == 201
    assert len(claim_items(cid)) == 3
    # The merchant changes the passphrase: the old one is wrong from then on; `null` lifts it.
    edit = {"version": 1, "options": {"passphrase": "a new phrase"}}
    changed = call("PATCH", f"/coupons/{cid}", claims=merchant("m1"), body=edit)
    assert changed.status == 200 and "a new phrase" not in changed.raw.decode()
    claims.cache.clear()
    assert (
        _claim(cid, customer("u3"), {"passphrase": SECRET_WORDS}).json["error"]["code"] == "wrong_passphrase"
    )
    assert _claim(cid, customer("u3"), {"passphrase": "a new phrase"}).status == 201
    lifted = {"version": 2, "options": {"passphrase": None}}
    assert (
        call("PATCH", f"/coupons/{cid}", claims=merchant("m1"), body=lifted).json["options"][
            "passphrase_required"
        ]
        is False
    )
    claims.cache.clear()
    assert _claim(cid, customer("u4")).status == 201


def test_parallel_guesses_with_lost_answers_never_get_more_than_five_compared(emulator):
    coupon = make_coupon(options={"passphrase": SECRET_WORDS})
    guesser = caller_for(customer("u1"))

    def guess(i):
        body = ClaimRequest(passphrase=f"guess-{i}")
        return outcome(lambda: claims.Claims().claim(guesser, coupon["coupon_id"], None, None, body))

    inject(emulator, "lost")  # 30% of writes refused or applied with their answer lost
    answers = concurrently(guess, 16, threads=16)
    emulator.faults.set(0.0)
    statuses = [a.status for a in answers]
    assert set(statuses) <= {422, 423, 503}, statuses
    assert statuses.count(422) <= 4  # counted before compared: a fifth wrong one is the lock
    guard = Table().get(keys.passphrase_guard("u1", coupon["coupon_id"]))
    assert len(guard["attempts"]) <= 5
    locked = _claim(coupon["coupon_id"], customer("u1"), {"passphrase": SECRET_WORDS})
    assert locked.status == 423 and claim_items(coupon["coupon_id"]) == []


# --- the test release -----------------------------------------------------------------------------------


def _figures(coupon_id):
    counts: dict[str, int] = {}
    for cell in summed(FiguresStore().cells(coupon_id, "2000-01-01", "2099-12-31")).values():
        for name, n in cell.items():
            counts[name] = counts.get(name, 0) + n
    return {k: v for k, v in counts.items() if v}


def _count_everything():
    """What the outbox derives from every claim and redemption, counted by the aggregator."""
    aggregator = Aggregator()
    for item in table_snapshot():
        if item.get("type") in ("claim", "redemption"):
            for event in derive(stream_record(item)):
                aggregator.apply(event.detail_type, event.model_dump(mode="json"))


def test_a_test_release_is_invisible_to_the_public_and_claimable_by_staff_and_testers():
    # A pooled coupon: the test release takes positions of a draft's shards as claims take an active's.
    coupon = make_coupon(
        status="draft", codes={"mode": "generated", "inventory": 10}, options={"testers": ["tester-1"]}
    )
    cid = coupon["coupon_id"]
    assert call("GET", f"/offers/{cid}").status == 404
    assert _claim(cid, customer("u1")).status == 404  # as today: a draft is unknown
    assert _claim(cid, staff("m2", user="s-other")).status == 404  # another merchant's staff
    assert _claim(cid, merchant("m1")).status == 403  # a merchant's own account is not a claimer
    by_staff = _claim(cid, staff("m1", user="s-1"))
    by_tester = _claim(cid, customer("tester-1"))
    assert by_staff.status == 201 and by_tester.status == 201, (by_staff.json, by_tester.json)
    assert by_staff.json["test_release"] is True and by_tester.json["test_release"] is True
    assert {c["test_release"] for c in claim_items(cid)} == {True}
    # Staff test the till too: the test claim redeems like any other.
    assert scan(by_tester.json["code"]).status == 201
    # Publishing makes it public; staff no longer claim (a customer's route again).
    published = call(
        "PATCH", f"/coupons/{cid}", claims=merchant("m1"), body={"version": 1, "status": "active"}
    )
    assert published.status == 200, published.json
    claims.cache.clear()
    assert call("GET", f"/offers/{cid}").status == 200
    public = _claim(cid, customer("u1"))
    assert public.status == 201 and public.json["test_release"] is False
    assert _claim(cid, staff("m1", user="s-2")).status == 403
    assert sum(s["claimed"] for s in shards(coupon)) == 3
    # Only the public claim is in the figures, as counted and as recounted from the records.
    _count_everything()
    assert _figures(cid) == {"claimed": 1, "expired_unused": 1}
    assert reconcile() == []


# --- new customers, at the till -------------------------------------------------------------------------


def _claim_costs(dynamodb_requests):
    """A coupon without the new rules costs the claim path no extra request."""
    plain = make_coupon()
    newcomers = make_coupon(options={"new_customers_only": True, "first_order_only": True})
    secret = make_coupon(options={"passphrase": SECRET_WORDS})

    def cost(coupon, body=None):
        claims.cache.clear()  # each claim reads its coupon's terms, as a cold execution environment does
        dynamodb_requests.reset()
        assert _claim(coupon["coupon_id"], customer("u1"), body).status == 201
        return dict(dynamodb_requests.calls)

    # The coupon's terms and the claim's one transaction, as before these rules existed.
    assert cost(plain) == {"GetItem": 1, "TransactWriteItems": 1}
    # The customer's record at the merchant: one GetItem more, only for a coupon with a new-customer rule.
    assert cost(newcomers) == {"GetItem": 2, "TransactWriteItems": 1}
    # The attempt counted before the comparison, and given back when right.
    assert cost(secret, {"passphrase": SECRET_WORDS}) == {
        "GetItem": 1,
        "UpdateItem": 2,
        "TransactWriteItems": 1,
    }


def test_new_rules_cost_a_claim_nothing_unless_set_and_new_customers_hold_at_the_till(dynamodb_requests):
    _claim_costs(dynamodb_requests)
    generic = {"kind": "generic", "terms": "a welcome drink"}
    first = make_coupon(terms=generic, options={"first_order_only": True})
    newbie = make_coupon(terms=generic, options={"new_customers_only": True})
    mine = _claim(first["coupon_id"], customer("u1")).json
    welcome = _claim(newbie["coupon_id"], customer("u1")).json
    assert mine["status"] == welcome["status"] == "available"
    # A first-order coupon is used on an order, named so the rule can be checked.
    without = scan(mine["code"], order=None)
    assert without.status == 422 and without.json["error"]["field"] == "order_id"
    # The customer's first order: reported and counted before the till redeems on it, it is still the first.
    report_order("o-1", "u1", "2026-01-01T08:00:00+08:00")
    assert scan(mine["code"], order=None, order_id="o-1").status == 201
    # A later order is not their first: the new-customer coupon claimed while they were new is refused.
    report_order("o-2", "u1", "2026-01-02T08:00:00+08:00")
    checked = call(
        "POST",
        "/redemptions/validation",
        claims=staff("m1"),
        body={"code": welcome["code"], "order_id": "o-2"},
    )
    refused = scan(welcome["code"], order=None, order_id="o-2")
    for reply in (checked, refused):
        assert reply.status == 403 and reply.json["error"]["code"] == "not_new_customer", reply.json
    assert Table().get(keys.claim(welcome["claim_id"]))["state"] == "available"
