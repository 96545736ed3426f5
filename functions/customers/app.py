"""A merchant's customers: the directory (/merchant/customers) and its segments (/merchant/segments)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from coupon_service import api
from coupon_service.api import Body, Path, clock, current_caller, later, resolver, responses, tracer
from coupon_service.models.parameters import CUSTOMER_ID_PATTERN

if TYPE_CHECKING:
    from coupon_service import customers, identity
    from coupon_service.models import customers as models
else:  # imported by the first request of a route that uses them
    identity = later("coupon_service.identity")
    customers = later("coupon_service.customers")
    models = later("coupon_service.models.customers")

app = resolver()
app.enable_swagger(path="/customers/docs", title="Coupons: a merchant's customers and segments")
CustomerId = Annotated[str, Path(pattern=CUSTOMER_ID_PATTERN, description="The customer's id")]
ERRORS = (401, 403, 404, 413)


@app.put("/merchant/customers/<customerId>", responses=responses(401, 403, 413, 503))
@tracer.capture_method
def put_customer(
    customerId: CustomerId, body: Annotated[models.CustomerUpdate, Body()]
) -> models.CustomerOut:
    directory = customers.CustomerDirectory(clock=clock(app))
    return directory.update(identity.merchant_scope(current_caller(app)), customerId, body)


@app.get("/merchant/customers/<customerId>", responses=responses(*ERRORS))
@tracer.capture_method
def get_customer(customerId: CustomerId) -> models.CustomerOut:
    directory = customers.CustomerDirectory(clock=clock(app))
    return directory.read(identity.merchant_scope(current_caller(app)), customerId)


lambda_handler = api.lambda_handler(app)
