"""The one error shape, as the API documents it: `{"error": {"code", "message", "field", "details"}}`
(`coupon_service.errors` makes the bodies; validation errors also carry `detail`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from coupon_service.models.common import DEFERRED


class ErrorDetail(BaseModel):
    model_config = DEFERRED
    code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    model_config = DEFERRED
    error: ErrorDetail
