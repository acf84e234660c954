"""VIP private sessions (私享会): who to invite, capacity and waitlist, RSVP, attendance,
reminders, and what attendees bought compared with invitees who stayed away.

RSVP moves only along ``TRANSITIONS``; anything else is refused with the reason. A seat
given up (declined) goes to the first on the waitlist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from livedesk.models import (
    Appearance,
    Broadcast,
    Customer,
    CustomerTag,
    FollowUpTask,
    Invitation,
    MessageTemplate,
    Order,
    PrivateSession,
)
from livedesk.models.base import utcnow
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import settings, templates
from livedesk.services.errors import Refused

TRANSITIONS: dict[str, set[str]] = {
    "waitlisted": {"invited", "declined"},
    "invited": {"accepted", "declined", "no_answer"},
    "no_answer": {"accepted", "declined"},
    "accepted": {"declined", "attended", "no_show"},
    "attended": {"no_show"},  # a correction after the roll call
    "no_show": {"attended"},
    "declined": set(),
}
HOLDS_A_SEAT = ("invited", "no_answer", "accepted", "attended", "no_show")
REMINDERS = (("day_before", timedelta(days=1)), ("hour_before", timedelta(hours=1)))


class InvitationError(Refused):
    """An invitation change that makes no sense; ``code`` says why."""


@dataclass(frozen=True)
class InviteRule:
    tiers: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    min_spend_fen: int = 0  # in the last ``spend_days`` days
    spend_days: int = 365
    bought_within_days: int | None = None
    tag_ids: tuple[int, ...] = ()
    skip_invited_in_last: int = 0  # not invited to any of the last N sessions
    birthday_month: int | None = None


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    nickname: str
    tier: str
    level: str
    spend_fen: int  # in the rule's period: the priority order


@dataclass
class SessionReport:
    invited: int
    attended: int
    attendee_orders: int
    attendee_gmv_fen: int
    attendee_buyers: int
    absent: int  # invited who did not come
    absent_orders: int
    absent_gmv_fen: int
    absent_buyers: int
    buyers_by_customer: dict[int, int] = field(default_factory=dict)  # customer -> fen, attendees

    @property
    def attendee_conversion(self) -> float:
        return self.attendee_buyers / self.attended if self.attended else 0.0

    @property
    def absent_conversion(self) -> float:
        return self.absent_buyers / self.absent if self.absent else 0.0


def create_session(session: Session, title: str, starts_at: datetime, capacity: int, *, theme: str | None = None,
                   host_member_id: int | None = None, venue: str | None = None) -> int:
    if not title.strip():
        raise InvitationError("title_required", "a private session needs a title")
    if capacity < 1:
        raise InvitationError("capacity", "capacity must be at least one seat")
    ps = PrivateSession(title=title.strip(), theme=theme, starts_at=starts_at, capacity=capacity,
                        host_member_id=host_member_id, venue=venue)
    session.add(ps)
    session.flush()
    return ps.id


def candidates(session: Session, rule: InviteRule, now: datetime | None = None,
               exclude_session_id: int | None = None) -> list[Candidate]:
    """Everyone the rule picks, best first (spend in the rule's period, then total spend)."""
    now = now or utcnow()
    spend = (
        select(Order.customer_id, func.sum(Order.total_fen).label("spend"))
        .where(Order.status.in_(SPEND_STATUSES), Order.ordered_at >= now - timedelta(days=rule.spend_days),
               Order.ordered_at <= now)
        .group_by(Order.customer_id).subquery()
    )
    period_spend = func.coalesce(spend.c.spend, 0)
    statement = select(Customer.id, Customer.nickname, Customer.tier, Customer.level, period_spend).outerjoin(
        spend, spend.c.customer_id == Customer.id)
    if rule.tiers:
        statement = statement.where(Customer.tier.in_(rule.tiers))
    if rule.levels:
        statement = statement.where(Customer.level.in_(rule.levels))
    if rule.min_spend_fen:
        statement = statement.where(period_spend >= rule.min_spend_fen)
    if rule.bought_within_days is not None:
        statement = statement.where(Customer.last_order_at >= now - timedelta(days=rule.bought_within_days))
    for tag_id in rule.tag_ids:
        statement = statement.where(exists().where(and_(CustomerTag.customer_id == Customer.id,
                                                        CustomerTag.tag_id == tag_id)))
    if rule.birthday_month is not None:
        birthdays = session.execute(select(Customer.id, Customer.birthday).where(Customer.birthday.is_not(None)))
        month_ids = [cid for cid, day in birthdays if day.month == rule.birthday_month]
        statement = statement.where(Customer.id.in_(month_ids))
    if rule.skip_invited_in_last:
        recent = select(PrivateSession.id).where(PrivateSession.starts_at <= now).order_by(
            PrivateSession.starts_at.desc()).limit(rule.skip_invited_in_last)
        statement = statement.where(~exists().where(and_(
            Invitation.customer_id == Customer.id, Invitation.session_id.in_(recent.scalar_subquery()))))
    if exclude_session_id is not None:
        statement = statement.where(~exists().where(and_(Invitation.customer_id == Customer.id,
                                                         Invitation.session_id == exclude_session_id)))
    statement = statement.order_by(period_spend.desc(), Customer.total_spent_fen.desc(), Customer.id)
    return [Candidate(cid, nick, tier, level, int(fen)) for cid, nick, tier, level, fen in session.execute(statement)]


def invite(session: Session, session_id: int, customer_ids: list[int], now: datetime | None = None) -> tuple[int, int]:
    """Invite in the given (priority) order: seats first, the rest to the waitlist. Returns (invited, waitlisted)."""
    ps = _session(session, session_id)
    now = now or utcnow()
    existing = set(session.scalars(select(Invitation.customer_id).where(Invitation.session_id == session_id)))
    seats_taken = _seats_taken(session, session_id)
    last_position = session.scalar(select(func.max(Invitation.waitlist_position))
                                   .where(Invitation.session_id == session_id)) or 0
    invited = waitlisted = 0
    for priority, customer_id in enumerate(customer_ids):
        if customer_id in existing:
            continue
        existing.add(customer_id)
        if seats_taken < ps.capacity:
            session.add(Invitation(session_id=session_id, customer_id=customer_id, status="invited",
                                   priority=priority, invited_at=now))
            seats_taken += 1
            invited += 1
        else:
            last_position += 1
            session.add(Invitation(session_id=session_id, customer_id=customer_id, status="waitlisted",
                                   priority=priority, waitlist_position=last_position, invited_at=now))
            waitlisted += 1
    session.flush()
    return invited, waitlisted


def remove(session: Session, session_id: int, customer_id: int) -> None:
    """Take someone off the list by hand (before they answered); their seat goes to the waitlist."""
    inv = _invitation(session, session_id, customer_id)
    if inv.status not in ("invited", "no_answer", "waitlisted"):
        raise InvitationError("answered", f"they already answered ({inv.status}); record a decline instead",
                              status=inv.status)
    held_seat = inv.status != "waitlisted"
    session.delete(inv)
    session.flush()
    if held_seat:
        _promote(session, session_id, utcnow())


def set_rsvp(session: Session, session_id: int, customer_id: int, status: str, now: datetime | None = None) -> None:
    inv = _invitation(session, session_id, customer_id)
    if status not in TRANSITIONS:
        raise InvitationError("bad_status", f"unknown RSVP state {status!r}", status=status)
    if status not in TRANSITIONS[inv.status]:
        allowed = ", ".join(sorted(TRANSITIONS[inv.status])) or "nothing (final)"
        raise InvitationError("transition", f"an invitation that is {inv.status} cannot become {status}; "
                              f"it can become: {allowed}", status=inv.status, to=status,
                              allowed=sorted(TRANSITIONS[inv.status]))
    if status == "invited" and _seats_taken(session, session_id) >= _session(session, session_id).capacity:
        raise InvitationError("full", "no seat is free: the session is at capacity")
    now = now or utcnow()
    gave_up_seat = inv.status in HOLDS_A_SEAT and status == "declined"
    inv.status = status
    inv.updated_at = now
    if status in ("accepted", "declined", "no_answer"):
        inv.responded_at = now
    if status == "attended":
        inv.attended_at = inv.attended_at or now
    if status == "invited":
        inv.waitlist_position = None
    if status == "accepted":
        _reminders(session, inv, _session(session, session_id))
    session.flush()
    if gave_up_seat:
        _promote(session, session_id, now)


def take_attendance(session: Session, session_id: int) -> int:
    """Invitees seen in the session's broadcast (matched by id, not a nickname guess) attended."""
    ps = _session(session, session_id)
    if ps.broadcast_id is None:
        raise InvitationError("no_broadcast", "this session has no broadcast linked: take attendance by hand")
    seen = set(session.scalars(select(Appearance.customer_id).where(
        Appearance.broadcast_id == ps.broadcast_id, Appearance.customer_id.is_not(None),
        func.coalesce(Appearance.match, "") != "possible")))
    marked = 0
    for inv in session.scalars(select(Invitation).where(Invitation.session_id == session_id,
                                                        Invitation.customer_id.in_(seen))):
        if inv.status != "attended":
            inv.status, inv.attended_at = "attended", utcnow()
            marked += 1
    session.flush()
    return marked


def link_broadcast(session: Session, session_id: int, broadcast_id: int) -> None:
    """The live stream the private session ran as: its viewers are its attendance."""
    if session.get(Broadcast, broadcast_id) is None:
        raise InvitationError("broadcast_not_found", f"broadcast {broadcast_id} does not exist", id=broadcast_id)
    _session(session, session_id).broadcast_id = broadcast_id


def broadcasts_near(session: Session, session_id: int, days: int = 2) -> list[tuple[int, str, datetime]]:
    """Broadcasts that started within ``days`` of the session: the ones it may have run as."""
    ps = _session(session, session_id)
    return list(session.execute(
        select(Broadcast.id, Broadcast.title, Broadcast.started_at).where(
            Broadcast.started_at >= ps.starts_at - timedelta(days=days),
            Broadcast.started_at <= ps.starts_at + timedelta(days=days)).order_by(Broadcast.started_at)
    ).all())


def report(session: Session, session_id: int, days_after: int = 7) -> SessionReport:
    """Orders from the session's start to ``days_after`` days later: attendees against the
    invitees who did not come (declined, no answer, no-show)."""
    ps = _session(session, session_id)
    until = ps.starts_at + timedelta(days=days_after)
    rows = session.execute(select(Invitation.customer_id, Invitation.status).where(
        Invitation.session_id == session_id, Invitation.status != "waitlisted")).all()
    attendees = {cid for cid, status in rows if status == "attended"}
    absent = {cid for cid, status in rows if status != "attended"}
    spend = dict(session.execute(
        select(Order.customer_id, func.sum(Order.total_fen)).where(
            Order.customer_id.in_(attendees | absent), Order.status.in_(SPEND_STATUSES),
            Order.ordered_at >= ps.starts_at, Order.ordered_at < until).group_by(Order.customer_id)).all())
    counts = dict(session.execute(
        select(Order.customer_id, func.count(Order.id)).where(
            Order.customer_id.in_(attendees | absent), Order.status.in_(SPEND_STATUSES),
            Order.ordered_at >= ps.starts_at, Order.ordered_at < until).group_by(Order.customer_id)).all())
    return SessionReport(
        invited=len(rows), attended=len(attendees),
        attendee_orders=sum(counts.get(c, 0) for c in attendees),
        attendee_gmv_fen=int(sum(spend.get(c, 0) for c in attendees)),
        attendee_buyers=sum(1 for c in attendees if c in spend),
        absent=len(absent), absent_orders=sum(counts.get(c, 0) for c in absent),
        absent_gmv_fen=int(sum(spend.get(c, 0) for c in absent)),
        absent_buyers=sum(1 for c in absent if c in spend),
        buyers_by_customer={c: int(spend[c]) for c in attendees if c in spend},
    )


# -- helpers ------------------------------------------------------------------------------

def _session(session: Session, session_id: int) -> PrivateSession:
    ps = session.get(PrivateSession, session_id)
    if ps is None:
        raise InvitationError("session_not_found", f"private session {session_id} does not exist", id=session_id)
    return ps


def _invitation(session: Session, session_id: int, customer_id: int) -> Invitation:
    inv = session.scalar(select(Invitation).where(Invitation.session_id == session_id,
                                                  Invitation.customer_id == customer_id))
    if inv is None:
        raise InvitationError("not_invited", f"customer {customer_id} is not on this session's list", id=customer_id)
    return inv


def _seats_taken(session: Session, session_id: int) -> int:
    return session.scalar(select(func.count(Invitation.id)).where(
        Invitation.session_id == session_id, Invitation.status.in_(HOLDS_A_SEAT))) or 0


def _promote(session: Session, session_id: int, now: datetime) -> None:
    """Offer the free seat to the first on the waitlist."""
    if _seats_taken(session, session_id) >= _session(session, session_id).capacity:
        return
    nxt = session.scalar(select(Invitation).where(Invitation.session_id == session_id,
                                                  Invitation.status == "waitlisted")
                         .order_by(Invitation.waitlist_position).limit(1))
    if nxt is not None:
        nxt.status, nxt.waitlist_position, nxt.invited_at, nxt.updated_at = "invited", None, now, now
        session.flush()


def _reminders(session: Session, inv: Invitation, ps: PrivateSession) -> None:
    for name, before in REMINDERS:
        key = f"vip_session:{ps.id}:{inv.customer_id}:{name}"
        if session.scalar(select(FollowUpTask.id).where(FollowUpTask.dedupe_key == key)) is None:
            session.add(FollowUpTask(customer_id=inv.customer_id, kind="vip_reminder", dedupe_key=key,
                                     due_at=ps.starts_at - before,
                                     note=f"{ps.title}: {'明天' if name == 'day_before' else '一小时后'}开始"))


# -- what the 私享会 page lists ----------------------------------------------------------------

@dataclass(frozen=True)
class SessionView:
    id: int
    title: str
    theme: str | None
    starts_at: datetime
    capacity: int
    venue: str | None
    seats_taken: int
    waitlisted: int


@dataclass(frozen=True)
class InvitationRow:
    customer_id: int
    nickname: str
    tier: str
    level: str
    status: str
    waitlist_position: int | None
    responded_at: datetime | None


INVITATION_TEMPLATE_KEY = "invitation.vip_session"


def sessions(session: Session) -> list[SessionView]:
    seats = dict(session.execute(select(Invitation.session_id, func.count()).where(
        Invitation.status.in_(HOLDS_A_SEAT)).group_by(Invitation.session_id)).all())
    waiting = dict(session.execute(select(Invitation.session_id, func.count()).where(
        Invitation.status == "waitlisted").group_by(Invitation.session_id)).all())
    return [SessionView(p.id, p.title, p.theme, p.starts_at, p.capacity, p.venue, seats.get(p.id, 0),
                        waiting.get(p.id, 0))
            for p in session.scalars(select(PrivateSession).order_by(PrivateSession.starts_at.desc()))]


def invitation_rows(session: Session, session_id: int) -> list[InvitationRow]:
    rows = session.execute(
        select(Customer.id, Customer.nickname, Customer.tier, Customer.level, Invitation.status,
               Invitation.waitlist_position, Invitation.responded_at)
        .join(Invitation, Invitation.customer_id == Customer.id).where(Invitation.session_id == session_id)
        .order_by(Invitation.status == "waitlisted", Invitation.waitlist_position, Invitation.priority)
    ).all()
    return [InvitationRow(*row) for row in rows]


def invitation_text(session: Session, session_id: int, customer_id: int) -> str:
    """The personal invitation to copy into WeChat or the platform chat, from the shop's
    ``invitation.vip_session`` template; a template with unacknowledged Advertising Law
    findings is refused (``templates.TemplateNotAcknowledged``), like every template."""
    ps = _session(session, session_id)
    template = session.scalar(select(MessageTemplate).where(MessageTemplate.key == INVITATION_TEMPLATE_KEY))
    if template is None:
        templates.ensure_default_templates(session)
        template = session.scalar(select(MessageTemplate).where(MessageTemplate.key == INVITATION_TEMPLATE_KEY))
    local = ps.starts_at.astimezone(settings.shop_zone(session))
    return templates.render(session, templates.usable_body(session, template), customer_id,
                            {"私享会": ps.title, "时间": f"{local:%m月%d日 %H:%M}"})
