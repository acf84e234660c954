"""The console's run-of-show (排品) bar: plan the items, and mark "now: item N" with one key (F8).

Planning takes one item a line, "kind title minutes" (kind: 品/product, 抽奖/draw, 秒杀/flash);
the playbook's example (2 hours, 5 products, 2 draws, 3 flash deals) fills an empty plan.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livedesk.services.room import run_of_show
from livedesk.services.room.run_of_show import ItemView, PlannedItem, RunOfShowError
from livedesk.ui import errors
from livedesk.ui.context import AppContext
from livedesk.ui.feed_controller import FeedController

KIND_WORDS = {"品": "product", "商品": "product", "product": "product", "抽奖": "draw", "福袋": "draw",
              "draw": "draw", "秒杀": "flash", "flash": "flash"}


def parse_plan(text: str) -> list[PlannedItem]:
    """Lines "kind title minutes"; raises RunOfShowError naming the line that cannot be read."""
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words:
            continue
        if len(words) < 3 or words[0] not in KIND_WORDS or not words[-1].isdigit():
            raise RunOfShowError("unreadable_line", f"line {n}: {line.strip()}", line=n, text=line.strip())
        items.append(PlannedItem(KIND_WORDS[words[0]], " ".join(words[1:-1]), int(words[-1])))
    return items


class RunOfShowBar(QWidget):
    def __init__(self, ctx: AppContext, feeds: FeedController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.feeds = feeds
        self.broadcast_id: int | None = None
        self.items: list[ItemView] = []
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
        self.broadcast_id = broadcast_id
        self.items = []
        if broadcast_id is not None:
            with self.ctx.store.read() as session:
                self.items = run_of_show.items(session, broadcast_id)
        on_air = next((i for i in self.items if i.started_at and not i.ended_at), None)
        self.feeds.set_on_air(on_air)
        self.plan_button.setEnabled(broadcast_id is not None)
        self.next_button.setEnabled(bool(self.items))
        self._show()

    def _show(self) -> None:
        item = self.feeds.on_air
        if not self.items:
            self.label.setText(self.tr("No run-of-show"))
        elif item is None:
            self.label.setText(self.tr("%n item(s) planned; F8 marks the first on air", "", len(self.items)))
        else:
            self.label.setText(self.tr("Now: %1 %2 (%3 of %4)").replace("%1", str(item.position))
                               .replace("%2", item.title).replace("%3", str(item.position))
                               .replace("%4", str(len(self.items))))

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
        if self.broadcast_id is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("Run-of-show"))
        hint = QLabel(self.tr("One item a line: kind (品, 抽奖 or 秒杀), title, planned minutes"), dialog)
        editor = QPlainTextEdit(dialog)
        words = {"product": "品", "draw": "抽奖", "flash": "秒杀"}
        shown = self.items or run_of_show.example_plan()
        editor.setPlainText("\n".join(f"{words[i.kind]} {i.title} {i.planned_minutes}" for i in shown))
        error = QLabel(dialog)
        error.setStyleSheet("color: #c62828;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   dialog)
        layout = QVBoxLayout(dialog)
        for w in (hint, editor, error, buttons):
            layout.addWidget(w)

        def save() -> None:
            try:
                planned = parse_plan(editor.toPlainText())
                with self.ctx.store.write() as session:
                    run_of_show.plan(session, self.broadcast_id, planned)
            except RunOfShowError as exc:
                error.setText(errors.describe(exc))
                return
            dialog.accept()
            self.set_broadcast(self.broadcast_id)

        buttons.accepted.connect(save)
        buttons.rejected.connect(dialog.reject)
        dialog.open()
