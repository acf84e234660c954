"""Broadcasts: start and end a stream, who was greeted, and the after-stream summary.

Appearances from a live feed are keyed by the viewer's platform id; a customer greeted
from the console without a feed event is keyed ``customer:<id>``. Summaries count
people (customer ids), so the two never double count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from livedesk.models import Appearance, Broadcast, Customer, Note, Order
from livedesk.models.orders import SPEND_STATUSES
from livedesk.models.base import utcnow
from livedesk.services import changes
from livedesk.services.errors import Refused

PLATFORMS = ("douyin", "taobao", "kuaishou", "channels", "tiktok")


class BroadcastError(Refused):
    """A broadcast action that makes no sense now (a second live stream, ending twice...)."""


@dataclass(frozen=True)
class BroadcastView:
    id: int
    title: str
    platform: str
    room_id: str | None
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class PresentCustomer:
    customer_id: int
    nickname: str
    tier: str
    level: str
    greeted: bool


@dataclass(frozen=True)
class BroadcastSales:
    """What sold during a broadcast: every order placed on its platform while it ran (or
    attached to it), whether or not the buyer is known yet."""

    orders: int  # paid or completed
    gmv_fen: int
    known_buyers: int  # distinct customers among them
    unknown_buyer_orders: int  # orders whose buyer is not known yet (on the 未识别买家 list)
    viewers: int  # distinct viewers the feed saw
    # Buyers per viewer: known buyers plus one per unknown-buyer order (nothing says two
    # of them are one person), over the viewers; 0 when no feed was connected.
    conversion: float


@dataclass(frozen=True)
class BroadcastSummary:
    broadcast: BroadcastView
    known: list[PresentCustomer]
    vips: list[PresentCustomer]
    not_greeted_vips: list[PresentCustomer]
    notes_logged: int
    new_viewers: list[str]  # nicknames of viewers no customer is linked to yet
    sales: BroadcastSales | None = None


def _view(b: Broadcast) -> BroadcastView:
    return BroadcastView(b.id, b.title, b.platform, b.room_id, b.started_at, b.ended_at)


def current(session: Session) -> BroadcastView | None:
    b = session.scalar(select(Broadcast).where(Broadcast.ended_at.is_(None)).order_by(Broadcast.started_at.desc()))
    return _view(b) if b else None


def start(session: Session, title: str, platform: str, room_id: str | None = None,
          host_member_id: int | None = None, now: datetime | None = None) -> BroadcastView:
    title = title.strip()
    if not title:
        raise BroadcastError("title_required", "a broadcast needs a title")
    if platform not in PLATFORMS:
        raise BroadcastError("unknown_platform", f"unknown platform {platform!r}; choose one of {', '.join(PLATFORMS)}",
                             platform=platform)
    live = current(session)
    if live is not None:
        raise BroadcastError("still_live", f"“{live.title}” is still live: end it before starting another",
                             title=live.title)
    room = (room_id or "").strip() or None
    b = Broadcast(title=title, platform=platform, room_id=room, host_member_id=host_member_id,
                  started_at=now or utcnow(), live_room=f"{platform}:{room or ''}"[:96])
    try:
        with session.begin_nested():  # two machines starting the same room at once: one wins
            session.add(b)
            session.flush()
    except IntegrityError:
        live = current(session)
        raise BroadcastError("room_live", f"“{live.title if live else title}” is already live in this room",
                             title=live.title if live else title) from None
    return _view(b)


def end(session: Session, broadcast_id: int, now: datetime | None = None) -> BroadcastView:
    b = session.get(Broadcast, broadcast_id)
    if b is None:
        raise BroadcastError("not_found", f"broadcast {broadcast_id} does not exist", id=broadcast_id)
    if b.ended_at is not None:
        raise BroadcastError("ended", f"“{b.title}” has already ended", title=b.title)
    b.ended_at = now or utcnow()
    b.live_room = b.recorder = b.recorder_member_id = None
    return _view(b)


RECORDER_BEAT_S = 5.0  # the recorder says it is alive this often (live_room.beat)
RECORDER_STALE_S = 30.0  # silent this long: its machine crashed or lost the store; another may take over


@dataclass(frozen=True)
class RecorderView:
    """Who records a broadcast's capture feed: the process (change-log origin), its machine,
    the member at it, and how long ago it last wrote anything (None: not in the recent log)."""

    origin: str
    machine: str
    member: str | None
    silent_s: float | None

    @property
    def stale(self) -> bool:
        return self.silent_s is None or self.silent_s > RECORDER_STALE_S


class RecorderTaken(BroadcastError):
    """Another machine records this broadcast's capture feed."""

    def __init__(self, recorder: RecorderView) -> None:
        super().__init__("recorder_taken", f"{recorder.member or recorder.machine} is recording this broadcast's "
                         f"feed on {recorder.machine}", member=recorder.member, machine=recorder.machine)
        self.recorder = recorder
        self.member, self.machine = recorder.member, recorder.machine


