"""Request bodies refused before Powertools reads them: oversized, not UTF-8 text, not JSON, or nested
deeper than any real body (Python's parser recurses: thousands deep would be a crash, a 500)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from coupon_service.errors import DomainError, Invalid, PayloadTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32  # a real body nests 4 deep; Python's parser recurses, so thousands deep is a crash


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in `text`, counted without parsing (brackets inside strings
    are skipped), so a body nested thousands deep is measured without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def header(event: Mapping[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def refuse_body(event: Mapping[str, Any], limit: int = MAX_BODY_BYTES) -> DomainError | None:
    body = event.get("body")
    if body is not None and len(body) > limit:
        return PayloadTooLarge(f"the body is over {limit} bytes", field="body")
    if not body:
        return None
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return Invalid("the body is not UTF-8 text", field="body", code="body_not_text")
    media_type = (header(event, "content-type") or "application/json").split(";")[0].strip().lower()
    if media_type != "application/json":
        # Powertools would parse a form as fields of strings, and answer other types in its own shape.
        return UnsupportedMediaType(
            f"send the body as application/json, not {media_type[:100]}", field="Content-Type"
        )
    if body.count("[") + body.count("{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        return Invalid(
            f"the body nests deeper than {MAX_JSON_DEPTH} levels", field="body", code="too_deeply_nested"
        )
    return None


def read_json(text: str | bytes | bytearray) -> Any:
    """json.loads, reading an integer of more than 4,300 digits (which Python refuses to convert, with a
    ValueError that would be a 500) as malformed JSON: a 422 naming the body."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as error:
        raise json.JSONDecodeError("a number has too many digits", "", 0) from error
