"""Shop rules shared by the whole team, declared once here with their defaults.

Stored in the ``settings`` table (so every laptop on a shared server sees the same
rules); a key that was never saved reads as its default.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import Setting

DEFAULTS: dict[str, Any] = {
    "shop.name": "LiveDesk 演示店",
    # Which industry's profile fields customers carry: see services/presets.py.
    "shop.preset": "general",
    # RFM tiers. Days count back from today; shares are of paying customers.
    "tiers.rules": {
        "vip_top_share": 0.10,  # the top 10 % by 12-month spend...
        "vip_min_spend_fen": 200_000,  # ...who also spent at least ¥2,000
        "active_days": 90,  # bought within this many days: active
        "lost_days": 365,  # nothing for this long: lost (流失); in between: dormant (沉睡)
        "potential_min_orders": 2,
    },
    # Membership levels (星钻会员) by rolling 12-month spend, lowest first.
    "levels": [
        {"code": "silver", "min_spend_fen": 1_000_000},
        {"code": "gold", "min_spend_fen": 3_000_000},
    ],
    "panel.vip_tiers": ["vip"],
    # The local day tiers and levels were last recomputed for: a new day recomputes.
    "segments.computed_on": None,
}


def get(session: Session, key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = session.get(Setting, key)
    return copy.deepcopy(DEFAULTS[key]) if row is None else row.value


def set_value(session: Session, key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def all_values(session: Session) -> dict[str, Any]:
    stored = {row.key: row.value for row in session.scalars(select(Setting))}
    return {key: stored.get(key, copy.deepcopy(default)) for key, default in DEFAULTS.items()}
