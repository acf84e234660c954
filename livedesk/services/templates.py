"""Message templates: placeholders in braces, rendering for a real customer, defaults, acknowledgement.

Owns the placeholder vocabulary ({称呼} {等级} {上次购买商品} {商品} {优惠券} {生日}
{店铺} {专属客服}, and {私享会} {时间} for invitations; in English {name} {level} … the same
codes: services/shop_words.py), rendering a body for one
customer, the preview the template editor shows (text, unknown placeholders,
compliance findings), the default greeting, follow-up and invitation templates a new
store gets, and the rule that a template the compliance check flags is not used until
someone acknowledges it. Placeholders may use ASCII or full-width braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import Customer, FollowUpTask, MessageTemplate, Order, OrderItem, TeamMember
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import compliance, settings, shop_words
from livedesk.services.compliance import Finding
from livedesk.services.customers import NotFound
from livedesk.services.errors import Refused
from livedesk.services.followups.clock import as_utc
from livedesk.services.followups.config import replenish_item_id, rule_settings

PLACEHOLDER = re.compile(r"[{｛]([^{}｛｝]+)[}｝]")
# Every placeholder name, in every language of the catalogue, and what it stands for (a code):
# {称呼} and {name} fill in alike, so a template keeps working whatever language it is written in.
PLACEHOLDERS = shop_words.placeholder_aliases()
# The shipped templates in Chinese (key, kind, name, body); services/shop_words.py has every language's.
DEFAULT_TEMPLATES = tuple((key, key.split(".")[0], name, body) for key, (name, body) in shop_words.ZH.templates.items())
# The words a customer reads for each level code, in Chinese (a store's own: shop_words.shop_words(session)).
LEVEL_WORDS = shop_words.ZH.level_words


def placeholder_names(language: str) -> list[str]:
    """The placeholders as a template in ``language`` writes them (the editor's chips)."""
    words = shop_words.for_language(language)
    return [words.placeholders[code] for code in shop_words.PLACEHOLDER_CODES]


class TemplateError(Refused):
    """A template that cannot be used as it is; ``code`` says why, the UI words it."""


class UnknownPlaceholder(TemplateError):
    def __init__(self, names: list[str], available: list[str]) -> None:
        self.names, self.available = names, available
        unknown = " ".join(f"{{{n}}}" for n in names)
        super().__init__("unknown_placeholder", f"UnknownPlaceholder: the template's {unknown} is not a placeholder; "
                         "known: " + " ".join(f"{{{a}}}" for a in available), names=names, available=available)


class TemplateNotAcknowledged(TemplateError):
    def __init__(self, key: str, terms: list[str]) -> None:
        self.key, self.terms = key, terms
        super().__init__("not_acknowledged", f"template {key} has Advertising Law risk terms ({'、'.join(terms)}) "
                         "the owner has not acknowledged", key=key, terms=terms)


@dataclass
class Preview:
    text: str  # rendered, unknown placeholders left as written
    unknown: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # known, but this customer has no value
    findings: list[Finding] = field(default_factory=list)  # compliance, on the body as written


def placeholders(body: str) -> list[str]:
    return list(dict.fromkeys(PLACEHOLDER.findall(body)))


def values_for(session: Session, customer_id: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Every placeholder's value for one customer; ``extra`` adds or overrides."""
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"customer {customer_id} does not exist")
    last_product = session.scalar(
        select(OrderItem.product_name).join(Order, Order.id == OrderItem.order_id)
        .where(Order.customer_id == customer_id, Order.status.in_(SPEND_STATUSES))
        .order_by(Order.ordered_at.desc(), OrderItem.id).limit(1)
    ) or ""
    assistant = session.get(TeamMember, c.assigned_member_id) if c.assigned_member_id else None
    words = shop_words.shop_words(session)
    by_code = {
        "name": c.nickname,
        "level": words.level_words.get(c.level, c.level),
        "last_product": last_product,
        "product": last_product,
        "coupon": rule_settings(session)["wakeup"].get("coupon") or "",
        "birthday": words.birthday(c.birthday.month, c.birthday.day) if c.birthday else "",
        "shop": settings.get(session, "shop.name"),
        "assistant": assistant.name if assistant else "",
        "session": "",  # known only when inviting: the caller passes them in ``extra``
        "time": "",
    }
    values = {name: by_code[code] for name, code in PLACEHOLDERS.items()}
    for name, value in (extra or {}).items():  # given under one spelling, filled under every one
        code = PLACEHOLDERS.get(name)
        values.update({n: value for n, c in PLACEHOLDERS.items() if c == code} if code else {name: value})
    return values


def _fill(body: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def render(session: Session, template_body: str, customer_id: int, extra: dict[str, str] | None = None) -> str:
    """The message for this customer; an unknown placeholder raises ``UnknownPlaceholder``."""
    values = values_for(session, customer_id, extra)
    unknown = [name for name in placeholders(template_body) if name not in values]
    if unknown:
        raise UnknownPlaceholder(unknown, list(values))
    return _fill(template_body, values)


def sample_customer_id(session: Session) -> int | None:
    """The most recent buyer: a realistic customer to preview a template with."""
    return session.scalar(select(Customer.id).order_by(Customer.last_order_at.desc().nulls_last(), Customer.id)
                          .limit(1))


def preview(session: Session, template_body: str, customer_id: int | None = None,
            extra: dict[str, str] | None = None) -> Preview:
    """What the editor shows while typing: never raises for the body's content."""
    if customer_id is None:
        customer_id = sample_customer_id(session)
    values = values_for(session, customer_id, extra) if customer_id is not None else {}
    names = placeholders(template_body)
    return Preview(
        text=_fill(template_body, values),
        unknown=[n for n in names if n not in values and n not in PLACEHOLDERS],
        empty=[n for n in names if n in PLACEHOLDERS and not values.get(n)],
        findings=compliance.check_for_shop(session, template_body),
    )


def ensure_default_templates(session: Session, language: str | None = None) -> int:
    """Insert the default templates the store lacks, worded in ``language`` (default: the store's
    own, ``shop.language``); an owner's edits are kept."""
    words = shop_words.for_language(language) if language else shop_words.shop_words(session)
    present = set(session.scalars(select(MessageTemplate.key)))
    added = 0
    for key, (name, body) in words.templates.items():
        if key not in present:
            findings = compliance.check_for_shop(session, body)
            session.add(MessageTemplate(key=key, kind=key.split(".")[0], name=name, body=body,
                                        flagged_terms=[f.as_dict() for f in findings] or None))
            added += 1
    session.flush()
    return added


def save(session: Session, key: str, body: str, *, name: str | None = None, kind: str = "followup") -> list[Finding]:
    """Create or edit a template; a changed body is re-checked and needs a new acknowledgement."""
    unknown = [n for n in placeholders(body) if n not in PLACEHOLDERS]
    if unknown:
        raise UnknownPlaceholder(unknown, list(PLACEHOLDERS))
    findings = compliance.check_for_shop(session, body)
    row = session.scalar(select(MessageTemplate).where(MessageTemplate.key == key))
    if row is None:
        row = MessageTemplate(key=key, kind=kind, name=name or key, body=body)
        session.add(row)
    elif row.body != body:
        row.body, row.acknowledged_at, row.acknowledged_by = body, None, None
    if name:
        row.name = name
    row.flagged_terms = [f.as_dict() for f in findings] or None
    session.flush()
    return findings


def acknowledge(session: Session, template_id: int, by: str, now: datetime | None = None) -> None:
    """Someone accepts the flagged terms of this template as they are now."""
    row = _template(session, template_id)
    row.flagged_terms = [f.as_dict() for f in compliance.check_for_shop(session, row.body)] or None
    row.acknowledged_at, row.acknowledged_by = as_utc(now), by


def pending_terms(session: Session, template: MessageTemplate) -> list[str]:
    """Flagged terms of this template that nobody has acknowledged yet.

    Checked live, so a word the owner adds to the list later catches old templates too;
    an acknowledgement covers the terms that were flagged when it was given.
    """
    accepted = {t["term"] for t in (template.flagged_terms or [])} if template.acknowledged_at else set()
    current = [f.term for f in compliance.check_for_shop(session, template.body)]
    return [term for term in dict.fromkeys(current) if term not in accepted]


def usable_body(session: Session, template: MessageTemplate) -> str:
    """The template's body, refused while it has flagged terms nobody acknowledged."""
    pending = pending_terms(session, template)
    if pending:
        raise TemplateNotAcknowledged(template.key, pending)
    return template.body


@dataclass(frozen=True)
class TemplateView:
    id: int
    key: str
    kind: str
    name: str
    body: str
    pending: list[str]  # flagged terms waiting for an acknowledgement; empty: usable
    acknowledged_by: str | None
    acknowledged_at: datetime | None


def listing(session: Session) -> list[TemplateView]:
    """Every template, follow-ups first, as the template editor lists them."""
    rows = session.scalars(select(MessageTemplate).order_by(MessageTemplate.kind, MessageTemplate.key))
    return [TemplateView(t.id, t.key, t.kind, t.name, t.body, pending_terms(session, t), t.acknowledged_by,
                         t.acknowledged_at) for t in rows]


def render_template(session: Session, template_id: int, customer_id: int,
                    extra: dict[str, str] | None = None) -> str:
    return render(session, usable_body(session, _template(session, template_id)), customer_id, extra)


def task_message(session: Session, task_id: int) -> str:
    """The personalised message for a follow-up task: what the page copies to the clipboard."""
    task = session.get(FollowUpTask, task_id)
    if task is None:
        raise NotFound(f"follow-up task {task_id} does not exist")
    template = session.get(MessageTemplate, task.template_id) if task.template_id else None
    if template is None:
        template = session.scalar(select(MessageTemplate).where(MessageTemplate.key == f"followup.{task.kind}"))
    if template is None:
        raise TemplateError("no_template", f"no template for {task.kind} follow-ups: add followup.{task.kind} in settings",
                            kind=task.kind)
    extra = {"优惠券": task.coupon} if task.coupon else {}
    item_id = replenish_item_id(task.dedupe_key)
    if item_id is not None:
        product = session.scalar(select(OrderItem.product_name).where(OrderItem.id == item_id))
        if product:
            extra["商品"] = product
    return render(session, usable_body(session, template), task.customer_id, extra)


def _template(session: Session, template_id: int) -> MessageTemplate:
    row = session.get(MessageTemplate, template_id)
    if row is None:
        raise NotFound(f"message template {template_id} does not exist")
    return row
