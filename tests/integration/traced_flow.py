"""A customer's and a merchant's journey through the handlers, traced as on Lambda, in a process of its own.

Run by tests/integration/test_secrets_in_traces.py as `python -m tests.integration.traced_flow OUT`, with
tracing enabled the way Lambda enables it (LAMBDA_TASK_ROOT and a trace header set, so Powertools' tracer
is on and patches botocore and HTTP as in a function) and the X-Ray SDK's emitter replaced by one that
keeps every entity it would have sent to the daemon. It writes to OUT the secrets the responses carried
and the serialized entities; the functions' logs go to stdout as on Lambda. A process of its own, because
tracing patches libraries for good and Powertools' tracer keeps its state per process.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from aws_xray_sdk.core import xray_recorder

from tests.support import call, coupon_body, customer, merchant, staff

PHONE = "+86 138 1234 5678"
VERIFICATION_CODE = "246810"
STAFF_CODE = "975310"
BEARER = "Bearer s3cr3t-id-token"
CART = {
    "merchant_id": "m1",
    "currency": "CNY",
    "lines": [{"sku": "tea", "unit_price": 6000, "quantity": 2}],
}


class KeepingEmitter:
    """Stands in for the UDP emitter: keeps what would go to the X-Ray daemon, as the daemon gets it."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_entity(self, entity: Any) -> None:
        self.sent.append(entity.serialize())

    def set_daemon_address(self, address: str | None) -> None:
        pass

    @property
    def ip(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return 2000


def ok(reply: Any, status: int = 201) -> Any:
    assert reply.status == status, (reply.status, reply.raw[:300])
    return reply.json


def journey() -> dict[str, list[str]]:
    """Every route that answers a code, a token, a link or personal data; the secrets they answered."""
    headers = {"Authorization": BEARER}
    options = {
        "giftable": True,
        "self_service": {"verification_code": VERIFICATION_CODE, "staff_code": STAFF_CODE},
    }
    coupon = ok(call("POST", "/coupons", claims=merchant("m1"), body=coupon_body(options=options)))
    coupon_id = coupon["coupon_id"]
    ok(call("GET", f"/coupons/{coupon_id}/promotion", claims=merchant("m1")), 200)
    ok(call("GET", f"/offers/{coupon_id}"), 200)

    def claimed(user: str) -> dict[str, Any]:
        who = customer(user, phone_number=PHONE)
        held = ok(call("POST", f"/coupons/{coupon_id}/claims", claims=who, headers=headers))
        ok(call("GET", "/me/coupons", claims=who), 200)
        ok(call("GET", f"/me/coupons/{held['claim_id']}", claims=who, headers=headers), 200)
        qr = call("GET", f"/me/coupons/{held['claim_id']}/qr", claims=who)
        assert qr.status == 200 and qr.raw.startswith(b"\x89PNG"), qr.status
        return held

    # A giver's coupon goes to a friend, whose coupon the till then scans
    giver = claimed("giver")
    gift = ok(call("POST", f"/me/coupons/{giver['claim_id']}/gifts", claims=customer("giver")))
    ok(call("GET", f"/gifts/{gift['token']}"), 200)
    friend = customer("friend", phone_number=PHONE)
    friends = ok(call("POST", f"/gifts/{gift['token']}/accept", claims=friend), 200)
    ok(
        call(
            "POST",
            "/redemptions",
            claims=staff("m1"),
            body={"code": friends["code"], "order_id": "o-1", "order": CART},
        )
    )
    # The old code and a made-up one: refused, and the refusals must not echo them either
    call("POST", "/redemptions", claims=staff("m1"), body={"code": giver["code"]})
    call("POST", "/redemptions", claims=staff("m1"), body={"code": "GUESSED-CODE-1"})
    # A customer redeems in the store: a wrong verification code first, then the right one
    mine = claimed("u1")
    path = f"/me/coupons/{mine['claim_id']}/redemption"
    call("POST", path, claims=customer("u1"), body={"verification_code": "135792", "staff_code": STAFF_CODE})
    body = {"verification_code": VERIFICATION_CODE, "staff_code": STAFF_CODE, "order": CART}
    ok(call("POST", path, claims=customer("u1"), body=body))
    # A merchant asks for the upload form of an import
    body = coupon_body(codes={"mode": "imported"})
    imported = ok(call("POST", "/coupons", claims=merchant("m1"), body=body))
    form = ok(call("POST", f"/coupons/{imported['coupon_id']}/imports", claims=merchant("m1")))
    signing = {"policy", "signature", "x-amz-signature"}  # SigV2 or SigV4, as the endpoint signs
    signed = [value for name, value in form["fields"].items() if name.lower() in signing]
    assert len(signed) == 2, form["fields"]
    return {
        "codes": [giver["code"], friends["code"], mine["code"]],
        "gift": [gift["token"], gift["share_url"]],
        "verification": [VERIFICATION_CODE, STAFF_CODE],
        "presigned": signed,
        "personal": [PHONE, PHONE.replace(" ", "").removeprefix("+86"), BEARER.split()[1]],
    }


def main(out: str) -> None:
    emitter = KeepingEmitter()
    xray_recorder.emitter = emitter
    secrets = journey()
    with open(out, "w") as file:
        json.dump({"secrets": secrets, "entities": emitter.sent}, file)


if __name__ == "__main__":
    main(sys.argv[1])
