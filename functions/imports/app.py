"""Bulk import of codes: the upload form and the jobs (API), and the import itself (SQS from S3 events)."""

import json
from typing import Annotated
from urllib.parse import unquote_plus

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service import api
from coupon_service.api import current_caller, logger, metrics, resolver, responses, tracer
from coupon_service.aws import client
from coupon_service.identity import merchant_scope
from coupon_service.imports import PREFIX, ImportJobOut, ImportJobs, Imports, UploadForm, UploadRequest
from coupon_service.settings import settings

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
    form = Imports().upload_form(merchant_scope(current_caller(app)), couponId, body or UploadRequest())
    return Response(status_code=201, body=form, content_type="application/json")


@app.get("/coupons/<couponId>/imports", responses=responses(ImportJobs, *ERRORS))
@tracer.capture_method
def jobs(couponId: CouponId) -> ImportJobs:
    return Imports().jobs(merchant_scope(current_caller(app)), couponId)


@app.get("/coupons/<couponId>/imports/<jobId>", responses=responses(ImportJobOut, *ERRORS))
@tracer.capture_method
def job(couponId: CouponId, jobId: JobId) -> ImportJobOut:
    return Imports().job(merchant_scope(current_caller(app)), couponId, jobId)


def _objects(message: dict) -> list[dict]:
    """The objects a queue message names: an S3 notification's records, or a job handed on."""
    if "continue" in message:
        return [message["continue"]]
    found = []
    for record in message.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])  # S3 events encode keys as in a form
        if key.startswith(PREFIX):
            found.append(
                {
                    "bucket": record["s3"]["bucket"]["name"],
                    "key": key,
                    "version": record["s3"]["object"].get("versionId") or "null",
                    "size": int(record["s3"]["object"].get("size", 0)),
                }
            )
    return found


@tracer.capture_method
def run_imports(event: dict, context: LambdaContext) -> dict:
    failures = []
    for record in event["Records"]:
        try:
            for found in _objects(json.loads(record["body"])):
                status = Imports().process(
                    **found, time_left=lambda: context.get_remaining_time_in_millis() / 1000
                )
                logger.info("import", extra={"key": found["key"], "status": status})
                if status == "continue":  # too long for one invocation: the queue hands it on
                    client("sqs").send_message(
                        QueueUrl=settings().import_queue_url, MessageBody=json.dumps({"continue": found})
                    )
                else:
                    metrics.add_metric(name=f"Import_{status}", unit=MetricUnit.Count, value=1)
        except Exception:
            logger.exception("import failed; the queue will deliver it again")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _entry(event: dict, context: LambdaContext) -> dict:
    if "Records" in event:
        return run_imports(event, context)
    return app.resolve(event, context)


lambda_handler = api.lambda_handler(_entry)
