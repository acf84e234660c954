"""The question queue: what viewers ask now (size, shade, suitability, price, shipping), who asks,
their tier and their sizes / skin type, so the host can answer "王姐 160/50 穿 M".

A section for the host panel (dark, large) and the console (plain), both reading the
feed controller's ``RoomIntents`` and redrawn only when it changed (``room_changed``).
The host panel takes it through ``HostPanel.add_section``: its layout stays its own.
Known askers show their nickname; new viewers' nicknames are theirs to show on air,
and nothing private (real name, phone) is read here.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from livedesk.services.room.questions import Question
from livedesk.ui import labels
from livedesk.ui.feed_controller import FeedController

QUESTION_ROLE = Qt.ItemDataRole.UserRole + 3
HOST_STYLE = """
QLabel#title { color: #9aa0a6; font-size: 16px; }
QLabel#now { color: #ffd166; font-size: 20px; font-weight: 600; }
QListView { background: #15181d; color: #e8eaed; border: none; font-size: 18px; border-radius: 8px; }
QListView::item { padding: 4px 10px; }
"""


class QuestionsModel(QAbstractListModel):
    def __init__(self, feeds: FeedController, parent: QObject | None = None, *, rows: int = 20) -> None:
        super().__init__(parent)
        self.feeds = feeds
        self.rows = rows
        self.questions: list[Question] = []
        feeds.room_changed.connect(self.refresh)

    def refresh(self) -> None:
        self.beginResetModel()
        self.questions = list(self.feeds.room.questions)[: self.rows]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.questions)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        q = self.questions[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            asker = q.asker
            parts = [asker.nickname]
            if asker.customer_id is not None:
                parts.append(labels.tier(asker.tier or ""))
                if profile := self.feeds.profiles.get(asker.customer_id):
                    parts.append(profile)
            else:
                parts.append(self.tr("new viewer"))
            asked = "/".join(labels.intent(i) for i in q.intents)
            return " · ".join(parts) + f"  【{asked}】 {q.text}"
        if role == Qt.ItemDataRole.ForegroundRole and q.asker.vip:
            return QColor("#d4a017")
        if role == QUESTION_ROLE:
            return q
        return None


class QuestionsSection(QWidget):
    """The queue with, above it, the run-of-show item on air and its most asked questions."""

    def __init__(self, feeds: FeedController, parent: QWidget | None = None, *, host: bool = False,
                 rows: int = 20) -> None:
        super().__init__(parent)
        self.feeds = feeds
        self.model = QuestionsModel(feeds, self, rows=rows)
        self.title = QLabel(self.tr("Questions (double-click when answered)"), self)
        self.title.setObjectName("title")
        self.now = QLabel(self)
        self.now.setObjectName("now")
        self.now.setWordWrap(True)
        self.summary = QLabel(self)
        self.summary.setObjectName("title")
        self.summary.setWordWrap(True)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.doubleClicked.connect(self._answered)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.now)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)
        self.host = host  # on the console the run-of-show bar already says what is on air
        if host:
            self.setStyleSheet(HOST_STYLE)
            self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        feeds.room_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        room = self.feeds.room
        item = self.feeds.on_air
        if item is None or not self.host:
            self.now.setText("")
            self.now.hide()
        else:
            top = labels.listing(f"{labels.intent(i)} {n}" for i, n in room.top_questions(item.position))
            text = self.tr("Now: %1 %2").replace("%1", str(item.position)).replace("%2", item.title)
            if top:
                text += "  —  " + self.tr("asked: %1").replace("%1", top)
            self.now.setText(text)
            self.now.show()
        buyers = room.known_buyers().get(room.segment, 0)
        waiting = sorted(room.waitlist.values(), key=lambda w: w.first_at)
        self.summary.setToolTip("\n".join(f"{w.asker.nickname}: {w.text}" for w in waiting[:30]))
        self.summary.setText(self.tr("Known customers who want this: %1 · restock waitlist: %2")
                             .replace("%1", str(buyers)).replace("%2", str(len(room.waitlist))))

    def _answered(self, index: QModelIndex) -> None:
        question = index.data(QUESTION_ROLE)
        if question is not None:
            self.feeds.room.dismiss(question)
            self.feeds.room_changed.emit()
