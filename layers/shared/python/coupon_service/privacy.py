"""Keyed hashes of secrets and personal data, and masking of phone numbers."""

from __future__ import annotations

import hashlib
import hmac
import re

_PHONE_NOISE = re.compile(r"[\s\-.()]")
# [0-9], not \d: \d and str.isdigit() also accept non-ASCII digits such as '٣' or '²'.
_E164_DIGITS = re.compile(r"[1-9][0-9]{7,14}")
_KEPT_PREFIX = 2
_KEPT_SUFFIX = 4
# The keyed hash's purpose for a customer's phone number: claims store it, the records search matches it.
PHONE_PURPOSE = "customer-phone"


def keyed_hash(secret: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of purpose NUL value, hex: the same value hashed for two purposes never collides."""
    # A NUL inside the purpose would make the purpose/value split ambiguous.
    if "\x00" in purpose:
        raise ValueError("purpose must not contain NUL")
    return hmac.new(secret, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def matches(secret: bytes, purpose: str, value: str, expected_hex: str) -> bool:
    """Whether `value` hashes to `expected_hex`, compared in constant time."""
    # Compared as bytes: compare_digest raises TypeError on non-ASCII str, and a stored
    # value is data, not something that should crash the caller.
    return hmac.compare_digest(keyed_hash(secret, purpose, value).encode(), expected_hex.encode())


def normalise_phone(raw: str) -> str | None:
    """The E.164 form '+<8-15 digits>' of a number written with '+' or '00', or None."""
    text = _PHONE_NOISE.sub("", raw)
    if text.startswith("+"):
        digits = text[1:]
    elif text.startswith("00"):
        digits = text[2:]
    else:
        return None
    return "+" + digits if _E164_DIGITS.fullmatch(digits) else None


def mask_code(code: str) -> str:
    """A code someone holds, as a file may show it: its last four characters, enough to find it again."""
    return "*" * max(0, len(code) - 4) + code[-4:]


def mask_phone(e164: str) -> str:
    """'+8613812345678' -> '+86*******5678': the country prefix and last four digits stay readable."""
    digits = e164[1:] if e164.startswith("+") else ""
    if not _E164_DIGITS.fullmatch(digits):
        raise ValueError("mask_phone takes a number from normalise_phone")
    hidden = len(digits) - _KEPT_PREFIX - _KEPT_SUFFIX
    return "+" + digits[:_KEPT_PREFIX] + "*" * hidden + digits[-_KEPT_SUFFIX:]


def phone_from_search(raw: str, country_code: str) -> str | None:
    """The E.164 form of a number a person typed to search by: international ('+' or '00') in any common
    spelling, or national (digits, one trunk '0' dropped) in the country of `country_code`; None when it is
    not a whole number."""
    text = _PHONE_NOISE.sub("", raw)
    if text.startswith(("+", "00")):
        return normalise_phone(text)
    if not re.fullmatch(r"[0-9]+", text):
        return None
    return normalise_phone(f"+{country_code}{text.removeprefix('0')}")
