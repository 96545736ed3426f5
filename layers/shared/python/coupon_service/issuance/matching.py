"""Which coupons a merchant's rules issue for one event, and the key of each issue (pure: no store).

The key names the rule and what triggered it (the order, the invitation and the side of it, the pack's
generation, the birthday's year, the tier); the issuer derives the claim id from (customer, coupon, key),
so the same trigger issues a coupon once however often it is delivered or run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from coupon_service.models.customer_events import (
    CustomerJoinedEvent,
    InvitationAcceptedEvent,
    TierUpgradedEvent,
)
from coupon_service.models.order_events import OrderPlaced
from coupon_service.rule_items import IssuanceRuleItem

AppliedEvent = OrderPlaced | CustomerJoinedEvent | InvitationAcceptedEvent | TierUpgradedEvent
TRIGGERS = {
    "OrderPlaced": "order_placed",
    "CustomerJoined": "customer_joined",
    "InvitationAccepted": "invitation_accepted",
    "TierUpgraded": "tier_upgraded",
}


@dataclass(frozen=True)
class Issue:
    """One coupon to issue one customer, why (`detail`: short, never secret) and under which key."""

    rule_id: str
    coupon_id: str
    customer_id: str
    key: str
    detail: str


def candidates(rules: Iterable[IssuanceRuleItem], event: AppliedEvent) -> list[IssuanceRuleItem]:
    """The merchant's enabled rules of the event's trigger (the event's own merchant: the caller read
    the rules of `event.merchant_id`, so another merchant's rule is never among them)."""
    trigger = TRIGGERS[event.detail_type]
    return [
        r
        for r in rules
        if r.enabled and r.merchant_id == event.merchant_id and r.trigger.get("type") == trigger
    ]


def needs_lines(rules: Iterable[IssuanceRuleItem]) -> bool:
    """Whether an order rule looks at the order's lines (products or categories)."""
    return any(r.trigger.get("products") or r.trigger.get("categories") for r in rules)


def _order_matches(trigger: dict[str, Any], order: OrderPlaced, lines: Sequence[dict[str, Any]]) -> bool:
    if order.amount < int(trigger["min_amount"]):
        return False
    if trigger.get("currency") and trigger["currency"] != order.currency:
        return False
    products, categories = set(trigger.get("products") or ()), set(trigger.get("categories") or ())
    if not (products or categories):
        return True
    return any(line.get("sku") in products or line.get("category") in categories for line in lines)


def pack_key(rule_id: str, generation: int) -> str:
    return f"rule:{rule_id}:joined:{generation}"


def birthday_key(rule_id: str, year: int) -> str:
    return f"rule:{rule_id}:birthday:{year}"


def issues(
    rules: Iterable[IssuanceRuleItem], event: AppliedEvent, lines: Sequence[dict[str, Any]] = ()
) -> list[Issue]:
    """What the rules issue for the event (a pack's first generation for CustomerJoined)."""
    found: list[Issue] = []
    for rule in candidates(rules, event):
        trigger, rid = rule.trigger, rule.rule_id
        if isinstance(event, OrderPlaced):
            if _order_matches(trigger, event, lines):
                key = f"rule:{rid}:order:{event.order_id}"
                detail = f"order {event.order_id}"
                found.append(Issue(rid, trigger["coupon_id"], event.customer_id, key, detail))
        elif isinstance(event, CustomerJoinedEvent):
            key = pack_key(rid, 0)
            found += [Issue(rid, c, event.customer_id, key, "joined") for c in trigger["coupon_ids"]]
        elif isinstance(event, InvitationAcceptedEvent):
            sides = (("inviter", event.inviter_id), ("invitee", event.invitee_id))
            for side, customer in sides:
                coupon = trigger.get(f"{side}_coupon_id")
                if coupon:
                    key = f"rule:{rid}:invitation:{event.invitation_id}:{side}"
                    found.append(
                        Issue(rid, coupon, customer, key, f"invitation {event.invitation_id} {side}")
                    )
        elif trigger.get("tier") in (None, event.tier):
            key = f"rule:{rid}:tier:{event.tier}"
            found.append(Issue(rid, trigger["coupon_id"], event.customer_id, key, f"tier {event.tier}"))
    return found
