"""Shop rules shared by the whole team, declared once here with their defaults.

Stored in the ``settings`` table (so every laptop on a shared server sees the same
rules); a key that was never saved reads as its default.
"""

from __future__ import annotations

import copy
from datetime import timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import Setting

DEFAULTS: dict[str, Any] = {
    "shop.name": "LiveDesk 演示店",
    # The language the store's seeded data (templates, coupon and perk names, demo) was written in:
    # services/shop_words.py. The UI's language is each user's own.
    "shop.language": "zh_CN",
    # The next broadcast's run-of-show, planned before it starts (services/room/run_of_show.py).
    "run_of_show.next": [],
    # Which industry's profile fields customers carry: see services/presets.py.
    "shop.preset": "general",
    # The shop's clock for days and months (China Standard Time has no daylight saving).
    "shop.utc_offset_hours": 8,
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
    # Growth value (成长值): points per yuan kept, per interaction with a daily cap per kind
    # (so spamming comments does not pay); the perks points buy are rows (services/loyalty/perks.py).
    "points.rules": {
        "per_yuan": 1,
        "interactions": {
            "comment": {"points": 1, "daily_cap": 5},
            "share": {"points": 5, "daily_cap": 3},
            "review": {"points": 10, "daily_cap": 2},
            "gift": {"points": 2, "daily_cap": 20},
        },
    },
    # The local day tiers and levels were last recomputed for: a new day recomputes.
    "segments.computed_on": None,
    # Follow-up rules (services/followups): each on/off with its timing. ``lookback_days``
    # bounds how old a missed reason may be and still become a task, so a first run does
    # not dig up ancient history; day-based tasks are due at ``day_hour`` local time.
    "followups.rules": {
        "day_hour": 10,
        "catch_up_max_days": 31,
        "welcome": {"enabled": True, "sla_hours": 2, "lookback_days": 3},
        "thanks": {"enabled": True, "delay_hours": 24, "lookback_days": 3},
        "survey": {"enabled": True, "delay_hours": 48, "lookback_days": 3},
        "callback": {"enabled": True, "sla_hours": 24, "max_score": 6, "lookback_days": 14},
        "wakeup": {"enabled": True, "inactive_days": 30, "coupon": "满99减20 回归券", "lookback_days": 7},
        "birthday": {"enabled": True, "days_before": 3, "coupon": "生日礼券"},
        "replenish": {"enabled": True, "days_before": 0, "max_days": 180, "lookback_days": 7},
        "vip_touch": {"enabled": True, "tiers": ["vip"], "weekday": 1},
    },
    # When follow-ups were last generated (ISO UTC): a catch-up after days closed starts there.
    "followups.generated_at": None,
    # The owner's additions to the shipped Advertising Law word list (services/compliance):
    # extra terms as "词" or {"term", "reason"}, and exempt terms such as the shop's trademarks.
    "compliance.extra_terms": [],
    "compliance.exempt_terms": [],
    # The owner's additions to the comment-intent word list (services/feeds/intents): extra terms
    # as {"term", "intent"}, and terms that mean nothing in this room (they hide shorter terms in them).
    "intents.extra_terms": [],
    "intents.ignore_terms": [],
    # Order-import column mappings a user corrected, per source (platform): {source: {field: column}}.
    "import.mappings": {},
    # The path a capture tool pushing to LiveDesk (dycast) must use: made once, kept (feeds/formats).
    "feeds.listener_secret": None,
    # 抖店 open-platform order sync (services/sync): the shop id (its app key and secret live in
    # the OS keyring, never here) and the update time the last sync covered (ISO UTC).
    "sync.douyin.shop_id": None,
    "sync.douyin.synced_until": None,
    # The kind of 抖店 app: "self" (自用型, a token from the shop id) or "tool" (工具型: the shop
    # authorises it; its tokens live in the OS keyring), and a tool app's service-market id.
    "sync.douyin.app_type": "self",
    "sync.douyin.service_id": None,
}


def shop_zone(session: Session) -> timezone:
    """The shop's local time as a fixed offset (Chinese shops: +8, no daylight saving).

    Local days everywhere (follow-up due days, points' daily caps, dashboard months,
    import and export times) are the days of this zone.
    """
    return timezone(timedelta(hours=float(get(session, "shop.utc_offset_hours"))))


def get(session: Session, key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    row = session.get(Setting, key)
    return copy.deepcopy(DEFAULTS[key]) if row is None else row.value


# The shop's rules: only an owner changes them (the rest is the app's own bookkeeping).
RULES = frozenset({"shop.name", "shop.preset", "shop.utc_offset_hours", "tiers.rules", "levels", "panel.vip_tiers",
                   "points.rules", "points.perks", "followups.rules", "compliance.extra_terms",
                   "compliance.exempt_terms"})


def set_value(session: Session, key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(f"unknown setting {key!r}")
    if key in RULES:
        from livedesk.services import team

        team.require(session, "change_rules")
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def all_values(session: Session) -> dict[str, Any]:
    stored = {row.key: row.value for row in session.scalars(select(Setting))}
    return {key: stored.get(key, copy.deepcopy(default)) for key, default in DEFAULTS.items()}
