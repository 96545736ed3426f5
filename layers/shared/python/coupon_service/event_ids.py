"""Event ids: the same change always makes the same id, so consumers drop the duplicates of
at-least-once delivery."""

from __future__ import annotations

import uuid
from typing import Any

_NAMESPACE = uuid.UUID("6f1f7f4e-3d0c-4d55-9a53-1c8f0c6c2b11")


def event_id(detail_type: str, identity: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{detail_type}|{identity}"))


def became(new: dict[str, Any], old: dict[str, Any], attribute: str) -> bool:
    """Whether a change set `attribute` (or changed it): what makes most derived events."""
    return new.get(attribute) is not None and old.get(attribute) != new.get(attribute)
