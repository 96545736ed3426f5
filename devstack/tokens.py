"""Local identity: ID tokens signed with a key of this machine, shaped like Cognito's, for any role and id.

python -m devstack.tokens customer u123
python -m devstack.tokens staff s7 --merchant m2
python -m devstack.tokens staff s8 --merchant m2 --store sh-001
python -m devstack.tokens merchant owner-m1 --merchant m1
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

import jwt

from devstack.template import ROOT

STATE = ROOT / ".devstack"
KEY_FILE = STATE / "signing.key"
ISSUER = "https://cognito-idp.local/coupons-local"
ROLES = {"customer": "customers", "merchant": "merchants", "staff": "staff", "platform": "platform"}
LOCAL_FIELDS = ("role", "user", "merchant", "store", "name")
ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def signing_key(path: Path = KEY_FILE) -> str:
    """The local stack's key, made once per checkout; never a fixed value in the code."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def mint(
    role: str,
    user: str,
    *,
    merchant: str | None = None,
    store: str | None = None,
    tags: list[str] | None = None,
    name: str | None = None,
    phone: str | None = None,
    ttl: int = 12 * 3600,
    key: str | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}")
    if role in ("merchant", "staff") and not merchant:
        raise ValueError(f"a {role} token needs --merchant")
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user,
        "cognito:groups": [ROLES[role]],
        "token_use": "id",
        "iss": ISSUER,
        "iat": now,
        "exp": now + ttl,
        "nickname": name or user,
    }
    if store and role != "staff":
        raise ValueError("only a staff token names a store")
    if merchant:
        claims["custom:merchant_id"] = merchant
    if store:
        claims["custom:store_id"] = store
    if tags:
        claims["custom:tags"] = ",".join(tags)
    if phone:
        claims["phone_number"] = phone
    return jwt.encode(claims, key or signing_key(), algorithm="HS256")


def verify(token: str, key: str | None = None) -> dict[str, str]:
    """The claims as API Gateway's Cognito authorizer passes them: every value a string."""
    claims = jwt.decode(
        token,
        key or signing_key(),
        algorithms=["HS256"],
        issuer=ISSUER,
        options={"require": ["exp", "sub", "iss", "token_use"]},
    )
    if claims.get("token_use") != "id":
        raise jwt.InvalidTokenError("not an ID token")
    groups = claims.get("cognito:groups") or []
    shaped = {k: str(v) for k, v in claims.items() if k != "cognito:groups"}
    shaped["cognito:groups"] = ",".join(groups) if isinstance(groups, list) else str(groups)
    return shaped


def _refusal(field: str, reason: str) -> tuple[int, str, bytes]:
    body = {"error": {"code": "invalid", "message": f"{field}: {reason}", "field": field}}
    return 422, "application/json", json.dumps(body).encode()


def _problem(asked: object) -> tuple[str, str] | None:
    """The first field of a local sign-in that is wrong, and why; None when every field is fine."""
    if not isinstance(asked, dict):
        return "body", "a JSON object"
    unknown = [str(field)[:40] for field in asked if field not in LOCAL_FIELDS]
    if unknown:
        return unknown[0], "unknown field"
    for field, value in asked.items():
        if value is not None and (not isinstance(value, str) or not ID.fullmatch(value)):
            return field, "1-64 letters, digits, '-', '_' or '.'"
    if asked.get("role") not in ROLES:
        return "role", f"one of {', '.join(sorted(ROLES))}"
    return ("user", "required") if not asked.get("user") else None


def local_token(body: bytes) -> tuple[int, str, bytes]:
    """`POST /_local/tokens {role, user, merchant?, store?, name?}`: the web app's local sign-in, on the
    local stack only (a deployed stack has Cognito and no such route). Answers `{"token"}` or the one
    error shape."""
    try:
        asked = json.loads(body or b"{}")
    except ValueError:
        asked = None
    problem = _problem(asked)
    if problem:
        return _refusal(*problem)
    try:
        token = mint(
            asked["role"],
            asked["user"],
            merchant=asked.get("merchant"),
            store=asked.get("store"),
            name=asked.get("name"),
        )
    except ValueError as refused:
        return _refusal("store" if "store" in str(refused) else "merchant", str(refused))
    return 200, "application/json", json.dumps({"token": token}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description="Mint a local ID token for any role and id.")
    parser.add_argument("role", choices=sorted(ROLES))
    parser.add_argument("user", help="the user id (sub), e.g. u123")
    parser.add_argument("--merchant", help="the merchant id, for merchant and staff tokens")
    parser.add_argument("--store", help="the store id a staff token works at (custom:store_id)")
    parser.add_argument("--tags", default="", help="comma-separated customer tags")
    parser.add_argument("--phone", help="an E.164 phone number claim")
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="seconds until it expires")
    args = parser.parse_args()
    tags = [t for t in args.tags.split(",") if t]
    print(
        mint(
            args.role,
            args.user,
            merchant=args.merchant,
            store=args.store,
            tags=tags,
            phone=args.phone,
            ttl=args.ttl,
        )
    )


if __name__ == "__main__":
    main()
