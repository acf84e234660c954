"""The dialog that adds a follow-up task by hand, opened from wherever a customer is shown
(customer page, live console, follow-up queue, 私享会 list): what kind, when, who does it,
which message, and a note for whoever picks it up."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QCoreApplication, QDateTime, QTime
from PySide6.QtWidgets import QComboBox, QDateTimeEdit, QMessageBox, QPlainTextEdit, QWidget

from livedesk.services import customers, followups, settings, team, templates
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.form_dialog import FormDialog


class ManualTaskDialog(FormDialog):
    def __init__(self, ctx: AppContext, customer_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id = customer_id
        self.task_id: int | None = None
        with ctx.store.read() as session:
            row = customers.rows(session, [customer_id])[customer_id]
            members = team.names(session)
            assigned = customers.assigned_member(session, customer_id)
            messages = [v for v in templates.listing(session) if v.kind == "followup"]
            self.zone = settings.shop_zone(session)  # times are picked in the shop's clock, as the queue shows them
        self.setWindowTitle(self.tr("New follow-up for %1").replace("%1", row.nickname))

        self.kind = QComboBox(self)
        for code in followups.TASK_KINDS[::-1]:  # manual first: what people add by hand most
            self.kind.addItem(labels.task_kind(code), code)
        self.due = QDateTimeEdit(self)
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd HH:mm")
        soon = (datetime.now(self.zone) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        self.due.setDateTime(QDateTime(soon.date(), QTime(soon.hour, 0)))
        self.assignee = QComboBox(self)
        self.assignee.addItem(self.tr("Nobody yet"), None)
        for member_id, name in members:
            self.assignee.addItem(name, member_id)
        self.assignee.setCurrentIndex(max(0, self.assignee.findData(assigned)))
        self.template = QComboBox(self)
        self.template.addItem(self.tr("The kind's usual message"), None)
        for view in messages:
            self.template.addItem(("⚠ " if view.pending else "") + labels.template_name(view.key, view.name), view.id)
        self.note = QPlainTextEdit(self)
        self.note.setPlaceholderText(self.tr("What to talk about, for whoever picks it up"))
        self.note.setMaximumHeight(90)

        self.form.addRow(self.tr("Kind"), self.kind)
        self.form.addRow(self.tr("Due"), self.due)
        self.form.addRow(self.tr("Assignee"), self.assignee)
        self.form.addRow(self.tr("Message"), self.template)
        self.form.addRow(self.tr("Note"), self.note)
        self.finish()

    def due_at(self) -> datetime:
        return self.due.dateTime().toPython().replace(tzinfo=self.zone)

    def save(self) -> None:
        with self.ctx.store.write() as session:
            self.task_id = followups.create_manual(
                session, self.customer_id, self.kind.currentData(), self.due_at(), self.note.toPlainText(),
                self.assignee.currentData(), template_id=self.template.currentData(),
            )

    def refusal(self, exc: Exception) -> str | None:
        # TaskError and NotFound say what was wrong
        return describe(exc) if isinstance(exc, (ValueError, LookupError)) else None


def add_manual_task(ctx: AppContext, customer_id: int | None, parent: QWidget) -> int | None:
    """Ask for a new task for this customer; the new task's id, or None if cancelled."""
    if customer_id is None:
        return None
    with ctx.store.read() as session:
        gone = not customers.rows(session, [customer_id])
    if gone:  # merged into another customer (or erased) while this page still showed it
        QMessageBox.information(parent, "LiveDesk", QCoreApplication.translate(
            "ManualTaskDialog", "This customer is no longer in the store: merged into another customer or erased. "
            "Look them up again."))
        return None
    dialog = ManualTaskDialog(ctx, customer_id, parent)
    dialog.exec()
    return dialog.task_id
