"""What the table holds of issuance rules, typed: a merchant's rules, the outside events customers' systems
report, what a rule issued as a pack, and the marks that make each event and each day's run apply once
(docs/data-model.md describes them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

CustomerEventKind = Literal[
    "CustomerJoined",
    "InvitationAccepted",
    "TierUpgraded",
    "ProfileCompleted",
    "CardBound",
    "ContentShared",
    "ContentPosted",
]


class IssuanceRuleItem(BaseModel):
    """One rule of a merchant (`RULES#{merchantId}` / `RULE#{ruleId}`): on which event it issues which
    coupons. Rules the scheduled run serves (birthdays, packs issued again) are also listed on GSI2."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    rule_id: str
    merchant_id: str
    name: str
    trigger: dict[str, Any]
    enabled: bool = True
    created_at: str
    updated_at: str
    version: int = 1  # each edit is conditioned on the version it read


class CustomerEventItem(BaseModel):
    """An outside event a merchant reported (`CUSTEVENT#{merchantId}#{eventId}` / `EVENT`), keyed by the
    merchant's own event id: the same event again is a replay, another under the same id a conflict. Its
    insert is the outbox record of the service's own event of its kind."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    kind: CustomerEventKind
    event_id: str
    merchant_id: str
    detail: dict[str, Any]
    received_at: str
    reported_via: Literal["api", "bus"]
    digest: str


class RulePackItem(BaseModel):
    """What a customer_joined rule issued one customer (`PACK#{ruleId}#{customerId}` / `PACK`): the
    `generation` (0: the first pack), its claimed coupons and the last moment any of them is valid. While
    the rule may issue again, it is listed on GSI2 by that moment, for the scheduled run to find it."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    rule_id: str
    merchant_id: str
    customer_id: str
    generation: int
    claim_ids: list[str]
    expires_after: str
    issued_at: str
    settled: str | None = None  # why no pack follows: "used" (a coupon was used, given or voided), "last"
