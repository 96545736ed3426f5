"""Issuance rules: the /merchant/issuance-rules routes (coupons issued on events), and the outside events
merchants without EventBridge report (`POST /merchant/customer-events`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import (
    Body,
    Path,
    Query,
    clock,
    current_caller,
    later,
    metrics,
    resolver,
    responses,
    tracer,
)
from coupon_service.models.parameters import RULE_ID_PATTERN

if TYPE_CHECKING:
    from coupon_service import identity
    from coupon_service.issuance import intake, rules
    from coupon_service.models import customer_events
    from coupon_service.models import issuance as models
else:  # imported by the first request of a route that uses them
    identity = later("coupon_service.identity")
    rules = later("coupon_service.issuance.rules")
    intake = later("coupon_service.issuance.intake")
    models = later("coupon_service.models.issuance")
    customer_events = later("coupon_service.models.customer_events")

app = resolver()
app.enable_swagger(path="/merchant/issuance-rules/docs", title="Coupons: issuance rules")
RuleId = Annotated[str, Path(pattern=RULE_ID_PATTERN, description="The rule's id")]
ERRORS = (401, 403, 404, 413)


def _rules() -> rules.IssuanceRules:
    return rules.IssuanceRules(clock=clock(app))


@app.post("/merchant/issuance-rules", responses=responses(401, 403, 404, 413, 503, status=201))
@tracer.capture_method
def create_rule(body: Annotated[models.RuleCreate, Body()]) -> Response[models.RuleOut]:
    rule = _rules().create(identity.merchant_scope(current_caller(app)), body)
    metrics.add_metric(name="IssuanceRuleCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=rule, content_type="application/json")


@app.get("/merchant/issuance-rules", responses=responses(401, 403, 413))
@tracer.capture_method
def list_rules(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> models.RulePage:
    return _rules().list(identity.merchant_scope(current_caller(app)), limit, next_token)


@app.get("/merchant/issuance-rules/<ruleId>", responses=responses(*ERRORS))
@tracer.capture_method
def get_rule(ruleId: RuleId) -> models.RuleOut:
    return _rules().get(identity.merchant_scope(current_caller(app)), ruleId)


@app.patch("/merchant/issuance-rules/<ruleId>", responses=responses(*ERRORS, 409, 503))
@tracer.capture_method
def edit_rule(ruleId: RuleId, body: Annotated[models.RulePatch, Body()]) -> models.RuleOut:
    return _rules().edit(identity.merchant_scope(current_caller(app)), ruleId, body)


@app.delete("/merchant/issuance-rules/<ruleId>", responses=responses(*ERRORS, 503))
@tracer.capture_method
def delete_rule(ruleId: RuleId) -> models.RuleDeleted:
    return _rules().delete(identity.merchant_scope(current_caller(app)), ruleId)


@app.post("/merchant/customer-events", responses=responses(401, 403, 409, 413, 503, status=202))
@tracer.capture_method
def report_customer_event(
    body: Annotated[customer_events.CustomerEventReport, Body()],
) -> Response[customer_events.CustomerEventOut]:
    merchant_id = identity.reporting_merchant(current_caller(app), body.detail.merchant_id)
    stored = intake.CustomerEvents(clock=clock(app)).report(merchant_id, body.detail_type, body.detail)
    metrics.add_metric(name="CustomerEventReported", unit=MetricUnit.Count, value=1)
    return Response(status_code=202, body=stored, content_type="application/json")


lambda_handler = api.lambda_handler(app)
