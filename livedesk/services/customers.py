"""Customers: the list behind the 客户 page, the customer card, notes, tags and profile.

Returns plain dataclasses; no ORM object or session leaves a function here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from livedesk.models import (
    Customer,
    CustomerTag,
    Invitation,
    Note,
    Order,
    OrderItem,
    PlatformAccount,
    PrivateSession,
    ProfileValue,
    Tag,
    TeamMember,
)
from livedesk.models.base import utcnow
from livedesk.services.identity_text import search_text

WECHAT_FIELD = "wechat"  # every preset has it: the remark the shop gave the customer in WeChat
TIERS = ("vip", "potential", "new", "dormant", "lost", "prospect")
SORTABLE = {
    "id": Customer.id,
    "nickname": Customer.nickname,
    "city": Customer.city,
    "tier": Customer.tier,
    "level": Customer.level,
    "order_count": Customer.order_count,
    "total_spent_fen": Customer.total_spent_fen,
    "last_order_at": Customer.last_order_at,
    "points_balance": Customer.points_balance,
    "created_at": Customer.created_at,
}


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class CustomerFilter:
    tier: str | None = None
    level: str | None = None
    tag_id: int | None = None
    text: str = ""  # matched against names, pinyin, handles and phone


@dataclass(frozen=True)
class CustomerRow:
    id: int
    nickname: str
    real_name: str | None
    phone: str | None
    city: str | None
    tier: str
    level: str
    order_count: int
    total_spent_fen: int
    last_order_at: datetime | None
    points_balance: int


@dataclass(frozen=True)
class AccountView:
    id: int
    platform: str
    uid: str | None
    handle: str | None
    nickname: str | None


@dataclass(frozen=True)
class OrderItemView:
    product_name: str
    quantity: int
    amount_fen: int


@dataclass(frozen=True)
class OrderView:
    id: int
    platform: str
    platform_order_id: str
    status: str
    total_fen: int
    ordered_at: datetime
    items: tuple[OrderItemView, ...]


@dataclass(frozen=True)
class NoteView:
    id: int
    body: str
    kind: str
    pinned: bool
    author: str | None
    broadcast_id: int | None
    created_at: datetime
    updated_at: datetime
    version: int = 1  # what an edit was made against: see edit_note


@dataclass(frozen=True)
class TagView:
    id: int
    name: str
    color: str | None


@dataclass
class CustomerCard:
    row: CustomerRow
    gender: str | None
    birthday: date | None
    province: str | None
    address: str | None
    rfm_segment: str | None
    level_since: datetime | None
    first_order_at: datetime | None
    spent_12m_fen: int
    profile: dict[str, str]
    accounts: list[AccountView]
    orders: list[OrderView]
    notes: list[NoteView]
    tags: list[TagView]
    order_total: int = 0  # all orders, when ``orders`` holds only the latest
    vip_sessions: list[tuple[str, datetime, str]] = field(default_factory=list)  # title, starts, RSVP
    consent: Consent | None = None


# How a customer gave consent to keep their data (PIPL); the UI words each code.
CONSENT_CHANNELS = ("wechat", "platform_chat", "phone", "in_person", "paper_form", "online_form", "other")
CONSENT_NOTE_MAX = 200


@dataclass(frozen=True)
class Consent:
    at: datetime | None
    channel: str | None
    note: str | None


class ConsentError(ValueError):
    """Consent cannot be recorded as given; ``code`` says why (the UI words it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # unknown_channel | note_too_long | in_the_future | needs_date


@dataclass
class NewCustomer:
    nickname: str
    real_name: str | None = None
    phone: str | None = None
    gender: str | None = None
    birthday: date | None = None
    province: str | None = None
    city: str | None = None
    address: str | None = None
    accounts: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # platform, uid, handle
    profile: dict[str, str] = field(default_factory=dict)


def _row(c: Customer) -> CustomerRow:
    return CustomerRow(
        c.id, c.nickname, c.real_name, c.phone or c.phone_masked, c.city, c.tier, c.level,
        c.order_count, c.total_spent_fen, c.last_order_at, c.points_balance,
    )


def apply_filter(statement: Select, flt: CustomerFilter) -> Select:
    if flt.tier:
        statement = statement.where(Customer.tier == flt.tier)
    if flt.level:
        statement = statement.where(Customer.level == flt.level)
    if flt.tag_id is not None:
        statement = statement.where(
            Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag_id == flt.tag_id))
        )
    text = flt.text.strip().lower()
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Customer.search_text.like(f"%{escaped}%", escape="\\"))
    return statement


def list_ids(
    session: Session, flt: CustomerFilter = CustomerFilter(), sort: str = "total_spent_fen", descending: bool = True
) -> list[int]:
    """Ids of every customer matching ``flt`` in display order; rows are fetched lazily."""
    column = SORTABLE[sort]
    order = column.desc() if descending else column.asc()
    tiebreak = Customer.id.desc() if descending else Customer.id.asc()
    statement = apply_filter(select(Customer.id), flt).order_by(order, tiebreak)
    return list(session.scalars(statement))


