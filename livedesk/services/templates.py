"""Message templates: placeholders in braces, rendering for a real customer, defaults, acknowledgement.

Owns the placeholder vocabulary ({称呼} {等级} {上次购买商品} {商品} {优惠券} {生日}
{店铺} {专属客服}, and {私享会} {时间} for invitations), rendering a body for one
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
from livedesk.services import compliance, settings
from livedesk.services.compliance import Finding
from livedesk.services.customers import NotFound
from livedesk.services.errors import Refused
from livedesk.services.followups.clock import as_utc
from livedesk.services.followups.config import replenish_item_id, rule_settings

PLACEHOLDER = re.compile(r"[{｛]([^{}｛｝]+)[}｝]")
PLACEHOLDERS = {
    "称呼": "客户的昵称",
    "等级": "会员等级，如 金钻会员",
    "上次购买商品": "最近一次购买的商品",
    "商品": "任务相关的商品（补货提醒），没有时同 上次购买商品",
    "优惠券": "任务或规则设置里的优惠券",
    "生日": "生日，如 3月8日",
    "店铺": "店铺名称",
    "专属客服": "客户的专属客服",
    "私享会": "私享会的标题（邀请函）",
    "时间": "私享会的开始时间（邀请函）",
}
# The words a customer reads for each level code (the message is in the shop's language).
LEVEL_WORDS = {"none": "会员", "silver": "银钻会员", "gold": "金钻会员"}
DEFAULT_TEMPLATES = (  # key, kind, name, body — checked by tests against the compliance list
    # What the host says when someone arrives (the panel picks by level, then tier, then default).
    ("greeting.gold", "greeting", "金钻会员进场", "欢迎{等级}{称呼}回家"),
    ("greeting.silver", "greeting", "银钻会员进场", "欢迎{等级}{称呼}，今天给您留了好东西"),
    ("greeting.vip", "greeting", "VIP 进场", "{称呼}来啦！老朋友好久不见"),
    ("greeting.new", "greeting", "新客进场", "欢迎{称呼}第一次来直播间，有问题随时问我"),
    ("greeting.default", "greeting", "默认欢迎", "欢迎{称呼}来到直播间"),
    ("followup.welcome", "followup", "首单欢迎",
     "{称呼}您好，我是{店铺}的专属客服，感谢您第一次下单！发货、使用上有任何问题随时找我。"),
    ("followup.thanks", "followup", "24小时致谢",
     "{称呼}，您买的{上次购买商品}已经在路上啦，谢谢您对{店铺}的支持，收到后有问题随时联系我。"),
    ("followup.survey", "followup", "满意度回访",
     "{称呼}，{上次购买商品}用得还习惯吗？麻烦给我们打个分（0–10 分），您的意见我们每条都会看。"),
    ("followup.callback", "followup", "客诉回访",
     "{称呼}您好，看到您反馈的问题了，非常抱歉给您添麻烦。我是{店铺}的客服，方便的话我们聊聊怎么帮您处理？"),
    ("followup.wakeup", "followup", "沉睡唤醒",
     "{称呼}，好久没见到您啦！给您留了一张{优惠券}，直播间上了不少新品，有空来看看。"),
    ("followup.birthday", "followup", "生日祝福",
     "{称呼}，{生日}是您的生日，提前祝您生日快乐！{店铺}为您准备了{优惠券}，愿新的一岁一切顺心。"),
    ("followup.replenish", "followup", "补货提醒",
     "{称呼}，按您的用量，{商品}应该快用完啦。需要的话直播间给您留一份，随时说一声。"),
    ("followup.vip_touch", "followup", "VIP 每周关怀",
     "{称呼}，这周过得怎么样？我是您的专属客服{专属客服}，有什么想看的款式或需要帮忙的，随时跟我说。"),
    ("followup.manual", "followup", "手动跟进", "{称呼}您好，我是{店铺}的客服，"),
    ("invitation.vip_session", "invitation", "私享会邀请",
     "{称呼}您好！诚邀您参加{店铺}的{私享会}（{时间}），名额有限，到场有专属福利。回复“1”确认参加～"),
)


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
    values = {
        "称呼": c.nickname,
        "等级": LEVEL_WORDS.get(c.level, c.level),
        "上次购买商品": last_product,
        "商品": last_product,
        "优惠券": rule_settings(session)["wakeup"].get("coupon") or "",
        "生日": f"{c.birthday.month}月{c.birthday.day}日" if c.birthday else "",
        "店铺": settings.get(session, "shop.name"),
        "专属客服": assistant.name if assistant else "",
        "私享会": "",  # known only when inviting: the caller passes them in ``extra``
        "时间": "",
    }
    values.update(extra or {})
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


def ensure_default_templates(session: Session) -> int:
    """Insert the default follow-up templates the store lacks; an owner's edits are kept."""
    present = set(session.scalars(select(MessageTemplate.key)))
    added = 0
    for key, kind, name, body in DEFAULT_TEMPLATES:
        if key not in present:
            findings = compliance.check_for_shop(session, body)
            session.add(MessageTemplate(key=key, kind=kind, name=name, body=body,
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
