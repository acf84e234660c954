"""The 私享会 page: plan a private session, pick invitees by rule with a live count,
work the invitation list (RSVP, copy each personal invitation), and read the report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDateTime, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import customers, team, vip_sessions
from livedesk.services.templates import TemplateError
from livedesk.services.lookup import distinguishers, lookup
from livedesk.services.vip_sessions import InvitationRow, InviteRule, SessionView
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.manual_task_dialog import add_manual_task
from livedesk.ui.toast import Toast

RSVP_ACTIONS = ("accepted", "declined", "no_answer", "attended", "no_show")
MAX_CHOICES = 8  # look-alikes offered when a name typed by hand fits several customers


class InvitationsModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[InvitationRow] = []

    def set_rows(self, rows: list[InvitationRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 4

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self.tr("Customer"), self.tr("Tier"), self.tr("Level"), self.tr("RSVP"))[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        row = self.rows[index.row()]
        return (row.nickname, labels.tier(row.tier), labels.level(row.level), self.status_words(row))[index.column()]

    def status_words(self, row: InvitationRow) -> str:
        if row.status == "waitlisted" and row.waitlist_position is not None:
            return self.tr("waitlist #%1").replace("%1", str(row.waitlist_position))
        return labels.rsvp(row.status)


class VipPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sessions: list[SessionView] = []
        self.session_list = QListWidget(self)  # a handful of sessions a month: a plain list is enough
        self.session_list.currentRowChanged.connect(self._session_chosen)
        self.title_edit = QLineEdit(self)
        self.title_edit.setPlaceholderText(self.tr("e.g. December VIP evening"))
        # Picked on the shop's clock, the one the invitations and the list show.
        in_a_week = ctx.local(datetime.now(timezone.utc) + timedelta(days=7)).replace(tzinfo=None, second=0)
        self.when = QDateTimeEdit(QDateTime(in_a_week), self, calendarPopup=True,
                                  displayFormat="yyyy-MM-dd HH:mm")
        self.capacity = QSpinBox(self, minimum=1, maximum=10_000, value=30)
        self.theme = QLineEdit(self)
        self.theme.setPlaceholderText(self.tr("e.g. winter skincare, new arrivals first look"))
        self.venue = QLineEdit(self)
        self.venue.setPlaceholderText(self.tr("e.g. Douyin private room, WeChat group live"))
        self.host = QComboBox(self)
        self.host.addItem(self.tr("No host yet"), None)
        with ctx.store.read() as session:
            for member_id, name in team.names(session):
                self.host.addItem(name, member_id)
        create = QPushButton(self.tr("Create session"), self)
        create.clicked.connect(self.create_session)
        new_box = QGroupBox(self.tr("New private session"), self)
        new_form = QFormLayout(new_box)
        new_form.addRow(self.tr("Title"), self.title_edit)
        new_form.addRow(self.tr("Starts"), self.when)
        new_form.addRow(self.tr("Seats"), self.capacity)
        new_form.addRow(self.tr("Theme"), self.theme)
        new_form.addRow(self.tr("Where"), self.venue)
        new_form.addRow(self.tr("Host"), self.host)
        new_form.addRow(create)
        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("Sessions"), self))
        left.addWidget(self.session_list, 1)
        left.addWidget(new_box)

        self.rule_tier = QComboBox(self)
        self.rule_tier.addItem(self.tr("Any tier"), None)
        for code, words in labels.tiers():
            self.rule_tier.addItem(words, code)
        self.rule_level = QComboBox(self)
        self.rule_level.addItem(self.tr("Any level"), None)
        for code, words in labels.levels():
            self.rule_level.addItem(words, code)
        self.rule_spend = QSpinBox(self, maximum=10_000_000, singleStep=1000, prefix="¥")
        self.rule_recent = QSpinBox(self, maximum=3650, suffix=self.tr(" days (0 = any)"))
        self.rule_skip = QSpinBox(self, maximum=24, suffix=self.tr(" sessions"))
        self.rule_birthday = QComboBox(self)
        self.rule_birthday.addItem(self.tr("Any month"), None)
        for month in range(1, 13):
            self.rule_birthday.addItem(self.tr("Birthday in month %1").replace("%1", str(month)), month)
        self.rule_tag = QComboBox(self)
        self.rule_tag.addItem(self.tr("Any tag"), None)
        with ctx.store.read() as session:
            for tag in customers.all_tags(session):
                self.rule_tag.addItem(tag.name, tag.id)
        self.rule_count = QLabel(self)
        self.rule_preview = QLabel(self)
        self.rule_preview.setWordWrap(True)
        self.rule_preview.setStyleSheet("color: #555;")
        self.invite_button = QPushButton(self.tr("Invite them"), self)
        self.invite_button.clicked.connect(self.invite_by_rule)
        rule_box = QGroupBox(self.tr("Choose invitees by rule"), self)
        rule_form = QFormLayout(rule_box)
        # Fields as wide as what they hold, not the whole pane (900 px for a month on a wide screen).
        rule_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for box in (self.rule_tier, self.rule_level, self.rule_birthday, self.rule_tag):
            box.setMinimumWidth(220)
        for box in (self.rule_spend, self.rule_recent, self.rule_skip):
            box.setMinimumWidth(160)
        rule_form.addRow(self.tr("Tier"), self.rule_tier)
        rule_form.addRow(self.tr("Level"), self.rule_level)
        rule_form.addRow(self.tr("Spent in the last 12 months at least"), self.rule_spend)
        rule_form.addRow(self.tr("Bought within"), self.rule_recent)
        rule_form.addRow(self.tr("Not invited in the last"), self.rule_skip)
        rule_form.addRow(self.tr("Birthday"), self.rule_birthday)
        rule_form.addRow(self.tr("Tag"), self.rule_tag)
        rule_form.addRow(self.rule_count, self.invite_button)
        rule_form.addRow(self.rule_preview)
        self._count_timer = QTimer(self, singleShot=True, interval=250, timeout=self.count_candidates)
        for combo in (self.rule_tier, self.rule_level, self.rule_birthday, self.rule_tag):
            combo.currentIndexChanged.connect(lambda _i: self._count_timer.start())
        for box in (self.rule_spend, self.rule_recent, self.rule_skip):
            box.valueChanged.connect(lambda _v: self._count_timer.start())

        self.invitations = InvitationsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.invitations)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.needs_row: list[QPushButton] = []  # disabled while no invitation is selected
        actions = QHBoxLayout()
        for status in RSVP_ACTIONS:
            button = QPushButton(labels.rsvp(status), self)
            button.clicked.connect(lambda _c=False, st=status: self.set_rsvp(st))
            actions.addWidget(button)
            self.needs_row.append(button)
        self.add_edit = QLineEdit(self)
        self.add_edit.setPlaceholderText(self.tr("Add by hand: nickname, handle or phone tail, Enter"))
        self.add_edit.returnPressed.connect(self.add_by_hand)
        remove = QPushButton(self.tr("Remove from list"), self)
        remove.clicked.connect(self.remove_selected)
        self.broadcast = QComboBox(self)
        self.broadcast.setMinimumWidth(200)
        self.attendance = QPushButton(self.tr("Take attendance"), self)
        self.attendance.setToolTip(self.tr("Mark everyone on the list who was seen in this broadcast as attended"))
        self.attendance.clicked.connect(self.take_attendance)
        hand = QHBoxLayout()
        hand.addWidget(self.add_edit, 1)
        hand.addWidget(remove)
        attend = QHBoxLayout()
        attend.addWidget(QLabel(self.tr("The session ran as broadcast"), self))
        attend.addWidget(self.broadcast)
        attend.addWidget(self.attendance)
        attend.addStretch(1)
        copy = QPushButton(self.tr("Copy invitation, next (Ctrl+C)"), self)
        copy.setShortcut("Ctrl+C")
        copy.clicked.connect(self.copy_invitation)
        self.export_button = QPushButton(self.tr("Export list…"), self)
        self.export_button.clicked.connect(self.export_list)
        follow_up = QPushButton(self.tr("New follow-up…"), self)
        follow_up.clicked.connect(lambda: add_manual_task(
            self.ctx, self.selected_row().customer_id if self.selected_row() else None, self))
        self.needs_row += [remove, copy, follow_up]
        tools = QHBoxLayout()
        tools.addWidget(copy)
        tools.addWidget(self.export_button)
        tools.addWidget(follow_up)
        tools.addStretch(1)
        self.report_label = QLabel(self)
        self.report_label.setWordWrap(True)
        self.report_label.setStyleSheet("background: #f5f6f8; padding: 8px; border-radius: 6px;")
        self.feedback = Toast(self)
        right = QVBoxLayout()
        right.addWidget(rule_box)
        right.addWidget(self.table, 1)
        right.addLayout(actions)
        right.addLayout(hand)
        right.addLayout(attend)
        right.addLayout(tools)
        right.addWidget(self.report_label)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(left, 2)
        layout.addLayout(right, 5)
        self.table.selectionModel().currentChanged.connect(lambda *_a: self._enable())
        self.reload()

    # -- sessions ---------------------------------------------------------------------
    def current(self) -> SessionView | None:
        row = self.session_list.currentRow()
        return self.sessions[row] if 0 <= row < len(self.sessions) else None

    def reload(self, keep: int | None = None) -> None:
        keep = keep if keep is not None else (self.current().id if self.current() else None)
        with self.ctx.store.read() as session:
            self.sessions = vip_sessions.sessions(session)
        self.session_list.blockSignals(True)
        self.session_list.clear()
        for s in self.sessions:
            when = self.ctx.local(s.starts_at).strftime("%Y-%m-%d %H:%M")
            self.session_list.addItem(f"{s.title} · {when} · {s.seats_taken}/{s.capacity}"
                                      + (f" · +{s.waitlisted}" if s.waitlisted else ""))
        self.session_list.blockSignals(False)
        ids = [s.id for s in self.sessions]
        self.session_list.setCurrentRow(ids.index(keep) if keep in ids else (0 if ids else -1))
        self._session_chosen(self.session_list.currentRow())

    def create_session(self) -> None:
        starts = self.when.dateTime().toPython().replace(tzinfo=self.ctx.shop_zone()).astimezone(timezone.utc)

        def run() -> int:
            with self.ctx.store.write() as session:
                return vip_sessions.create_session(session, self.title_edit.text(), starts, self.capacity.value(),
                                                   theme=self.theme.text().strip() or None,
                                                   venue=self.venue.text().strip() or None,
                                                   host_member_id=self.host.currentData())

        self._run(run, lambda sid: (self.title_edit.clear(), self.reload(keep=sid)))

    def _enable(self) -> None:
        """Actions work on a session and a selected invitation: without them they are greyed."""
        has_session = self.current() is not None
        for widget in (self.invite_button, self.add_edit, self.export_button):
            widget.setEnabled(has_session)
        self.attendance.setEnabled(has_session and self.broadcast.currentData() is not None)
        self.broadcast.setEnabled(has_session and self.broadcast.count() > 0
                                  and self.broadcast.currentData() is not None)
        for button in self.needs_row:
            button.setEnabled(has_session and self.selected_row() is not None)

    def _session_chosen(self, _row: int) -> None:
        current = self.current()
        if current is None:
            self.invitations.set_rows([])
            self.broadcast.clear()
            self.report_label.setText(self.tr("Create a session to start inviting."))
            self._enable()
            return
        with self.ctx.store.read() as session:
            self.invitations.set_rows(vip_sessions.invitation_rows(session, current.id))
            report = vip_sessions.report(session, current.id)
            recent = vip_sessions.broadcasts_near(session, current.id)
        self.broadcast.clear()
        for broadcast_id, title, started in recent:
            self.broadcast.addItem(f"{self.ctx.local(started):%m-%d %H:%M} {title}", broadcast_id)
        if not recent:
            self.broadcast.addItem(self.tr("No broadcast near the session's time"), None)
        self.report_label.setText(self.tr(
            "Attended %1 of %2 invited. Attendees: %3 orders, %4, %5 bought. "
            "Invited who did not come: %6 orders, %7, %8 bought (orders up to 7 days after).")
            .replace("%1", str(report.attended)).replace("%2", str(report.invited))
            .replace("%3", str(report.attendee_orders)).replace("%4", labels.money(report.attendee_gmv_fen))
            .replace("%5", f"{report.attendee_conversion:.0%}").replace("%6", str(report.absent_orders))
            .replace("%7", labels.money(report.absent_gmv_fen)).replace("%8", f"{report.absent_conversion:.0%}"))
        self.count_candidates()
        self._enable()

    # -- invitees -----------------------------------------------------------------------
    def rule(self) -> InviteRule:
        return InviteRule(
            tiers=(self.rule_tier.currentData(),) if self.rule_tier.currentData() else (),
            levels=(self.rule_level.currentData(),) if self.rule_level.currentData() else (),
            min_spend_fen=self.rule_spend.value() * 100,
            bought_within_days=self.rule_recent.value() or None,
            skip_invited_in_last=self.rule_skip.value(),
            birthday_month=self.rule_birthday.currentData(),
            tag_ids=(self.rule_tag.currentData(),) if self.rule_tag.currentData() else (),
        )

    def _candidates(self) -> list:
        current = self.current()
        with self.ctx.store.read() as session:
            return vip_sessions.candidates(session, self.rule(), exclude_session_id=current.id if current else None)

    def count_candidates(self) -> None:
        def show(found: list) -> None:
            self.rule_count.setText(self.tr("%n customers match", "", len(found)))
            shown = labels.listing(c.nickname for c in found[:30])
            self.rule_preview.setText(shown + ("…" if len(found) > 30 else ""))

        self.ctx.tasks.submit(self._candidates, on_done=show)

    def invite_by_rule(self) -> None:
        current = self.current()
        if current is None:
            return

        def run() -> tuple[int, int]:
            found = self._candidates()
            with self.ctx.store.write() as session:
                return vip_sessions.invite(session, current.id, [c.customer_id for c in found])

        self._run(run, lambda result: (self._say(self.tr("%1 invited, %2 on the waitlist")
                                                 .replace("%1", str(result[0])).replace("%2", str(result[1]))),
                                       self.reload()))

    def selected_row(self) -> InvitationRow | None:
        index = self.table.currentIndex()
        return self.invitations.rows[index.row()] if index.isValid() else None

    def set_rsvp(self, status: str) -> None:
        current, row = self.current(), self.selected_row()
        if current is None or row is None:
            return

        def run() -> None:
            with self.ctx.store.write() as session:
                vip_sessions.set_rsvp(session, current.id, row.customer_id, status)

        self._run(run, lambda _r: self.reload())

    def add_by_hand(self) -> None:
        current, query = self.current(), self.add_edit.text().strip()
        if current is None or not query:
            return

        def find() -> tuple[list, dict]:
            with self.ctx.store.read() as session:
                hits = lookup(session, query, limit=MAX_CHOICES + 1)
                return hits, distinguishers(session, [h.id for h in hits])

        def found(result: tuple[list, dict]) -> None:
            hits, extra = result
            exact = [h for h in hits if h.nickname == query]
            if not hits:
                self._say(self.tr("No customer matches “%1”").replace("%1", query), error=True)
            elif len(hits) == 1 or len(exact) == 1:
                self.invite_one(current.id, (exact or hits)[0].id, (exact or hits)[0].nickname)
            else:  # "ddm" matches 161 people: ask which one, never invite the top guess silently
                self._ask_which(current.id, hits, extra)

        self._run(find, found)

    def _ask_which(self, session_id: int, hits: list, extra: dict) -> None:
        self.choice_menu = menu = QMenu(self)
        zone = self.ctx.shop_zone()
        for hit in hits[:MAX_CHOICES]:
            words = f"{hit.nickname}  ·  {labels.tier(hit.tier)}  ·  {labels.tell_apart(extra[hit.id], zone)}"
            menu.addAction(words, lambda h=hit: self.invite_one(session_id, h.id, h.nickname))
        if len(hits) > MAX_CHOICES:
            more = menu.addAction(self.tr("More match: type more of the name, the handle or the phone tail"))
            more.setEnabled(False)
        menu.popup(self.add_edit.mapToGlobal(self.add_edit.rect().bottomLeft()))
        self._say(self.tr("Several customers match: pick one"))

    def invite_one(self, session_id: int, customer_id: int, nickname: str) -> None:
        def run() -> None:
            with self.ctx.store.write() as session:
                vip_sessions.invite(session, session_id, [customer_id])

        self._run(run, lambda _r: (self.add_edit.clear(), self._say(self.tr("Added %1").replace("%1", nickname)),
                                   self.reload()))

    def remove_selected(self) -> None:
        current, row = self.current(), self.selected_row()
        if current is None or row is None:
            return

        def run() -> None:
            with self.ctx.store.write() as session:
                vip_sessions.remove(session, current.id, row.customer_id)

        self._run(run, lambda _r: self.reload())

    def take_attendance(self) -> None:
        current, broadcast_id = self.current(), self.broadcast.currentData()
        if current is None or broadcast_id is None:
            self._say(self.tr("Pick the broadcast the session ran as"), error=True)
            return

        def run() -> int:
            with self.ctx.store.write() as session:
                vip_sessions.link_broadcast(session, current.id, broadcast_id)
                return vip_sessions.take_attendance(session, current.id)

        self._run(run, lambda n: (self._say(self.tr("%n attendees found in the broadcast", "", n)), self.reload()))

    def copy_invitation(self) -> None:
        current, row = self.current(), self.selected_row()
        if current is None or row is None:
            return
        try:
            with self.ctx.store.write() as session:
                text = vip_sessions.invitation_text(session, current.id, row.customer_id)
        except TemplateError as exc:  # e.g. flagged words nobody acknowledged yet
            self._say(describe(exc), error=True)
            return
        QGuiApplication.clipboard().setText(text)
        self._say(self.tr("Copied for %1").replace("%1", row.nickname))
        next_row = self.table.currentIndex().row() + 1
        if next_row < self.invitations.rowCount():
            self.table.selectRow(next_row)

    def export_list(self) -> None:
        current = self.current()
        if current is None:
            return
        dialog = QFileDialog(self, self.tr("Export invitation list"), f"{current.title}.xlsx",
                             self.tr("Excel workbook (*.xlsx)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(self.write_list)
        dialog.open()

    def write_list(self, path: str) -> None:
        import pandas as pd

        current = self.current()
        with self.ctx.store.write() as session:
            rows = [{**vars(r), "invitation": vip_sessions.invitation_text(session, current.id, r.customer_id),
                     # Excel has no time zones: write the shop's clock, as the invitations do.
                     "responded_at": self.ctx.local(r.responded_at).strftime("%Y-%m-%d %H:%M") if r.responded_at else ""}
                    for r in vip_sessions.invitation_rows(session, current.id)]
        pd.DataFrame(rows).to_excel(path, index=False, engine="openpyxl")
        self._say(self.tr("Exported %1").replace("%1", path))

    # -- plumbing --------------------------------------------------------------------------
    def _run(self, job, on_done) -> None:
        self.ctx.tasks.submit(job, on_done=on_done, on_error=lambda exc: self._say(describe(exc), error=True))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.feedback.say(text, error=error)
