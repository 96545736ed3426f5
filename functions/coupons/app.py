"""Merchant coupon management: the /coupons routes and the public /offers route."""

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from coupon_service import api
from coupon_service.api import (
    KEY_PATTERN,
    Body,
    Header,
    Path,
    Query,
    base_url,
    clock,
    current_caller,
    logger,
    metrics,
    register_context,
    resolver,
    responses,
    run_once,
    tracer,
)
from coupon_service.coupons import Coupons
from coupon_service.identity import merchant_scope
from coupon_service.models.coupons import (
    CouponCreate,
    CouponDeleted,
    CouponEdited,
    CouponOut,
    CouponPage,
    CouponPatch,
    CouponStats,
    OfferOut,
)
from coupon_service.models.history import HistoryPage
from coupon_service.models.promotion import (
    CHANNEL_PATTERN,
    LOGO_BODY_BYTES,
    QR_SIZES_PATTERN,
    LogoOut,
    LogoUpload,
    Promotion,
)
from coupon_service.models.records import AuditPage, RecordKind, RecordSearch, RecordsPage, RecordStateName
from coupon_service.models.stores import StoreIdPattern
from coupon_service.models.voiding import VoidedCouponOut, VoidRequest
from coupon_service.promotion import Promotions
from coupon_service.records import Records
from coupon_service.voiding import Voiding

app = resolver()
app.enable_swagger(path="/coupons/docs", title="Coupons: merchant coupon management")
CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The coupon's id")]
ClaimId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The claimed coupon's id")]
MERCHANT_ERRORS = (401, 403, 404, 413)


