"""The stack's HMAC key, fetched from Secrets Manager once per execution environment and cached."""

from __future__ import annotations

from coupon_service.settings import settings


def hmac_key() -> bytes:
    # Powertools' parameters utility is loaded by the first request that needs the key (creating a coupon,
    # a claim's self-service codes), not at the import of every function whose service might.
    from aws_lambda_powertools.utilities.parameters import get_secret

    value = get_secret(settings().hmac_secret_arn, max_age=3600)
    return value.encode() if isinstance(value, str) else bytes(value)
