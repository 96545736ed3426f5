"""Where a claim came from, in the claim's own transaction (the rules are `coupon_service.claim_watch`): the
device's count of claims of the coupon (condition: under the per-device limit, when the coupon has one) and
the accounts the device and the IP claimed with in the window, which never refuse a claim.

No extra request: each is one more part of the claim's transaction, named like its others, so a refusal
is read by name and a transaction retried after a lost answer (its request token) or cancelled (a
duplicate claim) counts nothing twice. A claim that names no device and no IP adds nothing."""

from __future__ import annotations

from typing import Any

from coupon_service import keys
from coupon_service.claim_watch import THRESHOLDS, expires_at, window_end
from coupon_service.items import ClaimItem
from coupon_service.store.table import to_item, values


def watch_parts(claim: ClaimItem) -> list[tuple[str, dict[str, Any]]]:
    """The claim's transaction parts for its device's limit and the watch, by name."""
    parts: list[tuple[str, dict[str, Any]]] = []
    if claim.device_hash and claim.per_device_limit:
        parts.append(("device", _device_count(claim, claim.device_hash, claim.per_device_limit)))
    window = claim.watch_window
    for kind, subject in (("device", claim.device_hash), ("ip", claim.ip_hash)):
        if subject and window:
            parts.append((f"watch_{kind}", _watched(claim, kind, subject, window)))
    return parts


def _device_count(claim: ClaimItem, device_hash: str, limit: int) -> dict[str, Any]:
    return {
        "Update": {
            "Key": to_item(keys.device_claims(claim.coupon_id, device_hash)),
            "UpdateExpression": "SET #t = :type ADD #c :one",
            "ConditionExpression": "attribute_not_exists(#c) OR #c < :limit",
            "ExpressionAttributeNames": {"#t": "type", "#c": "count"},
            "ExpressionAttributeValues": values(type="device_claims", one=1, limit=limit),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _watched(claim: ClaimItem, kind: str, subject: str, window: str) -> dict[str, Any]:
    """The claimer among the accounts seen from `subject` in the window (a set: an account counts once)."""
    return {
        "Update": {
            "Key": to_item(keys.claim_watch(claim.merchant_id, kind, subject, window)),
            "UpdateExpression": "SET #t = :type, merchant_id = :merchant, #k = :kind, "
            "subject_hash = :subject, window_start = :window, window_end = :end, "
            "threshold = :threshold, last_at = :now, expires_at = :ttl ADD accounts :me",
            "ExpressionAttributeNames": {"#t": "type", "#k": "kind"},
            "ExpressionAttributeValues": values(
                type="claim_watch",
                merchant=claim.merchant_id,
                kind=kind,
                subject=subject,
                window=window,
                end=window_end(window),
                threshold=THRESHOLDS[kind],
                now=claim.claimed_at,
                ttl=expires_at(window),
                me={claim.claimer_id},
            ),
        }
    }