def count(session: Session, flt: CustomerFilter = CustomerFilter()) -> int:
    return session.scalar(apply_filter(select(func.count(Customer.id)), flt)) or 0


def rows(session: Session, ids: Sequence[int]) -> dict[int, CustomerRow]:
    found: dict[int, CustomerRow] = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        found.update((c.id, _row(c)) for c in session.scalars(select(Customer).where(Customer.id.in_(chunk))))
    return found


def tier_counts(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Customer.tier, func.count()).group_by(Customer.tier)).all())


def card(session: Session, customer_id: int, order_limit: int = 50) -> CustomerCard:
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"customer {customer_id} does not exist")
    orders = list(
        session.scalars(
            select(Order).where(Order.customer_id == customer_id).order_by(Order.ordered_at.desc()).limit(order_limit)
        )
    )
    items: dict[int, list[OrderItemView]] = {}
    if orders:
        for it in session.scalars(select(OrderItem).where(OrderItem.order_id.in_([o.id for o in orders]))):
            items.setdefault(it.order_id, []).append(OrderItemView(it.product_name, it.quantity, it.amount_fen))
    authors = dict(session.execute(select(TeamMember.id, TeamMember.name)).all())
    notes = session.scalars(
        select(Note).where(Note.customer_id == customer_id).order_by(Note.pinned.desc(), Note.created_at.desc())
    )
    tags = session.scalars(
        select(Tag).join(CustomerTag, CustomerTag.tag_id == Tag.id).where(CustomerTag.customer_id == customer_id)
        .order_by(Tag.name)
    )
    return CustomerCard(
        row=_row(c),
        gender=c.gender,
        birthday=c.birthday,
        province=c.province,
        address=c.address,
        rfm_segment=c.rfm_segment,
        level_since=c.level_since,
        first_order_at=c.first_order_at,
        spent_12m_fen=c.spent_12m_fen,
        profile={
            p.field: p.value
            for p in session.scalars(select(ProfileValue).where(ProfileValue.customer_id == customer_id))
        },
        accounts=[AccountView(a.id, a.platform, a.uid, a.handle, a.nickname) for a in c.accounts],
        orders=[
            OrderView(o.id, o.platform, o.platform_order_id, o.status, o.total_fen, o.ordered_at,
                      tuple(items.get(o.id, ())))
            for o in orders
        ],
        notes=[
            NoteView(n.id, n.body, n.kind, n.pinned, authors.get(n.author_id) if n.author_id else None,
                     n.broadcast_id, n.created_at, n.updated_at, n.version)
            for n in notes
        ],
        tags=[TagView(t.id, t.name, t.color) for t in tags],
        order_total=session.scalar(select(func.count(Order.id)).where(Order.customer_id == customer_id)) or 0,
        vip_sessions=list(session.execute(
            select(PrivateSession.title, PrivateSession.starts_at, Invitation.status)
            .join(Invitation, Invitation.session_id == PrivateSession.id)
            .where(Invitation.customer_id == customer_id).order_by(PrivateSession.starts_at.desc())
        ).all()),
        consent=Consent(c.consent_at, c.consent_channel, c.consent_note),
    )


def set_consent(session: Session, customer_id: int, at: datetime | None, channel: str | None,
                note: str | None, now: datetime | None = None) -> Consent:
    """Record when and how the customer consented (all None: consent withdrawn / unknown)."""
    c = _require(session, customer_id)
    note = (note or "").strip() or None
    channel = channel or None
    if channel is not None and channel not in CONSENT_CHANNELS:
        raise ConsentError("unknown_channel", f"unknown consent channel {channel!r}; "
                                              f"channels: {', '.join(CONSENT_CHANNELS)}")
    if note is not None and len(note) > CONSENT_NOTE_MAX:
        raise ConsentError("note_too_long", f"the consent note has {len(note)} characters; "
                                            f"at most {CONSENT_NOTE_MAX}")
    if at is None and (channel or note):
        raise ConsentError("needs_date", "consent with a channel or a note needs the date it was given")
    if at is not None and at > (now or utcnow()):
        raise ConsentError("in_the_future", f"consent dated {at.isoformat()} is in the future")
    c.consent_at, c.consent_channel, c.consent_note = at, channel, note
    return Consent(at, channel, note)


def refresh_search_text(session: Session, customer: Customer) -> None:
    handles = session.execute(
        select(PlatformAccount.handle, PlatformAccount.uid, PlatformAccount.nickname)
        .where(PlatformAccount.customer_id == customer.id)
    ).all()
    keys = [v for row in handles for v in row if v]
    customer.search_text = search_text(customer.nickname, customer.real_name,
                                       customer.phone or customer.phone_masked, keys)


