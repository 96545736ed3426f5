"""Typed items of a merchant's segments: the saved definition with its evaluations' state."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class SegmentItem(BaseModel):
    """A segment (`SEGMENT#{segmentId}` / `SEGMENT`): its conditions (AND-ed), and its evaluations: the
    complete membership readers see (`generation`, with `member_count`, `evaluated_at` and the definition's
    `evaluated_version`), the latest asked for (`requested`, `requested_at`) and the run holding it
    (`runner`, `lease_until`)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    segment_id: str
    merchant_id: str
    name: str
    conditions: list[dict[str, Any]]
    version: int = 1
    created_at: str
    updated_at: str
    generation: int = 0  # 0: never evaluated
    member_count: int = 0
    evaluated_at: str | None = None
    evaluated_version: int | None = None
    requested: int = 0
    requested_at: str | None = None
    runner: str | None = None
    lease_until: str | None = None

    @property
    def state(self) -> str:
        """`never` evaluated, `pending` (asked for, not complete yet), or `done`."""
        if self.requested > self.generation:
            return "pending"
        return "done" if self.generation else "never"
