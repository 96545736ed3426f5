"""Checkout and redemption: the checkout quote, staff and self-service redemption, and reversal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import (
    Body,
    Path,
    clock,
    current_caller,
    later,
    logger,
    metrics,
    resolver,
    responses,
    tracer,
)

if TYPE_CHECKING:
    from coupon_service import checkout, identity, merchants, redemptions, shared_codes
    from coupon_service.models import checkout as checkout_models
    from coupon_service.models import merchants as merchant_models
    from coupon_service.models import redemptions as models
    from coupon_service.models import shared_codes as shared_models
else:  # imported by the first request of a route that uses them
    checkout = later("coupon_service.checkout")
    identity = later("coupon_service.identity")
    merchants = later("coupon_service.merchants")
    redemptions = later("coupon_service.redemptions")
    shared_codes = later("coupon_service.shared_codes")
    checkout_models = later("coupon_service.models.checkout")
    merchant_models = later("coupon_service.models.merchants")
    models = later("coupon_service.models.redemptions")
    shared_models = later("coupon_service.models.shared_codes")

app = resolver()
app.enable_swagger(path="/checkout/docs", title="Coupons: checkout and redemption")


@app.post("/checkout/quote", responses=responses(401, 403, 404, 413, 429, 503))
@tracer.capture_method
def checkout_quote(body: Annotated[checkout_models.QuoteRequest, Body()]) -> checkout_models.Quote:
    quote = checkout.Checkout(clock=clock(app)).quote(
        identity.customer(current_caller(app)), body.order, body.code
    )
    metrics.add_metric(name="QuoteGiven", unit=MetricUnit.Count, value=1)
    logger.info(
        "quoted", extra={"applicable": len(quote.applicable), "not_applicable": len(quote.not_applicable)}
    )
    return quote


Id = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
REDEEM_ERRORS = (401, 403, 404, 409, 413, 423, 429, 503)


def _redeemed(redemption: models.RedemptionOut) -> Response[models.RedemptionOut]:
    logger.info(
        "redeemed",
        extra={
            "redemption_id": redemption.redemption_id,
            "claim_id": redemption.claim_id,
            "method": redemption.method,
        },
    )
    metrics.add_metric(name="CouponRedeemed", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=redemption, content_type="application/json")


@app.post("/redemptions", responses=responses(*REDEEM_ERRORS, status=201))
@tracer.capture_method
def redeem_by_staff(body: Annotated[models.StaffRedemption, Body()]) -> Response[models.RedemptionOut]:
    caller = current_caller(app)
    merchant_id = identity.staff_merchant(caller)
    assert caller is not None  # identity.staff_merchant refused a request without one
    return _redeemed(redemptions.Redemptions(clock=clock(app)).by_staff(caller, merchant_id, body))


@app.post("/redemptions/validation", responses=responses(*REDEEM_ERRORS))
@tracer.capture_method
def check_code(body: Annotated[models.StaffRedemption, Body()]) -> models.RedemptionCheck:
    caller = current_caller(app)
    merchant_id = identity.staff_merchant(caller)
    assert caller is not None  # identity.staff_merchant refused a request without one
    checked = redemptions.Redemptions(clock=clock(app)).check(caller, merchant_id, body)
    metrics.add_metric(name="CodeChecked", unit=MetricUnit.Count, value=1)
    return checked


@app.post("/me/coupons/<claimId>/redemption", responses=responses(*REDEEM_ERRORS, status=201))
@tracer.capture_method
def redeem_myself(
    claimId: Id, body: Annotated[models.SelfRedemption, Body()]
) -> Response[models.RedemptionOut]:
    return _redeemed(
        redemptions.Redemptions(clock=clock(app)).by_customer(
            identity.customer(current_caller(app)), claimId, body
        )
    )


@app.post("/checkout/redemptions", responses=responses(*REDEEM_ERRORS, status=201))
@tracer.capture_method
def redeem_shared_code(
    body: Annotated[shared_models.SharedCodeRedemption, Body()],
) -> Response[models.RedemptionOut]:
    return _redeemed(
        redemptions.Redemptions(clock=clock(app)).by_shared_code(identity.customer(current_caller(app)), body)
    )


@app.post("/redemptions/<redemptionId>/reversal", responses=responses(401, 403, 404, 503))
@tracer.capture_method
def reverse(redemptionId: Id) -> models.RedemptionOut:
    reversed_ = redemptions.Redemptions(clock=clock(app)).reverse(
        identity.merchant_scope(current_caller(app)), redemptionId
    )
    logger.info("reversed", extra={"redemption_id": redemptionId, "usable_again": reversed_.usable_again})
    metrics.add_metric(name="RedemptionReversed", unit=MetricUnit.Count, value=1)
    return reversed_


lambda_handler = api.lambda_handler(app)


@app.get("/merchant/settings", responses=responses(401, 403))
@tracer.capture_method
def merchant_settings() -> merchant_models.MerchantSettingsOut:
    return merchants.Merchants().settings(identity.merchant_scope(current_caller(app)))


@app.put("/merchant/settings", responses=responses(401, 403, 413, 503))
@tracer.capture_method
def replace_merchant_settings(
    body: Annotated[merchant_models.MerchantSettings, Body()],
) -> merchant_models.MerchantSettingsOut:
    return merchants.Merchants(clock=clock(app)).replace_settings(
        identity.merchant_scope(current_caller(app)), body
    )


CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


@app.put("/coupons/<couponId>/shared-code", responses=responses(401, 403, 404, 409, 413, 503))
@tracer.capture_method
def set_shared_code(
    couponId: CouponId, body: Annotated[shared_models.SharedCodeIn, Body()]
) -> shared_models.SharedCodeOut:
    merchant_id = identity.merchant_scope(current_caller(app))
    return shared_codes.SharedCodes(clock=clock(app)).put(merchant_id, couponId, body)


@app.get("/coupons/<couponId>/shared-code", responses=responses(401, 403, 404))
@tracer.capture_method
def shared_code(couponId: CouponId) -> shared_models.SharedCodeOut:
    return shared_codes.SharedCodes().get(identity.merchant_scope(current_caller(app)), couponId)


@app.delete("/coupons/<couponId>/shared-code", responses=responses(401, 403, 404, 503))
@tracer.capture_method
def deactivate_shared_code(couponId: CouponId) -> shared_models.SharedCodeOut:
    merchant_id = identity.merchant_scope(current_caller(app))
    return shared_codes.SharedCodes(clock=clock(app)).deactivate(merchant_id, couponId)
