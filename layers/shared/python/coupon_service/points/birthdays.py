"""The birthday rule: each customer of a programme's directory credited its points once a year, on their
birthday in the programme's (merchant's) time zone (a 29 February birthday on 28 February in years without
one), source `birthday:{year}`.

A part of the hourly points run. The programmes with the rule are read from their index (written with the
settings); for each, the local days after the last one done up to today (a run that was missed catches up
to CATCH_UP_DAYS, never before the rule stood), each day's customers read from the directory's birthday
index, those credited before skipped after one BatchGetItem per 100, the rest credited several ledgers a
transaction. A day is marked done when all its customers are credited: a run that overlaps another or
follows one that crashed midway credits again only those not credited, and each credit is once per
customer, programme and year whatever runs (the entry's condition)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pydantic import BaseModel, ConfigDict

from coupon_service.clock import SYSTEM, Clock
from coupon_service.customers import CustomerDirectory
from coupon_service.point_items import BirthdaysDoneItem, PointsEntryItem, PointsSettingsItem
from coupon_service.point_rules import birthday_days, local_day
from coupon_service.points.ledger import Ledger
from coupon_service.store.point_birthdays import BirthdayProgramme, PointBirthdayStore
from coupon_service.store.points import entry_id
from coupon_service.store.table import Table
from coupon_service.validity import from_iso, to_iso

CATCH_UP_DAYS = 7  # a run late by up to six days still credits the birthdays it missed
CREDITS_PER_TRANSACTION = 33  # three parts each (balance, lot, entry): a transaction holds at most 100
RESERVE = 30.0  # seconds kept back: a programme's day is started only with this much left


class BirthdaySummary(BaseModel):
    model_config = ConfigDict(defer_build=True)
    programmes: int = 0
    days: int = 0  # programme days walked
    customers: int = 0  # born on those days
    credited: int = 0  # credited by this run (the others were before)
    unfinished: bool = False  # out of time: the next run goes on from the last day done


class BirthdayPoints:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.table = table or Table()
        self.clock = clock
        self.ledger = Ledger(self.table, clock=clock)
        self.store = PointBirthdayStore(self.table)
        self.directory = CustomerDirectory(self.table, clock=clock)

    def run(self, time_left: Callable[[], float]) -> BirthdaySummary:
        summary = BirthdaySummary()
        for programme in self.store.programmes():
            summary.programmes += 1
            for day in self.due_days(programme):
                if time_left() < RESERVE:
                    summary.unfinished = True
                    return summary
                born, credited = self.credit_day(programme.settings, day)
                summary.days += 1
                summary.customers += born
                summary.credited += credited
                done = BirthdaysDoneItem(
                    merchant_id=programme.settings.merchant_id,
                    day=day.isoformat(),
                    at=to_iso(self.clock.now()),
                    credited=credited,
                )
                self.store.mark_done(done)
        return summary

    def due_days(self, programme: BirthdayProgramme) -> list[date]:
        settings = programme.settings
        today = local_day(self.clock.now(), settings.time_zone)
        done = date.fromisoformat(programme.done) if programme.done else None
        since = settings.birthday_since
        started = local_day(from_iso(since), settings.time_zone) if since else None
        return birthday_days(today, done, started, CATCH_UP_DAYS)

    def credit_day(self, settings: PointsSettingsItem, day: date) -> tuple[int, int]:
        """The day's customers credited the rule's points for its year, once: (born, credited now)."""
        programme, points = settings.merchant_id, int(settings.earning["birthday"])
        source = f"birthday:{day.year}"
        born = self.directory.birthdays(programme, day)
        known = self.ledger.store.existing([(c, programme, entry_id(source)) for c in born])
        expires = self.ledger.expires_at(settings)
        fresh = [
            self.ledger.entry(
                customer, programme, source, "birthday", points, expires_at=expires, detail={"day": str(day)}
            )
            for customer in born
            if (customer, programme, entry_id(source)) not in known
        ]
        credited = 0
        for start in range(0, len(fresh), CREDITS_PER_TRANSACTION):
            credited += self._credit(fresh[start : start + CREDITS_PER_TRANSACTION])
        return len(born), credited

    def _credit(self, entries: list[PointsEntryItem]) -> int:
        """Credits of distinct ledgers in one transaction; those its refusal named (a concurrent run credited
        one of them, a ledger in debt) one by one, each then answered by the entry there. How many this call
        wrote."""
        left = self.ledger.store.change_together(entries)
        written = len(entries) - len(left)
        for n, owed in left.items():
            written += self.ledger.store.changed(entries[n], owed=owed)[1]
        return written
