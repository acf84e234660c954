"""The follow-up kinds, the rules' settings over their defaults, and what a task key says.

Kept free of pandas so templates and the queue import quickly.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from livedesk.services import settings

KINDS = ("welcome", "thanks", "survey", "callback", "wakeup", "birthday", "replenish", "vip_touch")


def rule_settings(session: Session) -> dict[str, Any]:
    """The ``followups.rules`` setting over its defaults, so a rule added later has values."""
    merged = copy.deepcopy(settings.DEFAULTS["followups.rules"])
    for key, value in (settings.get(session, "followups.rules") or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def replenish_item_id(dedupe_key: str | None) -> int | None:
    """The order item a replenishment task is about (its key is ``replenish:item:<id>``)."""
    if dedupe_key and dedupe_key.startswith("replenish:item:"):
        return int(dedupe_key.rsplit(":", 1)[1])
    return None
