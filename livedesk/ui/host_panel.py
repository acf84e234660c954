"""The host's side panel: a calm, dark, always-on-top window read from 1.5 m away.

It only shows what a filmed screen may show (PanelCardView gets masked data), and
there is no control here that unmasks anything.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QSettings, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QListView, QMenu, QVBoxLayout, QWidget

from livedesk.services.panel import PanelCard
from livedesk.ui.feed_controller import ARRIVAL_ROLE, CUSTOMER_ROLE
from livedesk.ui.panel_card_view import PanelCardView

QUEUE_ROWS = 6

QUEUE_STYLE = """
QListView { background: #15181d; color: #e8eaed; border: none; font-size: 20px; border-radius: 8px; }
QListView::item { padding: 6px 10px; }
QListView::item:selected { background: #2d3545; }
"""


class KnownArrivals(QSortFilterProxyModel):
    """The host sees known customers only; new and uncertain viewers are the assistant's job."""

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        arrival = self.sourceModel().index(row, 0, parent).data(ARRIVAL_ROLE)
        return arrival is not None and arrival.customer is not None and arrival.certain


class HostPanel(QWidget):
    bring_up = Signal(int)  # a customer from the queue, to show on the card

    def __init__(self, arrivals: QAbstractItemModel | None = None, parent: QWidget | None = None, *,
                 remember_state: bool = True) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._remember_state = remember_state
        self.setWindowTitle(self.tr("LiveDesk host panel"))
        self.setStyleSheet("HostPanel { background: #0f1115; }")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        self.card_view = PanelCardView(self)
        layout.addWidget(self.card_view, 1)
        self.queue: QListView | None = None
        if arrivals is not None:
            title = QLabel(self.tr("Just arrived (click or press 1–6)"), self)
            title.setStyleSheet("color: #9aa0a6; font-size: 16px;")
            self.queue = QListView(self)
            self.known_arrivals = KnownArrivals(self)
            self.known_arrivals.setSourceModel(arrivals)
            self.queue.setModel(self.known_arrivals)
            self.queue.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.queue.setTextElideMode(Qt.TextElideMode.ElideRight)
            self.queue.setStyleSheet(QUEUE_STYLE)
            self.queue.setFixedHeight(QUEUE_ROWS * 42)
            self.queue.clicked.connect(self._queue_clicked)
            layout.addWidget(title)
            layout.addWidget(self.queue)
            for n in range(1, QUEUE_ROWS + 1):
                QShortcut(QKeySequence(str(n)), self, activated=lambda row=n - 1: self.bring_up_row(row))

        self._on_top = QAction(self.tr("Always on top"), self, checkable=True)
        self._on_top.toggled.connect(self.set_always_on_top)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self._restore_geometry()

    def add_section(self, widget: QWidget, stretch: int = 0) -> None:
        """Another module's section under the card (the question queue: ui/room_questions.py)."""
        widget.setParent(self)
        self.layout().insertWidget(1, widget, stretch)

    def show_card(self, card: PanelCard) -> None:
        self.card_view.show_card(card)

    def show_waiting(self) -> None:
        self.card_view.show_waiting(self.tr("Waiting for viewers…"))

    def bring_up_row(self, row: int) -> None:
        if self.queue is not None:
            self._queue_clicked(self.queue.model().index(row, 0))

    def _queue_clicked(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        arrival = index.data(ARRIVAL_ROLE)
        customer_id = index.data(CUSTOMER_ROLE)
        if customer_id is not None and arrival.certain:
            self.bring_up.emit(customer_id)

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
