"""Unit tests for keyed hashes, constant-time matching, phone normalising and phone masking."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from coupon_service.privacy import keyed_hash, mask_phone, matches, normalise_phone
from hypothesis import given
from hypothesis import strategies as st

SECRET = b"k" * 32
e164_digits = st.from_regex(r"[1-9][0-9]{7,14}", fullmatch=True)


def test_keyed_hash_is_hmac_sha256_of_purpose_nul_value():
    # Given a secret, a purpose and a value
    # When they are hashed
    digest = keyed_hash(SECRET, "phone", "+8613812345678")
    # Then it is HMAC-SHA256 over purpose NUL value, as lower-case hex
    expected = hmac.new(SECRET, b"phone\x00+8613812345678", hashlib.sha256).hexdigest()
    assert digest == expected
    assert len(digest) == 64 and digest == digest.lower()


def test_keyed_hash_known_vectors():
    # Given fixed inputs, Then the digests equal ones computed independently with
    # `printf 'purpose\0value' | openssl dgst -sha256 -hmac secret` (stored hashes rely on this format)
    assert keyed_hash(b"secret", "purpose", "value") == (
        "0763be9e4b29c547559d0a5f27cfcdc2b4d2fc1dfab924e56011db61a821faef"
    )
    assert keyed_hash(b"", "", "") == "6620b31f2924b8c01547745f41825d322336f83ebb13d723678789d554d8a3ef"


def test_keyed_hash_encodes_non_ascii_as_utf8():
    # Given a non-ASCII value, Then it is hashed as its UTF-8 bytes
    expected = hmac.new(SECRET, "name\x00李雷".encode(), hashlib.sha256).hexdigest()
    assert keyed_hash(SECRET, "name", "李雷") == expected


def test_keyed_hash_depends_on_secret_purpose_and_value():
    # Given one baseline hash
    base = keyed_hash(SECRET, "phone", "+8613812345678")
    # Then changing any one input changes the hash
    assert keyed_hash(b"other" * 8, "phone", "+8613812345678") != base
    assert keyed_hash(SECRET, "staff_code", "+8613812345678") != base
    assert keyed_hash(SECRET, "phone", "+8613812345679") != base


def test_purpose_and_value_cannot_be_shifted_into_each_other():
    # Given the same concatenated text split differently between purpose and value
    # Then the hashes differ (the NUL separates them)
    assert keyed_hash(SECRET, "ab", "c") != keyed_hash(SECRET, "a", "bc")


def test_purpose_with_nul_is_refused():
    # Given a purpose containing NUL, which would make the split ambiguous, Then it is refused
    with pytest.raises(ValueError):
        keyed_hash(SECRET, "a\x00b", "c")


@given(st.binary(max_size=64), st.text(max_size=20).filter(lambda p: "\x00" not in p), st.text(max_size=50))
def test_matches_accepts_its_own_hash(secret, purpose, value):
    # Given any secret, purpose and value
    digest = keyed_hash(secret, purpose, value)
    # Then the value matches its hash, and a different value does not
    assert matches(secret, purpose, value, digest)
    assert not matches(secret, purpose, value + "x", digest)


def test_matches_rejects_wrong_secret_purpose_and_tampered_hash():
    digest = keyed_hash(SECRET, "verification", "1234")
    assert matches(SECRET, "verification", "1234", digest)
    assert not matches(b"x" * 32, "verification", "1234", digest)
    assert not matches(SECRET, "staff_code", "1234", digest)
    assert not matches(SECRET, "verification", "1234", digest[:-1] + ("0" if digest[-1] != "0" else "1"))
    # Hashes are stored lower-case; any other spelling is not the stored value
    assert not matches(
        b"secret", "purpose", "value", "0763BE9E4B29C547559D0A5F27CFCDC2B4D2FC1DFAB924E56011DB61A821FAEF"
    )
    assert not matches(SECRET, "verification", "1234", "")


def test_matches_returns_false_for_non_ascii_expected_value():
    # Given a stored value that is not hex at all (compare_digest raises on non-ASCII str)
    # Then it is simply not a match
    assert matches(SECRET, "verification", "1234", "é" * 64) is False


def test_matches_uses_a_constant_time_comparison(monkeypatch):
    # Given compare_digest is observed
    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    # When a hash is checked
    assert matches(SECRET, "p", "v", keyed_hash(SECRET, "p", "v"))
    # Then the comparison went through hmac.compare_digest
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+8613812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("0086-138-1234-5678", "+8613812345678"),
        ("+1 (212) 555-0199", "+12125550199"),
        ("+44.20.7946.0958", "+442079460958"),
        ("  +49 30 1234567  ", "+49301234567"),
        ("+4930\u00a01234567", "+49301234567"),  # no-break space from a copy-paste
        ("+12345678", "+12345678"),  # 8 digits, the shortest accepted
        ("+123456789012345", "+123456789012345"),  # 15 digits, the longest
    ],
)
def test_normalise_phone_accepts_international_forms(raw, expected):
    # Given a number written with '+' or '00' and common separators, Then it becomes E.164
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "13812345678",  # national form: no '+' or '00'
        "0138 1234 5678",
        "+1234567",  # 7 digits
        "+1234567890123456",  # 16 digits
        "+0861234567890",  # country code cannot start with 0
        "000861234567890",
        "+86 138 1234 567a",
        "++8613812345678",
        "+86/13812345678",
        "+86\u0661\u0663\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667",  # Arabic-Indic digits
        "+861381234567\u00b2",  # superscript two
        "+",
        "00",
    ],
)
def test_normalise_phone_rejects_everything_else(raw):
    assert normalise_phone(raw) is None


@given(e164_digits, st.lists(st.sampled_from([" ", "-", ".", "(", ")"]), max_size=10), st.booleans())
def test_normalise_phone_property(digits, noise, double_zero):
    # Given valid E.164 digits written with either prefix and separators between digits
    body = "".join(d + (noise[i] if i < len(noise) else "") for i, d in enumerate(digits))
    raw = ("00" if double_zero else "+") + body
    # Then normalising returns '+digits', and normalising again changes nothing
    assert normalise_phone(raw) == "+" + digits
    assert normalise_phone(normalise_phone(raw)) == "+" + digits


def test_mask_phone_example():
    # Given a Chinese mobile number, Then the country prefix and last 4 digits remain
    assert mask_phone("+8613812345678") == "+86*******5678"


def test_mask_phone_shortest_number():
    assert mask_phone("+12345678") == "+12**5678"


@given(e164_digits)
def test_mask_phone_property(digits):
    # Given any E.164 number
    masked = mask_phone("+" + digits)
    # Then it keeps '+', the first 2 and last 4 digits, has the same length, and hides the rest
    assert len(masked) == len(digits) + 1
    assert masked[:3] == "+" + digits[:2]
    assert masked[-4:] == digits[-4:]
    assert set(masked[3:-4]) == {"*"}
    assert masked.count("*") == len(digits) - 6


@pytest.mark.parametrize("text", ["8613812345678", "+12345", "+86 138 1234 5678", ""])
def test_mask_phone_refuses_numbers_not_from_normalise(text):
    # Given something that is not E.164, Then masking refuses rather than leaking or mangling it
    with pytest.raises(ValueError):
        mask_phone(text)
