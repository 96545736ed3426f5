"""Checkout and redemption: the checkout quote, staff and self-service redemption, and reversal."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import Body, Path, clock, current_caller, logger, metrics, resolver, responses, tracer
from coupon_service.checkout import Checkout
from coupon_service.identity import customer, merchant_scope, staff_merchant
from coupon_service.merchants import Merchants
from coupon_service.models.checkout import Quote, QuoteRequest
from coupon_service.models.merchants import MerchantSettings, MerchantSettingsOut
from coupon_service.models.redemptions import RedemptionCheck, RedemptionOut, SelfRedemption, StaffRedemption
from coupon_service.redemptions import Redemptions

app = resolver()
app.enable_swagger(path="/checkout/docs", title="Coupons: checkout and redemption")


@app.post("/checkout/quote", responses=responses(Quote, 401, 403, 413, 503))
@tracer.capture_method
def checkout_quote(body: Annotated[QuoteRequest, Body()]) -> Quote:
    quote = Checkout(clock=clock(app)).quote(customer(current_caller(app)), body.order)
    metrics.add_metric(name="QuoteGiven", unit=MetricUnit.Count, value=1)
    logger.info(
        "quoted", extra={"applicable": len(quote.applicable), "not_applicable": len(quote.not_applicable)}
    )
    return quote


Id = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
REDEEM_ERRORS = (401, 403, 404, 409, 413, 423, 429, 503)


def _redeemed(redemption: RedemptionOut) -> Response[RedemptionOut]:
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


@app.post("/redemptions", responses=responses(RedemptionOut, *REDEEM_ERRORS, status=201))
@tracer.capture_method
def redeem_by_staff(body: Annotated[StaffRedemption, Body()]) -> Response[RedemptionOut]:
    caller = current_caller(app)
    merchant_id = staff_merchant(caller)
    assert caller is not None  # staff_merchant refused a request without one
    return _redeemed(Redemptions(clock=clock(app)).by_staff(caller, merchant_id, body))


@app.post("/redemptions/validation", responses=responses(RedemptionCheck, *REDEEM_ERRORS))
@tracer.capture_method
def check_code(body: Annotated[StaffRedemption, Body()]) -> RedemptionCheck:
    caller = current_caller(app)
    merchant_id = staff_merchant(caller)
    assert caller is not None  # staff_merchant refused a request without one
    checked = Redemptions(clock=clock(app)).check(caller, merchant_id, body)
    metrics.add_metric(name="CodeChecked", unit=MetricUnit.Count, value=1)
    return checked


@app.post("/me/coupons/<claimId>/redemption", responses=responses(RedemptionOut, *REDEEM_ERRORS, status=201))
@tracer.capture_method
def redeem_myself(claimId: Id, body: Annotated[SelfRedemption, Body()]) -> Response[RedemptionOut]:
    return _redeemed(Redemptions(clock=clock(app)).by_customer(customer(current_caller(app)), claimId, body))


@app.post("/redemptions/<redemptionId>/reversal", responses=responses(RedemptionOut, 401, 403, 404, 503))
@tracer.capture_method
def reverse(redemptionId: Id) -> RedemptionOut:
    reversed_ = Redemptions(clock=clock(app)).reverse(merchant_scope(current_caller(app)), redemptionId)
    logger.info("reversed", extra={"redemption_id": redemptionId, "usable_again": reversed_.usable_again})
    metrics.add_metric(name="RedemptionReversed", unit=MetricUnit.Count, value=1)
    return reversed_


lambda_handler = api.lambda_handler(app)


@app.get("/merchant/settings", responses=responses(MerchantSettingsOut, 401, 403))
@tracer.capture_method
def merchant_settings() -> MerchantSettingsOut:
    return Merchants().settings(merchant_scope(current_caller(app)))


@app.put("/merchant/settings", responses=responses(MerchantSettingsOut, 401, 403, 413, 503))
@tracer.capture_method
def replace_merchant_settings(body: Annotated[MerchantSettings, Body()]) -> MerchantSettingsOut:
    return Merchants(clock=clock(app)).replace_settings(merchant_scope(current_caller(app)), body)
