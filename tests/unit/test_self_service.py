"""Unit tests for the self-service rules shared by coupons, claims and redemptions."""

from __future__ import annotations

import pytest
from coupon_service.privacy import keyed_hash, matches
from coupon_service.self_service import STAFF_CODE, VERIFICATION, self_service_of, store_code_hashes

SECRET = b"s" * 32


@pytest.mark.parametrize(
    ("item", "mode"),
    [
        ({"self_service": "code", "verification_hash": "ab"}, "code"),
        ({"self_service": "none"}, "none"),
        ({"verification_hash": "ab"}, "code"),  # written before the choice existed
        ({}, None),  # staff redeem it
        ({"self_service": None, "verification_hash": None}, None),
    ],
)
def test_self_service_of_reads_the_mode_or_infers_it_from_the_code_hash(item, mode):
    assert self_service_of(item) == mode


def test_store_codes_are_kept_as_keyed_hashes_one_purpose_each():
    # Given the stack's key, When a store's verification and staff codes are hashed
    hashes = store_code_hashes(SECRET, "246810", "135790")
    # Then each is an HMAC under its own purpose, and the codes themselves are not kept
    assert hashes["verification_hash"] == keyed_hash(SECRET, VERIFICATION, "246810")
    assert hashes["staff_code_hash"] == keyed_hash(SECRET, STAFF_CODE, "135790")
    assert matches(SECRET, VERIFICATION, "246810", hashes["verification_hash"])
    assert not matches(SECRET, STAFF_CODE, "246810", hashes["verification_hash"])
    assert "246810" not in hashes.values() and "135790" not in hashes.values()


def test_without_a_staff_code_its_hash_is_none():
    assert store_code_hashes(SECRET, "246810", None)["staff_code_hash"] is None
