"""The merchant's side of a coupon's public code (`/coupons/{couponId}/shared-code`): set it (active, with
its caps), read it with its count, deactivate it. A coupon has at most one code for its life (the code
printed on a poster is what customers know it by); setting the same code again re-activates it and
changes its caps. Another merchant's coupon is a 404."""

from __future__ import annotations

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid, NotFound
from coupon_service.items import CouponItem
from coupon_service.models.shared_codes import SharedCodeIn, SharedCodeOut
from coupon_service.shared_code_items import CouponSharedCodeItem, SharedCodeItem
from coupon_service.shared_code_rules import for_everyone, spelled
from coupon_service.store.coupons import owned
from coupon_service.store.shared_codes import CodeSet, SharedCodeStore
from coupon_service.store.table import Table
from coupon_service.validity import to_iso


class SharedCodes:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = SharedCodeStore(table)
        self.clock = clock

    def _coupon(self, merchant_id: str, coupon_id: str) -> tuple[CouponItem, CouponSharedCodeItem | None]:
        coupon, note = self.store.coupon(coupon_id)
        return owned(coupon, merchant_id), note

    def put(self, merchant_id: str, coupon_id: str, body: SharedCodeIn) -> SharedCodeOut:
        coupon, note = self._coupon(merchant_id, coupon_id)
        if coupon.issuer != "merchant":
            raise Invalid("a platform coupon has no public code", code="platform_coupon", field="couponId")
        for_everyone(coupon)
        code = spelled(body.code)
        if note is not None and note.code != code:
            raise CodeSet(note.code)
        now = to_iso(self.clock.now())
        item = SharedCodeItem(
            code=code,
            coupon_id=coupon_id,
            merchant_id=merchant_id,
            active=True,
            max_redemptions=body.max_redemptions,
            per_customer_limit=body.per_customer_limit,
            created_at=now,
            updated_at=now,
        )
        stored = self.store.create(item) if note is None else self.store.change(item)
        return SharedCodeOut.from_item(stored)

    def get(self, merchant_id: str, coupon_id: str) -> SharedCodeOut:
        return SharedCodeOut.from_item(self._stored(merchant_id, coupon_id))

    def deactivate(self, merchant_id: str, coupon_id: str) -> SharedCodeOut:
        """Customers' uses stop at once; what was redeemed stays. `PUT` with the same code re-activates."""
        current = self._stored(merchant_id, coupon_id)
        now = to_iso(self.clock.now())
        return SharedCodeOut.from_item(self.store.activate(merchant_id, current.code, False, now))

    def _stored(self, merchant_id: str, coupon_id: str) -> SharedCodeItem:
        _, note = self._coupon(merchant_id, coupon_id)
        found = self.store.code(merchant_id, note.code) if note is not None else None
        if found is None:
            raise NotFound("this coupon has no public code", field="couponId")
        return found
