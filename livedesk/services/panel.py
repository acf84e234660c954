"""What the host's side panel shows for one customer: greeting, badges, purchases, alerts.

Everything here is safe to put on a screen that may be filmed: the real name and the
phone are masked before they leave this module.

Alerts carry a kind; the panel shows at most one line of each category (``CATEGORY``):
safety (allergy, open complaint) and sales (a fresh upgrade, a birthday, running out).
A shipped greeting is worded by the UI in its language (``greeting_custom`` False); a
shop's own greeting is its own words, filled here with level names in the same language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import (
    Appearance,
    Customer,
    LevelChange,
    MessageTemplate,
    Note,
    Order,
    OrderItem,
    Product,
    ProfileValue,
)
from livedesk.models.base import utcnow
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import presets, settings, shop_words
from livedesk.services.customers import WECHAT_FIELD
from livedesk.services.identity_text import mask_name, mask_phone

BIRTHDAY_WINDOW_DAYS = 7
COMPLAINT_WINDOW_DAYS = 30
REPLENISH_WINDOW_DAYS = 7
UPGRADE_NEWS_DAYS = 30  # a level reached this recently is worth a word on air
DEFAULT_GREETING = "欢迎{称呼}来到直播间"
DEFAULT_GREETING_KEY = "greeting.default"
LEVEL_RANK = {"none": 0, "silver": 1, "gold": 2}
# Which line of the panel an alert belongs to, most urgent first within each.
CATEGORY = {"allergy": "safety", "complaint": "safety",
            "upgrade": "sales", "birthday": "sales", "replenish": "sales",
            "not_greeted": "status"}


@dataclass(frozen=True)
class Alert:
    kind: str  # allergy | complaint | upgrade | birthday | replenish | not_greeted
    text: str  # allergy: "label: value"; complaint: the note; upgrade/birthday: days; replenish: product

    @property
    def category(self) -> str:
        return CATEGORY.get(self.kind, "status")


@dataclass(frozen=True)
class Purchase:
    product_name: str
    ordered_at: datetime
    amount_fen: int


@dataclass
class PanelCard:
    customer_id: int
    nickname: str
    masked_name: str
    masked_phone: str
    greeting_template: str
    tier: str
    level: str
    level_since: datetime | None
    total_spent_fen: int
    order_count: int
    purchases: list[Purchase] = field(default_factory=list)
    profile: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    pinned_notes: list[str] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    greeting_key: str = DEFAULT_GREETING_KEY  # which template was picked
    greeting_custom: bool = False  # the shop wrote its own words (else the UI words the shipped one)
    zone: tzinfo = timezone.utc  # the shop's clock, for the dates shown

    level_word: str = ""  # the level as the shop's own messages name it (its seeded language)

    def greeting(self, level_name: str) -> str:
        """The template filled in with this level name (in the template's language)."""
        from livedesk.services.templates import PLACEHOLDERS, PLACEHOLDER

        values = {"name": self.nickname, "level": level_name}
        return PLACEHOLDER.sub(lambda m: values.get(PLACEHOLDERS.get(m.group(1), ""), m.group(0)),
                               self.greeting_template)

    def custom_greeting(self) -> str:
        """A shop's own greeting, with the level named in the shop's language like the rest of it."""
        return self.greeting(self.level_word or self.level)


def greeting_template(session: Session, customer: Customer) -> tuple[str, str, bool]:
    """(key, body, custom): the template for this customer, by level, then tier, then default."""
    keys = [f"greeting.{customer.level}", f"greeting.{customer.tier}", DEFAULT_GREETING_KEY]
    templates = {
        t.key: t.body
        for t in session.scalars(select(MessageTemplate).where(MessageTemplate.key.in_(keys), MessageTemplate.active))
    }
    key = next((k for k in keys if k in templates), DEFAULT_GREETING_KEY)
    body = templates.get(key, DEFAULT_GREETING)
    # A shipped body, in any language of the catalogue, is worded by the UI in its own language.
    return key, body, not (body == DEFAULT_GREETING or shop_words.shipped_template(key, body=body))


def days_to_birthday(birthday: date, today: date) -> int:
    """Days until the next birthday; 29 February is celebrated on 28 February in common years."""
    for year in (today.year, today.year + 1):
        try:
            next_day = birthday.replace(year=year)
        except ValueError:
            next_day = date(year, 2, 28)
        if next_day >= today:
            return (next_day - today).days
    raise AssertionError("unreachable")


def panel_card(
    session: Session, customer_id: int, *, language: str = "zh_CN", now: datetime | None = None,
    purchases: int = 5, broadcast_id: int | None = None,
) -> PanelCard:
    """The card for ``customer_id``; with a live ``broadcast_id``, a VIP not greeted yet is flagged."""
    now = now or utcnow()
    c = session.get(Customer, customer_id)
    if c is None:
        raise LookupError(f"customer {customer_id} does not exist")
    shop_preset = presets.preset(settings.get(session, "shop.preset"))
    key, body, custom = greeting_template(session, c)
    card = PanelCard(
        customer_id=c.id,
        nickname=c.nickname,
        masked_name=mask_name(c.real_name),
        masked_phone=mask_phone(c.phone or c.phone_masked),
        greeting_template=body,
        greeting_key=key,
        greeting_custom=custom,
        level_word=shop_words.shop_words(session).level_words.get(c.level, c.level),
        zone=settings.shop_zone(session),
        tier=c.tier,
        level=c.level,
        level_since=c.level_since,
        total_spent_fen=c.total_spent_fen,
        order_count=c.order_count,
    )
    recent = session.execute(
        select(OrderItem.product_name, Order.ordered_at, OrderItem.amount_fen, Product.usage_cycle_days,
               OrderItem.quantity)
        .join(Order, Order.id == OrderItem.order_id)
        .outerjoin(Product, Product.id == OrderItem.product_id)
        .where(Order.customer_id == customer_id, Order.status.in_(SPEND_STATUSES))
        .order_by(Order.ordered_at.desc())
        .limit(50)
    ).all()
    card.purchases = [Purchase(name, at, amount) for name, at, amount, _, _ in recent[:purchases]]

    for value in session.scalars(select(ProfileValue).where(ProfileValue.customer_id == customer_id)):
        spec = shop_preset.field(value.field)
        if spec is None or value.field == WECHAT_FIELD:  # a contact (often a real surname) is never shown on air
            continue
        card.profile.append((spec.label(language), value.value))
        if spec.alert:
            card.alerts.append(Alert("allergy", f"{spec.label(language)}: {value.value}"))

    notes = session.scalars(
        select(Note).where(Note.customer_id == customer_id).order_by(Note.created_at.desc())
    ).all()
    card.pinned_notes = [n.body for n in notes if n.pinned]
    complaint_since = now - timedelta(days=COMPLAINT_WINDOW_DAYS)
    for n in notes:
        if n.kind == "complaint" and n.created_at >= complaint_since:
            card.alerts.append(Alert("complaint", n.body))
            break

    today = now.astimezone(card.zone).date()  # the shop's day: a birthday is a local date
    upgrade = _recent_upgrade(session, c, now)
    if upgrade is not None:
        card.alerts.append(Alert("upgrade", str(upgrade)))
    if c.birthday is not None:
        days = days_to_birthday(c.birthday, today)
        if days <= BIRTHDAY_WINDOW_DAYS:
            card.alerts.append(Alert("birthday", str(days)))

    if broadcast_id is not None and (c.tier in settings.get(session, "panel.vip_tiers") or c.level != "none"):
        greeted = session.scalar(select(Appearance.id).where(
            Appearance.broadcast_id == broadcast_id, Appearance.customer_id == customer_id,
            Appearance.greeted_at.is_not(None)).limit(1))
        if greeted is None:
            card.alerts.append(Alert("not_greeted", ""))

    seen: set[str] = set()
    for name, at, _, cycle, quantity in recent:
        if not cycle or name in seen:
            continue
        seen.add(name)  # only the latest purchase of a product says when it runs out
        runs_out = at.astimezone(card.zone).date() + timedelta(days=cycle * max(1, quantity))
        if abs((runs_out - today).days) <= REPLENISH_WINDOW_DAYS:
            card.alerts.append(Alert("replenish", name))
    return card


def _recent_upgrade(session: Session, c: Customer, now: datetime) -> int | None:
    """Days since the customer moved UP to their current level, if that is recent news."""
    if c.level == "none" or c.level_since is None or now - c.level_since > timedelta(days=UPGRADE_NEWS_DAYS):
        return None
    change = session.scalars(select(LevelChange).where(LevelChange.customer_id == c.id)
                             .order_by(LevelChange.changed_at.desc(), LevelChange.id.desc()).limit(1)).first()
    if change is not None and LEVEL_RANK.get(change.to_level, 0) <= LEVEL_RANK.get(change.from_level, 0):
        return None  # a step down is not news for the air
    return max(0, (now - c.level_since).days)
