"""The shapes of a route's path, query and header parameters that handlers name when they are imported: plain
strings and numbers, without pydantic, so registering a route loads none of its models (the models that
validate the same values read them from here)."""

from __future__ import annotations

from coupon_service.qr import LOGO_MAX_BYTES, SIZES

# An Idempotency-Key header: what a client may send to make a retried request run once.
KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,128}$"
# A claimed coupon's QR route's `size`: one of the rendered sizes.
QR_SIZE_PATTERN = "^(" + "|".join(SIZES) + ")$"
# A promotion QR route's `size`: one of the print sizes, or several separated by commas (answered as a ZIP).
QR_SIZES_PATTERN = "^({0})(,({0}))*$".format("|".join(SIZES))
# A QR route's `channel`: one of the coupon's channels (models.common.Name), or empty for the plain URL.
CHANNEL_PATTERN = r"^([A-Za-z0-9][A-Za-z0-9_.:-]*)?$"
LOGO_BODY_BYTES = 4 * -(-LOGO_MAX_BYTES // 3) + 1024  # the upload's JSON: base64 of the image and a little
# A store's id is the merchant's own store code, which staff accounts carry (`custom:store_id`).
STORE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
# Ids a merchant's order system chooses (orders, refunds) and merchant ids: 1-64 characters safe in a key and
# a URL.
ORDER_ID_PATTERN = MERCHANT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
EXPORT_JOB_ID_PATTERN = r"^[0-9a-f]{32}$"  # an export job's id
RULE_ID_PATTERN = r"^[0-9a-f]{32}$"  # an issuance rule id
# A customer's id in a merchant's routes: as the sign-in gives it (1-64 characters safe in a key and a URL).
CUSTOMER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
# The coupon center's filters: a merchant, or a product or category of a coupon's scope (models.common.Name).
OFFER_FILTER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
SEGMENT_ID_PATTERN = r"^[0-9a-f]{32}$"  # a segment's id
