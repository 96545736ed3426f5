"""Claiming a coupon and "my coupons": the customer's wallet, a coupon's detail and its QR code."""

from typing import Annotated

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
    logger,
    metrics,
    resolver,
    responses,
    tracer,
)
from coupon_service.claims import Claims
from coupon_service.identity import customer
from coupon_service.models.claims import ClaimedCouponOut, ClaimRequest, WalletPage, WalletStatus

app = resolver()
app.enable_swagger(path="/me/docs", title="Coupons: claiming and the wallet")
ClaimId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The claimed coupon's id")]
ERRORS = (401, 403, 404, 413)


@app.post("/coupons/<couponId>/claims", responses=responses(ClaimedCouponOut, *ERRORS, 409, 503, status=201))
@tracer.capture_method
def claim(
    couponId: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    body: Annotated[ClaimRequest | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
) -> Response[ClaimedCouponOut]:
    caller = customer(current_caller(app))
    claimed = Claims(clock=clock(app)).claim(
        caller, couponId, idempotency_key, channel, body or ClaimRequest()
    )
    logger.info("claimed", extra={"coupon_id": couponId, "claim_id": claimed.claim_id})
    metrics.add_metric(name="CouponClaimed", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=claimed, content_type="application/json")


@app.get("/me/coupons", responses=responses(WalletPage, *ERRORS))
@tracer.capture_method
def wallet(
    status: Annotated[WalletStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> WalletPage:
    return Claims(clock=clock(app)).wallet(customer(current_caller(app)), status, limit, next_token)


@app.get("/me/coupons/<claimId>", responses=responses(ClaimedCouponOut, *ERRORS))
@tracer.capture_method
def detail(claimId: ClaimId) -> ClaimedCouponOut:
    return Claims(clock=clock(app)).detail(customer(current_caller(app)), claimId)


@app.get("/me/coupons/<claimId>/qr", responses=responses("image/png", *ERRORS))
@tracer.capture_method
def code_qr(  # type: ignore[no-untyped-def]  # a PNG: annotated, Powertools would JSON-encode it
    claimId: ClaimId,
    size: Annotated[str, Query(pattern=QR_SIZE_PATTERN)] = "m",
):
    png = Claims(clock=clock(app)).code_qr(customer(current_caller(app)), claimId, size)
    return Response(status_code=200, body=png, content_type="image/png")


lambda_handler = api.lambda_handler(app)
