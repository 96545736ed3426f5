"""A public code's caps under many real threads against the serialized local store: clean, with conflicts
and throttling, and with lost answers. Each run checks what the store holds, not only the answers."""

from __future__ import annotations

from collections import Counter

import pytest
from coupon_service import keys
from coupon_service.models.shared_codes import SharedCodeRedemption
from coupon_service.redemptions import Redemptions
from coupon_service.store.table import Table

from tests.builders import CART, make_coupon, redemptions_of
from tests.support import FAULT_MODES, call, caller_for, concurrently, customer, inject, merchant, outcome

pytestmark = [pytest.mark.usefixtures("stack"), pytest.mark.concurrency]

CUSTOMERS = 400
TWICE = range(0, CUSTOMERS, 8)  # every eighth customer also tries a second order
RETRIED = range(4, CUSTOMERS, 8)  # and every eighth (another) sends the same order twice at once


def redeem(user, order_id):
    """A checkout's redemption through the layer; told `busy` (503), it sends the same request again."""
    body = SharedCodeRedemption.model_validate({"code": "summer24", "order_id": order_id, "order": CART})
    caller = caller_for(customer(user))
    for _ in range(4):
        answer = outcome(lambda: Redemptions().by_shared_code(caller, body))
        if answer.status != 503:
            break
    return answer


@pytest.mark.parametrize("mode", list(FAULT_MODES))
def test_a_code_capped_at_100_once_per_customer_redeems_exactly_100(emulator, mode):
    # Given a coupon whose public code may be redeemed 100 times, once per customer
    coupon = make_coupon()
    made = call(
        "PUT",
        f"/coupons/{coupon['coupon_id']}/shared-code",
        claims=merchant(),
        body={"code": "SUMMER24", "max_redemptions": 100, "per_customer_limit": 1},
    )
    assert made.status == 200, made.json
    work = [(f"c{i}", f"o-{i}") for i in range(CUSTOMERS)]
    work += [(f"c{i}", f"o-{i}-again") for i in TWICE]
    work += [(f"c{i}", f"o-{i}") for i in RETRIED]
    inject(emulator, mode)

    # When 400 customers redeem it on 32 threads, some for a second order, some sending theirs twice
    answers = concurrently(lambda i: redeem(*work[i]), len(work), threads=32)
    injected = emulator.faults.injected
    emulator.faults.set(0.0)

    # Then the store holds exactly 100 redemptions, by 100 different customers
    stored = redemptions_of(coupon["coupon_id"])
    assert len(stored) == 100
    assert len({r["customer_id"] for r in stored}) == 100
    # And the code counted 100, each customer's uses hold at most one, and they add up to 100
    code = Table().get(keys.shared_code("m1", "SUMMER24"))
    assert code["redeemed"] == 100
    uses = Table().batch_get([keys.shared_code_use(coupon["coupon_id"], f"c{i}") for i in range(CUSTOMERS)])
    sizes = Counter(len(u["redemptions"]) for u in uses)
    assert set(sizes) <= {0, 1} and sizes[1] == 100
    assert {r["redemption_id"] for r in stored} == {rid for u in uses if u for rid in u["redemptions"]}
    # And every answer agrees with the store: successes name stored redemptions, refusals say why
    won = {a.json["redemption_id"] for a in answers if a.status == 201}
    assert won <= {r["redemption_id"] for r in stored}
    refusals = Counter(a.json["error"]["code"] for a in answers if a.status != 201)
    assert set(refusals) <= {"redemption_cap_reached", "limit_reached", "busy"}, refusals
    assert refusals["redemption_cap_reached"] >= CUSTOMERS - 100 - refusals["busy"]
    if mode != "clean":
        assert injected > 0
