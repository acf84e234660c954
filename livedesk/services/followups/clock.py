"""The shop's clock for follow-ups: aware UTC instants, local days in the shop's zone
(``settings.shop_zone``: the ``shop.utc_offset_hours`` setting, +8 for Chinese shops).

Kept free of pandas so the queue, surveys and templates import quickly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone, tzinfo

UTC = timezone.utc


def as_utc(now: datetime | None) -> datetime:
    """``now`` as aware UTC (the current time if None); a naive time is refused."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware time")
    return now.astimezone(UTC)


def local_today(now: datetime, zone: tzinfo) -> date:
    return now.astimezone(zone).date()


def local_day_start(day: date, zone: tzinfo) -> datetime:
    """Midnight of the shop's local ``day``, as aware UTC."""
    return datetime.combine(day, time(), zone).astimezone(UTC)
