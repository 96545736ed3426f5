"""A merchant voids one customer's coupon: for good, with a reason the holder reads in their wallet.

Only a held, unused coupon that has not expired can be voided (a used one is reversed instead). A coupon in
a pending gift is voided too, whoever it is given to, and the gift is cancelled in the same transaction: a
gift cannot shield a coupon from its merchant. Voiding is naturally idempotent: a coupon already void
answers its void as it was recorded.
"""

from __future__ import annotations

from coupon_service import lifecycle
from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Changed, NotFound
from coupon_service.items import ClaimItem
from coupon_service.models.voiding import VoidedCouponOut
from coupon_service.point_items import PointsEntryItem
from coupon_service.point_rules import expiry_instant
from coupon_service.store.point_settings import PointSettingsStore
from coupon_service.store.points import claim_entry
from coupon_service.store.table import Table
from coupon_service.store.void import VoidStore
from coupon_service.validity import from_iso, to_iso

TRIES = 3  # the coupon moving on under a void (a gift given or accepted) this many times in a row: 409


class Voiding:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.store = VoidStore(table or Table())
        self.clock = clock

    def void(self, owner: str, coupon_id: str, claim_id: str, *, reason: str, by: str) -> VoidedCouponOut:
        """Void the claimed coupon `claim_id` of `owner`'s coupon `coupon_id`; anyone else's is a 404."""
        for _ in range(TRIES):
            claim = self.store.claim(claim_id)
            if claim is None or claim.coupon_id != coupon_id or claim.merchant_id != owner:
                raise NotFound("no such claimed coupon of this coupon", field="claimId")
            if claim.state == "void":
                return VoidedCouponOut.from_item(claim)
            now = to_iso(self.clock.now())
            lifecycle.refuse("void", claim, now)
            refund = self._refund(claim, now)
            try:
                voided = self.store.void(claim, reason=reason, by=by, now=now, refund=refund)
                return VoidedCouponOut.from_item(voided)
            except Changed:
                continue  # redeemed, given, accepted or voided meanwhile: decide on what it is now
        raise Changed("this coupon keeps changing; try again")

    def _refund(self, claim: ClaimItem, now: str) -> PointsEntryItem | None:
        """The points a coupon claimed for points returns to its claimer, earned anew (they expire as the
        programme's points earned now do)."""
        if not claim.points_price:
            return None
        settings = PointSettingsStore(self.store.table).settings(claim.points_programme or claim.merchant_id)
        expires = expiry_instant(settings.expiry, from_iso(now), settings.time_zone)
        entry = claim_entry(claim, "claim_voided", claim.points_price, now)
        return entry.model_copy(update={"expires_at": expires})
