"""A merchant's customer directory: tags, birthday, tier and when each customer joined, as the merchant (or
its events, through the rules) said; read by id, by tag and by birthday (segments, grants, rules)."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime

from coupon_service.clock import SYSTEM, Clock
from coupon_service.errors import Busy, Changed, NotFound
from coupon_service.merchant_items import CustomerItem
from coupon_service.models.customers import CustomerOut, CustomerUpdate
from coupon_service.store.customers import CustomerBook
from coupon_service.store.table import Table
from coupon_service.validity import to_iso

ATTEMPTS = 8  # changes of one customer read again after another change came first


def _instant(text: str) -> str:
    """An ISO 8601 instant with an offset (`Z` too), as the table's fixed-width UTC string."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("joined_at needs an offset")
    return to_iso(moment)


def birthdays_on(day: date) -> list[str]:
    """The MM-DD birthdays kept on `day`: its own, and 02-29 on 28 February of a year without one."""
    kept = [day.strftime("%m-%d")]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        kept.append("02-29")
    return kept


class CustomerDirectory:
    def __init__(self, table: Table | None = None, *, clock: Clock = SYSTEM) -> None:
        self.book = CustomerBook(table)
        self.clock = clock

    def record(
        self,
        merchant_id: str,
        customer_id: str,
        *,
        tags: set[str] | None = None,
        birthday: str | None = None,  # "MM-DD"
        joined_at: str | None = None,
        tier: str | None = None,
    ) -> CustomerItem:
        """Add the customer or change it: only the fields given change (`tags` replaces the tags)."""
        given = {
            "tags": sorted(tags) if tags is not None else None,
            "birthday": birthday,
            "joined_at": _instant(joined_at) if joined_at is not None else None,
            "tier": tier,
        }
        changes = {name: value for name, value in given.items() if value is not None}
        for _ in range(ATTEMPTS):
            previous = self.book.customer(merchant_id, customer_id)
            kept = previous.model_dump() if previous else {}
            if previous is not None and all(kept.get(k) == v for k, v in changes.items()):
                return previous  # nothing changes: nothing written
            now = to_iso(self.clock.now())
            customer = CustomerItem.model_validate(
                {
                    **kept,
                    "merchant_id": merchant_id,
                    "customer_id": customer_id,
                    "created_at": kept.get("created_at", now),
                    **changes,
                    "updated_at": now,
                    "version": (previous.version + 1) if previous else 1,
                }
            )
            try:
                self.book.write(customer, previous)
            except Changed:
                continue
            return customer
        raise Busy("the customer kept changing; try again", field="customerId")

    def get(self, merchant_id: str, customer_id: str) -> CustomerItem | None:
        return self.book.customer(merchant_id, customer_id)

    def customer(self, merchant_id: str, customer_id: str) -> CustomerItem:
        """The merchant's customer; one the merchant has not recorded (or another merchant's) is a 404."""
        found = self.book.customer(merchant_id, customer_id)
        if found is None:
            raise NotFound("no such customer", field="customerId")
        return found

    def with_tag(self, merchant_id: str, tag: str) -> Iterator[str]:
        return self.book.with_tag(merchant_id, tag)

    def born_on(self, merchant_id: str, month_day: str) -> Iterator[str]:
        return self.book.born_on(merchant_id, month_day)

    def birthdays(self, merchant_id: str, day: date) -> list[str]:
        """The customers whose birthday is kept on `day` (02-29 on 28 February of other years), once each."""
        return list(dict.fromkeys(c for md in birthdays_on(day) for c in self.book.born_on(merchant_id, md)))

    def everyone(self, merchant_id: str) -> Iterator[CustomerItem]:
        return self.book.everyone(merchant_id)

    # --- the merchant's routes -------------------------------------------------------------------

    def update(self, merchant_id: str, customer_id: str, body: CustomerUpdate) -> CustomerOut:
        item = self.record(
            merchant_id,
            customer_id,
            tags=set(body.tags) if body.tags is not None else None,
            birthday=body.birthday,
            joined_at=to_iso(body.joined_at) if body.joined_at is not None else None,
            tier=body.tier,
        )
        return CustomerOut.from_item(item)

    def read(self, merchant_id: str, customer_id: str) -> CustomerOut:
        return CustomerOut.from_item(self.customer(merchant_id, customer_id))
