"""Where claims come from: a coupon's per-device limit holds exactly under many threads (clean and with lost
answers), costs nothing to coupons without it, and the abuse watch raises one `ClaimAbuseSuspected` per
window and subject, never carrying a device id or an IP in clear."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from coupon_service import keys
from coupon_service.claim_watch import ACCOUNTS_PER_DEVICE, ACCOUNTS_PER_IP
from coupon_service.claims import Claims
from coupon_service.events import ClaimAbuseSuspected, derive
from coupon_service.models.claims import ClaimRequest
from coupon_service.secret import hmac_key
from coupon_service.store.table import Table

from devstack.emulator import WITH_LOST
from devstack.streams import StreamReader
from tests.builders import claim_items, make_coupon
from tests.support import call, caller_for, concurrently, customer, outcome

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]

DEVICE = "device-4F1C2D9A-7E55-4B0B"
LIMITED = {"per_device_limit": 2}
CLIENT_IP = "81.2.69.160"  # a global address: loopback, private and carrier-shared ones are not watched


def claim_from(coupon_id, user, *, device=DEVICE, ip=None, key=None):
    """A claim through the layer, as the claim route calls it; told `busy` (503), sent again."""
    caller = caller_for(customer(user))
    for _ in range(4):
        answer = outcome(
            lambda: Claims().claim(
                caller, coupon_id, key, None, ClaimRequest(), device_id=device, source_ip=ip
            )
        )
        if answer.status != 503:
            break
    return answer


@pytest.mark.parametrize("lost", [False, True], ids=["clean", "lost-answers"])
def test_sixteen_accounts_on_one_device_claim_a_coupon_limited_to_two_per_device(emulator, lost):
    # Given a coupon limited to two claims per device
    coupon = make_coupon(options=LIMITED)
    hmac_key()  # the stack's key read once, as a warm execution environment holds it
    if lost:
        emulator.faults.set(0.3, WITH_LOST)

    # When 16 accounts claim it from one device at once, and 4 more from their own devices, each twice
    # with the same key (a retry)
    def work(i):
        if i < 16:
            return claim_from(coupon["coupon_id"], f"a{i}", key=f"k-{i}")
        return claim_from(coupon["coupon_id"], f"b{i % 4}", device=f"own-device-{i % 4:04d}", key="k")

    answers = concurrently(work, 24, threads=24)
    injected = emulator.faults.by_kind["lost"] + emulator.faults.by_kind["timeout"]
    emulator.faults.set(0.0)

    # Then two claims came from the shared device, each other device claimed once, the rest were refused
    statuses = Counter(a.status for a in answers[:16])
    assert statuses[201] == 2, statuses
    refusals = Counter(a.json["error"]["code"] for a in answers[:16] if a.status != 201)
    assert set(refusals) <= {"device_limit_reached", "busy"}, refusals
    assert {a.status for a in answers[16:]} == {201}
    # And the store agrees: the device's counter says 2, the coupon holds 6 claims, 2 from that device
    held = claim_items(coupon["coupon_id"])
    assert len(held) == 6
    shared = Counter(c["device_hash"] for c in held).most_common(1)[0]
    assert shared[1] == 2
    assert Table().get(keys.device_claims(coupon["coupon_id"], shared[0]))["count"] == 2
    if lost:
        assert injected > 0


def test_a_limited_coupon_needs_the_device_and_never_stores_it_in_clear(stack):
    coupon = make_coupon(options=LIMITED)
    path = f"/coupons/{coupon['coupon_id']}/claims"
    missing = call("POST", path, claims=customer("u1"))
    assert missing.status == 422 and missing.json["error"]["field"] == "X-Device-Id"
    bad = call("POST", path, claims=customer("u1"), headers={"X-Device-Id": "a b"})
    assert bad.status == 422 and bad.json["error"]["field"].lower() == "header.x-device-id"
    assert claim_items(coupon["coupon_id"]) == []
    made = call("POST", path, claims=customer("u1"), headers={"X-Device-Id": DEVICE})
    assert made.status == 201, made.json
    # The coupon shows its limit; the table holds the device and the caller's IP only as keyed hashes
    read = call(
        "GET",
        f"/coupons/{coupon['coupon_id']}",
        claims={"sub": "m", "cognito:groups": "merchants", "custom:merchant_id": "m1"},
    )
    assert read.json["options"]["per_device_limit"] == 2
    items, _ = Table().scan()
    text = json.dumps(items, default=str)
    assert DEVICE not in text
    [held] = claim_items(coupon["coupon_id"])
    assert held["device_hash"] and held["per_device_limit"] == 2
    assert "ip_hash" not in held  # the local gateway's 127.0.0.1 names no client: not watched


def test_a_coupon_without_a_device_limit_costs_no_extra_request(stack, dynamodb_requests):
    plain = make_coupon()
    claim_from(plain["coupon_id"], "u0", device=None)  # its terms read once (kept a few seconds)
    dynamodb_requests.reset()
    assert claim_from(plain["coupon_id"], "u1", device=None).status == 201
    without = dict(dynamodb_requests.calls)
    dynamodb_requests.reset()
    assert claim_from(plain["coupon_id"], "u2", device=DEVICE, ip=CLIENT_IP).status == 201
    assert dict(dynamodb_requests.calls) == without, (without, dynamodb_requests.calls)
    # A limited coupon's device counter rides in the same transaction: the same requests too
    limited = make_coupon(options=LIMITED)
    claim_from(limited["coupon_id"], "u0")  # its terms read once, as for the plain coupon above
    dynamodb_requests.reset()
    assert claim_from(limited["coupon_id"], "u3").status == 201
    assert dict(dynamodb_requests.calls) == {"TransactWriteItems": 1}


def test_many_accounts_from_one_device_or_ip_raise_one_event_per_window(emulator, stack):
    # Given two coupons of one merchant and the outbox's stream read from here on
    first, second = make_coupon(), make_coupon()
    hmac_key()  # the stack's key read once, as a warm execution environment holds it
    reader = StreamReader(emulator.url, stack.tables["CouponsTable"])
    reader.drain()
    emulator.faults.set(0.3, WITH_LOST)

    # When more accounts than the device's threshold claim from one device, over both coupons, and more
    # than the IP's threshold from one IP (on their own devices), at once, with answers lost
    device_accounts = ACCOUNTS_PER_DEVICE + 2
    ip_accounts = ACCOUNTS_PER_IP + 2

    def work(i):
        if i < device_accounts:
            return claim_from((first, second)[i % 2]["coupon_id"], f"d{i}", key="k")
        user = f"n{i}"
        return claim_from(first["coupon_id"], user, device=f"phone-{i:06d}", ip=CLIENT_IP, key="k")

    answers = concurrently(work, device_accounts + ip_accounts, threads=16)
    emulator.faults.set(0.0)
    assert {a.status for a in answers} == {201}, Counter(a.status for a in answers)

    # Then one event for the device and one for the IP, naming the merchant and the accounts, hashed only
    raised = [e for r in reader.drain() for e in derive(r) if isinstance(e, ClaimAbuseSuspected)]
    assert sorted(e.kind for e in raised) == ["device", "ip"], raised
    by_kind = {e.kind: e for e in raised}
    assert by_kind["device"].accounts == ACCOUNTS_PER_DEVICE + 1
    assert by_kind["ip"].accounts == ACCOUNTS_PER_IP + 1
    assert all(e.merchant_id == "m1" for e in raised)
    dumped = " ".join(e.model_dump_json() for e in raised)
    assert DEVICE not in dumped and CLIENT_IP not in dumped
    # And the watch counted every account once, lost answers or not
    watched = [i for i in Table().scan()[0] if i.get("type") == "claim_watch"]
    sizes = sorted(len(i["accounts"]) for i in watched)
    assert sizes[-2:] == sorted([device_accounts, ip_accounts])
