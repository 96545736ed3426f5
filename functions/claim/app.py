"""Claiming a coupon and "my coupons": the customer's wallet, a coupon's detail and its QR code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import (
    KEY_PATTERN,
    QR_SIZE_PATTERN,
    Body,
    Header,
    Path,
    Query,
    clock,
    current_caller,
    later,
    logger,
    metrics,
    resolver,
    responses,
    source_ip,
    tracer,
)

if TYPE_CHECKING:
    from coupon_service import claims, identity
    from coupon_service.models import claims as models
else:  # imported by the first request of a route that uses them
    claims = later("coupon_service.claims")
    identity = later("coupon_service.identity")
    models = later("coupon_service.models.claims")

app = resolver()
app.enable_swagger(path="/me/docs", title="Coupons: claiming and the wallet")
ClaimId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The claimed coupon's id")]
ERRORS = (401, 403, 404, 413)
DEVICE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$"  # the app's device id (an IDFV, an Android id...)


@app.post("/coupons/<couponId>/claims", responses=responses(*ERRORS, 409, 503, status=201))
@tracer.capture_method
def claim(
    couponId: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    body: Annotated[models.ClaimRequest | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    device_id: Annotated[str | None, Header(alias="X-Device-Id", pattern=DEVICE_PATTERN)] = None,
) -> Response[models.ClaimedCouponOut]:
    caller = identity.claimer(current_caller(app))  # staff only in a draft's test release
    claimed = claims.Claims(clock=clock(app)).claim(
        caller,
        couponId,
        idempotency_key,
        channel,
        body or models.ClaimRequest(),
        device_id=device_id,  # both kept only as keyed hashes, never logged
        source_ip=source_ip(app),
    )
    logger.info("claimed", extra={"coupon_id": couponId, "claim_id": claimed.claim_id})
    metrics.add_metric(name="CouponClaimed", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=claimed, content_type="application/json")


@app.get("/me/coupons", responses=responses(*ERRORS))
@tracer.capture_method
def wallet(
    status: Annotated[models.WalletStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> models.WalletPage:
    return claims.Claims(clock=clock(app)).wallet(
        identity.customer(current_caller(app)), status, limit, next_token
    )


@app.get("/me/coupons/<claimId>", responses=responses(*ERRORS))
@tracer.capture_method
def detail(claimId: ClaimId) -> models.ClaimedCouponOut:
    return claims.Claims(clock=clock(app)).detail(identity.customer(current_caller(app)), claimId)


@app.get("/me/coupons/<claimId>/qr", responses=responses(*ERRORS, media_type="image/png"))
@tracer.capture_method
def code_qr(  # type: ignore[no-untyped-def]  # a PNG: annotated, Powertools would JSON-encode it
    claimId: ClaimId,
    size: Annotated[str, Query(pattern=QR_SIZE_PATTERN)] = "m",
):
    png = claims.Claims(clock=clock(app)).code_qr(identity.customer(current_caller(app)), claimId, size)
    return Response(status_code=200, body=png, content_type="image/png")


lambda_handler = api.lambda_handler(app)
