"""What the table holds, typed: the items the store reads and writes (docs/data-model.md describes them).

Attributes not modelled yet are kept as they are (`extra="allow"`), so an item read and written back
loses nothing."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from coupon_service.self_service import Mode
from coupon_service.self_service import self_service_mode as mode_of


class ClaimWindow(BaseModel):
    model_config = ConfigDict(defer_build=True)
    start: str  # fixed-width UTC instants, so a condition compares them as strings
    end: str


class CouponItem(BaseModel):
    """A coupon's definition (`COUPON#{couponId}` / `COUPON`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    coupon_id: str
    merchant_id: str
    issuer: Literal["merchant", "platform"]
    merchants: list[str] | None = None
    version: int
    title: str
    description: str
    status: Literal["draft", "active", "paused", "deleted"]
    currency: str
    time_zone: str
    terms: dict[str, Any]
    codes: dict[str, Any]
    claim_window: ClaimWindow
    validity: dict[str, Any]
    scope: dict[str, Any]
    audience_type: Literal["everyone", "customers", "tags", "segment"]
    audience_tags: list[str] | None = None
    audience_segment: str | None = None  # the segment whose last complete membership may claim
    options: dict[str, Any]
    shard_count: int
    has_logo: bool = False
    created_at: str
    updated_at: str
    self_service: Mode | None = None
    verification_hash: str | None = None  # keyed hashes of the store's codes: only here, never in a claim
    staff_code_hash: str | None = None
    pool_seed: str | None = None  # generated pools: the key of their codes (coupon_service.pool)
    budget_shards: int | None = None  # a capped coupon's budget shards (`options.budget` spread over them)
    stores: dict[str, list[str]] | None = None  # store ids per merchant (absent: every store)
    time_frames: list[dict[str, Any]] | None = None  # coupon_service.time_frames (absent: always)
    passphrase_hash: str | None = None  # the claim passphrase's keyed hash (coupon_service.access)

    @property
    def mode(self) -> str:
        """How its codes are made: `random_on_claim`, `generated` or `imported`."""
        return str(self.codes["mode"])

    @property
    def self_service_mode(self) -> Mode | None:
        return mode_of(self.self_service, self.verification_hash)


class ShardItem(BaseModel):
    """One inventory shard of a coupon (`SHARD#{couponId}#{nn}` / `SHARD`); claims take units from it."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    coupon_id: str
    merchant_id: str
    shard: int
    status: Literal["draft", "active", "paused", "deleted"]
    claim_start: str  # copied from the coupon, so a claim's condition needs no coupon read
    claim_end: str
    claimed: int = 0
    limited: bool = False
    remaining: int | None = None  # limited shards only
    units: int | None = None
    next_position: int | None = None  # code pools only: the position the next claim takes
    pool_size: int | None = None  # code pools only: codes stored

    @classmethod
    def new(cls, coupon: CouponItem, index: int, units: int | None, *, pooled: bool) -> ShardItem:
        """A fresh shard of `coupon` holding `units` (None: unlimited); a pooled one hands out the code
        stored at its counter's position."""
        return cls(
            coupon_id=coupon.coupon_id,
            merchant_id=coupon.merchant_id,
            shard=index,
            status=coupon.status,
            claim_start=coupon.claim_window.start,
            claim_end=coupon.claim_window.end,
            limited=units is not None,
            remaining=units,
            units=units,
            next_position=0 if pooled else None,
            pool_size=(units or 0) if pooled else None,
        )


GiftState = Literal["pending", "accepted", "cancelled", "expired"]


class GiftItem(BaseModel):
    """A gift (`GIFT#{sha256(token)}` / `GIFT`): who gives which claimed coupon, until when, and a copy of
    what the friend sees. Times are the table's fixed-width UTC strings, compared as strings like the
    conditions do. `expired` is stored only once the reminder run settled a lapsed gift; before, a read
    derives it."""

    model_config = ConfigDict(extra="allow", defer_build=True)  # the key attributes come along

    type: Literal["gift"] = "gift"
    gift_id: str
    state: GiftState
    claim_id: str
    coupon_id: str
    merchant_id: str
    merchants: list[str] | None = None
    giver_id: str
    giver_name: str
    created_at: str
    gift_expires_at: str
    expires_at: int  # the TTL for clean-up only
    notify_giver: bool = False
    message: str | None = None
    title: str
    description: str
    currency: str
    terms: dict[str, Any]
    scope: dict[str, Any]
    valid_from: str
    valid_until: str
    friend_id: str | None = None
    friend_name: str | None = None
    accepted_at: str | None = None
    cancelled_at: str | None = None
    cancelled_by: Literal["giver", "void"] | None = None  # `void`: its coupon was voided by the merchant
    time_zone: str | None = None  # the coupon's, to show the window in (none: a gift made before it was kept)

    def state_at(self, now: str) -> GiftState:
        """The state at `now`: a pending gift past its lifetime is expired, whether settled yet or not."""
        if self.state == "pending" and self.gift_expires_at <= now:
            return "expired"
        return self.state

    def lapsed(self, now: str) -> bool:
        """Still stored as pending, but past its lifetime: what the reminder run settles."""
        return self.state == "pending" and self.gift_expires_at <= now


