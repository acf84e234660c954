"""Local calendar periods and month numbers: what every monthly figure is indexed by.

Kept apart from the dashboard's pandas work so the UI can name a period without
importing pandas at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np


def month_number(day: date) -> int:
    """Months since January 1970: the axis every monthly figure uses."""
    return (day.year - 1970) * 12 + day.month - 1


def month_label(number: int) -> str:
    return f"{1970 + number // 12:04d}-{number % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    """Local calendar days, both included."""

    start: date
    end: date

    def month_numbers(self) -> np.ndarray:
        return np.arange(month_number(self.start), month_number(self.end) + 1)

    def months(self) -> list[str]:
        return [month_label(int(n)) for n in self.month_numbers()]

    def utc_bounds(self, offset_hours: int) -> tuple[datetime, datetime]:
        zone = timezone(timedelta(hours=offset_hours))
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=zone)
        end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=zone) + timedelta(days=1)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def default_period(today: date, months: int = 12) -> Period:
    """The last ``months`` calendar months, this one included, up to ``today``."""
    first = month_number(today) - (months - 1)
    return Period(date(1970 + first // 12, first % 12 + 1, 1), today)
