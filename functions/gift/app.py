"""Gifts: a customer gives a claimed coupon to a friend, who sees it, accepts it; the giver may cancel."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import (
    KEY_PATTERN,
    Header,
    Path,
    base_url,
    clock,
    current_caller,
    logger,
    metrics,
    resolver,
    responses,
    tracer,
)
from coupon_service.gifts import Gifts
from coupon_service.identity import customer
from coupon_service.models.claims import ClaimedCouponOut
from coupon_service.models.gifts import GiftCreated, GiftView

app = resolver()
app.enable_swagger(path="/gifts/docs", title="Coupons: gifts")
ClaimId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The claimed coupon's id")]
# Any token is accepted here: a malformed one is simply not found, like a guessed one.
Token = Annotated[str, Path(description="The gift's token, from its share URL")]
ERRORS = (401, 403, 404, 409, 413, 503)


@app.post("/me/coupons/<claimId>/gifts", responses=responses(GiftCreated, *ERRORS, status=201))
@tracer.capture_method
def give(
    claimId: ClaimId,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
) -> Response[GiftCreated]:
    # A retry with the same key derives the same link: nothing of the answer is stored anywhere.
    created = Gifts(clock=clock(app)).give(
        customer(current_caller(app)), claimId, base_url(), idempotency_key
    )
    logger.info("gift created", extra={"claim_id": claimId})
    metrics.add_metric(name="GiftCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=created, content_type="application/json")


@app.get("/gifts/<token>", responses=responses(GiftView, 404))
@tracer.capture_method
def show(token: Token) -> GiftView:
    return Gifts(clock=clock(app)).show(token)


@app.post("/gifts/<token>/accept", responses=responses(ClaimedCouponOut, *ERRORS))
@tracer.capture_method
def accept(token: Token) -> ClaimedCouponOut:
    accepted = Gifts(clock=clock(app)).accept(customer(current_caller(app)), token)
    logger.info("gift accepted", extra={"claim_id": accepted.claim_id})
    metrics.add_metric(name="GiftAccepted", unit=MetricUnit.Count, value=1)
    return accepted


@app.delete("/me/gifts/<token>", responses=responses(GiftView, *ERRORS))
@tracer.capture_method
def cancel(token: Token) -> GiftView:
    return Gifts(clock=clock(app)).cancel(customer(current_caller(app)), token)


lambda_handler = api.lambda_handler(app)
