"""Words for the codes services return (tiers, levels, platforms, statuses), translated.

Services speak in codes; this is the one place the UI turns them into text. The
English sources are marked with QT_TRANSLATE_NOOP so lupdate collects them.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

_TIERS = {
    "vip": QT_TRANSLATE_NOOP("Labels", "High-value VIP"),
    "potential": QT_TRANSLATE_NOOP("Labels", "Potential active"),
    "new": QT_TRANSLATE_NOOP("Labels", "New buyer"),
    "dormant": QT_TRANSLATE_NOOP("Labels", "Dormant"),
    "lost": QT_TRANSLATE_NOOP("Labels", "Lost"),
    "prospect": QT_TRANSLATE_NOOP("Labels", "Not yet bought"),
}
_LEVELS = {
    "none": QT_TRANSLATE_NOOP("Labels", "Member"),
    "silver": QT_TRANSLATE_NOOP("Labels", "Silver Diamond member"),
    "gold": QT_TRANSLATE_NOOP("Labels", "Gold Diamond member"),
}
# The shipped greetings (services/templates.py DEFAULT_TEMPLATES), worded in the UI's language
# beside the level names they use, so a greeting never mixes languages. %1 is the level's
# name, %2 the nickname; the short form (nickname only) is for when the long one does not fit.
_GREETINGS = {
    "greeting.gold": (QT_TRANSLATE_NOOP("Labels", "Welcome home, %1 %2"),
                      QT_TRANSLATE_NOOP("Labels", "Welcome home, %2")),
    "greeting.silver": (QT_TRANSLATE_NOOP("Labels", "Welcome, %1 %2, we saved something good for you"),
                        QT_TRANSLATE_NOOP("Labels", "Welcome, %2")),
    "greeting.vip": (QT_TRANSLATE_NOOP("Labels", "%2 is here! Good to see you again"),
                     QT_TRANSLATE_NOOP("Labels", "%2 is here!")),
    "greeting.new": (QT_TRANSLATE_NOOP("Labels", "Welcome %2, first time here? Ask me anything"),
                     QT_TRANSLATE_NOOP("Labels", "Welcome, %2")),
    "greeting.default": (QT_TRANSLATE_NOOP("Labels", "Welcome to the stream, %2"),
                         QT_TRANSLATE_NOOP("Labels", "Welcome, %2")),
}
_PLATFORMS = {
    "douyin": QT_TRANSLATE_NOOP("Labels", "Douyin"),
    "taobao": QT_TRANSLATE_NOOP("Labels", "Taobao"),
    "kuaishou": QT_TRANSLATE_NOOP("Labels", "Kuaishou"),
    "channels": QT_TRANSLATE_NOOP("Labels", "WeChat Channels"),
    "tiktok": QT_TRANSLATE_NOOP("Labels", "TikTok Shop"),
    "shopify": QT_TRANSLATE_NOOP("Labels", "Shopify"),
    "livedesk": QT_TRANSLATE_NOOP("Labels", "LiveDesk template"),
}
_ORDER_STATUSES = {
    "pending": QT_TRANSLATE_NOOP("Labels", "Pending"),
    "paid": QT_TRANSLATE_NOOP("Labels", "Paid"),
    "completed": QT_TRANSLATE_NOOP("Labels", "Completed"),
    "cancelled": QT_TRANSLATE_NOOP("Labels", "Cancelled"),
    "refunded": QT_TRANSLATE_NOOP("Labels", "Refunded"),
}
_SEGMENTS = {
    "champions": QT_TRANSLATE_NOOP("Labels", "Champions"),
    "loyal": QT_TRANSLATE_NOOP("Labels", "Loyal"),
    "potential_loyalist": QT_TRANSLATE_NOOP("Labels", "Potential loyalist"),
    "new": QT_TRANSLATE_NOOP("Labels", "New customer"),
    "promising": QT_TRANSLATE_NOOP("Labels", "Promising"),
    "need_attention": QT_TRANSLATE_NOOP("Labels", "Needs attention"),
    "at_risk": QT_TRANSLATE_NOOP("Labels", "At risk"),
    "cant_lose": QT_TRANSLATE_NOOP("Labels", "Can't lose them"),
    "hibernating": QT_TRANSLATE_NOOP("Labels", "Hibernating"),
    "lost": QT_TRANSLATE_NOOP("Labels", "Lost"),
}
_IMPORT_FIELDS = {  # services/importing/columns.py FIELDS, as the 导入 page names them
    "order_id": QT_TRANSLATE_NOOP("Labels", "Order number"),
    "sub_order_id": QT_TRANSLATE_NOOP("Labels", "Item line number"),
    "product_name": QT_TRANSLATE_NOOP("Labels", "Product"),
    "product_code": QT_TRANSLATE_NOOP("Labels", "Product / SKU id"),
    "quantity": QT_TRANSLATE_NOOP("Labels", "Quantity"),
    "unit_price": QT_TRANSLATE_NOOP("Labels", "Unit price"),
    "item_amount": QT_TRANSLATE_NOOP("Labels", "Item amount"),
    "order_total": QT_TRANSLATE_NOOP("Labels", "Order total paid"),
    "ordered_at": QT_TRANSLATE_NOOP("Labels", "Ordered at"),
    "paid_at": QT_TRANSLATE_NOOP("Labels", "Paid at"),
    "status": QT_TRANSLATE_NOOP("Labels", "Order status"),
    "after_sale": QT_TRANSLATE_NOOP("Labels", "After-sale status"),
    "buyer_id": QT_TRANSLATE_NOOP("Labels", "Buyer id"),
    "buyer_handle": QT_TRANSLATE_NOOP("Labels", "Buyer nickname"),
    "recipient_name": QT_TRANSLATE_NOOP("Labels", "Recipient"),
    "phone": QT_TRANSLATE_NOOP("Labels", "Recipient phone"),
    "province": QT_TRANSLATE_NOOP("Labels", "Province"),
    "city": QT_TRANSLATE_NOOP("Labels", "City"),
    "address": QT_TRANSLATE_NOOP("Labels", "Address"),
    "platform": QT_TRANSLATE_NOOP("Labels", "Platform"),
}

_RSVP = {
    "invited": QT_TRANSLATE_NOOP("Labels", "invited"),
    "accepted": QT_TRANSLATE_NOOP("Labels", "accepted"),
    "declined": QT_TRANSLATE_NOOP("Labels", "declined"),
    "no_answer": QT_TRANSLATE_NOOP("Labels", "no answer"),
    "attended": QT_TRANSLATE_NOOP("Labels", "attended"),
    "no_show": QT_TRANSLATE_NOOP("Labels", "no-show"),
    "waitlisted": QT_TRANSLATE_NOOP("Labels", "waitlist"),
}

_CONSENT_CHANNELS = {  # services/customers.py CONSENT_CHANNELS
    "wechat": QT_TRANSLATE_NOOP("Labels", "WeChat"),
    "platform_chat": QT_TRANSLATE_NOOP("Labels", "Platform chat"),
    "phone": QT_TRANSLATE_NOOP("Labels", "Phone call"),
    "in_person": QT_TRANSLATE_NOOP("Labels", "In person"),
    "paper_form": QT_TRANSLATE_NOOP("Labels", "Paper form"),
    "online_form": QT_TRANSLATE_NOOP("Labels", "Online form"),
    "other": QT_TRANSLATE_NOOP("Labels", "Other"),
}
# What an erasure deletes, table by table (services/erasure.py ERASERS).
_ERASED_TABLES = {
    "customers": QT_TRANSLATE_NOOP("Labels", "The customer's record"),
    "notes": QT_TRANSLATE_NOOP("Labels", "Notes"),
    "profile_values": QT_TRANSLATE_NOOP("Labels", "Profile values"),
    "customer_tags": QT_TRANSLATE_NOOP("Labels", "Tags"),
    "followup_tasks": QT_TRANSLATE_NOOP("Labels", "Follow-up tasks"),
    "survey_responses": QT_TRANSLATE_NOOP("Labels", "Survey answers"),
    "points_ledger": QT_TRANSLATE_NOOP("Labels", "Growth point entries"),
    "level_changes": QT_TRANSLATE_NOOP("Labels", "Membership level history"),
    "invitations": QT_TRANSLATE_NOOP("Labels", "VIP session invitations"),
    "possible_duplicates": QT_TRANSLATE_NOOP("Labels", "Possible duplicate pairs"),
    "appearances": QT_TRANSLATE_NOOP("Labels", "Live appearances"),
    "comment_intents": QT_TRANSLATE_NOOP("Labels", "Live comments' intents"),
    "platform_accounts": QT_TRANSLATE_NOOP("Labels", "Platform accounts"),
}

_TASK_KINDS = {
    "welcome": QT_TRANSLATE_NOOP("Labels", "First-order welcome"),
    "thanks": QT_TRANSLATE_NOOP("Labels", "24 h thank-you"),
    "survey": QT_TRANSLATE_NOOP("Labels", "48 h survey"),
    "callback": QT_TRANSLATE_NOOP("Labels", "Complaint call-back"),
    "wakeup": QT_TRANSLATE_NOOP("Labels", "30-day wake-up"),
    "birthday": QT_TRANSLATE_NOOP("Labels", "Birthday"),
    "replenish": QT_TRANSLATE_NOOP("Labels", "Replenishment"),
    "vip_touch": QT_TRANSLATE_NOOP("Labels", "Weekly VIP touch"),
    "vip_reminder": QT_TRANSLATE_NOOP("Labels", "Private session reminder"),
    "manual": QT_TRANSLATE_NOOP("Labels", "Manual"),
}

_INTENTS = {  # services/feeds/intents.py INTENTS
    "buy": QT_TRANSLATE_NOOP("Labels", "wants to buy"),
    "link": QT_TRANSLATE_NOOP("Labels", "link"),
    "price": QT_TRANSLATE_NOOP("Labels", "price"),
    "size": QT_TRANSLATE_NOOP("Labels", "size"),
    "shade": QT_TRANSLATE_NOOP("Labels", "shade"),
    "suitability": QT_TRANSLATE_NOOP("Labels", "suits me?"),
    "stock": QT_TRANSLATE_NOOP("Labels", "stock"),
    "shipping": QT_TRANSLATE_NOOP("Labels", "shipping"),
    "complaint": QT_TRANSLATE_NOOP("Labels", "complaint"),
}

_SHOW_KINDS = {  # services/room/run_of_show.py KINDS
    "product": QT_TRANSLATE_NOOP("Labels", "Product"),
    "draw": QT_TRANSLATE_NOOP("Labels", "Lucky draw"),
    "flash": QT_TRANSLATE_NOOP("Labels", "Flash deal"),
}


_FAILURES = {  # services/failures.py kinds
    "disk_full": QT_TRANSLATE_NOOP("Labels", "The disk is full: nothing was written. Free some space and try again."),
    "locked": QT_TRANSLATE_NOOP("Labels", "The store is in use by another program (another LiveDesk window or "
                                          "command) and stayed locked: nothing was written. Try again when it is done."),
    "read_only": QT_TRANSLATE_NOOP("Labels", "The folder or the store cannot be written to (read-only, or not "
                                             "yours): nothing was written."),
}


def failure(exc: BaseException) -> str:
    """A failure of the machine (full disk, locked store) in words; anything else as it says."""
    from livedesk.services import failures

    code = failures.kind(exc)
    return _word(_FAILURES, code) if code else str(exc)


def _word(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    source = table.get(code)
    return QCoreApplication.translate("Labels", source) if source else code


def intent(code: str) -> str:
    return _word(_INTENTS, code)


def intents() -> list[tuple[str, str]]:
    return [(code, intent(code)) for code in _INTENTS]


def show_kind(code: str) -> str:
    """A run-of-show line's kind: product, lucky draw (抽奖/福袋) or flash deal (秒杀)."""
    return _word(_SHOW_KINDS, code)


