"""A merchant's issuance rules: create, read, edit, delete. Every coupon a rule names is the merchant's own
(another merchant's coupon and a missing one are the same 404, naming the field)."""

from __future__ import annotations

import uuid

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Invalid, NotFound
from coupon_service.models.issuance import (
    MAX_RULES,
    RuleCreate,
    RuleDeleted,
    RuleOut,
    RulePage,
    RulePatch,
    Trigger,
    coupons_named,
)
from coupon_service.rule_items import IssuanceRuleItem
from coupon_service.store.issuance import RuleBook
from coupon_service.store.table import Table
from coupon_service.validity import to_iso


class IssuanceRules:
    """Every method works within `owner`'s rules: another merchant's rule is a 404."""

    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.book = RuleBook(table)
        self.clock = clock

    def _coupons_are_owned(self, owner: str, trigger: Trigger) -> None:
        named = coupons_named(trigger)
        found = self.book.coupons(named)
        for coupon_id, field in named.items():
            coupon = found.get(coupon_id)
            if coupon is None or coupon.merchant_id != owner or coupon.status == "deleted":
                raise NotFound("no such coupon", field=field)

    def create(self, owner: str, body: RuleCreate) -> RuleOut:
        if len(self.book.rules_of(owner)) >= MAX_RULES:
            raise Invalid(f"a merchant keeps at most {MAX_RULES} rules", code="too_many_rules", field="body")
        self._coupons_are_owned(owner, body.trigger)
        now = to_iso(self.clock.now())
        rule = IssuanceRuleItem(
            rule_id=uuid.uuid4().hex,
            merchant_id=owner,
            created_at=now,
            updated_at=now,
            **body.model_dump(mode="json", exclude_none=True),
        )
        return RuleOut.from_item(self.book.add(rule))

    def get(self, owner: str, rule_id: str) -> RuleOut:
        return RuleOut.from_item(self.book.rule_of(owner, rule_id))

    def list(self, owner: str, limit: int, token: str | None) -> RulePage:
        page = self.book.page(owner, limit, token)
        return RulePage(items=[RuleOut.from_item(r) for r in page.rules], next_token=page.next_token)

    def edit(self, owner: str, rule_id: str, patch: RulePatch) -> RuleOut:
        sent = patch.model_dump(mode="json", include=patch.model_fields_set)
        if any(value is None for value in sent.values()):
            field = next(name for name, value in sent.items() if value is None)
            raise Invalid("a rule keeps its name, trigger and state: send a value", field=field)
        if not sent:
            raise Invalid("nothing to change", field="body")
        current = self.book.rule_of(owner, rule_id)
        if patch.trigger is not None:
            self._coupons_are_owned(owner, patch.trigger)
        changes = {**sent, "updated_at": to_iso(self.clock.now()), "version": current.version + 1}
        edited = IssuanceRuleItem.model_validate({**current.model_dump(), **changes})
        return RuleOut.from_item(self.book.replace(edited, current.version))

    def delete(self, owner: str, rule_id: str) -> RuleDeleted:
        self.book.remove(owner, rule_id)
        return RuleDeleted(rule_id=rule_id)