def create(session: Session, new: NewCustomer) -> int:
    nickname = new.nickname.strip()
    if not nickname:
        raise ValueError("a customer needs a nickname")
    c = Customer(
        nickname=nickname, real_name=new.real_name, phone=new.phone, gender=new.gender,
        birthday=new.birthday, province=new.province, city=new.city, address=new.address,
    )
    c.accounts = [PlatformAccount(platform=p, uid=uid, handle=handle, nickname=nickname)
                  for p, uid, handle in new.accounts]
    session.add(c)
    session.flush()
    for key, value in new.profile.items():
        session.add(ProfileValue(customer_id=c.id, field=key, value=value))
    refresh_search_text(session, c)
    return c.id


def set_profile_value(session: Session, customer_id: int, key: str, value: str) -> None:
    _require(session, customer_id)
    row = session.get(ProfileValue, (customer_id, key))
    value = value.strip()
    if not value:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(ProfileValue(customer_id=customer_id, field=key, value=value))
    else:
        row.value = value


def add_note(
    session: Session, customer_id: int, body: str, *, author_id: int | None = None, pinned: bool = False,
    kind: str = "note", broadcast_id: int | None = None,
) -> int:
    _require(session, customer_id)
    body = body.strip()
    if not body:
        raise ValueError("a note cannot be empty")
    note = Note(customer_id=customer_id, body=body, author_id=author_id, pinned=pinned, kind=kind,
                broadcast_id=broadcast_id)
    session.add(note)
    session.flush()
    return note.id


class NoteConflict(Exception):
    """The note was edited elsewhere since it was opened: overwrite it only if the user says so."""

    def __init__(self, note_id: int, body: str, by: str | None, version: int) -> None:
        super().__init__(f"note {note_id} was changed by {by or 'someone else'} since it was opened")
        self.note_id, self.body, self.by, self.version = note_id, body, by, version


def edit_note(session: Session, note_id: int, body: str, expected_version: int | None = None) -> int:
    """Replace a note's text; returns its new version.

    ``expected_version`` is the version the editor showed: if someone saved the note since,
    ``NoteConflict`` carries their text and name, and saving again with that version overwrites.
    """
    note = session.get(Note, note_id, with_for_update=True)
    if note is None:
        raise NotFound(f"note {note_id} does not exist")
    body = body.strip()
    if not body:
        raise ValueError("a note cannot be empty")
    if expected_version is not None and note.version != expected_version:
        who = session.scalar(select(TeamMember.name).where(TeamMember.id == note.edited_by_id)) \
            if note.edited_by_id else None
        raise NoteConflict(note_id, note.body, who, note.version)
    actor = session.info.get("actor")
    note.body, note.updated_at, note.version = body, utcnow(), note.version + 1
    note.edited_by_id = actor.member_id if actor is not None else None
    return note.version


def set_note_pinned(session: Session, note_id: int, pinned: bool) -> None:
    _note(session, note_id).pinned = pinned


def delete_note(session: Session, note_id: int) -> None:
    session.delete(_note(session, note_id))


def all_tags(session: Session) -> list[TagView]:
    return [TagView(t.id, t.name, t.color) for t in session.scalars(select(Tag).order_by(Tag.name))]


def tag_customer(session: Session, customer_id: int, tag_name: str) -> int:
    _require(session, customer_id)
    name = tag_name.strip()
    if not name:
        raise ValueError("a tag needs a name")
    tag = session.scalar(select(Tag).where(Tag.name == name))
    if tag is None:
        tag = Tag(name=name)
        session.add(tag)
        session.flush()
    if session.get(CustomerTag, (customer_id, tag.id)) is None:
        session.add(CustomerTag(customer_id=customer_id, tag_id=tag.id))
    return tag.id


def untag_customer(session: Session, customer_id: int, tag_id: int) -> None:
    session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer_id, CustomerTag.tag_id == tag_id))


def assigned_member(session: Session, customer_id: int) -> int | None:
    """The team member who looks after this customer (their tasks go to them by default)."""
    return _require(session, customer_id).assigned_member_id


def _require(session: Session, customer_id: int) -> Customer:
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return c


def _note(session: Session, note_id: int) -> Note:
    note = session.get(Note, note_id)
    if note is None:
        raise NotFound(f"note {note_id} does not exist")
    return note



@dataclass(frozen=True)
class Reach:
    """How to reach a customer by hand: messages go out in WeChat or the platform's chat."""

    accounts: list[tuple[str, str | None, str | None]]  # (platform, handle, nickname there)
    wechat: str | None  # the remark the shop gave them in WeChat (profile field ``wechat``)
    phone: str | None  # masked unless the caller asks for it in full


def reach(session: Session, customer_id: int, *, full_phone: bool = False) -> Reach:
    from livedesk.services.identity_text import mask_phone

    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} does not exist")
    accounts = [(a.platform, a.handle, a.nickname) for a in session.scalars(
        select(PlatformAccount).where(PlatformAccount.customer_id == customer_id).order_by(PlatformAccount.id))]
    wechat = session.scalar(select(ProfileValue.value).where(ProfileValue.customer_id == customer_id,
                                                             ProfileValue.field == WECHAT_FIELD))
    phone = customer.phone if full_phone else (mask_phone(customer.phone) or customer.phone_masked)
    return Reach(accounts, wechat or None, phone or None)
