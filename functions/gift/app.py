"""Gifts: a customer gives a claimed coupon to a friend, who sees it, accepts it; the giver may cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import (
    KEY_PATTERN,
    Header,
    Path,
    clock,
    current_caller,
    later,
    logger,
    metrics,
    resolver,
    responses,
    tracer,
    web_url,
)

if TYPE_CHECKING:
    from coupon_service import gifts, identity
    from coupon_service.models import claims as claim_models
    from coupon_service.models import gifts as models
else:  # imported by the first request of a route that uses them
    gifts = later("coupon_service.gifts")
    identity = later("coupon_service.identity")
    claim_models = later("coupon_service.models.claims")
    models = later("coupon_service.models.gifts")

app = resolver()
app.enable_swagger(path="/gifts/docs", title="Coupons: gifts")
ClaimId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The claimed coupon's id")]
# Any token is accepted here: a malformed one is simply not found, like a guessed one.
Token = Annotated[str, Path(description="The gift's token, from its share URL")]
ERRORS = (401, 403, 404, 409, 413, 503)


@app.post("/me/coupons/<claimId>/gifts", responses=responses(*ERRORS, status=201))
@tracer.capture_method
def give(
    claimId: ClaimId,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
) -> Response[models.GiftCreated]:
    # A retry with the same key derives the same link: nothing of the answer is stored anywhere.
    created = gifts.Gifts(clock=clock(app)).give(
        identity.customer(current_caller(app)), claimId, web_url(), idempotency_key
    )
    logger.info("gift created", extra={"claim_id": claimId})
    metrics.add_metric(name="GiftCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=created, content_type="application/json")


@app.get("/gifts/<token>", responses=responses(404))
@tracer.capture_method
def show(token: Token) -> models.GiftView:
    return gifts.Gifts(clock=clock(app)).show(token)


@app.post("/gifts/<token>/accept", responses=responses(*ERRORS))
@tracer.capture_method
def accept(token: Token) -> claim_models.ClaimedCouponOut:
    accepted = gifts.Gifts(clock=clock(app)).accept(identity.customer(current_caller(app)), token)
    logger.info("gift accepted", extra={"claim_id": accepted.claim_id})
    metrics.add_metric(name="GiftAccepted", unit=MetricUnit.Count, value=1)
    return accepted


@app.delete("/me/gifts/<token>", responses=responses(*ERRORS))
@tracer.capture_method
def cancel(token: Token) -> models.GiftView:
    return gifts.Gifts(clock=clock(app)).cancel(identity.customer(current_caller(app)), token)


lambda_handler = api.lambda_handler(app)