class ClaimItem(BaseModel):
    """A claimed coupon (`CLAIM#{claimId}` / `CLAIM`): what one customer holds, as claimed."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    claim_id: str
    coupon_id: str
    merchant_id: str
    merchants: list[str] | None = None
    claimer_id: str
    owner_id: str
    state: Literal["available", "gifting", "used", "void"]
    claimed_at: str  # fixed-width UTC instants, so conditions compare them as strings
    valid_from: str
    valid_until: str
    channel: str
    note: str | None = None
    request_hash: str
    # Face value and terms as claimed: later edits never change what a customer holds.
    title: str
    description: str
    currency: str
    time_zone: str
    terms: dict[str, Any]
    scope: dict[str, Any]
    giftable: bool = False
    notify_giver: bool = False
    gift_message: str | None = None
    staff_confirms_terms: bool = False
    self_service: Mode | None = None
    nickname: str | None = None
    name: str | None = None
    phone_hash: str | None = None
    phone_masked: str | None = None
    code: str
    code_system: bool = True
    shard: int
    position: int | None = None  # code pools only
    reminder_message: str | None = None
    reminder: dict[str, Any] | None = None  # the rule as claimed (validity.reminder_time): moves with the end
    remind_at: str | None = None
    gift_id: str | None = None
    gift_expires_at: str | None = None
    voided_at: str | None = None  # once voided by its merchant, with why and by whom
    void_reason: str | None = None
    voided_by: str | None = None
    budget_shards: int | None = None  # the coupon caps its total discount over this many budget shards
    stacking: dict[str, Any] | None = None  # stackable coupons: the kinds it shares an order with
    test_release: bool | None = None  # claimed from a draft by its merchant's staff or a tester: no figures
    newcomer_rules: list[str] | None = (
        None  # the coupon's new-customer rules as claimed (coupon_service.access)
    )
    # Where and when it may be used, as claimed (coupon_service.where_and_when).
    stores: dict[str, list[str]] | None = None
    time_frames: list[dict[str, Any]] | None = None
    redemption_id: str | None = None  # while used: the redemption that used it
    reversals: int | None = None  # redemptions reversed so far (the round of its next redemption)
    reminded_at: str | None = None
    # Issued by the service (coupon_service.issuing), not claimed: why (models.issuing.IssueReason).
    issue_reason: dict[str, str] | None = None
    # Where the claim came from, as keyed hashes only (coupon_service.claim_watch): the per-device limit as
    # claimed and the abuse watch's window.
    device_hash: str | None = None
    ip_hash: str | None = None
    per_device_limit: int | None = None
    watch_window: str | None = None
    # A coupon claimed for points: its price and the programme (ledger) they were debited from, as claimed.
    points_price: int | None = None
    points_programme: str | None = None

    def record(self) -> dict[str, Any]:
        """The attributes as stored (None: not stored)."""
        return self.model_dump(exclude_none=True)


class RedemptionItem(BaseModel):
    """A redemption (`REDEMPTION#{redemptionId}` / `REDEMPTION`): who used which claimed coupon, where, for
    which order and how much; `reversed_at` once reversed. None fields are not stored."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    redemption_id: str
    claim_id: str
    coupon_id: str
    merchant_id: str
    customer_id: str
    redeemed_at_merchant: str | None = None
    method: str
    redeemed_by: str
    verified: bool | None = None
    store_id: str | None = None
    order_id: str | None = None
    currency: str | None = None
    order_amount: int | None = None
    discount: int | None = None
    line_discount: int | None = None
    shipping_discount: int | None = None
    allocations: list[dict[str, Any]] | None = None
    points: int | None = None
    item: str | None = None
    terms_confirmed_by_staff: bool | None = None
    order_merchant: str | None = None  # the merchant whose order it holds (one coupon per order)
    budget_counted: int | None = None  # capped coupons: what it counts against the coupon's budget
    budget_taken: dict[str, int] | None = None  # budget shard -> the piece taken from it
    stackable: bool | None = None  # the coupon stacks: one of the order's stacked coupons, not its main one
    order_cart: str | None = None  # the digest of the cart its order was priced as
    order_seq: int | None = None  # the order's change this redemption made (absent: written before stacking)
    redeemed_at: str
    reversed_at: str | None = None
    reversed_by: str | None = None
    usable_again: bool | None = None
    # Who claimed the coupon and through which channel, copied from the claim (the merchant's records search
    # redemptions by them; a phone only as its keyed hash and masked). Absent on redemptions written before.
    nickname: str | None = None
    name: str | None = None
    phone_hash: str | None = None
    phone_masked: str | None = None
    channel: str | None = None
