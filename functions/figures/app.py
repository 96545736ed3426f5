"""Figures: a coupon's figures per day, channel or store, and the merchant's overview of its coupons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from coupon_service import api
from coupon_service.api import Path, Query, clock, current_caller, later, resolver, responses, tracer
from coupon_service.models.parameters import STORE_ID_PATTERN

if TYPE_CHECKING:
    from coupon_service import identity
    from coupon_service.figures import reading
    from coupon_service.models import figures as models
else:  # imported by the first request of a route that uses them
    identity = later("coupon_service.identity")
    reading = later("coupon_service.figures.reading")
    models = later("coupon_service.models.figures")

app = resolver()
app.enable_swagger(path="/figures/docs", title="Coupons: figures")
CouponId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The coupon's id")]
CHANNEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


@app.get("/coupons/<couponId>/figures", responses=responses(401, 403, 404, 413, 503))
@tracer.capture_method
def coupon_figures(
    couponId: CouponId,
    *,
    from_: Annotated[
        str | None, Query(alias="from", max_length=10, description="First day, YYYY-MM-DD (default: to - 6)")
    ] = None,
    to: Annotated[
        str | None, Query(max_length=10, description="Last day (default: today); inside the last 90 days")
    ] = None,
    by: Annotated[models.By, Query()] = "day",
    channel: Annotated[str | None, Query(min_length=1, max_length=64, pattern=CHANNEL_PATTERN)] = None,
    store: Annotated[str | None, Query(pattern=STORE_ID_PATTERN)] = None,
) -> models.CouponFigures:
    owner = identity.merchant_scope(current_caller(app))
    figures = reading.Figures(clock=clock(app))
    return figures.coupon(owner, couponId, first=from_, last=to, by=by, channel=channel, store=store)


@app.get("/merchant/overview", responses=responses(401, 403, 413, 503))
@tracer.capture_method
def overview(
    sort: Annotated[models.SortBy, Query()] = "claimed",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> models.OverviewPage:
    owner = identity.merchant_scope(current_caller(app))
    return reading.Figures(clock=clock(app)).overview(
        owner, sort=sort, order=order, limit=limit, token=next_token
    )


lambda_handler = api.lambda_handler(app)