@app.post("/coupons", responses=responses(CouponOut, 401, 403, 409, 413, 503, status=201))
@tracer.capture_method
def create_coupon(
    body: Annotated[CouponCreate, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
) -> Response[CouponOut]:
    owner = merchant_scope(current_caller(app))
    coupon = run_once(
        f"create-coupon#{owner}",
        idempotency_key,
        body,
        lambda: Coupons(clock=clock(app)).create(owner, body),
        CouponOut,
    )
    logger.info("coupon created", extra={"coupon_id": coupon.coupon_id, "mode": coupon.codes.mode})
    metrics.add_metric(name="CouponCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=coupon, content_type="application/json")


@app.get("/coupons", responses=responses(CouponPage, 401, 403, 413))
@tracer.capture_method
def list_coupons(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> CouponPage:
    return Coupons(clock=clock(app)).list(merchant_scope(current_caller(app)), limit, next_token)


@app.get("/coupons/<couponId>", responses=responses(CouponOut, *MERCHANT_ERRORS))
@tracer.capture_method
def get_coupon(couponId: CouponId) -> CouponOut:
    return Coupons(clock=clock(app)).get(merchant_scope(current_caller(app)), couponId)


@app.patch("/coupons/<couponId>", responses=responses(CouponEdited, *MERCHANT_ERRORS, 409, 503))
@tracer.capture_method
def edit_coupon(couponId: CouponId, body: Annotated[CouponPatch, Body()]) -> CouponEdited:
    caller = current_caller(app)
    coupon = Coupons(clock=clock(app)).edit(
        merchant_scope(caller), couponId, body, by=caller.user_id if caller else None
    )
    metrics.add_metric(name="CouponEdited", unit=MetricUnit.Count, value=1)
    return coupon


@app.get("/coupons/<couponId>/history", responses=responses(HistoryPage, *MERCHANT_ERRORS))
@tracer.capture_method
def coupon_history(
    couponId: CouponId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> HistoryPage:
    return Coupons(clock=clock(app)).changes(merchant_scope(current_caller(app)), couponId, limit, next_token)


@app.delete("/coupons/<couponId>", responses=responses(CouponDeleted, *MERCHANT_ERRORS))
@tracer.capture_method
def delete_coupon(couponId: CouponId) -> CouponDeleted:
    return Coupons(clock=clock(app)).delete(merchant_scope(current_caller(app)), couponId)


@app.get("/coupons/<couponId>/stats", responses=responses(CouponStats, *MERCHANT_ERRORS))
@tracer.capture_method
def coupon_stats(couponId: CouponId) -> CouponStats:
    return Coupons(clock=clock(app)).stats(merchant_scope(current_caller(app)), couponId)


ChannelQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=CHANNEL_PATTERN,
        description="One of the coupon's channels, or empty for the plain URL; remembered as the default",
    ),
]
LogoQuery = Annotated[
    str | None,
    Query(
        max_length=20,
        description="none, a common logo (see the promotion's `logos`) or custom; remembered as the default",
    ),
]


@app.get("/coupons/<couponId>/promotion", responses=responses(Promotion, *MERCHANT_ERRORS))
@tracer.capture_method
def promotion(couponId: CouponId, channel: ChannelQuery = None, logo: LogoQuery = None) -> Promotion:
    owner = merchant_scope(current_caller(app))
    return Promotions(clock=clock(app)).promotion(owner, couponId, base_url(), channel=channel, logo=logo)


QR_RESPONSES = responses("image/png", *MERCHANT_ERRORS, 422)
QR_RESPONSES[200]["content"]["application/zip"] = {}  # several sizes at once


@app.get("/coupons/<couponId>/promotion/qr", responses=QR_RESPONSES)
@tracer.capture_method
def promotion_qr(  # type: ignore[no-untyped-def]  # a PNG: annotated, Powertools would JSON-encode it
    couponId: CouponId,
    size: Annotated[
        str, Query(max_length=20, pattern=QR_SIZES_PATTERN, description="One size, or several: s,m,xl")
    ] = "m",
    channel: ChannelQuery = None,
    logo: LogoQuery = None,
):
    owner = merchant_scope(current_caller(app))
    download = Promotions(clock=clock(app)).qr(
        owner, couponId, base_url(), sizes=size, channel=channel, logo=logo
    )
    return Response(
        status_code=200,
        body=download.body,
        content_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


LOGO_ROUTE = "/coupons/{couponId}/promotion/logo"
app.allow_body(LOGO_ROUTE, LOGO_BODY_BYTES)


@app.put("/coupons/<couponId>/promotion/logo", responses=responses(LogoOut, *MERCHANT_ERRORS))
@tracer.capture_method
def promotion_logo(couponId: CouponId, body: Annotated[LogoUpload, Body()]) -> LogoOut:
    logo = Promotions(clock=clock(app)).upload_logo(merchant_scope(current_caller(app)), couponId, body)
    logger.info("promotion logo stored", extra={"coupon_id": couponId, "width": logo.width})
    return logo


VOID_ERRORS = (*MERCHANT_ERRORS, 409, 503)


@app.post("/coupons/<couponId>/claims/<claimId>/void", responses=responses(VoidedCouponOut, *VOID_ERRORS))
@tracer.capture_method
def void_claim(couponId: CouponId, claimId: ClaimId, body: Annotated[VoidRequest, Body()]) -> VoidedCouponOut:
    caller = current_caller(app)
    owner = merchant_scope(caller)  # refuses anyone but a merchant or the platform
    by = caller.user_id if caller is not None else owner
    voided = Voiding(clock=clock(app)).void(owner, couponId, claimId, reason=body.reason, by=by)
    logger.info("coupon voided", extra={"coupon_id": couponId, "claim_id": claimId})
    metrics.add_metric(name="CouponVoided", unit=MetricUnit.Count, value=1)
    return voided


@app.get("/coupons/<couponId>/records", responses=responses(RecordsPage, *MERCHANT_ERRORS, 503))
@tracer.capture_method
def coupon_records(
    couponId: CouponId,
    *,  # one argument per filter of the query string, passed by name
    from_: Annotated[
        datetime | None, Query(alias="from", description="Range start (included); default: to - 7 days")
    ] = None,
    to: Annotated[
        datetime | None, Query(description="Range end (excluded); default: now; at most 90 days")
    ] = None,
    nickname: Annotated[str | None, Query(min_length=1, max_length=128, description="Exact nickname")] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=128, description="Exact name")] = None,
    phone: Annotated[
        str | None, Query(min_length=1, max_length=32, description="A whole phone number")
    ] = None,
    channel: Annotated[str | None, Query(min_length=1, max_length=64, pattern=CHANNEL_PATTERN)] = None,
    store: Annotated[
        str | None, Query(pattern=StoreIdPattern, description="Redemptions at this store")
    ] = None,
    state: Annotated[RecordStateName | None, Query()] = None,
    kind: Annotated[RecordKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> RecordsPage:
    caller = current_caller(app)
    owner = merchant_scope(caller)  # refuses anyone but a merchant or the platform
    by = caller.user_id if caller is not None else owner
    search = RecordSearch(
        start=from_,
        end=to,
        nickname=nickname,
        name=name,
        phone=phone,
        channel=channel,
        store=store,
        state=state,
        kind=kind,
    )
    page = Records(clock=clock(app)).search(owner, by, couponId, search, limit=limit, token=next_token)
    # Which filters, never their values: a nickname, name or phone is personal data (the audit item holds
    # them, the phone hashed, where the merchant reads them).
    used = sorted(k for k, v in search.model_dump(exclude={"start", "end"}).items() if v is not None)
    rows = len(page.items)
    logger.info(
        "records read",
        extra={"merchant_id": owner, "by": by, "coupon_id": couponId, "filters": used, "rows": rows},
    )
    metrics.add_metric(name="RecordsRead", unit=MetricUnit.Count, value=1)
    return page


@app.get("/merchant/audit", responses=responses(AuditPage, 401, 403, 413))
@tracer.capture_method
def merchant_audit(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> AuditPage:
    return Records(clock=clock(app)).audit(merchant_scope(current_caller(app)), limit, next_token)


@app.get("/offers/<couponId>", responses=responses(OfferOut, 404, 413))
@tracer.capture_method
def offer(couponId: CouponId) -> OfferOut:
    return Coupons(clock=clock(app)).offer(couponId)


lambda_handler = api.lambda_handler(app, on_invoke=register_context)
