"""What the functions log: correlation ids and outcomes, never secrets or personal data."""

from __future__ import annotations

import io

import pytest

from tests.support import call, coupon_body, customer, merchant

pytestmark = pytest.mark.usefixtures("stack")


def test_logs_carry_no_verification_code_phone_number_or_token():
    # Given functions logging at DEBUG, the most they ever log, into a stream this test reads
    from coupon_service.observability import logger

    stream = io.StringIO()
    previous_stream = logger.registered_handler.setStream(stream)
    previous_level = logger.log_level
    logger.setLevel("DEBUG")
    try:
        # When a merchant creates a self-service coupon and a customer with a phone number claims it
        body = coupon_body(options={"self_service": {"verification_code": "987645", "staff_code": "135790"}})
        coupon = call(
            "POST",
            "/coupons",
            claims=merchant("m1"),
            body=body,
            headers={"Authorization": "Bearer secret-token"},
        ).json
        call(
            "POST",
            f"/coupons/{coupon['coupon_id']}/claims",
            claims=customer("u1", phone_number="+86 138 1234 5678"),
            headers={"Authorization": "Bearer secret-token"},
        )
        call("POST", "/coupons", claims=merchant("m1"), body={"title": ""})
    finally:
        logger.setLevel(previous_level)
        logger.registered_handler.setStream(previous_stream)
    # Then the logs name what happened, and none of the secrets
    logged = stream.getvalue()
    assert "coupon created" in logged and "claimed" in logged and "correlation_id" in logged
    for secret in ("987645", "13579", "1234 5678", "13812345678", "secret-token"):
        assert secret not in logged, secret
