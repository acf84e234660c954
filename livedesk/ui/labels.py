"""Words for the codes services return (tiers, levels, platforms, statuses), translated.

Services speak in codes; this is the one place the UI turns them into text.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def _t(text: str) -> str:
    return QCoreApplication.translate("Labels", text)


def tier(code: str) -> str:
    return {
        "vip": _t("High-value VIP"),
        "potential": _t("Potential active"),
        "new": _t("New buyer"),
        "dormant": _t("Dormant"),
        "lost": _t("Lost"),
        "prospect": _t("Not yet bought"),
    }.get(code, code)


def level(code: str) -> str:
    return {"none": _t("Member"), "silver": _t("Silver Diamond"), "gold": _t("Gold Diamond")}.get(code, code)


def platform(code: str) -> str:
    return {
        "douyin": _t("Douyin"),
        "taobao": _t("Taobao"),
        "kuaishou": _t("Kuaishou"),
        "channels": _t("WeChat Channels"),
        "tiktok": _t("TikTok Shop"),
        "shopify": _t("Shopify"),
    }.get(code, code)


def order_status(code: str) -> str:
    return {
        "pending": _t("Pending"),
        "paid": _t("Paid"),
        "completed": _t("Completed"),
        "cancelled": _t("Cancelled"),
        "refunded": _t("Refunded"),
    }.get(code, code)


def segment(code: str | None) -> str:
    if not code:
        return ""
    return {
        "champions": _t("Champions"),
        "loyal": _t("Loyal"),
        "potential_loyalist": _t("Potential loyalist"),
        "new": _t("New customer"),
        "promising": _t("Promising"),
        "need_attention": _t("Needs attention"),
        "at_risk": _t("At risk"),
        "cant_lose": _t("Can't lose them"),
        "hibernating": _t("Hibernating"),
        "lost": _t("Lost"),
    }.get(code, code)


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
