"""Grants, the API: issue a coupon to many customers, read a grant's progress, list a coupon's grants
(functions/grant_worker runs them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from coupon_service import api
from coupon_service.api import (
    KEY_PATTERN,
    Body,
    Header,
    Path,
    Query,
    clock,
    current_caller,
    later,
    resolver,
    responses,
    tracer,
)

if TYPE_CHECKING:
    from coupon_service import grants, identity
    from coupon_service.models import grants as models
else:  # imported by the first request of a route that uses them
    grants = later("coupon_service.grants")
    identity = later("coupon_service.identity")
    models = later("coupon_service.models.grants")

app = resolver()
app.enable_swagger(path="/grants/docs", title="Coupons: grants")
CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The coupon's id")]
GrantId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The grant's id")]
ERRORS = (401, 403, 404, 413)


@app.post("/coupons/<couponId>/grants", responses=responses(*ERRORS, 503, status=202))
@tracer.capture_method
def request_grant(
    couponId: CouponId,
    body: Annotated[models.GrantRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
) -> Response[models.GrantOut]:
    caller = current_caller(app)
    owner = identity.merchant_scope(caller)
    by = caller.user_id if caller is not None else owner
    grant = grants.Grants(clock=clock(app)).request(owner, by, couponId, body, idempotency_key)
    api.logger.info("grant requested", extra={"grant_id": grant.grant_id, "source": grant.source.type})
    return Response(status_code=202, body=grant, content_type="application/json")


@app.get("/coupons/<couponId>/grants", responses=responses(*ERRORS, 503))
@tracer.capture_method
def list_grants(
    couponId: CouponId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> models.GrantPage:
    owner = identity.merchant_scope(current_caller(app))
    return grants.Grants(clock=clock(app)).grants(owner, couponId, limit, next_token)


@app.get("/coupons/<couponId>/grants/<grantId>", responses=responses(*ERRORS, 503))
@tracer.capture_method
def grant(couponId: CouponId, grantId: GrantId) -> models.GrantOut:
    owner = identity.merchant_scope(current_caller(app))
    return grants.Grants(clock=clock(app)).grant(owner, couponId, grantId)


lambda_handler = api.lambda_handler(app)
