"""A merchant's issuance rules in the table: one item per rule in the merchant's partition (an event reads
them all in one query), the scheduled ones also on GSI2; and the coupons a rule names, read in one batch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from coupon_service import keys
from coupon_service.errors import Changed, NotFound
from coupon_service.items import CouponItem
from coupon_service.rule_items import IssuanceRuleItem
from coupon_service.store.table import Cancelled, Table, decode_token, encode_token, values

LISTING = "issuance-rules"  # what page tokens of a merchant's rules are signed for


@dataclass(frozen=True)
class RulesPage:
    rules: list[IssuanceRuleItem]  # by rule id
    next_token: str | None


def _missing() -> NotFound:
    # Another merchant's rule and a missing one look the same.
    return NotFound("no such rule", field="ruleId")


def _record(rule: IssuanceRuleItem) -> dict[str, Any]:
    record = {
        **keys.issuance_rule(rule.merchant_id, rule.rule_id),
        "type": "issuance_rule",
        **rule.model_dump(exclude_none=True),
    }
    trigger = rule.trigger
    if trigger.get("type") == "birthday" or trigger.get("reissue_when_expired_unused"):
        record.update(keys.scheduled_rule(rule.merchant_id, rule.rule_id))
    return record


class RuleBook:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    # --- reads -----------------------------------------------------------------------------------

    def rule_of(self, merchant_id: str, rule_id: str) -> IssuanceRuleItem:
        found = self.table.get(keys.issuance_rule(merchant_id, rule_id))
        if found is None:
            raise _missing()
        return IssuanceRuleItem.model_validate(found)

    def page(self, merchant_id: str, limit: int, token: str | None) -> RulesPage:
        partition = keys.issuance_rules(merchant_id)
        start = decode_token(token, partition=("PK", partition), listing=LISTING)
        items, last = self.table.query(
            key_condition="PK = :p AND begins_with(SK, :r)",
            ExpressionAttributeValues=values(p=partition, r=keys.issuance_rule_prefix()),
            limit=limit,
            start_key=start,
        )
        return RulesPage(
            rules=[IssuanceRuleItem.model_validate(i) for i in items],
            next_token=encode_token(last, listing=LISTING),
        )

    def rules_of(self, merchant_id: str) -> list[IssuanceRuleItem]:
        """Every rule of the merchant (at most MAX_RULES: one page, one request)."""
        found = self.table.query_all(
            key_condition="PK = :p AND begins_with(SK, :r)",
            ExpressionAttributeValues=values(
                p=keys.issuance_rules(merchant_id), r=keys.issuance_rule_prefix()
            ),
            ConsistentRead=True,
        )
        return [IssuanceRuleItem.model_validate(i) for i in found]

    def scheduled(self) -> Iterator[IssuanceRuleItem]:
        """Every merchant's rules the scheduled run serves, page by page."""
        found = self.table.query_all(
            index="GSI2",
            key_condition="GSI2PK = :p",
            ExpressionAttributeValues=values(p=keys.scheduled_rules()),
        )
        for item in found:
            yield IssuanceRuleItem.model_validate(item)

    def coupons(self, coupon_ids: Iterable[str]) -> dict[str, CouponItem]:
        """The coupons a rule names that exist, by id: one batch read."""
        wanted = list(dict.fromkeys(coupon_ids))
        found = self.table.batch_get([keys.coupon(c) for c in wanted]) if wanted else []
        return {c.coupon_id: c for c in (CouponItem.model_validate(i) for i in found)}

    # --- writes ----------------------------------------------------------------------------------

    def add(self, rule: IssuanceRuleItem) -> IssuanceRuleItem:
        """A new rule (its id is new: a retry whose answer was lost finds its own put)."""
        self.table.put(_record(rule), ConditionExpression="attribute_not_exists(PK)")
        return rule

    def replace(self, rule: IssuanceRuleItem, read: int) -> IssuanceRuleItem:
        """The rule as edited, on condition it is still the version read; another edit in between is a 409
        `changed` (send it again), its deletion a 404."""
        try:
            self.table.put(
                _record(rule),
                ConditionExpression="attribute_exists(PK) AND version = :read",
                ExpressionAttributeValues=values(read=read),
            )
        except Cancelled as cancelled:
            if cancelled.old(0) is None:
                raise _missing() from None
            raise Changed("the rule changed meanwhile: read it again", field="ruleId") from None
        return rule

    def remove(self, merchant_id: str, rule_id: str) -> None:
        try:
            self.table.delete(
                keys.issuance_rule(merchant_id, rule_id), ConditionExpression="attribute_exists(PK)"
            )
        except Cancelled as cancelled:
            if not cancelled.ambiguous:  # a retry after our own delete committed finds nothing: done
                raise _missing() from None