def machine_of(origin: str) -> str:
    """The host name in a change-log origin ("host:pid:random", store.new_origin)."""
    return origin.rsplit(":", 2)[0] if origin.count(":") >= 2 else origin


def recorder(session: Session, broadcast_id: int, now: datetime | None = None) -> RecorderView | None:
    """Who records this broadcast now, if anyone."""
    b = session.get(Broadcast, broadcast_id)
    return _recorder_view(session, b, now) if b is not None and b.recorder else None


def _recorder_view(session: Session, b: Broadcast, now: datetime | None) -> RecorderView:
    from livedesk.models import ChangeLogEntry, TeamMember

    now = now or utcnow()
    window = now - timedelta(seconds=RECORDER_STALE_S * 4)  # the log's time index bounds the look
    last = session.scalar(select(func.max(ChangeLogEntry.at)).where(ChangeLogEntry.at >= window,
                                                                     ChangeLogEntry.origin == b.recorder))
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)
    member = session.scalar(select(TeamMember.name).where(TeamMember.id == b.recorder_member_id)) \
        if b.recorder_member_id is not None else None
    silent = max(0.0, (now - last).total_seconds()) if last is not None else None
    return RecorderView(b.recorder, machine_of(b.recorder), member, silent)


def claim_recorder(session: Session, broadcast_id: int, origin: str, member_id: int | None = None, *,
                   take_over: bool = False, now: datetime | None = None) -> RecorderView | None:
    """Make this process the one that records the broadcast's capture feed.

    Two recorders would count every viewer twice and fight over appearances. The second is
    told who records (``RecorderTaken``), unless the claim is stale: a recorder beats every
    ``RECORDER_BEAT_S`` (``live_room.beat``), and one silent for ``RECORDER_STALE_S`` has
    crashed or lost the store, so its claim passes on. ``take_over`` (after the user
    confirmed) takes a live claim too: the displaced recorder hears it and stops. Returns
    the recorder that was displaced, if any.
    """
    b = session.get(Broadcast, broadcast_id, with_for_update=True)
    if b is None or b.ended_at is not None:
        raise BroadcastError("not_live", "the feed is recorded during a live broadcast")
    previous = None
    if b.recorder not in (None, origin):
        previous = _recorder_view(session, b, now)
        if not (take_over or previous.stale):
            raise RecorderTaken(previous)
    b.recorder, b.recorder_member_id = origin, member_id
    return previous


def release_recorder(session: Session, broadcast_id: int, origin: str) -> bool:
    """The feed stopped: nobody records until someone connects again. False if the claim
    was not this process's any more (taken over, or the broadcast ended)."""
    b = session.get(Broadcast, broadcast_id, with_for_update=True)
    if b is not None and b.recorder == origin:
        b.recorder = b.recorder_member_id = None
        return True
    return False


