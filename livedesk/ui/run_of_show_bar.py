"""The console's run-of-show (排品) bar: what is on air, "now: next item" with one key (F8), and
the editor (ui/run_of_show_editor.py) to plan products, lucky draws and flash deals.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from livedesk.services.room import run_of_show
from livedesk.services.room.run_of_show import ItemView
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.feed_controller import FeedController
from livedesk.ui.run_of_show_editor import RunOfShowDialog


class RunOfShowBar(QWidget):
    def __init__(self, ctx: AppContext, feeds: FeedController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.feeds = feeds
        self.broadcast_id: int | None = None
        self.items: list[ItemView] = []
        self.drafted = 0  # lines planned for the next broadcast (none on air now)
        self.label = QLabel(self.tr("No run-of-show"), self)
        self.plan_button = QPushButton(self.tr("Run-of-show…"), self)
        self.plan_button.clicked.connect(self.edit_plan)
        self.next_button = QPushButton(self.tr("Next item (F8)"), self)
        self.next_button.clicked.connect(self.next_item)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.plan_button)
        row.addWidget(self.next_button)
        QShortcut(QKeySequence("F8"), self, activated=self.next_item)
        self.set_broadcast(None)

    def set_broadcast(self, broadcast_id: int | None) -> None:
        """Show this broadcast's run-of-show; one that has none takes the plan made for the next broadcast."""
        self.broadcast_id = broadcast_id
        self.items, self.drafted = [], 0
        if broadcast_id is not None:
            with self.ctx.store.read() as session:
                self.items = run_of_show.items(session, broadcast_id)
                waiting = not self.items and bool(run_of_show.draft(session))
            if waiting:
                with self.ctx.store.write() as session:
                    self.items = run_of_show.adopt_draft(session, broadcast_id)
        else:
            with self.ctx.store.read() as session:
                self.drafted = len(run_of_show.draft(session))
        on_air = next((i for i in self.items if i.started_at and not i.ended_at), None)
        self.feeds.set_on_air(on_air)
        self.next_button.setEnabled(bool(self.items))
        self._show()

    def _show(self) -> None:
        item = self.feeds.on_air
        if self.broadcast_id is None:
            self.label.setText(self.tr("Next broadcast: %n item(s) planned", "", self.drafted) if self.drafted
                               else self.tr("No run-of-show: plan the next broadcast with Run-of-show…"))
        elif not self.items:
            self.label.setText(self.tr("No run-of-show"))
        elif item is None:
            self.label.setText(self.tr("%n item(s) planned; F8 marks the first on air", "", len(self.items)))
        else:
            self.label.setText(self.tr("Now: %1 %2 (%3 of %4)").replace("%1", str(item.position))
                               .replace("%2", f"{labels.show_kind(item.kind)} · {item.title}")
                               .replace("%3", str(item.position)).replace("%4", str(len(self.items))))

    def next_item(self) -> None:
        if self.broadcast_id is None or not self.items:
            return
        current = self.feeds.on_air
        position = 1 if current is None else current.position + 1
        if position > len(self.items):
            return
        with self.ctx.store.write() as session:
            item = run_of_show.mark_now(session, self.broadcast_id, position)
        self.feeds.set_on_air(item)
        self._show()

    def edit_plan(self) -> None:
        """This broadcast's plan; before a broadcast, the next one's."""
        self.dialog = RunOfShowDialog(self.ctx, self.broadcast_id, self.items, self)
        self.dialog.accepted.connect(lambda: self.set_broadcast(self.broadcast_id))
        self.dialog.open()
