"""The stack's HMAC key, fetched from Secrets Manager once per execution environment and cached."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import get_secret

from coupon_service.settings import settings


def hmac_key() -> bytes:
    value = get_secret(settings().hmac_secret_arn, max_age=3600)
    return value.encode() if isinstance(value, str) else bytes(value)
