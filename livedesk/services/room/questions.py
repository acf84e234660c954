"""What the room asks and wants right now, kept in memory while the feed runs.

``RoomIntents.add`` is a feed listener (it sees every event, even those the display
buffer drops) and costs a few dict operations: the question queue (size, shade,
suitability, price, shipping) with who asks, ``buy`` intents of known customers counted
per run-of-show segment, a restock waitlist from ``stock`` intents, and the complaints
of known customers waiting to be written (``take_complaints``). Only certain matches
(platform id or handle) count as known: a nickname guess is never someone's complaint.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import ProfileValue
from livedesk.services import presets, settings
from livedesk.services.feeds.intents import QUESTIONS
from livedesk.services.feeds.source import MatchedEvent
from livedesk.services.room.health import is_anonymous

QUEUE_KEPT = 60
WAITLIST_KEPT = 500


@dataclass(frozen=True, slots=True)
class Asker:
    viewer_key: str
    nickname: str
    customer_id: int | None  # only for a certain match
    tier: str | None
    level: str | None
    vip: bool


@dataclass(frozen=True, slots=True)
class Question:
    asker: Asker
    intents: tuple[str, ...]  # the question intents of the comment, in INTENTS order
    text: str
    at: datetime
    segment: int | None  # the run-of-show position when it was asked


@dataclass(slots=True)
class WaitEntry:
    asker: Asker
    text: str
    first_at: datetime
    segment: int | None
    asks: int = 1


@dataclass(frozen=True, slots=True)
class PendingComplaint:
    customer_id: int
    nickname: str
    text: str
    at: datetime
    msg_id: str | None


@dataclass
class RoomIntents:
    segment: int | None = None  # set by the run-of-show's "now: product N"
    version: int = 0  # bumped on every change a view shows: redraw only when it moved
    questions: deque[Question] = field(default_factory=lambda: deque(maxlen=QUEUE_KEPT))
    buyers: dict[int | None, set[int]] = field(default_factory=dict)  # segment -> known customers saying buy
    buy_comments: Counter[int | None] = field(default_factory=Counter)  # segment -> buy comments, anyone
    intent_counts: Counter[tuple[int | None, str]] = field(default_factory=Counter)
    waitlist: dict[str, WaitEntry] = field(default_factory=dict)
    _complaints: list[PendingComplaint] = field(default_factory=list)
    _complained: set[tuple[int, str]] = field(default_factory=set)  # (customer, text): one task per complaint

    def add(self, item: MatchedEvent) -> None:
        intents = item.intents
        if not intents:
            return
        event, match = item.event, item.match
        viewer = event.viewer
        if viewer is None or viewer.key is None:
            return
        segment = self.segment
        for intent in intents:
            self.intent_counts[(segment, intent)] += 1
        known = match.customer if match.certain and not is_anonymous(viewer) else None
        asker = Asker(viewer.key, viewer.nickname or viewer.display_id or "?",
                      known.id if known else None, known.tier if known else None,
                      known.level if known else None, bool(known and known.vip))
        text = event.content or ""
        asked = tuple(i for i in intents if i in QUESTIONS)
        if asked:
            for old in self.questions:  # asked again: one row, moved to the top
                if old.asker.viewer_key == asker.viewer_key and old.text == text:
                    self.questions.remove(old)
                    break
            self.questions.appendleft(Question(asker, asked, text, event.received_at, segment))
        if "buy" in intents:
            self.buy_comments[segment] += 1
            if known is not None:
                self.buyers.setdefault(segment, set()).add(known.id)
        if "stock" in intents:
            entry = self.waitlist.get(asker.viewer_key)
            if entry is not None:
                entry.asks += 1
            elif len(self.waitlist) < WAITLIST_KEPT:
                self.waitlist[asker.viewer_key] = WaitEntry(asker, text, event.received_at, segment)
        if "complaint" in intents and known is not None and (known.id, text) not in self._complained:
            self._complained.add((known.id, text))
            self._complaints.append(PendingComplaint(known.id, asker.nickname, text, event.received_at,
                                                     event.msg_id))
        self.version += 1

    def clear(self) -> None:
        """A new broadcast: nothing asked yet (the segment stays until the run-of-show says)."""
        self.questions.clear()
        self.buyers.clear()
        self.buy_comments.clear()
        self.intent_counts.clear()
        self.waitlist.clear()
        self._complaints.clear()
        self._complained.clear()
        self.version += 1

    def take_complaints(self) -> list[PendingComplaint]:
        """Complaints of known customers not yet handed out; write them with ``complaints.record``."""
        batch, self._complaints = self._complaints, []
        return batch

    def top_questions(self, segment: int | None, limit: int = 3) -> list[tuple[str, int]]:
        """The most asked question intents in ``segment``: what the host should answer for this product."""
        counts = Counter({intent: n for (seg, intent), n in self.intent_counts.items()
                          if seg == segment and intent in QUESTIONS})
        return counts.most_common(limit)

    def known_buyers(self) -> dict[int | None, int]:
        return {segment: len(ids) for segment, ids in self.buyers.items()}

    def dismiss(self, question: Question) -> None:
        """The host answered it: off the queue."""
        try:
            self.questions.remove(question)
        except ValueError:
            return
        self.version += 1


PROFILE_FIELDS = ("height_cm", "weight_kg", "top_size", "bottom_size", "shoe_size", "skin_type", "shade",
                  "allergies")  # what answers "王姐 160/50 穿 M": sizes, skin type, shade, allergies


def asker_profiles(session: Session, customer_ids: Iterable[int], language: str = "zh_CN") -> dict[int, str]:
    """For each known asker, their sizes / skin type from the profile, labelled, in one line."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    shop_preset = presets.preset(settings.get(session, "shop.preset"))
    found: dict[int, dict[str, str]] = {}
    for start in range(0, len(ids), 500):
        for cid, key, value in session.execute(select(ProfileValue.customer_id, ProfileValue.field, ProfileValue.value)
                                               .where(ProfileValue.customer_id.in_(ids[start:start + 500]),
                                                      ProfileValue.field.in_(PROFILE_FIELDS))):
            found.setdefault(cid, {})[key] = value
    out: dict[int, str] = {}
    for cid in ids:
        values = found.get(cid, {})
        parts = []
        for key in PROFILE_FIELDS:
            if key in values and (spec := shop_preset.field(key)) is not None:
                parts.append(f"{spec.label(language)} {values[key]}")
        out[cid] = " · ".join(parts)
    return out
