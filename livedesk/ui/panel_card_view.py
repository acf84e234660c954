"""Renders a PanelCard the way the host sees it; the console shows the same view, smaller.

Names and phones arrive masked from services/panel.py; nothing here can unmask them.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from livedesk.services.panel import Alert, PanelCard
from livedesk.ui import labels

LEVEL_NEWS_DAYS = 30

STYLE = """
QWidget#PanelCardView {{ background: #15181d; border-radius: 8px; }}
QLabel {{ color: #e8eaed; }}
QLabel#Greeting {{ font-size: {big}px; font-weight: 600; color: #ffffff; }}
QLabel#Badges {{ font-size: {mid}px; }}
QLabel#Section {{ font-size: {small}px; color: #9aa0a6; margin-top: {gap}px; }}
QLabel#Body {{ font-size: {mid}px; }}
QLabel#Alert {{ font-size: {mid}px; font-weight: 600; color: #ffffff; background: #c62828;
               border-radius: 6px; padding: 4px 10px; }}
QLabel#Waiting {{ font-size: {big}px; color: #9aa0a6; }}
"""


class PanelCardView(QWidget):
    def __init__(self, parent: QWidget | None = None, *, scale: float = 1.0) -> None:
        super().__init__(parent)
        self.setObjectName("PanelCardView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(STYLE.format(big=round(30 * scale), mid=round(22 * scale), small=round(16 * scale),
                                        gap=round(12 * scale)))
        self._layout = QVBoxLayout(self)
        margin = round(20 * scale)
        self._layout.setContentsMargins(margin, margin, margin, margin)
        self._layout.setSpacing(round(8 * scale))
        self._layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.card: PanelCard | None = None
        self.show_waiting(self.tr("Waiting for viewers…"))

    def show_waiting(self, text: str) -> None:
        self.card = None
        self._clear()
        self._add(text, "Waiting")

    def show_card(self, card: PanelCard) -> None:
        self.card = card
        self._clear()
        self._add(card.greeting(labels.level(card.level)), "Greeting")
        badges = f"<span style='color:{labels.TIER_COLORS.get(card.tier, '#fff')}'>● {labels.tier(card.tier)}</span>"
        if card.level != "none":
            badges += (f"&nbsp;&nbsp;<span style='color:{labels.LEVEL_COLORS.get(card.level)}'>"
                       f"◆ {labels.level(card.level)}</span>")
        self._add(badges, "Badges")
        if card.level != "none" and card.level_since is not None:
            days = (datetime.now(timezone.utc) - card.level_since).days
            if 0 <= days <= LEVEL_NEWS_DAYS:  # a recent upgrade is worth a word on air
                news = (self.tr("Became %1 today") if days == 0
                        else self.tr("Became %1 %n day(s) ago", "", days)).replace("%1", labels.level(card.level))
                self._add(news, "Section")
        who = " · ".join(x for x in (card.masked_name, card.masked_phone) if x)
        if who:
            self._add(who, "Body")
        for alert in card.alerts:
            self._add(self._alert_text(alert), "Alert")
        if card.purchases:
            self._add(self.tr("Bought recently"), "Section")
            for p in card.purchases[:3]:
                when = p.ordered_at.astimezone().strftime("%m-%d")
                self._add(f"{p.product_name}  <span style='color:#9aa0a6'>{when}</span>", "Body")
        if card.profile:
            self._add(self.tr("Profile"), "Section")
            self._add("<br>".join(f"{k}: {v}" for k, v in card.profile[:5]), "Body")
        if card.pinned_notes:
            self._add(self.tr("Pinned notes"), "Section")
            for note in card.pinned_notes[:3]:
                self._add(f"• {note}", "Body")  # no emoji: many systems lack an emoji font

    def _alert_text(self, alert: Alert) -> str:
        if alert.kind == "birthday":
            days = int(alert.text)
            return self.tr("Birthday today!") if days == 0 else self.tr("Birthday in %n day(s)", "", days)
        if alert.kind == "complaint":
            return self.tr("Open complaint: %1").replace("%1", alert.text)
        if alert.kind == "replenish":
            return self.tr("Running out now: %1").replace("%1", alert.text)
        if alert.kind == "not_greeted":
            return self.tr("VIP not greeted yet this stream")
        return alert.text

    def _add(self, text: str, role: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName(role)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText if "<" in text else Qt.TextFormat.PlainText)
        self._layout.addWidget(label)
        return label

    def _clear(self) -> None:
        while (item := self._layout.takeAt(0)) is not None:
            if item.widget() is not None:
                item.widget().deleteLater()
