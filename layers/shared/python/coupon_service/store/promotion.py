"""A coupon's promotion in the table: the merchant's own logo (`COUPON#{couponId}` / `LOGO`) and the channel
and logo last used (`COUPON#{couponId}` / `PROMOTION`), read with the coupon in one request."""

from __future__ import annotations

from dataclasses import dataclass

from coupon_service import keys
from coupon_service.errors import NotFound
from coupon_service.items import CouponItem
from coupon_service.store.coupons import owned
from coupon_service.store.table import Cancelled, Table, to_item, values


@dataclass(frozen=True)
class PromotionRead:
    coupon: CouponItem
    channel: str | None  # the channel last used; None: the plain URL, or nothing chosen yet
    logo: str | None  # the logo last used; None: nothing chosen yet
    custom_logo: bytes | None  # the merchant's own logo, when it was asked for and exists


class PromotionStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def promotion_of(self, owner: str, coupon_id: str, *, custom_logo: bool = False) -> PromotionRead:
        """The coupon (if `owner` holds it), its remembered choice and, if asked, its own logo: one
        request."""
        wanted = [keys.coupon(coupon_id), keys.coupon_promotion(coupon_id)]
        if custom_logo:
            wanted.append(keys.coupon_logo(coupon_id))
        found = {item.get("type"): item for item in self.table.batch_get(wanted)}
        coupon = owned(CouponItem.model_validate(found["coupon"]) if "coupon" in found else None, owner)
        choice = found.get("promotion") or {}
        logo = found.get("logo")
        return PromotionRead(
            coupon=coupon,
            channel=choice.get("channel"),
            logo=choice.get("logo"),
            custom_logo=bytes(logo["png"]) if logo else None,
        )

    def custom_logo(self, coupon_id: str) -> bytes | None:
        logo = self.table.get(keys.coupon_logo(coupon_id), consistent=False)
        return bytes(logo["png"]) if logo else None

    def remember(self, coupon_id: str, *, channel: str | None, logo: str, now: str) -> None:
        """The channel (None: the plain URL) and logo just used become the coupon's defaults. Setting
        values, it can be repeated after a lost answer; the last request wins."""
        update = "SET #type = :type, coupon_id = :id, logo = :logo, updated_at = :now"
        update += ", channel = :channel" if channel is not None else " REMOVE channel"
        extra = {"channel": channel} if channel is not None else {}
        self.table.update(
            keys.coupon_promotion(coupon_id),
            UpdateExpression=update,
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues=values(type="promotion", id=coupon_id, logo=logo, now=now, **extra),
        )

    def put_logo(self, owner: str, coupon_id: str, png: bytes, now: str) -> None:
        """The merchant's own logo replaces any before it, and the coupon says it has one; refused (404)
        unless `owner` holds the coupon and it is not deleted. Each part sets values, so a retry after a
        lost answer is harmless."""
        try:
            self.table.transact(
                [
                    {
                        "Put": {
                            "Item": to_item({**keys.coupon_logo(coupon_id), "type": "logo", "png": png}),
                        }
                    },
                    {
                        "Update": {
                            "Key": to_item(keys.coupon(coupon_id)),
                            "UpdateExpression": "SET has_logo = :yes, updated_at = :now",
                            "ConditionExpression": "merchant_id = :owner AND #status <> :deleted",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": values(
                                yes=True, now=now, owner=owner, deleted="deleted"
                            ),
                        }
                    },
                ]
            )
        except Cancelled as cancelled:
            raise NotFound("no such coupon", field="couponId") from cancelled
