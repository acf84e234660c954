"""What a stream earned: the per-broadcast report and the last broadcasts side by side.

Read from the store only, so it can be made again after the next order import: the
audience curve with the run-of-show segments, peak and average viewers, known customers
present by tier, VIPs greeted, intents by run-of-show item, and conversion: known
viewers (a certain match, never a nickname guess) who ordered from the stream's start to
24 h after its end, their GMV (paid and completed orders, in fen), and new buyers (whose
first order falls in that window) who had commented.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livedesk.models import Appearance, Broadcast, CommentIntent, Customer, Order
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import settings
from livedesk.services.broadcasts import BroadcastError
from livedesk.services.room import audience, run_of_show

CONVERSION_HOURS = 24
COMPARED = 10


@dataclass(frozen=True)
class Waiting:
    viewer_key: str
    nickname: str | None
    customer_id: int | None
    position: int | None  # the run-of-show item they asked during
    first_at: datetime
    asks: int


@dataclass(frozen=True)
class SegmentFigures:
    """One run-of-show line afterwards: planned against actual minutes, and the room across it
    (viewers when it went on air and when it ended: where viewers left)."""

    position: int
    kind: str
    title: str
    product_id: int | None
    planned_minutes: int
    actual_minutes: int | None  # None: never marked on air
    viewers_start: int | None
    viewers_end: int | None

    @property
    def viewers_change(self) -> int | None:
        return None if self.viewers_start is None or self.viewers_end is None else self.viewers_end - self.viewers_start


def segment_figures(segments: list[run_of_show.ItemView], points: list[audience.CurvePoint],
                    end: datetime) -> list[SegmentFigures]:
    out = []
    for item in segments:
        stop = item.ended_at or end
        out.append(SegmentFigures(item.position, item.kind, item.title, item.product_id, item.planned_minutes,
                                  item.actual_minutes(end), _online_at(points, item.started_at),
                                  _online_at(points, stop) if item.started_at else None))
    return out


def _online_at(points: list[audience.CurvePoint], moment: datetime | None) -> int | None:
    """Viewers online in the last recorded minute at or before ``moment`` (None: none recorded yet)."""
    if moment is None:
        return None
    seen = [p.online for p in points if p.minute <= moment and p.online]
    return seen[-1] if seen else None


@dataclass
class Report:
    broadcast_id: int
    title: str
    started_at: datetime
    ended_at: datetime | None
    peak_viewers: int
    average_viewers: int
    curve: list[audience.CurvePoint]
    segments: list[run_of_show.ItemView]
    known_by_tier: dict[str, int]
    known_viewers: int
    vips_present: int
    vips_greeted: int
    greeted_ratio: float | None
    intents_by_item: dict[str, dict[str, int]]  # position ("-" when none on air) -> intent -> comments
    buyers: int  # known viewers who ordered in the window
    conversion_ratio: float | None
    gmv_fen: int
    new_buyers_who_commented: int
    window_end: datetime
    buyer_ids: list[int] = field(default_factory=list)
    waitlist: list[Waiting] = field(default_factory=list)  # who asked for a restock, first asked first
    figures: list[SegmentFigures] = field(default_factory=list)  # per run-of-show line: planned vs actual

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for point in data["curve"]:
            point["minute"] = point["minute"].isoformat()
        for item in data["segments"]:
            for key in ("started_at", "ended_at"):
                item[key] = item[key].isoformat() if item[key] else None
        for item in data["waitlist"]:
            item["first_at"] = item["first_at"].isoformat()
        for key in ("started_at", "ended_at", "window_end"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def build(session: Session, broadcast_id: int) -> Report:
    b = session.get(Broadcast, broadcast_id)
    if b is None:
        raise BroadcastError("not_found", f"broadcast {broadcast_id} does not exist", broadcast_id=broadcast_id)
    points = audience.curve(session, broadcast_id)
    onlines = [p.online for p in points if p.online]
    vip_tiers = settings.get(session, "panel.vip_tiers")
    present = session.execute(
        select(Customer.id, Customer.tier, Customer.level, func.max(Appearance.greeted_at).is_not(None),
               func.sum(Appearance.comment_count))
        .join(Appearance, Appearance.customer_id == Customer.id)
        .where(Appearance.broadcast_id == broadcast_id, func.coalesce(Appearance.match, "") != "possible")
        .group_by(Customer.id, Customer.tier, Customer.level)
    ).all()
    by_tier = Counter(tier for _id, tier, _level, _g, _c in present)
    vips = [(cid, greeted) for cid, tier, level, greeted, _c in present if tier in vip_tiers or level != "none"]
    known_ids = [cid for cid, *_ in present]
    commented = {cid for cid, _t, _l, _g, comments in present if comments}
    end = b.ended_at or max([p.minute for p in points], default=b.started_at)
    window_end = end + timedelta(hours=CONVERSION_HOURS)
    buyers, gmv, new_buyers = _conversion(session, known_ids, commented, b.started_at, window_end)
    segments = run_of_show.items(session, broadcast_id)
    by_item: dict[str, dict[str, int]] = {}
    for position, intent, n in session.execute(
            select(CommentIntent.position, CommentIntent.intent, func.count())
            .where(CommentIntent.broadcast_id == broadcast_id)
            .group_by(CommentIntent.position, CommentIntent.intent)):
        by_item.setdefault("-" if position is None else str(position), {})[intent] = n
    return Report(
        broadcast_id, b.title, b.started_at, b.ended_at,
        peak_viewers=max(onlines, default=0),
        average_viewers=round(sum(onlines) / len(onlines)) if onlines else 0,
        curve=points, segments=segments, known_by_tier=dict(by_tier), known_viewers=len(known_ids),
        vips_present=len(vips), vips_greeted=sum(1 for _c, g in vips if g),
        greeted_ratio=round(sum(1 for _c, g in vips if g) / len(vips), 3) if vips else None,
        intents_by_item=by_item, buyers=len(buyers),
        conversion_ratio=round(len(buyers) / len(known_ids), 3) if known_ids else None,
        gmv_fen=gmv, new_buyers_who_commented=len(new_buyers), window_end=window_end, buyer_ids=sorted(buyers),
        waitlist=restock_waitlist(session, broadcast_id),
        figures=segment_figures(segments, points, end),
    )


def restock_waitlist(session: Session, broadcast_id: int) -> list[Waiting]:
    """Viewers whose comments asked for stock in this broadcast (还有吗, 补货, 没抢到), once each."""
    rows = session.execute(
        select(CommentIntent.viewer_key, func.max(CommentIntent.customer_id), func.min(CommentIntent.position),
               func.min(CommentIntent.at), func.count())
        .where(CommentIntent.broadcast_id == broadcast_id, CommentIntent.intent == "stock")
        .group_by(CommentIntent.viewer_key).order_by(func.min(CommentIntent.at))
    ).all()
    names: dict[str, str | None] = {}
    keys = [r[0] for r in rows]
    for start in range(0, len(keys), 500):
        names.update(session.execute(select(Appearance.viewer_key, Appearance.nickname).where(
            Appearance.broadcast_id == broadcast_id, Appearance.viewer_key.in_(keys[start:start + 500]))).all())
    return [Waiting(key, names.get(key), cid, position, first, n) for key, cid, position, first, n in rows]


def _conversion(session: Session, known: list[int], commented: set[int], since: datetime,
                until: datetime) -> tuple[set[int], int, set[int]]:
    buyers: set[int] = set()
    gmv = 0
    for start in range(0, len(known), 500):
        chunk = known[start:start + 500]
        for cid, total in session.execute(
                select(Order.customer_id, func.sum(Order.total_fen))
                .where(Order.customer_id.in_(chunk), Order.status.in_(SPEND_STATUSES),
                       Order.ordered_at >= since, Order.ordered_at < until)
                .group_by(Order.customer_id)):
            buyers.add(cid)
            gmv += int(total or 0)
    new: set[int] = set()
    asked = sorted(commented & buyers)
    for start in range(0, len(asked), 500):
        chunk = asked[start:start + 500]
        for cid, first in session.execute(
                select(Order.customer_id, func.min(Order.ordered_at))
                .where(Order.customer_id.in_(chunk), Order.status.in_(SPEND_STATUSES))
                .group_by(Order.customer_id)):
            if first is not None and first >= since:  # their first order ever came with this stream
                new.add(cid)
    return buyers, gmv, new


@dataclass(frozen=True)
class Compared:
    broadcast_id: int
    title: str
    started_at: datetime
    peak_viewers: int
    greeted_ratio: float | None
    conversion_ratio: float | None
    gmv_fen: int


def last_broadcasts(session: Session, limit: int = COMPARED) -> list[Compared]:
    """The latest ``limit`` broadcasts side by side, newest first."""
    ids = session.scalars(select(Broadcast.id).order_by(Broadcast.started_at.desc()).limit(limit)).all()
    out = []
    for bid in ids:
        r = build(session, bid)
        out.append(Compared(bid, r.title, r.started_at, r.peak_viewers, r.greeted_ratio, r.conversion_ratio,
                            r.gmv_fen))
    return out


@dataclass(frozen=True)
class PastBroadcast:
    """A line of the broadcasts' history (the report page's list)."""

    broadcast_id: int
    title: str
    platform: str
    started_at: datetime
    ended_at: datetime | None


def history(session: Session, limit: int = 500) -> list[PastBroadcast]:
    """Broadcasts newest first: what a report can be read for."""
    rows = session.execute(select(Broadcast.id, Broadcast.title, Broadcast.platform, Broadcast.started_at,
                                  Broadcast.ended_at).order_by(Broadcast.started_at.desc(), Broadcast.id.desc())
                           .limit(limit)).all()
    return [PastBroadcast(*r) for r in rows]
