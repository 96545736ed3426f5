"""The scheduled run of the rules that no event triggers: birthdays, and packs issued again.

Birthdays: each enabled birthday rule, once per day of its merchant's time zone (a mark per rule and day,
put when the day's run finished, so a run that stopped is taken up by the next one, and a second run on
the same day reads one item and issues nothing): the customers the directory has born on that day
(`born_on`), each issued the rule's coupon under a key of the rule and the year, so once a year whatever
runs again. A 29 February birthday is kept on 28 February in years without one.

Packs: each enabled customer_joined rule that issues again reads its packs whose every coupon ended
before now (GSI2, by the last end). A pack none of whose coupons was used, given or voided is followed by
a new pack (the next generation, part of the issuing key); otherwise it leaves the watch. At most
`max_reissues` new packs per customer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from coupon_service.clock import SYSTEM, Clock
from coupon_service.customers import CustomerDirectory, birthdays_on
from coupon_service.issuance.apply import Applied, RuleWorker
from coupon_service.issuance.matching import Issue, birthday_key, pack_key
from coupon_service.items import ClaimItem
from coupon_service.rule_items import IssuanceRuleItem, RulePackItem
from coupon_service.store.issuance import RuleBook
from coupon_service.store.merchants import MerchantSettingsStore
from coupon_service.store.rule_marks import RuleMarks
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

RESERVE = 30.0  # seconds kept back: a rule is started only with this much left (the next run resumes)


@dataclass
class RunReport:
    rules: int = 0
    birthdays: int = 0
    packs: int = 0
    unfinished: bool = False
    outcomes: dict[str, int] = field(default_factory=dict)


def unused_and_ended(pack: RulePackItem, claims: list[ClaimItem], now: str) -> bool:
    """Every coupon of the pack still the customer's, never used, given or voided, and ended."""
    return len(claims) == len(pack.claim_ids) and all(
        c.state == "available" and c.owner_id == pack.customer_id and c.valid_until < now for c in claims
    )


class ScheduledRules:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.book = RuleBook(table)
        self.marks = RuleMarks(table)
        self.merchants = MerchantSettingsStore(table)
        self.directory = CustomerDirectory(table, clock=clock)
        self.worker = RuleWorker(table, clock=clock)
        self.clock = clock

    def run(self, time_left: Callable[[], float]) -> RunReport:
        report = RunReport()
        for rule in self.book.scheduled():
            if not rule.enabled:
                continue
            if time_left() < RESERVE:
                report.unfinished = True
                break
            report.rules += 1
            applied = Applied(outcomes=report.outcomes)
            if rule.trigger.get("type") == "birthday":
                report.birthdays += self.birthdays(rule, applied)
            elif rule.trigger.get("reissue_when_expired_unused"):
                report.packs += self.packs(rule, applied)
        return report

    def today(self, merchant_id: str) -> date:
        found = self.merchants.settings(merchant_id)
        zone = ZoneInfo(found.time_zone if found and found.time_zone else "UTC")
        return self.clock.now().astimezone(zone).date()

    def birthdays(self, rule: IssuanceRuleItem, applied: Applied) -> int:
        """The rule's day, once: the customers born on it issued its coupon (once per year)."""
        today = self.today(rule.merchant_id)
        if self.marks.ran(rule.rule_id, today.isoformat()):
            return 0
        key, why = birthday_key(rule.rule_id, today.year), f"birthday {today.year}"
        reached = 0
        for month_day in birthdays_on(today):
            for customer_id in self.directory.born_on(rule.merchant_id, month_day):
                self.worker.issue(
                    Issue(rule.rule_id, rule.trigger["coupon_id"], customer_id, key, why), applied
                )
                reached += 1
        self.marks.mark_ran(rule.rule_id, today.isoformat(), to_iso(self.clock.now()), reached)
        return reached

    def packs(self, rule: IssuanceRuleItem, applied: Applied) -> int:
        """The rule's lapsed packs: each followed by a new one, or out of the watch."""
        now = to_iso(self.clock.now())
        issued = 0
        for pack in self.marks.lapsed_packs(rule.rule_id, now):
            if not unused_and_ended(pack, self.marks.claims(pack.claim_ids), now):
                self.marks.settle(pack, "used")
                continue
            generation = pack.generation + 1
            key = pack_key(rule.rule_id, generation)
            why = f"joined, pack {generation + 1}"
            issues = [Issue(rule.rule_id, c, pack.customer_id, key, why) for c in rule.trigger["coupon_ids"]]
            claim_ids = [c for _, c in (self.worker.issue(one, applied) for one in issues) if c]
            if not claim_ids:
                self.marks.settle(pack, "not_issued")
                continue
            self.worker.keep_pack(rule, pack.customer_id, generation, claim_ids)
            issued += 1
        return issued
