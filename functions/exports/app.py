"""CSV exports, the API: ask for an export of a coupon, read the job (functions/export_worker writes it)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from coupon_service import api
from coupon_service.api import (
    KEY_PATTERN,
    Body,
    Header,
    Path,
    clock,
    current_caller,
    resolver,
    responses,
    tracer,
)
from coupon_service.exports import Exports
from coupon_service.identity import merchant_scope
from coupon_service.models.exports import JOB_ID_PATTERN, ExportJobOut, ExportRequest

app = resolver()
app.enable_swagger(path="/exports/docs", title="Coupons: exports")
CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The coupon's id")]
JobId = Annotated[str, Path(pattern=JOB_ID_PATTERN, description="The export job's id")]
ERRORS = (401, 403, 404, 413)


@app.post("/coupons/<couponId>/exports", responses=responses(ExportJobOut, *ERRORS, 409, status=202))
@tracer.capture_method
def request_export(
    couponId: CouponId,
    body: Annotated[ExportRequest, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
) -> Response[ExportJobOut]:
    job = Exports(clock=clock(app)).request(
        merchant_scope(current_caller(app)), couponId, body, idempotency_key
    )
    api.logger.info("export requested", extra={"job_id": job.job_id, "kind": job.kind, "state": job.state})
    return Response(status_code=202, body=job, content_type="application/json")


@app.get("/exports/<jobId>", responses=responses(ExportJobOut, *ERRORS))
@tracer.capture_method
def export_job(jobId: JobId) -> ExportJobOut:
    return Exports(clock=clock(app)).job(merchant_scope(current_caller(app)), jobId)


lambda_handler = api.lambda_handler(app)
