"""CSV exports, the API: ask for an export of a coupon, read the job (functions/export_worker writes it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from coupon_service import api
from coupon_service.api import (
    KEY_PATTERN,
    Body,
    Header,
    Path,
    clock,
    current_caller,
    later,
    resolver,
    responses,
    tracer,
)
from coupon_service.models.parameters import EXPORT_JOB_ID_PATTERN

if TYPE_CHECKING:
    from coupon_service import exports, identity
    from coupon_service.models import exports as models
else:  # imported by the first request of a route that uses them
    exports = later("coupon_service.exports")
    identity = later("coupon_service.identity")
    models = later("coupon_service.models.exports")

app = resolver()
app.enable_swagger(path="/exports/docs", title="Coupons: exports")
CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The coupon's id")]
JobId = Annotated[str, Path(pattern=EXPORT_JOB_ID_PATTERN, description="The export job's id")]
ERRORS = (401, 403, 404, 413)


@app.post("/coupons/<couponId>/exports", responses=responses(*ERRORS, 409, status=202))
@tracer.capture_method
def request_export(
    couponId: CouponId,
    body: Annotated[models.ExportRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
) -> Response[models.ExportJobOut]:
    job = exports.Exports(clock=clock(app)).request(
        identity.merchant_scope(current_caller(app)), couponId, body, idempotency_key
    )
    api.logger.info("export requested", extra={"job_id": job.job_id, "kind": job.kind, "state": job.state})
    return Response(status_code=202, body=job, content_type="application/json")


@app.get("/exports/<jobId>", responses=responses(*ERRORS, 503))
@tracer.capture_method
def export_job(jobId: JobId) -> models.ExportJobOut:
    caller = current_caller(app)
    owner = identity.merchant_scope(caller)  # refuses anyone but a merchant or the platform
    return exports.Exports(clock=clock(app)).job(
        owner, jobId, caller.user_id if caller is not None else owner
    )


lambda_handler = api.lambda_handler(app)
