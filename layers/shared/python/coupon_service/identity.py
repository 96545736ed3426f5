"""Who is calling: read only from the API Gateway authorizer context, never from the request."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from coupon_service.errors import Forbidden, Invalid, Unauthorized
from coupon_service.models.common import DEFERRED, Text

PLATFORM = "platform"  # the merchant id that owns platform coupons
_display_text = TypeAdapter(Text, config=DEFERRED)


class Caller(BaseModel):
    model_config = DEFERRED
    user_id: str
    groups: frozenset[str]
    merchant_id: str | None = None
    # Staff: the store their account works at (`custom:store_id`); None for an account without one.
    store_id: str | None = None
    tags: frozenset[str] = frozenset()
    name: str | None = None
    nickname: str | None = None
    phone: str | None = None

    @property
    def display_name(self) -> str:
        """The name a friend sees (on the public gift page, in the giver's notice). Users edit their own
        nickname and name in the user pool, so one holding control or bidi characters is passed over."""
        for candidate in (self.nickname, self.name):
            try:
                if candidate:
                    return _display_text.validate_python(candidate)
            except ValidationError:
                continue
        return "a friend"


def _split(value: Any) -> frozenset[str]:
    """Cognito groups reach a REST API as a string: 'a', 'a,b' or '[a, b]' depending on the path."""
    if isinstance(value, list):
        return frozenset(str(v) for v in value)
    text = str(value or "").strip().strip("[]")
    return frozenset(part.strip() for part in text.replace(" ", ",").split(",") if part.strip())


def caller_from_event(event: dict[str, Any]) -> Caller | None:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    user_id = claims.get("sub")
    if not user_id:
        return None
    return Caller(
        user_id=user_id,
        groups=_split(claims.get("cognito:groups")),
        merchant_id=claims.get("custom:merchant_id") or None,
        store_id=claims.get("custom:store_id") or None,
        tags=_split(claims.get("custom:tags")),
        name=claims.get("name"),
        nickname=claims.get("nickname"),
        phone=claims.get("phone_number"),
    )


def _require(caller: Caller | None) -> Caller:
    if caller is None:
        raise Unauthorized("sign in first")
    return caller


def merchant_scope(caller: Caller | None) -> str:
    """The merchant whose coupons the caller manages: a merchant's own id, or the platform's."""
    caller = _require(caller)
    if "platform" in caller.groups:
        return PLATFORM
    if "merchants" in caller.groups and caller.merchant_id:
        return caller.merchant_id
    raise Forbidden("this route is for merchants")


def staff_merchant(caller: Caller | None) -> str:
    """The merchant whose till the caller works at (merchants may scan their own coupons too)."""
    caller = _require(caller)
    if caller.groups & {"staff", "merchants"} and caller.merchant_id:
        return caller.merchant_id
    raise Forbidden("this route is for store staff")


def customer(caller: Caller | None) -> Caller:
    caller = _require(caller)
    if "customers" not in caller.groups:
        raise Forbidden("this route is for customers")
    return caller


def claimer(caller: Caller | None) -> Caller:
    """Who may send a claim: a customer, or a member of staff (only in a draft's test release, which
    coupon_service.access decides)."""
    caller = _require(caller)
    if caller.groups & {"customers", "staff"}:
        return caller
    raise Forbidden("this route is for customers")


def reporting_merchant(caller: Caller | None, named: str | None) -> str:
    """The merchant whose orders the caller reports or reads: a merchant's own (naming another is refused);
    for the platform, the merchant it names (it runs order systems on merchants' behalf)."""
    caller = _require(caller)
    if "platform" in caller.groups:
        if not named:
            raise Invalid("name the merchant the order is at", code="merchant_required", field="merchant_id")
        return named
    if "merchants" in caller.groups and caller.merchant_id:
        if named is not None and named != caller.merchant_id:
            raise Forbidden("a merchant reports only its own orders", field="merchant_id")
        return caller.merchant_id
    raise Forbidden("this route is for merchants")
