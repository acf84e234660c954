"""Capture health: is the feed telling the whole story?

Viewer-side capture tools are known to lose whole event types (gifts or entries stop
while comments flow) and to sample busy rooms. ``CaptureHealth.add`` counts events per
source, type and minute (a feed listener, a dict increment); ``warnings`` compares the
last full minutes: a type that flowed before and stopped while others flow, a rate that
looks sampled (entries far below what the room's online count implies), and anonymous or
masked viewers ("用户***", placeholder ids), which are never matched to a customer
(``events.is_anonymous``, applied by the viewer index).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from livedesk.services.feeds.events import Kind, is_anonymous  # noqa: F401 - re-exported for the room
from livedesk.services.feeds.source import MatchedEvent

WATCHED = (Kind.VIEWER_ENTERED, Kind.COMMENT, Kind.GIFT, Kind.LIKE)
QUIET_MINUTES = 2  # a type silent this long while others flow is a warning
SAMPLED_RATIO = 0.02  # entries per minute below 2 % of the online count look sampled


@dataclass(frozen=True)
class HealthWarning:
    source: str
    code: str  # type_stopped | sampled | anonymous
    kind: str | None  # the event type concerned
    value: float  # minutes silent, the ratio, or how many anonymous viewers


class CaptureHealth:
    def __init__(self) -> None:
        self.per_minute: dict[str, dict[int, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        self.anonymous: Counter[str] = Counter()
        self.online: dict[str, int] = {}  # the latest online count a source reported

    def add(self, item: MatchedEvent) -> None:
        event = item.event
        minute = int(event.received_at.timestamp() // 60)
        self.per_minute[item.source][minute][event.kind] += 1
        if event.kind is Kind.ROOM_STATS:
            if event.online:
                self.online[item.source] = event.online
        elif event.viewer is not None and is_anonymous(event.viewer):
            self.anonymous[item.source] += 1

    def rates(self, source: str, minute: int) -> dict[str, int]:
        return dict(self.per_minute.get(source, {}).get(minute, {}))

    def warnings(self, now_minute: int) -> list[HealthWarning]:
        """What looks wrong, judged on the full minutes before ``now_minute``."""
        out: list[HealthWarning] = []
        for source, minutes in self.per_minute.items():
            recent = range(now_minute - QUIET_MINUTES, now_minute)
            earlier = [m for m in minutes if m < now_minute - QUIET_MINUTES]
            flowing = sum(sum(minutes[m].values()) for m in recent if m in minutes)
            for kind in WATCHED:
                seen_before = any(minutes[m][kind] for m in earlier)
                quiet = all(not minutes[m][kind] for m in recent if m in minutes)
                if seen_before and quiet and flowing:
                    out.append(HealthWarning(source, "type_stopped", str(kind), QUIET_MINUTES))
            online = self.online.get(source)
            last = minutes.get(now_minute - 1)
            if online and last is not None and last[Kind.COMMENT]:
                ratio = last[Kind.VIEWER_ENTERED] / online
                if ratio < SAMPLED_RATIO:
                    out.append(HealthWarning(source, "sampled", str(Kind.VIEWER_ENTERED), round(ratio, 4)))
            if self.anonymous[source]:
                out.append(HealthWarning(source, "anonymous", None, self.anonymous[source]))
        return out
