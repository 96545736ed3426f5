"""The combined output of a whole `make run` session holds none of the secrets its answers carried."""

from __future__ import annotations

import json

import pytest
import urllib3

from devstack.tokens import mint
from tests.support import coupon_body, interrupt_run, make_run, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE = "+86 139 8765 4321"
CART = {
    "merchant_id": "m1",
    "currency": "CNY",
    "lines": [{"sku": "tea", "unit_price": 6000, "quantity": 2}],
}


def test_a_claim_gift_redeem_and_import_session_logs_no_secret(tmp_path):
    # Given the stack started as `make run` starts it, everything it and its workers print in one file
    output = tmp_path / "run.log"
    process, port, _ = make_run(output)
    base = f"http://127.0.0.1:{port}/v1"
    http = urllib3.PoolManager(retries=False, timeout=30)

    def send(method, path, token=None, body=None, status=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        reply = http.request(method, base + path, body=data, headers=headers)
        assert status is None or reply.status == status, (method, path, reply.status, reply.data[:300])
        return json.loads(reply.data) if reply.headers.get("Content-Type") == "application/json" else reply

    try:

        def serves():
            try:
                return http.request("GET", f"{base}/offers/{'0' * 32}").status == 404
            except urllib3.exceptions.HTTPError:
                return False

        assert wait_for(serves, timeout=180), output.read_text()[-3000:]
        merchant = mint("merchant", "owner-m1", merchant="m1")
        staff = mint("staff", "staff-m1", merchant="m1")
        giver = mint("customer", "log-giver", phone=PHONE)
        friend = mint("customer", "log-friend", phone=PHONE)
        myself = mint("customer", "log-self", phone=PHONE)
        verification, staff_code = "482915", "730146"
        options = {
            "giftable": True,
            "self_service": {"verification_code": verification, "staff_code": staff_code},
        }
        coupon = send("POST", "/coupons", merchant, coupon_body(options=options), 201)["coupon_id"]
        # When customers claim, look, give, accept, and redeem at the till and by themselves
        given = send("POST", f"/coupons/{coupon}/claims", giver, status=201)
        send("GET", f"/me/coupons/{given['claim_id']}", giver, status=200)
        send("GET", f"/me/coupons/{given['claim_id']}/qr", giver, status=200)
        gift = send("POST", f"/me/coupons/{given['claim_id']}/gifts", giver, status=201)
        received = send("POST", f"/gifts/{gift['token']}/accept", friend, status=200)
        send(
            "POST", "/redemptions", staff, {"code": received["code"], "order_id": "log-1", "order": CART}, 201
        )
        mine = send("POST", f"/coupons/{coupon}/claims", myself, status=201)
        redeem = {"verification_code": verification, "staff_code": staff_code, "order": CART}
        send("POST", f"/me/coupons/{mine['claim_id']}/redemption", myself, redeem, 201)
        # And a merchant imports a file through the upload form, and reads the job's report link
        imported = send("POST", "/coupons", merchant, coupon_body(codes={"mode": "imported"}), 201)[
            "coupon_id"
        ]
        form = send("POST", f"/coupons/{imported}/imports", merchant, {"file_name": "till.csv"}, 201)
        fields = {**form["fields"], "file": ("till.csv", b"code\nTILL-00001\nTILL-00001\n")}
        assert http.request("POST", form["url"], fields=fields).status in (200, 201, 204)

        def finished():
            jobs = send("GET", f"/coupons/{imported}/imports", merchant, status=200)["items"]
            return [job for job in jobs if job["status"] == "finished"]

        (job,) = wait_for(finished, timeout=60)
        secrets = [
            given["code"],
            received["code"],
            mine["code"],
            gift["token"],
            verification,
            staff_code,
            PHONE,
            PHONE.replace(" ", "").removeprefix("+86"),
            giver,
            friend,
            myself,
            *(value for name, value in form["fields"].items() if name.lower() in {"policy", "signature"}),
            *(value for name, value in form["fields"].items() if name.lower() == "x-amz-signature"),
            job["failed_codes_url"].split("?", 1)[1],
        ]
        # (the publisher has turned the session's changes into events)
        wait_for(
            lambda: "GiftAccepted" in json.dumps(http.request("GET", f"{base[:-3]}/_local/events").json())
        )
    finally:
        interrupt_run(process, output)
    # Then the session's whole output, the functions' logs included, holds none of those secrets
    logged = output.read_text()
    assert '"claimed"' in logged and '"gift accepted"' in logged and '"redeemed"' in logged, logged[-3000:]
    assert [secret for secret in secrets if secret in logged] == []
