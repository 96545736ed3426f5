"""What the table holds of a validity extension reaching holders, typed: the checkpoint of one change
(`COUPON#{couponId}` / `EXTENSION#{version}`; coupon_service.holders). Apart from `items.py`, which
holds the coupons' items."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class HolderExtensionItem(BaseModel):
    """How far the extension made by the coupon's edit to `version` got: each shard's last claim record
    done (`after`: shard `nn` -> its record sort key), the claimed coupons extended and examined so far,
    and `finished_at` once every record, the late ones included, was done."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    type: str = "extension"
    coupon_id: str
    version: int
    started_at: str
    after: dict[str, str] = {}
    extended: int = 0
    examined: int = 0
    finished_at: str | None = None
