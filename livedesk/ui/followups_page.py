"""The 跟进 page: today's follow-up queue, worked from the keyboard.

Pick a task (J / K move), read the customer's card and the prepared message, copy it
(C), send it by hand in WeChat or the platform chat, then record what happened: 1 replied,
2 bought, 3 no answer, 4 wrong contact; S snoozes a day; skipping needs a reason. A
survey task takes the customer's 0–10 score and comment (they feed NPS and, when low,
the call-back rule). N adds a task by hand for the customer on screen. Tasks are
generated when the page opens and every ten minutes while the app runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import customers, followups, settings, team, templates
from livedesk.services.followups import TaskView
from livedesk.services.panel import panel_card
from livedesk.ui.empty_hint import EmptyHint
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.manual_task_dialog import add_manual_task
from livedesk.ui.toast import Toast
from livedesk.ui.panel_card_view import PanelCardView

GENERATE_EVERY_MS = 10 * 60 * 1000
FIRST_GENERATION_MS = 3000
OUTCOME_KEYS = (("replied", "1"), ("bought", "2"), ("no_answer", "3"), ("wrong_contact", "4"))


class TaskModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks: list[TaskView] = []
        self.zone: tzinfo = timezone.utc  # the shop's, set by the page: due times read as the queue counts days

    def set_tasks(self, tasks: list[TaskView]) -> None:
        self.beginResetModel()
        self.tasks = tasks
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.tasks)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 5

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self.tr("Due"), self.tr("Kind"), self.tr("Customer"), self.tr("Tier"), self.tr("Assignee"))[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        task = self.tasks[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and (task.overdue or task.sla_breached):
            return QColor("#c62828")
        if role == Qt.ItemDataRole.ToolTipRole and task.sla_breached:
            return self.tr("The promised answer time has passed")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if column == 0:
            due = task.sla_due_at or task.due_at
            return due.astimezone(self.zone).strftime("%m-%d %H:%M") + (" ⚠" if task.overdue else "")
        if column == 1:
            return labels.task_kind(task.kind)
        if column == 2:
            return task.nickname
        if column == 3:
            return labels.tier(task.tier)
        return task.assignee_name or self.tr("nobody")


class FollowupsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.assignee = QComboBox(self)
        self.assignee.addItem(self.tr("Everyone"), None)
        self.assignee.addItem(self.tr("Unassigned"), followups.UNASSIGNED)
        with ctx.store.read() as session:
            for member_id, name in team.names(session):
                self.assignee.addItem(name, member_id)
            zone = settings.shop_zone(session)
        self.kind = QComboBox(self)
        self.kind.addItem(self.tr("All kinds"), None)
        for code, words in labels.task_kinds():
            self.kind.addItem(words, code)
        generate = QPushButton(self.tr("Look for new tasks now"), self)
        generate.clicked.connect(self.generate)
        self.count = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.assignee)
        bar.addWidget(self.kind)
        bar.addWidget(generate)
        bar.addStretch(1)
        bar.addWidget(self.count)

        self.model = TaskModel(self)
        self.model.zone = zone
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show_task())

        self.card = PanelCardView(self, scale=0.6, on_air=False)
        self.reach = QLabel(self)  # where to send the message: platform and handle, WeChat remark, phone
        self.reach.setWordWrap(True)
        self.reach.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reach.setStyleSheet("background: #f5f6f8; padding: 6px 8px; border-radius: 6px;")
        self.reach.hide()  # no empty box before a task is open
        self.table_hint = EmptyHint(self.table, self.tr("Nothing to follow up right now: new tasks appear here "
                                                        "when they are due"))
        self.card.show_waiting(self.tr("Nothing to follow up right now"))
        self.message = QPlainTextEdit(self)
        self.message.setReadOnly(True)
        self.message.setMaximumHeight(110)
        copy = QPushButton(self.tr("Copy message (C)"), self)
        copy.clicked.connect(self.copy_message)
        outcomes = QHBoxLayout()
        for outcome, key in OUTCOME_KEYS:
            button = QPushButton(f"{key} {self._outcome_words(outcome)}", self)
            button.clicked.connect(lambda _c=False, o=outcome: self.complete(o))
            outcomes.addWidget(button)
            QShortcut(QKeySequence(key), self, activated=lambda o=outcome: self.complete(o))
        self.skip_reason = QLineEdit(self)
        self.skip_reason.setPlaceholderText(self.tr("Reason to skip, Enter"))
        self.skip_reason.returnPressed.connect(self.skip)
        snooze = QPushButton(self.tr("Snooze a day (S)"), self)
        snooze.clicked.connect(self.snooze)
        later = QHBoxLayout()
        later.addWidget(snooze)
        later.addWidget(self.skip_reason, 1)
        self.survey_row = QWidget(self)
        self.survey_score = QSpinBox(self.survey_row, minimum=0, maximum=10, value=10)
        self.survey_comment = QLineEdit(self.survey_row)
        self.survey_comment.setPlaceholderText(self.tr("What they said"))
        self.survey_comment.returnPressed.connect(self.record_survey)
        record = QPushButton(self.tr("Record answer"), self.survey_row)
        record.clicked.connect(self.record_survey)
        survey = QHBoxLayout(self.survey_row)
        survey.setContentsMargins(0, 0, 0, 0)
        survey.addWidget(QLabel(self.tr("Score 0–10"), self.survey_row))
        survey.addWidget(self.survey_score)
        survey.addWidget(self.survey_comment, 1)
        survey.addWidget(record)
        self.survey_row.hide()
        self._shown_task_id: int | None = None
        manual = QPushButton(self.tr("New task for this customer (N)"), self)
        manual.clicked.connect(self.add_task)
        self.feedback = Toast(self)
        right = QVBoxLayout()
        right.addWidget(self.card, 1)
        right.addWidget(self.reach)
        right.addWidget(QLabel(self.tr("Message to send"), self))
        right.addWidget(self.message)
        right.addWidget(copy)
        right.addLayout(outcomes)
        right.addLayout(later)
        right.addWidget(self.survey_row)
        right.addWidget(manual)

        middle = QHBoxLayout()
        middle.addWidget(self.table, 3)
        middle.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(bar)
        layout.addLayout(middle, 1)

        for key, action in (("C", self.copy_message), ("S", self.snooze), ("J", lambda: self._move(1)),
                            ("K", lambda: self._move(-1)), ("N", self.add_task)):
            QShortcut(QKeySequence(key), self, activated=action)
        self.assignee.currentIndexChanged.connect(lambda _i: self.reload())
        self.kind.currentIndexChanged.connect(lambda _i: self.reload())
        self._timer = QTimer(self, interval=GENERATE_EVERY_MS, timeout=self.generate)
        self._timer.start()
        # Soon after opening, not during it: generation brings pandas and must not slow start-up.
        QTimer.singleShot(FIRST_GENERATION_MS, self.generate)

    def _outcome_words(self, outcome: str) -> str:
        return {"replied": self.tr("Replied"), "bought": self.tr("Bought"), "no_answer": self.tr("No answer"),
                "wrong_contact": self.tr("Wrong contact")}[outcome]

    # -- queue -----------------------------------------------------------------------------
    def generate(self) -> None:
        """Create what is due (idempotent: nothing twice), then show the queue."""
        def run() -> int:
            with self.ctx.store.write() as session:
                templates.ensure_default_templates(session)  # a new store gets the shop's default messages
                return followups.generate(session).total_created

        self.ctx.tasks.submit(run, on_done=lambda _n: self.reload(), on_error=self._error)

    def reload(self) -> None:
        keep = self.current().id if self.current() else None
        assignee, kind = self.assignee.currentData(), self.kind.currentData()

        def run() -> list[TaskView]:
            with self.ctx.store.read() as session:
                return followups.queue(session, assignee_id=assignee, kind=kind)

        def show(tasks: list[TaskView]) -> None:
            self.model.set_tasks(tasks)
            late = sum(1 for t in tasks if t.overdue)
            self.count.setText(self.tr("%n tasks", "", len(tasks)) + (
                self.tr(", %1 overdue").replace("%1", str(late)) if late else ""))
            ids = [t.id for t in tasks]
            if tasks:
                self.table.selectRow(ids.index(keep) if keep in ids else 0)
            else:
                self.card.show_waiting(self.tr("Nothing to follow up right now"))
                self.message.clear()
                self.reach.hide()

        self.ctx.tasks.submit(run, on_done=show, on_error=self._error)

    def current(self) -> TaskView | None:
        index = self.table.currentIndex()
        return self.model.tasks[index.row()] if index.isValid() and index.row() < len(self.model.tasks) else None

    def _move(self, step: int) -> None:
        if self.model.rowCount():
            row = max(0, min(self.model.rowCount() - 1, self.table.currentIndex().row() + step))
            self.table.selectRow(row)

    def _show_task(self) -> None:
        task = self.current()
        if task is None:
            return
        self.survey_row.setVisible(task.kind == "survey")
        if task.id != self._shown_task_id:  # a refresh of the same task keeps the answer being typed
            self._shown_task_id = task.id
            self.survey_score.setValue(10)
            self.survey_comment.clear()
        with self.ctx.store.read() as session:
            try:
                card = panel_card(session, task.customer_id, language=self.ctx.language)
            except LookupError:  # merged into another customer since the queue was read: its tasks moved there
                self.reload()
                return
            self.card.show_card(card)
            self.reach.setText(self._reach_words(customers.reach(session, task.customer_id)))
            self.reach.show()
            try:
                self.message.setPlainText(templates.task_message(session, task.id))
            except templates.TemplateError as exc:  # an unacknowledged flagged template says why
                self.message.setPlainText(describe(exc))

    def _reach_words(self, found: customers.Reach) -> str:
        parts = [labels.platform(platform) + (f" @{handle}" if handle else "") + (f"（{nick}）" if nick else "")
                 for platform, handle, nick in found.accounts]
        if found.wechat:
            parts.append(self.tr("WeChat remark: %1").replace("%1", found.wechat))
        if found.phone:
            parts.append(self.tr("Phone %1").replace("%1", found.phone))
        if not parts:
            return self.tr("No way to reach them is recorded: add a WeChat remark on the customer page")
        return self.tr("Reach: %1").replace("%1", "  ·  ".join(parts))

    # -- actions ---------------------------------------------------------------------------
    def copy_message(self) -> None:
        if self.current() is not None and self.message.toPlainText():
            QGuiApplication.clipboard().setText(self.message.toPlainText())
            self._say(self.tr("Message copied: send it, then record what happened (1–4)"))

    def complete(self, outcome: str) -> None:
        self._act(lambda session, task: followups.complete(session, task.id, outcome),
                  self.tr("Done: %1 (%2)").replace("%2", self._outcome_words(outcome)))

    def snooze(self) -> None:
        until = datetime.now(timezone.utc) + timedelta(days=1)
        when = self.ctx.local(until).strftime("%m-%d %H:%M")
        self._act(lambda session, task: followups.snooze(session, task.id, until),
                  self.tr("Snoozed until %2: %1").replace("%2", when))

    def record_survey(self) -> None:
        """The answer to a survey task: stored for NPS, and the task is done as replied."""
        score, comment = self.survey_score.value(), self.survey_comment.text()

        def change(session, task: TaskView) -> None:
            followups.record_survey(session, task.customer_id, score, comment, task.order_id)
            followups.complete(session, task.id, "replied")

        self._act(change, self.tr("Answer recorded: %1"))

    def add_task(self) -> None:
        task = self.current()
        if task is not None and add_manual_task(self.ctx, task.customer_id, self) is not None:
            self._say(self.tr("Task added for %1").replace("%1", task.nickname))
            self.reload()

    def skip(self) -> None:
        reason = self.skip_reason.text().strip()
        self._act(lambda session, task: followups.skip(session, task.id, reason), self.tr("Skipped: %1"))
        self.skip_reason.clear()

    def _act(self, change, said: str) -> None:
        """Run ``change`` on the current task; ``said`` (%1 the nickname) tells what was done."""
        task = self.current()
        if task is None:
            return
        row = self.table.currentIndex().row()

        def run() -> None:
            with self.ctx.store.write() as session:
                change(session, task)

        def done(_r: Any) -> None:
            self._say(said.replace("%1", task.nickname))
            self.model.set_tasks([t for t in self.model.tasks if t.id != task.id])
            if self.model.rowCount():  # the next task is already under the cursor
                self.table.selectRow(min(row, self.model.rowCount() - 1))
            self.count.setText(self.tr("%n tasks", "", self.model.rowCount()))

        self.ctx.tasks.submit(run, on_done=done, on_error=self._error)

    def _error(self, exc: BaseException) -> None:
        self._say(describe(exc), error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.feedback.say(text, error=error)