def show_kinds() -> list[tuple[str, str]]:
    return [(code, show_kind(code)) for code in _SHOW_KINDS]


def duration(minutes: int) -> str:
    """Minutes as "1 h 55 min" (or "45 min"), in the UI's language."""
    if minutes < 60:
        return QCoreApplication.translate("Labels", "%1 min").replace("%1", str(minutes))
    if minutes % 60 == 0:
        return QCoreApplication.translate("Labels", "%1 h").replace("%1", str(minutes // 60))
    return (QCoreApplication.translate("Labels", "%1 h %2 min").replace("%1", str(minutes // 60))
            .replace("%2", str(minutes % 60)))


def listing(items) -> str:
    """Words in a row, as the UI's language lists them: "王姐、李姐" / "王姐, 李姐"."""
    # Translators: the separator between items of a list (Chinese uses 、).
    return QCoreApplication.translate("Labels", ", ").join(str(i) for i in items)


def tier(code: str) -> str:
    return _word(_TIERS, code)


def level(code: str) -> str:
    return _word(_LEVELS, code)


def greeting(key: str, level_code: str, nickname: str, *, short: bool = False) -> str:
    """A shipped greeting in the UI's language, with the level named from this same catalogue."""
    full, brief = _GREETINGS.get(key, _GREETINGS["greeting.default"])
    text = QCoreApplication.translate("Labels", brief if short else full)
    return text.replace("%1", level(level_code)).replace("%2", nickname)


def short_greeting(nickname: str) -> str:
    """The shortest greeting, for a shop's own template that does not fit on one line."""
    return QCoreApplication.translate("Labels", _GREETINGS["greeting.default"][1]).replace("%2", nickname)


def platform(code: str) -> str:
    return _word(_PLATFORMS, code)


def order_status(code: str) -> str:
    return _word(_ORDER_STATUSES, code)


def rsvp(code: str) -> str:
    return _word(_RSVP, code)


def consent_channel(code: str) -> str:
    return _word(_CONSENT_CHANNELS, code)


def consent_channels() -> list[tuple[str, str]]:
    return [(code, consent_channel(code)) for code in _CONSENT_CHANNELS]


def erased_table(code: str) -> str:
    return _word(_ERASED_TABLES, code)


def task_kind(code: str) -> str:
    return _word(_TASK_KINDS, code)


def task_kinds() -> list[tuple[str, str]]:
    return [(code, task_kind(code)) for code in _TASK_KINDS]


def import_field(code: str) -> str:
    return _word(_IMPORT_FIELDS, code)


def segment(code: str | None) -> str:
    return _word(_SEGMENTS, code)


def tiers() -> list[tuple[str, str]]:
    """(code, words) for every tier, in the playbook's order: for filters and settings."""
    return [(code, tier(code)) for code in _TIERS]


def levels() -> list[tuple[str, str]]:
    return [(code, level(code)) for code in _LEVELS]


TIER_COLORS = {
    "vip": "#d4a017",
    "potential": "#2e8b57",
    "new": "#1e88e5",
    "dormant": "#8d6e63",
    "lost": "#9e9e9e",
    "prospect": "#b0bec5",
}
LEVEL_COLORS = {"gold": "#e0a800", "silver": "#90a4ae", "none": "#cfd8dc"}


def money(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def tell_apart(found, zone) -> str:
    """What tells look-alikes apart (``lookup.Distinguisher``): handle, phone tail, city, last order.

    Eight customers called 清风徐来ya are eight people: a list of them needs more than the name.
    """
    parts = []  # shortest and most telling first: a narrow list cuts the end
    if found.phone_tail:
        parts.append(QCoreApplication.translate("Labels", "phone …%1").replace("%1", found.phone_tail))
    if found.city:
        parts.append(found.city)
    if found.last_order_at:
        parts.append(QCoreApplication.translate("Labels", "last order %1").replace(
            "%1", found.last_order_at.astimezone(zone).strftime("%Y-%m-%d")))
    else:
        parts.append(QCoreApplication.translate("Labels", "no order yet"))
    if found.handle:
        parts.append(f"@{found.handle}")
    return " · ".join(parts)


# The shipped templates' names (services/templates.DEFAULT_TEMPLATES), in the UI's language;
# a name the shop wrote itself is shown as written.
_TEMPLATE_NAMES = {
    "greeting.gold": QT_TRANSLATE_NOOP("Labels", "Gold Diamond member arrives"),
    "greeting.silver": QT_TRANSLATE_NOOP("Labels", "Silver Diamond member arrives"),
    "greeting.vip": QT_TRANSLATE_NOOP("Labels", "VIP arrives"),
    "greeting.new": QT_TRANSLATE_NOOP("Labels", "New buyer arrives"),
    "greeting.default": QT_TRANSLATE_NOOP("Labels", "Default welcome"),
    "followup.welcome": QT_TRANSLATE_NOOP("Labels", "First-order welcome"),
    "followup.thanks": QT_TRANSLATE_NOOP("Labels", "24-hour thank-you"),
    "followup.survey": QT_TRANSLATE_NOOP("Labels", "Satisfaction survey"),
    "followup.callback": QT_TRANSLATE_NOOP("Labels", "Complaint call-back"),
    "followup.wakeup": QT_TRANSLATE_NOOP("Labels", "Wake-up"),
    "followup.birthday": QT_TRANSLATE_NOOP("Labels", "Birthday greeting"),
    "followup.replenish": QT_TRANSLATE_NOOP("Labels", "Replenishment reminder"),
    "followup.vip_touch": QT_TRANSLATE_NOOP("Labels", "Weekly VIP touch"),
    "followup.manual": QT_TRANSLATE_NOOP("Labels", "Manual follow-up"),
    "invitation.vip_session": QT_TRANSLATE_NOOP("Labels", "Private session invitation"),
}
# What each placeholder stands for (the placeholder itself is the template's syntax and stays).
_PLACEHOLDER_MEANINGS = {  # by code: {称呼} and {name} mean the same (services/shop_words.py)
    "name": QT_TRANSLATE_NOOP("Labels", "The customer's nickname"),
    "level": QT_TRANSLATE_NOOP("Labels", "Membership level, e.g. Gold Diamond member"),
    "last_product": QT_TRANSLATE_NOOP("Labels", "The product they bought last"),
    "product": QT_TRANSLATE_NOOP("Labels", "The task's product (replenishment); else the product bought last"),
    "coupon": QT_TRANSLATE_NOOP("Labels", "The coupon of the task or of the rule in settings"),
    "birthday": QT_TRANSLATE_NOOP("Labels", "Birthday, e.g. 8 March"),
    "shop": QT_TRANSLATE_NOOP("Labels", "The shop's name"),
    "assistant": QT_TRANSLATE_NOOP("Labels", "The customer's dedicated assistant"),
    "session": QT_TRANSLATE_NOOP("Labels", "The private session's title (invitation)"),
    "time": QT_TRANSLATE_NOOP("Labels", "When the private session starts (invitation)"),
}
# Why a word is flagged, per category of the shipped Advertising Law list.
_COMPLIANCE_REASONS = {
    "superlative": QT_TRANSLATE_NOOP("Labels", "A 最-type absolute term, forbidden by Advertising Law art. 9(3)"),
    "ranking": QT_TRANSLATE_NOOP("Labels", "A ranking term (第一, 唯一, 首…), forbidden by Advertising Law art. 9(3)"),
    "grade": QT_TRANSLATE_NOOP("Labels", "A grade term (级, 极, 顶…), forbidden by Advertising Law art. 9(3); "
                                         "national standard grades excepted"),
    "absolute": QT_TRANSLATE_NOOP("Labels", "An absolute promise or exaggeration, forbidden by Advertising Law "
                                            "arts. 4 and 9"),
    "authority": QT_TRANSLATE_NOOP("Labels", "Uses the name of state bodies, leaders or well-known marks, "
                                             "forbidden by Advertising Law art. 9(2) and Trademark Law art. 14"),
    "medical": QT_TRANSLATE_NOOP("Labels", "A medical term or a claim to treat illness: only medicines and medical "
                                           "devices may say so (Advertising Law art. 17)"),
    "efficacy": QT_TRANSLATE_NOOP("Labels", "An efficacy claim (whitening, spot removal, anti hair loss…) that "
                                            "ordinary cosmetics and foods may not make"),
    "safety": QT_TRANSLATE_NOOP("Labels", "A safety guarantee or a claim for pregnant women, nursing mothers or "
                                          "babies: ads may not guarantee safety, and a host cannot vouch for it"),
    "shop": QT_TRANSLATE_NOOP("Labels", "A word the shop does not allow"),
}


def template_name(key: str, name: str) -> str:
    """A template's name in the UI's language when it is the shipped one, else as the shop wrote it."""
    from livedesk.services.shop_words import shipped_template

    return _word(_TEMPLATE_NAMES, key) if key in _TEMPLATE_NAMES and shipped_template(key, name=name) else name


def placeholder_meaning(name: str) -> str:
    from livedesk.services.templates import PLACEHOLDERS

    code = PLACEHOLDERS.get(name)
    return _word(_PLACEHOLDER_MEANINGS, code) if code in _PLACEHOLDER_MEANINGS else name


def compliance_reason(category: str, reason: str) -> str:
    """The shipped list's reason in the UI's language; the shop's own reason as it wrote it."""
    from livedesk.services import compliance

    spec = compliance.wordlist()["categories"].get(category)
    shipped = spec["reason"] if spec else compliance.SHOP_REASON if category == compliance.SHOP_CATEGORY else None
    return _word(_COMPLIANCE_REASONS, category) if reason == shipped and category in _COMPLIANCE_REASONS else reason
