"""What the store writes and reads: items to and from DynamoDB's attribute values, and page tokens."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, overload

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from coupon_service.errors import Invalid
from coupon_service.secret import hmac_key

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# --- (de)serialisation ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


@overload
def from_item(item: None) -> None: ...
@overload
def from_item(item: Mapping[str, Any]) -> dict[str, Any]: ...
def from_item(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def values(**named: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: values(v=1) -> {':v': {'N': '1'}}."""
    return {f":{k}": _serializer.serialize(v) for k, v in named.items()}


_TOKEN_PURPOSE = b"page-token"


def _token_mac(listing: str, payload: str) -> str:
    mac = hmac.new(hmac_key(), b"\n".join((_TOKEN_PURPOSE, listing.encode(), payload.encode())), "sha256")
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def encode_token(key: dict[str, Any] | None, *, listing: str) -> str | None:
    """An opaque page token: the LastEvaluatedKey, signed with the stack's key for one listing (what is
    listed and with which filter), so a client can neither craft a start key nor carry one elsewhere."""
    if not key:
        return None
    payload = base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{payload}.{_token_mac(listing, payload)}"


def decode_token(token: str | None, *, partition: tuple[str, str], listing: str) -> dict[str, Any] | None:
    """The start key of a page token issued for this listing; anything else is a 422 naming `next_token`."""
    if not token:
        return None
    try:
        payload, _, mac = token.partition(".")
        if not hmac.compare_digest(mac.encode(), _token_mac(listing, payload).encode()):
            raise ValueError("not signed for this listing")
        key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        # Signed keys are our own; checked again so a leaked signing key still cannot cross partitions.
        name, expected = partition
        if not isinstance(key, dict) or key.get(name, {}).get("S") != expected:
            raise ValueError("another partition")
        if not all(isinstance(v, dict) and set(v) <= {"S", "N"} for v in key.values()):
            raise ValueError("not a key")
    except ValueError as error:  # binascii.Error and JSONDecodeError are ValueErrors
        raise Invalid("not a page token of this listing", field="next_token") from error
    return key
