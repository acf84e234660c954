"""The shop's clock for follow-ups: aware UTC instants, local days in Asia/Shanghai.

Kept free of pandas so the queue, surveys and templates import quickly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

SHOP_TZ = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def as_utc(now: datetime | None) -> datetime:
    """``now`` as aware UTC (the current time if None); a naive time is refused."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware time")
    return now.astimezone(UTC)


def local_today(now: datetime) -> date:
    return now.astimezone(SHOP_TZ).date()


def local_day_start(day: date) -> datetime:
    """Midnight of the shop's local ``day``, as aware UTC."""
    return datetime.combine(day, time(), SHOP_TZ).astimezone(UTC)
