"""Bulk import of codes, the API: the upload form and the jobs (functions/import_worker imports the files)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from coupon_service import api
from coupon_service.api import Body, Path, clock, current_caller, resolver, responses, tracer
from coupon_service.identity import merchant_scope
from coupon_service.imports import Imports
from coupon_service.models.imports import ImportJobOut, ImportJobs, UploadForm, UploadRequest

app = resolver()
app.enable_swagger(path="/imports/docs", title="Coupons: importing codes")
CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The coupon's id")]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The import job's id")]
ERRORS = (401, 403, 404, 413)


@app.post("/coupons/<couponId>/imports", responses=responses(UploadForm, *ERRORS, 409, status=201))
@tracer.capture_method
def upload_form(
    couponId: CouponId, body: Annotated[UploadRequest | None, Body()] = None
) -> Response[UploadForm]:
    form = Imports(clock=clock(app)).upload_form(
        merchant_scope(current_caller(app)), couponId, body or UploadRequest()
    )
    return Response(status_code=201, body=form, content_type="application/json")


@app.get("/coupons/<couponId>/imports", responses=responses(ImportJobs, *ERRORS))
@tracer.capture_method
def jobs(couponId: CouponId) -> ImportJobs:
    return Imports(clock=clock(app)).jobs(merchant_scope(current_caller(app)), couponId)


@app.get("/coupons/<couponId>/imports/<jobId>", responses=responses(ImportJobOut, *ERRORS))
@tracer.capture_method
def job(couponId: CouponId, jobId: JobId) -> ImportJobOut:
    return Imports(clock=clock(app)).job(merchant_scope(current_caller(app)), couponId, jobId)


lambda_handler = api.lambda_handler(app)
