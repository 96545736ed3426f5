"""Merchant coupon management: the /coupons routes and the public /offers route."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

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
    later,
    logger,
    metrics,
    register_context,
    resolver,
    responses,
    run_once,
    tracer,
    web_url,
)
from coupon_service.models.parameters import (
    CHANNEL_PATTERN,
    LOGO_BODY_BYTES,
    OFFER_FILTER_PATTERN,
    QR_SIZES_PATTERN,
    STORE_ID_PATTERN,
)

if TYPE_CHECKING:
    from coupon_service import coupons, identity, offers, records, voiding
    from coupon_service import promotion as promotion_service
    from coupon_service.models import coupons as models
    from coupon_service.models import history
    from coupon_service.models import offers as offer_models
    from coupon_service.models import promotion as promotion_models
    from coupon_service.models import records as records_models
    from coupon_service.models import voiding as voiding_models
else:  # imported by the first request of a route that uses them
    coupons = later("coupon_service.coupons")
    identity = later("coupon_service.identity")
    offers = later("coupon_service.offers")
    offer_models = later("coupon_service.models.offers")
    promotion_service = later("coupon_service.promotion")
    records = later("coupon_service.records")
    voiding = later("coupon_service.voiding")
    models = later("coupon_service.models.coupons")
    history = later("coupon_service.models.history")
    promotion_models = later("coupon_service.models.promotion")
    records_models = later("coupon_service.models.records")
    voiding_models = later("coupon_service.models.voiding")

app = resolver()
app.enable_swagger(path="/coupons/docs", title="Coupons: merchant coupon management")
CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The coupon's id")]
ClaimId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The claimed coupon's id")]
MERCHANT_ERRORS = (401, 403, 404, 413)


@app.post("/coupons", responses=responses(401, 403, 409, 413, 503, status=201))
@tracer.capture_method
def create_coupon(
    body: Annotated[models.CouponCreate, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", pattern=KEY_PATTERN)] = None,
) -> Response[models.CouponOut]:
    owner = identity.merchant_scope(current_caller(app))
    coupon = run_once(
        f"create-coupon#{owner}",
        idempotency_key,
        body,
        lambda: coupons.Coupons(clock=clock(app)).create(owner, body),
        models.CouponOut,
    )
    logger.info("coupon created", extra={"coupon_id": coupon.coupon_id, "mode": coupon.codes.mode})
    metrics.add_metric(name="CouponCreated", unit=MetricUnit.Count, value=1)
    return Response(status_code=201, body=coupon, content_type="application/json")


@app.get("/coupons", responses=responses(401, 403, 413))
@tracer.capture_method
def list_coupons(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> models.CouponPage:
    return coupons.Coupons(clock=clock(app)).list(
        identity.merchant_scope(current_caller(app)), limit, next_token
    )


@app.get("/coupons/<couponId>", responses=responses(*MERCHANT_ERRORS))
@tracer.capture_method
def get_coupon(couponId: CouponId) -> models.CouponOut:
    return coupons.Coupons(clock=clock(app)).get(identity.merchant_scope(current_caller(app)), couponId)


@app.patch("/coupons/<couponId>", responses=responses(*MERCHANT_ERRORS, 409, 503))
@tracer.capture_method
def edit_coupon(couponId: CouponId, body: Annotated[models.CouponPatch, Body()]) -> models.CouponEdited:
    caller = current_caller(app)
    coupon = coupons.Coupons(clock=clock(app)).edit(
        identity.merchant_scope(caller), couponId, body, by=caller.user_id if caller else None
    )
    metrics.add_metric(name="CouponEdited", unit=MetricUnit.Count, value=1)
    return coupon


@app.get("/coupons/<couponId>/history", responses=responses(*MERCHANT_ERRORS))
@tracer.capture_method
def coupon_history(
    couponId: CouponId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> history.HistoryPage:
    return coupons.Coupons(clock=clock(app)).changes(
        identity.merchant_scope(current_caller(app)), couponId, limit, next_token
    )


@app.delete("/coupons/<couponId>", responses=responses(*MERCHANT_ERRORS))
@tracer.capture_method
def delete_coupon(couponId: CouponId) -> models.CouponDeleted:
    return coupons.Coupons(clock=clock(app)).delete(identity.merchant_scope(current_caller(app)), couponId)


@app.get("/coupons/<couponId>/stats", responses=responses(*MERCHANT_ERRORS))
@tracer.capture_method
def coupon_stats(couponId: CouponId) -> models.CouponStats:
    return coupons.Coupons(clock=clock(app)).stats(identity.merchant_scope(current_caller(app)), couponId)


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


@app.get("/coupons/<couponId>/promotion", responses=responses(*MERCHANT_ERRORS))
@tracer.capture_method
def promotion(
    couponId: CouponId, channel: ChannelQuery = None, logo: LogoQuery = None
) -> promotion_models.Promotion:
    owner = identity.merchant_scope(current_caller(app))
    return promotion_service.Promotions(clock=clock(app)).promotion(
        owner, couponId, base_url(), web_url(), channel=channel, logo=logo
    )


QR_RESPONSES = responses(*MERCHANT_ERRORS, 422, media_type="image/png")
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
    owner = identity.merchant_scope(current_caller(app))
    download = promotion_service.Promotions(clock=clock(app)).qr(
        owner, couponId, web_url(), sizes=size, channel=channel, logo=logo
    )
    return Response(
        status_code=200,
        body=download.body,
        content_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


LOGO_ROUTE = "/coupons/{couponId}/promotion/logo"
app.allow_body(LOGO_ROUTE, LOGO_BODY_BYTES)


@app.put("/coupons/<couponId>/promotion/logo", responses=responses(*MERCHANT_ERRORS))
@tracer.capture_method
def promotion_logo(
    couponId: CouponId, body: Annotated[promotion_models.LogoUpload, Body()]
) -> promotion_models.LogoOut:
    logo = promotion_service.Promotions(clock=clock(app)).upload_logo(
        identity.merchant_scope(current_caller(app)), couponId, body
    )
    logger.info("promotion logo stored", extra={"coupon_id": couponId, "width": logo.width})
    return logo


VOID_ERRORS = (*MERCHANT_ERRORS, 409, 503)


@app.post("/coupons/<couponId>/claims/<claimId>/void", responses=responses(*VOID_ERRORS))
@tracer.capture_method
def void_claim(
    couponId: CouponId, claimId: ClaimId, body: Annotated[voiding_models.VoidRequest, Body()]
) -> voiding_models.VoidedCouponOut:
    caller = current_caller(app)
    owner = identity.merchant_scope(caller)  # refuses anyone but a merchant or the platform
    by = caller.user_id if caller is not None else owner
    voided = voiding.Voiding(clock=clock(app)).void(owner, couponId, claimId, reason=body.reason, by=by)
    logger.info("coupon voided", extra={"coupon_id": couponId, "claim_id": claimId})
    metrics.add_metric(name="CouponVoided", unit=MetricUnit.Count, value=1)
    return voided


@app.get("/coupons/<couponId>/records", responses=responses(*MERCHANT_ERRORS, 503))
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
        str | None, Query(pattern=STORE_ID_PATTERN, description="Redemptions at this store")
    ] = None,
    state: Annotated[records_models.RecordStateName | None, Query()] = None,
    kind: Annotated[records_models.RecordKind | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> records_models.RecordsPage:
    caller = current_caller(app)
    owner = identity.merchant_scope(caller)  # refuses anyone but a merchant or the platform
    by = caller.user_id if caller is not None else owner
    search = records_models.RecordSearch(
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
    page = records.Records(clock=clock(app)).search(
        owner, by, couponId, search, limit=limit, token=next_token
    )
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


@app.get("/merchant/audit", responses=responses(401, 403, 413))
@tracer.capture_method
def merchant_audit(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> records_models.AuditPage:
    return records.Records(clock=clock(app)).audit(
        identity.merchant_scope(current_caller(app)), limit, next_token
    )


@app.get("/offers/<couponId>", responses=responses(404, 413))
@tracer.capture_method
def offer(couponId: CouponId) -> models.OfferOut:
    return coupons.Coupons(clock=clock(app)).offer(couponId)


OfferFilter = Annotated[str | None, Query(max_length=64, pattern=OFFER_FILTER_PATTERN)]
OfferLimit = Annotated[int, Query(ge=1, le=50)]
PageToken = Annotated[str | None, Query(max_length=2048)]
PUBLIC_CACHE = "public, max-age=60"  # the same answer for everyone: a CDN or browser may keep it a minute
PRIVATE = "private, no-store"  # one customer's answer: never kept by a shared cache


def _center(caller: identity.Caller | None, cache: str, **query: Any) -> Response[offer_models.OffersPage]:
    page = offers.Offers(clock=clock(app)).page(caller, **query)
    return Response(
        status_code=200, body=page, content_type="application/json", headers={"Cache-Control": cache}
    )


@app.get("/offers", responses=responses(413))
@tracer.capture_method
def coupon_center(
    merchant_id: OfferFilter = None,
    product_id: OfferFilter = None,
    category: OfferFilter = None,
    limit: OfferLimit = 20,
    next_token: PageToken = None,
) -> Response[offer_models.OffersPage]:
    """Public: never reads who is calling, so its answer may be cached for everyone."""
    filters = {"merchant_id": merchant_id, "product_id": product_id, "category": category}
    return _center(None, PUBLIC_CACHE, **filters, limit=limit, token=next_token)


@app.get("/me/offers", responses=responses(401, 403, 413))
@tracer.capture_method
def my_coupon_center(
    merchant_id: OfferFilter = None,
    product_id: OfferFilter = None,
    category: OfferFilter = None,
    limit: OfferLimit = 20,
    next_token: PageToken = None,
) -> Response[offer_models.OffersPage]:
    caller = identity.customer(current_caller(app))
    filters = {"merchant_id": merchant_id, "product_id": product_id, "category": category}
    return _center(caller, PRIVATE, **filters, limit=limit, token=next_token)


lambda_handler = api.lambda_handler(app, on_invoke=register_context)