def mark_greeted(session: Session, broadcast_id: int, customer_id: int, now: datetime | None = None,
                 member_id: int | None = None) -> None:
    b = session.get(Broadcast, broadcast_id)
    if b is None or b.ended_at is not None:
        raise BroadcastError("not_live_greeting", "greetings are recorded during a live broadcast")
    now = now or utcnow()
    appearance = session.scalar(
        select(Appearance).where(Appearance.broadcast_id == broadcast_id, Appearance.customer_id == customer_id)
        .order_by(Appearance.id).limit(1)
    )
    if appearance is None:
        nickname = session.scalar(select(Customer.nickname).where(Customer.id == customer_id))
        if nickname is None:
            raise BroadcastError("customer_not_found", f"customer {customer_id} does not exist", id=customer_id)
        appearance = Appearance(broadcast_id=broadcast_id, customer_id=customer_id, match="manual",
                                platform=b.platform, viewer_key=f"customer:{customer_id}", nickname=nickname,
                                first_seen_at=now, last_seen_at=now)
        session.add(appearance)
    if appearance.greeted_at is None:
        appearance.greeted_at, appearance.greeted_by_id = now, member_id
        # Every machine's queue and host panel drop "not greeted yet" at once (live_room).
        changes.emit(session, "greeted", broadcast_id=broadcast_id, customer_id=int(customer_id))


def greeted_ids(session: Session, broadcast_id: int) -> set[int]:
    return set(session.scalars(
        select(Appearance.customer_id).where(Appearance.broadcast_id == broadcast_id,
                                             Appearance.greeted_at.is_not(None),
                                             Appearance.customer_id.is_not(None))
    ))


def summary(session: Session, broadcast_id: int, vip_tiers: tuple[str, ...] = ("vip",)) -> BroadcastSummary:
    b = session.get(Broadcast, broadcast_id)
    if b is None:
        raise BroadcastError("not_found", f"broadcast {broadcast_id} does not exist", id=broadcast_id)
    rows = session.execute(
        select(Customer.id, Customer.nickname, Customer.tier, Customer.level,
               func.max(Appearance.greeted_at).is_not(None))
        .join(Appearance, Appearance.customer_id == Customer.id)
        # A nickname-only match is a guess: it does not make someone "present".
        .where(Appearance.broadcast_id == broadcast_id, func.coalesce(Appearance.match, "") != "possible")
        .group_by(Customer.id, Customer.nickname, Customer.tier, Customer.level)
        .order_by(Customer.total_spent_fen.desc())
    ).all()
    known = [PresentCustomer(cid, nick, tier, level, bool(greeted)) for cid, nick, tier, level, greeted in rows]
    vips = [p for p in known if p.tier in vip_tiers]
    new_viewers = list(session.scalars(
        select(Appearance.nickname).where(Appearance.broadcast_id == broadcast_id,
                                          Appearance.customer_id.is_(None), Appearance.nickname.is_not(None))
        .order_by(Appearance.comment_count.desc(), Appearance.first_seen_at).limit(50)
    ))
    notes = session.scalar(select(func.count(Note.id)).where(Note.broadcast_id == broadcast_id)) or 0
    return BroadcastSummary(_view(b), known, vips, [p for p in vips if not p.greeted], notes, new_viewers,
                            sales(session, b))


def sales(session: Session, b: Broadcast, now: datetime | None = None) -> BroadcastSales:
    """The broadcast's sales: orders attached to it, or placed on its platform while it ran
    (an export imported before the broadcast was recorded did not attach them)."""
    until = b.ended_at or now or utcnow()
    during = or_(Order.broadcast_id == b.id, and_(
        Order.broadcast_id.is_(None), Order.platform == b.platform,
        Order.ordered_at >= b.started_at, Order.ordered_at < until))
    orders, gmv, known, unknown = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.total_fen), 0),
               func.count(func.distinct(Order.customer_id)),
               func.coalesce(func.sum(case((Order.customer_id.is_(None), 1), else_=0)), 0))
        .where(during, Order.status.in_(SPEND_STATUSES))
    ).one()
    viewers = session.scalar(select(func.count(Appearance.id)).where(Appearance.broadcast_id == b.id)) or 0
    buyers = int(known) + int(unknown)
    return BroadcastSales(int(orders), int(gmv), int(known), int(unknown), int(viewers),
                          min(1.0, buyers / viewers) if viewers else 0.0)
