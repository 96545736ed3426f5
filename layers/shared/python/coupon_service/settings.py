"""The environment a function runs in, parsed once per execution environment."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built by the first request, with the other models
    table_name: str = Field(min_length=1)
    idempotency_table_name: str = ""
    event_bus_name: str = ""
    event_source: str = "coupons"
    hmac_secret_arn: str = ""
    gift_lifetime_hours: int = Field(default=24, ge=1, le=720)
    import_bucket: str = ""
    import_max_bytes: int = 10 * 1024 * 1024
    import_queue_url: str = ""
    # The orders worker: which AWS accounts may report orders on the bus for which merchants,
    # "account:merchant" pairs separated by commas ("account:*": any merchant, the stack's own account).
    order_feed_senders: str = ""
    # The calling code a phone number typed without one (national digits) is read in, to search records.
    phone_country_code: str = Field(default="86", pattern=r"^[1-9][0-9]{0,2}$")
    export_bucket: str = ""
    export_queue_url: str = ""
    export_retention_days: int = Field(default=7, ge=1, le=365)
    holders_queue_url: str = ""
    grant_queue_url: str = ""
    segment_queue_url: str = ""
    # Where customers reach the API (share and promotion links): "" or http(s)://host[:port][/path].
    public_base_url: str = Field(
        default="", pattern=r"^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*)?/?$"
    )

    # Where customers open the web app's pages (/c/offers/..., /c/gifts/...): the links customers are given.
    public_web_url: str = Field(
        default="", pattern=r"^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*)?/?$"
    )

    @field_validator("public_base_url", "public_web_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


@cache
def settings() -> Settings:
    """Read when first needed, not at import, so tests and the local stack can set the environment first."""
    env = {key.lower(): value for key, value in os.environ.items() if key.lower() in Settings.model_fields}
    return Settings.model_validate(env)
