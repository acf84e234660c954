"""The host's side panel: a calm, dark, always-on-top window read from 1.5 m away.

It only shows what a filmed screen may show: names and phones arrive already masked
(services/panel.py), and there is no control here that unmasks them.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QFrame, QLabel, QMenu, QVBoxLayout, QWidget

from livedesk.services.panel import Alert, PanelCard
from livedesk.ui import labels

STYLE = """
QWidget#HostPanel { background: #15181d; }
QLabel { color: #e8eaed; }
QLabel#Greeting { font-size: 30px; font-weight: 600; color: #ffffff; }
QLabel#Badges { font-size: 22px; }
QLabel#Section { font-size: 16px; color: #9aa0a6; margin-top: 12px; }
QLabel#Body { font-size: 22px; }
QLabel#Alert { font-size: 22px; font-weight: 600; color: #ffffff; background: #c62828;
               border-radius: 6px; padding: 6px 10px; }
QLabel#Waiting { font-size: 26px; color: #9aa0a6; }
"""


class HostPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("HostPanel")
        self.setWindowTitle(self.tr("LiveDesk host panel"))
        self.setStyleSheet(STYLE)
        self.setMinimumWidth(420)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(24, 24, 24, 24)
        self._layout.setSpacing(8)
        self._content = QFrame(self)
        self._content_layout = QVBoxLayout(self._content)
        self._content_layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self._content)
        self._layout.addStretch(1)

        self._on_top = QAction(self.tr("Always on top"), self, checkable=True)
        self._on_top.toggled.connect(self.set_always_on_top)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)

        self._restore_geometry()
        self.show_waiting()

    # -- what is shown -------------------------------------------------
    def show_waiting(self) -> None:
        self._clear()
        self._add(self.tr("Waiting for viewers…"), "Waiting")

    def show_card(self, card: PanelCard) -> None:
        self._clear()
        self._add(card.greeting(labels.level(card.level)), "Greeting")
        badges = f"<span style='color:{labels.TIER_COLORS.get(card.tier, '#fff')}'>● {labels.tier(card.tier)}</span>"
        if card.level != "none":
            badges += f"&nbsp;&nbsp;<span style='color:{labels.LEVEL_COLORS.get(card.level)}'>◆ {labels.level(card.level)}</span>"
        self._add(badges, "Badges")
        who = " · ".join(x for x in (card.masked_name, card.masked_phone) if x)
        if who:
            self._add(who, "Body")
        for alert in card.alerts:
            self._add(self._alert_text(alert), "Alert")
        if card.purchases:
            self._add(self.tr("Bought recently"), "Section")
            for p in card.purchases[:3]:
                self._add(f"{p.product_name}  <span style='color:#9aa0a6'>{p.ordered_at.astimezone():%m-%d}</span>", "Body")
        if card.profile:
            self._add(self.tr("Profile"), "Section")
            self._add("<br>".join(f"{k}: {v}" for k, v in card.profile[:5]), "Body")
        if card.pinned_notes:
            self._add(self.tr("Pinned notes"), "Section")
            for note in card.pinned_notes[:3]:
                self._add(f"📌 {note}", "Body")

    def _alert_text(self, alert: Alert) -> str:
        if alert.kind == "birthday":
            days = int(alert.text)
            return self.tr("Birthday today!") if days == 0 else self.tr("Birthday in %n day(s)", "", days)
        if alert.kind == "complaint":
            return self.tr("Open complaint: %1").replace("%1", alert.text)
        if alert.kind == "replenish":
            return self.tr("Running out now: %1").replace("%1", alert.text)
        return alert.text

    def _add(self, text: str, role: str) -> QLabel:
        label = QLabel(text, self._content)
        label.setObjectName(role)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText if "<" in text else Qt.TextFormat.PlainText)
        self._content_layout.addWidget(label)
        return label

    def _clear(self) -> None:
        while (item := self._content_layout.takeAt(0)) is not None:
            if item.widget() is not None:
                item.widget().deleteLater()

    # -- window behaviour ----------------------------------------------
    def set_always_on_top(self, on: bool) -> None:
        visible = self.isVisible()
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, on)
        QSettings().setValue("host_panel/on_top", on)
        if visible:
            self.show()  # changing window flags hides the window

    def _menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addAction(self._on_top)
        menu.exec(self.mapToGlobal(pos))

    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("host_panel/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(480, 760)
        self._on_top.setChecked(settings.value("host_panel/on_top", True, type=bool))

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue("host_panel/geometry", self.saveGeometry())
        super().closeEvent(event)
