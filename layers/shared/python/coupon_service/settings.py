"""The environment a function runs in, parsed once per execution environment."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    table_name: str = Field(min_length=1)
    idempotency_table_name: str = ""
    event_bus_name: str = ""
    event_source: str = "coupons"
    hmac_secret_arn: str = ""
    gift_lifetime_hours: int = Field(default=24, ge=1, le=720)
    import_bucket: str = ""
    import_max_bytes: int = 10 * 1024 * 1024
    import_queue_url: str = ""
    public_base_url: str = ""


@cache
def settings() -> Settings:
    """Read when first needed, not at import, so tests and the local stack can set the environment first."""
    env = {key.lower(): value for key, value in os.environ.items() if key.lower() in Settings.model_fields}
    return Settings.model_validate(env)
