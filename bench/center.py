"""The coupon center's cost: DynamoDB requests and items read per page, public and signed in, as the number
of listed coupons grows (the page reads its listing partition, never the table), and what a claim pays for
the new claim rules (passphrase, new customers) beside a plain one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from coupon_service import aws, claims
from coupon_service.claims import Claims
from coupon_service.identity import caller_from_event
from coupon_service.models.claims import ClaimRequest
from coupon_service.offers import Offers

from bench.claims import coupon
from devstack.metering import ItemsRead, RequestCounter

SIZES = (50, 200)
PAGE = 20
PASSPHRASE = "bench passphrase"


def _customer(user: str) -> Any:
    claims_ = {"sub": user, "cognito:groups": "customers", "custom:tags": "vip"}
    return caller_from_event({"requestContext": {"authorizer": {"claims": claims_}}})


def _metered(work: Callable[[], Any]) -> tuple[dict[str, int], int]:
    client = aws.client("dynamodb")
    requests, read = RequestCounter().attach(client), ItemsRead().attach(client)
    work()
    return dict(requests.calls), read.count


def _listed(count: int, merchant: str) -> None:
    """`count` active coupons of one merchant, a tenth of them limited."""
    for i in range(count):
        codes = {"mode": "random_on_claim", "inventory": 100} if i % 10 == 0 else {"mode": "random_on_claim"}
        coupon(codes, 1, merchant_id=merchant)


def page_cost(count: int) -> dict[str, Any]:
    merchant = f"bench-center-{uuid.uuid4().hex[:6]}"
    _listed(count, merchant)
    public = _metered(lambda: Offers().page(None, merchant_id=merchant, limit=PAGE))
    signed_in = _metered(lambda: Offers().page(_customer("bench-u1"), merchant_id=merchant, limit=PAGE))
    return {"listed": count, "public": public, "signed_in": signed_in}


def claim_costs() -> dict[str, dict[str, int]]:
    """Requests of one claim (terms read afresh) of a plain coupon and of one with each rule."""
    merchant = "bench-center-rules"
    plain = coupon({"mode": "random_on_claim"}, 1, merchant_id=merchant)
    out = {}
    for name, options, body in (
        ("plain", {}, ClaimRequest()),
        ("new customers only", {"new_customers_only": True}, ClaimRequest()),
        ("passphrase", {"passphrase": PASSPHRASE}, ClaimRequest(passphrase=PASSPHRASE)),
    ):
        coupon_id = plain if not options else coupon({"mode": "random_on_claim"}, 1, merchant, options)
        claims.cache.clear()
        customer = _customer(f"bench-claimer-{uuid.uuid4().hex[:6]}")
        out[name] = _metered(lambda c=coupon_id, b=body, who=customer: Claims().claim(who, c, None, None, b))[
            0
        ]
    return out


def measure() -> dict[str, Any]:
    return {"pages": [page_cost(n) for n in SIZES], "claims": claim_costs()}


def _requests(calls: dict[str, int]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items()))


def section(result: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Coupon center",
        "",
        f"One page of {PAGE} offers of one merchant (`GET /offers?merchant_id=`, and `/me/offers` signed in),",
        "with that merchant's listed coupons growing (a tenth limited): DynamoDB requests and items read",
        "(`ScannedCount` and items got):",
        "",
        "| listed | public requests | public items read | signed-in requests | signed-in items read |",
        "| --- | --- | --- | --- | --- |",
    ]
    for page in result["pages"]:
        (pub, pub_read), (mine, mine_read) = page["public"], page["signed_in"]
        lines.append(
            f"| {page['listed']} | {_requests(pub)} | {pub_read} | {_requests(mine)} | {mine_read} |"
        )
    lines += [
        "",
        "A page reads its `limit` listing items and, beside them, the stock watch's marker of each limited",
        "coupon (signed in also the customer's holding of each, their listed audiences and their record at",
        "merchants whose coupons ask for new customers) in one BatchGetItem, whatever the table holds.",
        "",
        "Requests of one claim with the coupon's terms read afresh:",
        "",
        "| coupon | requests |",
        "| --- | --- |",
    ]
    for name, calls in result["claims"].items():
        lines.append(f"| {name} | {_requests(calls)} |")
    return lines
