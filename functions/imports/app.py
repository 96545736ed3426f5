"""Bulk import of codes, the API: the upload form and the jobs (functions/import_worker imports the files)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from coupon_service import api
from coupon_service.api import Body, Path, clock, current_caller, later, resolver, responses, tracer

if TYPE_CHECKING:
    from coupon_service import identity, imports
    from coupon_service.models import imports as models
else:  # imported by the first request of a route that uses them
    identity = later("coupon_service.identity")
    imports = later("coupon_service.imports")
    models = later("coupon_service.models.imports")

app = resolver()
app.enable_swagger(path="/imports/docs", title="Coupons: importing codes")
CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The coupon's id")]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The import job's id")]
ERRORS = (401, 403, 404, 413)


@app.post("/coupons/<couponId>/imports", responses=responses(*ERRORS, 409, status=201))
@tracer.capture_method
def upload_form(
    couponId: CouponId, body: Annotated[models.UploadRequest | None, Body()] = None
) -> Response[models.UploadForm]:
    form = imports.Imports(clock=clock(app)).upload_form(
        identity.merchant_scope(current_caller(app)), couponId, body or models.UploadRequest()
    )
    return Response(status_code=201, body=form, content_type="application/json")


@app.get("/coupons/<couponId>/imports", responses=responses(*ERRORS))
@tracer.capture_method
def jobs(couponId: CouponId) -> models.ImportJobs:
    return imports.Imports(clock=clock(app)).jobs(identity.merchant_scope(current_caller(app)), couponId)


@app.get("/coupons/<couponId>/imports/<jobId>", responses=responses(*ERRORS))
@tracer.capture_method
def job(couponId: CouponId, jobId: JobId) -> models.ImportJobOut:
    return imports.Imports(clock=clock(app)).job(
        identity.merchant_scope(current_caller(app)), couponId, jobId
    )


lambda_handler = api.lambda_handler(app)
