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


def _word(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    source = table.get(code)
    return QCoreApplication.translate("Labels", source) if source else code


def intent(code: str) -> str:
    return _word(_INTENTS, code)


def intents() -> list[tuple[str, str]]:
    return [(code, intent(code)) for code in _INTENTS]


def tier(code: str) -> str:
    return _word(_TIERS, code)


def level(code: str) -> str:
    return _word(_LEVELS, code)


def platform(code: str) -> str:
    return _word(_PLATFORMS, code)


def order_status(code: str) -> str:
    return _word(_ORDER_STATUSES, code)


def rsvp(code: str) -> str:
    return _word(_RSVP, code)


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
