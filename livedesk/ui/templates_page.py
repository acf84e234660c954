"""消息模板: the follow-up and invitation messages, edited with their placeholders, a
preview for a real customer, an error for an unknown placeholder, and the Advertising
Law check with its acknowledgement (a flagged template is not used until someone
accepts it; services/templates.py enforces that, this page asks for it).
"""

from __future__ import annotations

import getpass
import uuid

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import customers, lookup, templates
from livedesk.services.templates import TemplateView
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.compliance_view import CheckedEditor
from livedesk.ui.context import AppContext
from livedesk.ui.flow_layout import FlowLayout

PREVIEW_AFTER_MS = 300
RED, GREEN, GREY = "#c62828", "#2e7d32", "#555"


class TemplatesPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.views: list[TemplateView] = []
        self.preview_customer: int | None = None
        self._preview_timer = QTimer(self, singleShot=True, interval=PREVIEW_AFTER_MS, timeout=self.update_preview)

        self.list = QListWidget(self)
        self.list.currentRowChanged.connect(self._show)
        new = QPushButton(self.tr("New template…"), self)
        new.clicked.connect(self.new_template)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(new)

        self.name = QLineEdit(self)
        self.key = QLabel(self)
        self.key.setStyleSheet(f"color: {GREY};")
        chips = QWidget(self)
        chip_layout = FlowLayout(chips, spacing=4)
        for name in templates.placeholder_names(ctx.language):  # in the reader's words; every spelling fills
            chip = QToolButton(chips)
            chip.setText(f"{{{name}}}")
            chip.setToolTip(labels.placeholder_meaning(name))
            chip.clicked.connect(lambda _c=False, n=name: self._insert(n))
            chip_layout.addWidget(chip)
        self.body = CheckedEditor(ctx, self, placeholder=self.tr("Write the message; click a placeholder to insert it"))
        self.body.editor.setMinimumHeight(90)
        self.body.editor.setMaximumHeight(160)
        self.body.edited.connect(self._preview_timer.start)
        self.body.checked.connect(lambda _f: self._show_status())

        self.customer = QLineEdit(self)
        self.customer.setPlaceholderText(self.tr("Nickname, handle or phone; empty: the latest buyer"))
        self.customer.editingFinished.connect(self._pick_customer)
        self.customer_found = QLabel(self)
        self.customer_found.setStyleSheet(f"color: {GREY};")
        self.preview = QLabel(self)
        self.preview.setWordWrap(True)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setStyleSheet("background: #f5f6f8; padding: 10px; border-radius: 6px;")
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.acknowledge_button = QPushButton(self.tr("I have checked these words: use it anyway"), self)
        self.acknowledge_button.clicked.connect(self.acknowledge)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.clicked.connect(self.save)
        self.feedback = QLabel(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.acknowledge_button)
        buttons.addStretch(1)
        buttons.addWidget(self.feedback)

        form = QFormLayout()
        form.addRow(self.tr("Name"), self.name)
        form.addRow("", self.key)
        form.addRow(self.tr("Placeholders"), chips)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(form)
        right_layout.addWidget(self.body)
        preview_row = QHBoxLayout()
        preview_row.addWidget(QLabel(self.tr("Preview for"), self))
        preview_row.addWidget(self.customer, 1)
        preview_row.addWidget(self.customer_found)
        right_layout.addLayout(preview_row)
        right_layout.addWidget(self.preview)
        right_layout.addWidget(self.problem)
        right_layout.addWidget(self.status)
        right_layout.addLayout(buttons)
        right_layout.addStretch(1)

        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([240, 760])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(splitter)
        self.reload()

    # -- the list ----------------------------------------------------------------------------
    def reload(self, select_key: str | None = None) -> None:
        keep = select_key or (self.current().key if self.current() else None)
        with self.ctx.store.write() as session:
            templates.ensure_default_templates(session)  # a new store gets the shop's default messages
            self.views = templates.listing(session)
        kinds = {"greeting": self.tr("Greetings on air"), "followup": self.tr("Follow-up messages"),
                 "invitation": self.tr("Invitations")}
        self.list.blockSignals(True)
        self.list.clear()
        heading = None
        for index, view in enumerate(self.views):
            if view.kind != heading:
                heading = view.kind
                title = QListWidgetItem(kinds.get(view.kind, view.kind))
                title.setFlags(Qt.ItemFlag.NoItemFlags)
                font = title.font()
                font.setBold(True)
                title.setFont(font)
                self.list.addItem(title)
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setToolTip(view.key)
            self._mark(item, view)
            self.list.addItem(item)
        self.list.blockSignals(False)
        keys = [v.key for v in self.views]
        self.select(keys.index(keep) if keep in keys else 0)

    def _mark(self, item: QListWidgetItem, view: TemplateView) -> None:
        item.setText(("⚠ " if view.pending else "   ") + labels.template_name(view.key, view.name))
        item.setForeground(Qt.GlobalColor.red if view.pending else self.palette().text().color())

    def refresh_marks(self) -> None:
        """Re-check every template's ⚠ (the word list may have changed) without touching the editor."""
        with self.ctx.store.read() as session:
            fresh = templates.listing(session)
        if [v.key for v in fresh] != [v.key for v in self.views]:
            self.reload()
            return
        self.views = fresh
        for row in range(self.list.count()):
            item = self.list.item(row)
            index = item.data(Qt.ItemDataRole.UserRole)
            if index is not None:
                self._mark(item, fresh[index])
        self._show_status()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh_marks()

    def select(self, view_index: int) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == view_index:
                self.list.setCurrentRow(row)
                return

    def current(self) -> TemplateView | None:
        item = self.list.currentItem()
        index = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return self.views[index] if index is not None and index < len(self.views) else None

    def _show(self, _row: int) -> None:
        view = self.current()
        if view is None:
            return
        self.name.setText(labels.template_name(view.key, view.name))
        self.key.setText(view.key)
        self.body.set_text(view.body)
        self.feedback.clear()
        self.update_preview()

    def new_template(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("New template"), self.tr("Name of the template"))
        if not ok or not name.strip():
            return
        key = f"custom.{uuid.uuid4().hex[:12]}"
        with self.ctx.store.write() as session:
            templates.save(session, key, "{称呼}您好，", name=name.strip())
        self.reload(select_key=key)

    # -- editing -----------------------------------------------------------------------------
    def _insert(self, name: str) -> None:
        self.body.editor.insertPlainText(f"{{{name}}}")
        self.body.editor.setFocus()

    def _pick_customer(self) -> None:
        query = self.customer.text().strip()
        if not query:
            self.preview_customer = None
        else:
            with self.ctx.store.read() as session:
                hits = lookup.lookup(session, query, limit=1)
            if not hits:
                self.customer_found.setText(self.tr("nobody found"))
                return
            self.preview_customer = hits[0].id
        self.update_preview()

    def update_preview(self) -> None:
        self._preview_timer.stop()
        with self.ctx.store.read() as session:
            if self.preview_customer is not None and not customers.rows(session, [self.preview_customer]):
                self.preview_customer = None  # merged away or erased since it was picked: the latest buyer
            customer_id = self.preview_customer or templates.sample_customer_id(session)
            shown = templates.preview(session, self.body.text(), customer_id)
            if customer_id is not None:
                row = customers.rows(session, [customer_id])[customer_id]
                self.customer_found.setText(f"{row.nickname} · {labels.tier(row.tier)}")
        self.preview.setText(shown.text)
        problems = []
        if shown.unknown:
            problems.append(self.tr("Unknown placeholder %1: it cannot be filled in, check the spelling or "
                                    "click one of the placeholders above")
                            .replace("%1", " ".join(f"{{{n}}}" for n in shown.unknown)))
        if shown.empty:
            problems.append(self.tr("This customer has no value for %1; the message will have a gap")
                            .replace("%1", " ".join(f"{{{n}}}" for n in shown.empty)))
        self.problem.setText("\n".join(problems))
        self.problem.setStyleSheet(f"color: {RED if shown.unknown else '#b26a00'};")
        self.save_button.setEnabled(not shown.unknown)

    def _show_status(self) -> None:
        view = self.current()
        if view is None:
            return
        edited = self.body.text() != view.body
        if self.body.findings and (edited or view.pending):
            self.status.setText(self.tr("Not used for messages until someone accepts the marked words") +
                                (self.tr(" (after saving)") if edited else ""))
            self.status.setStyleSheet(f"color: {RED}; font-weight: 600;")
        elif self.body.findings and view.acknowledged_by:
            self.status.setText(self.tr("Marked words accepted by %1 on %2")
                                .replace("%1", view.acknowledged_by)
                                .replace("%2", self.ctx.local(view.acknowledged_at).strftime("%Y-%m-%d %H:%M")))
            self.status.setStyleSheet(f"color: {GREY};")
        else:
            self.status.setText(self.tr("In use") if not edited else "")
            self.status.setStyleSheet(f"color: {GREEN};")
        self.acknowledge_button.setVisible(bool(view.pending) and not edited)

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> None:
        view = self.current()
        if view is None:
            return
        name = self.name.text().strip()
        if not name or name == labels.template_name(view.key, view.name):
            name = view.name  # the shipped name shown in the UI's language is not a rename
        try:
            with self.ctx.store.write() as session:
                templates.save(session, view.key, self.body.text(), name=name, kind=view.kind)
        except templates.TemplateError as exc:
            self._say(describe(exc), RED)
            return
        self.reload()
        self._say(self.tr("Saved"), GREEN)

    def acknowledge(self) -> None:
        view = self.current()
        if view is None:
            return
        with self.ctx.store.write() as session:
            templates.acknowledge(session, view.id, by=getpass.getuser())
        self.reload()
        self._say(self.tr("Accepted: the template is used again"), GREEN)

    def _say(self, text: str, colour: str) -> None:
        self.feedback.setText(text)
        self.feedback.setStyleSheet(f"color: {colour};")
