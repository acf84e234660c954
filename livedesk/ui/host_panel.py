"""The host's side panel: a calm, dark, always-on-top window read from 1.5 m away.

It only shows what a filmed screen may show (PanelCardView gets masked data), and
there is no control here that unmasks anything.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from livedesk.services.panel import PanelCard
from livedesk.ui.panel_card_view import PanelCardView


class HostPanel(QWidget):
    def __init__(self, parent: QWidget | None = None, *, remember_state: bool = True) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._remember_state = remember_state
        self.setWindowTitle(self.tr("LiveDesk host panel"))
        self.setStyleSheet("HostPanel { background: #0f1115; }")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        self.card_view = PanelCardView(self)
        layout.addWidget(self.card_view, 1)

        self._on_top = QAction(self.tr("Always on top"), self, checkable=True)
        self._on_top.toggled.connect(self.set_always_on_top)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self._restore_geometry()

    def show_card(self, card: PanelCard) -> None:
        self.card_view.show_card(card)

    def show_waiting(self) -> None:
        self.card_view.show_waiting(self.tr("Waiting for viewers…"))

    def set_always_on_top(self, on: bool) -> None:
        visible = self.isVisible()
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, on)
        if self._remember_state:
            QSettings().setValue("host_panel/on_top", on)
        if visible:
            self.show()  # changing window flags hides the window

    def _menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addAction(self._on_top)
        menu.exec(self.mapToGlobal(pos))

    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("host_panel/geometry") if self._remember_state else None
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(480, 760)
        self._on_top.setChecked(settings.value("host_panel/on_top", True, type=bool))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._remember_state:
            QSettings().setValue("host_panel/geometry", self.saveGeometry())
        super().closeEvent(event)
