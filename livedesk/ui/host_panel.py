"""The host's side panel: a calm, dark, always-on-top window read from two metres away.

It only shows what a filmed screen may show (PanelCardView gets masked data), and
there is no control here that unmasks anything. The card comes first; below it the
"just arrived" queue, rows numbered 1–6 (the keys that bring one up) with how long ago
each arrived, as many rows as fit under the card's essentials. A text-size setting
(right-click, or Ctrl+plus / Ctrl+minus) suits a monitor or a TV further away.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QFont, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QFrame, QLabel, QListView, QMenu, QVBoxLayout, QWidget

from livedesk.services.panel import PanelCard
from livedesk.ui.feed_controller import ARRIVAL_ROLE, CUSTOMER_ROLE
from livedesk.ui.panel_card_view import PanelCardView

QUEUE_ROWS = 6
QUEUE_PX = 22
TEXT_SCALES = (1.0, 1.25, 1.5)  # standard, large, extra large (a TV across the room)
AGE_REFRESH_MS = 15_000

QUEUE_STYLE = """
QListView { background: #15181d; color: #e8eaed; border: none; border-radius: 8px; }
QListView::item { padding: 4px 10px; }
QListView::item:selected { background: #2d3545; }
"""


class KnownArrivals(QSortFilterProxyModel):
    """The host sees known customers only (new and uncertain viewers are the assistant's
    job), each row numbered for its key and followed by how long ago they arrived."""

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        arrival = self.sourceModel().index(row, 0, parent).data(ARRIVAL_ROLE)
        return arrival is not None and arrival.customer is not None and arrival.certain

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = super().data(index, role)
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return value
        arrival = index.data(ARRIVAL_ROLE)
        number = f"{index.row() + 1}  " if index.row() < QUEUE_ROWS else "    "
        return f"{number}{value}  ·  {self.age(time.perf_counter() - arrival.at)}"

    def age(self, seconds: float) -> str:
        minutes = int(seconds // 60)
        return self.tr("just now") if minutes < 1 else self.tr("%n min ago", "", minutes)

    def refresh_ages(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0),
                                  [Qt.ItemDataRole.DisplayRole])


class HostPanel(QWidget):
    bring_up = Signal(int)  # a customer from the queue, to show on the card

    def __init__(self, arrivals: QAbstractItemModel | None = None, parent: QWidget | None = None, *,
                 remember_state: bool = True) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._remember_state = remember_state
        self.setWindowTitle(self.tr("LiveDesk host panel"))
        self.setStyleSheet("HostPanel { background: #0f1115; }")
        self.setMinimumWidth(420)
        self.scale = 1.0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        self.card_view = PanelCardView(self)
        layout.addWidget(self.card_view, 1)
        self.queue: QListView | None = None
        self.queue_title: QLabel | None = None
        if arrivals is not None:
            self.queue_title = QLabel(self)
            self.queue_title.setStyleSheet("color: #c0c4c9;")
            self.queue = QListView(self)
            self.known_arrivals = KnownArrivals(self)
            self.known_arrivals.setSourceModel(arrivals)
            self.queue.setModel(self.known_arrivals)
            self.queue.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.queue.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.queue.setFrameShape(QFrame.Shape.NoFrame)
            self.queue.setUniformItemSizes(True)
            self.queue.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keep the number and the age
            self.queue.setStyleSheet(QUEUE_STYLE)
            self.queue.clicked.connect(self._queue_clicked)
            for signal in (self.known_arrivals.modelReset, self.known_arrivals.rowsInserted,
                           self.known_arrivals.rowsRemoved):
                signal.connect(self._fit_queue)
            self._ages = QTimer(self, interval=AGE_REFRESH_MS, timeout=self.known_arrivals.refresh_ages)
            self._ages.start()
            layout.addWidget(self.queue_title)
            layout.addWidget(self.queue)
            for n in range(1, QUEUE_ROWS + 1):
                QShortcut(QKeySequence(str(n)), self, activated=lambda row=n - 1: self.bring_up_row(row))

        self._on_top = QAction(self.tr("Always on top"), self, checkable=True)
        self._on_top.toggled.connect(self.set_always_on_top)
        self._sizes = QActionGroup(self)
        for scale, words in zip(TEXT_SCALES, (self.tr("Standard text"), self.tr("Large text"),
                                              self.tr("Extra large text (TV)"))):
            action = QAction(words, self._sizes, checkable=True)
            action.setData(scale)
            action.triggered.connect(lambda _checked=False, s=scale: self.set_text_scale(s))
        QShortcut(QKeySequence(QKeySequence.StandardKey.ZoomIn), self, activated=lambda: self._step_scale(1))
        QShortcut(QKeySequence(QKeySequence.StandardKey.ZoomOut), self, activated=lambda: self._step_scale(-1))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self._restore_geometry()

    # -- content ------------------------------------------------------------------
    def show_card(self, card: PanelCard) -> None:
        self.card_view.show_card(card)
        self._fit_queue()

    def forget(self, customer_id: int) -> None:
        """An erased customer's card leaves the panel."""
        if self.card_view.card is not None and self.card_view.card.customer_id == customer_id:
            self.show_waiting()

    def show_waiting(self) -> None:
        self.card_view.show_waiting(self.tr("Waiting for viewers…"))
        self._fit_queue()

    def shown_customer(self) -> int | None:
        return self.card_view.card.customer_id if self.card_view.card is not None else None

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

    # -- text size and fit ----------------------------------------------------------
    def set_text_scale(self, scale: float) -> None:
        self.scale = scale
        for action in self._sizes.actions():
            action.setChecked(action.data() == scale)
        if self._remember_state:
            QSettings().setValue("host_panel/text_scale", scale)
        self.card_view.set_scale(scale)
        if self.queue is not None:
            font = QFont()
            font.setPixelSize(round(QUEUE_PX * scale))
            self.queue.setFont(font)
            title = QFont()
            title.setPixelSize(round(18 * scale))
            self.queue_title.setFont(title)
        self._fit_queue()

    def _step_scale(self, step: int) -> None:
        now = TEXT_SCALES.index(self.scale) if self.scale in TEXT_SCALES else 0
        self.set_text_scale(TEXT_SCALES[max(0, min(len(TEXT_SCALES) - 1, now + step))])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_queue()

    def _fit_queue(self) -> None:
        """As many queue rows as fit under the card's essentials (at most six); none when
        even one does not fit: the card's optional sections give way first."""
        if self.queue is None:
            return
        rows = min(QUEUE_ROWS, self.known_arrivals.rowCount())
        self.queue_title.setText(self.tr("Just arrived: press 1–6") if rows
                                 else self.tr("Just arrived: nobody yet"))
        row_height = self.queue.sizeHintForRow(0) if rows else 0
        if row_height <= 0:
            row_height = self.queue.fontMetrics().height() + 12
        margins = self.layout().contentsMargins()
        spacing = self.layout().spacing()
        free = (self.height() - margins.top() - margins.bottom() - self.card_view.minimumSizeHint().height()
                - self.queue_title.sizeHint().height() - 2 * spacing)
        fit = max(0, min(rows, (free - 4) // row_height))
        self.queue_title.setVisible(free >= 0)
        self.queue.setVisible(fit > 0)
        self.queue.setFixedHeight(fit * row_height + 4)
        self.layout().activate()  # the card gets its new height now, not on the next event loop turn

    # -- window ---------------------------------------------------------------------
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
        menu.addSeparator()
        for action in self._sizes.actions():
            menu.addAction(action)
        menu.exec(self.mapToGlobal(pos))

    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("host_panel/geometry") if self._remember_state else None
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(480, 720)
        self._on_top.setChecked(settings.value("host_panel/on_top", True, type=bool))
        scale = settings.value("host_panel/text_scale", 1.0, type=float) if self._remember_state else 1.0
        self.set_text_scale(scale if scale in TEXT_SCALES else 1.0)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._remember_state:
            QSettings().setValue("host_panel/geometry", self.saveGeometry())
        super().closeEvent(event)
