"""The birthday run's DynamoDB side: the programmes whose settings have a birthday rule (one GSI2 partition,
written with the settings), their time zones and the last day each run finished (one BatchGetItem per 50
programmes), and that day moved forward once a day's birthdays are credited."""

from __future__ import annotations

from dataclasses import dataclass

from coupon_service import keys
from coupon_service.merchant_items import MerchantSettingsItem
from coupon_service.point_items import BirthdaysDoneItem, PointsSettingsItem
from coupon_service.store.table import Cancelled, Table, values


@dataclass(frozen=True)
class BirthdayProgramme:
    settings: PointsSettingsItem  # with its merchant's time zone
    done: str | None  # the last local day credited (None: never)


class PointBirthdayStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def programmes(self) -> list[BirthdayProgramme]:
        """Every programme with a birthday rule, its time zone and its last day done."""
        found = self.table.query_all(
            index="GSI2",
            key_condition="GSI2PK = :p",
            ExpressionAttributeValues=values(p=keys.birthday_programmes()),
        )
        programmes = [PointsSettingsItem.model_validate(item) for item in found]
        wanted = [
            key
            for p in programmes
            for key in (keys.merchant_settings(p.merchant_id), keys.points_birthdays_done(p.merchant_id))
        ]
        by_key = {(i["PK"], i["SK"]): i for i in self.table.batch_get(wanted)} if wanted else {}

        def found_at(key: dict[str, str]) -> dict[str, object] | None:
            return by_key.get((key["PK"], key["SK"]))

        answer = []
        for settings in programmes:
            merchant = found_at(keys.merchant_settings(settings.merchant_id))
            if merchant is not None:
                settings.time_zone = MerchantSettingsItem.model_validate(merchant).time_zone or "UTC"
            done = found_at(keys.points_birthdays_done(settings.merchant_id))
            day = BirthdaysDoneItem.model_validate(done).day if done else None
            answer.append(BirthdayProgramme(settings, day))
        return answer

    def mark_done(self, done: BirthdaysDoneItem) -> bool:
        """The programme's last day done is now `done.day`, unless a run went further (False)."""
        try:
            self.table.update(
                keys.points_birthdays_done(done.merchant_id),
                UpdateExpression="SET #t = :type, merchant_id = :m, #d = :d, #a = :at, credited = :n",
                ConditionExpression="attribute_not_exists(#d) OR #d < :d",
                ExpressionAttributeNames={"#t": "type", "#d": "day", "#a": "at"},
                ExpressionAttributeValues=values(
                    type="points_birthdays_done", m=done.merchant_id, d=done.day, at=done.at, n=done.credited
                ),
            )
        except Cancelled:
            return False  # another run (or this one's attempt whose answer was lost) is there already
        return True
