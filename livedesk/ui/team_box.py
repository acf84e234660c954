"""设置 › 团队: the shop's members and roles, and who this laptop acts as.

Only an owner changes the team (the service refuses anyone else, whatever this box shows);
everyone may set their own PIN. Signing in as another member is here too: the host's PC
opens as the host, an assistant's laptop as that assistant.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import team
from livedesk.services.team import Actor, MemberView
from livedesk.ui.context import AppContext
from livedesk.ui.errors import describe

MEMBER_KEY = "team/member_id"  # per machine: who this laptop opens as


def role_name(role: str) -> str:
    words = {"owner": QT_TRANSLATE_NOOP("TeamBox", "Owner"), "host": QT_TRANSLATE_NOOP("TeamBox", "Host"),
             "assistant": QT_TRANSLATE_NOOP("TeamBox", "Assistant")}.get(role)
    return QCoreApplication.translate("TeamBox", words) if words else role


class MembersModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.members: list[MemberView] = []

    def set_members(self, members: list[MemberView]) -> None:
        self.beginResetModel()
        self.members = members
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.members)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self.tr("Name"), self.tr("Role"), self.tr("State"))[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        m = self.members[index.row()]
        if index.column() == 0:
            return m.name
        if index.column() == 1:
            return role_name(m.role)
        state = self.tr("active") if m.active else self.tr("left the team")
        return state + (self.tr(" · PIN") if m.has_pin else "")


class TeamBox(QGroupBox):
    signed_in = Signal(object)  # Actor

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Team"), parent)
        self.ctx = ctx
        self.acting = QLabel(self)
        self.model = MembersModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(120)
        self.table.setMaximumHeight(200)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        buttons = QHBoxLayout()
        self.actions: dict[str, QPushButton] = {}
        for key, words, slot in (("add", self.tr("Add…"), self.add), ("rename", self.tr("Rename…"), self.rename),
                                 ("role", self.tr("Change role…"), self.change_role),
                                 ("deactivate", self.tr("Left the team"), self.deactivate),
                                 ("pin", self.tr("Set PIN…"), self.set_pin),
                                 ("sign_in", self.tr("Sign in as…"), self.sign_in_as)):
            button = QPushButton(words, self)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.actions[key] = button
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.acting)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.feedback)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        ctx.changes.changed.connect(self._on_changes)  # a bound method: gone with the box
        self.reload()

    def _on_changes(self, change_set) -> None:
        if change_set.touches_any("team_members"):
            self.reload()

    def reload(self) -> None:
        with self.ctx.store.read() as session:
            self.model.set_members(team.members(session, include_inactive=True))
        actor: Actor | None = self.ctx.store.actor
        self.acting.setText(self.tr("This laptop acts as %1 (%2)").replace("%1", actor.name)
                            .replace("%2", role_name(actor.role)) if actor else
                            self.tr("Nobody has signed in: add the team, then sign in as a member."))
        self._enable()

    def selected(self) -> MemberView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.members[rows[0].row()] if rows else None

    def _enable(self) -> None:
        member = self.selected()
        for key in ("rename", "role", "deactivate", "pin", "sign_in"):
            self.actions[key].setEnabled(member is not None and member.active)

    def _run(self, change, done_words: str) -> None:
        def finished(_result: Any) -> None:
            self.feedback.setStyleSheet("color: #2e7d32;")
            self.feedback.setText(done_words)
            self.reload()

        self.ctx.tasks.submit(lambda: self.ctx.store.apply(change), on_done=finished, on_error=self._refused)

    def _refused(self, exc: BaseException) -> None:
        self.feedback.setStyleSheet("color: #c62828;")
        if isinstance(exc, team.PermissionDenied):
            self.feedback.setText(self.tr("Only an owner can change the team."))
        elif isinstance(exc, team.TeamError):
            self.feedback.setText({
                "name_taken": self.tr("Someone on the team already has that name."),
                "bad_name": self.tr("A name is needed (at most 50 characters)."),
                "bad_pin": self.tr("A PIN is 4 to 8 digits."),
                "last_owner": self.tr("The shop needs at least one owner."),
                "wrong_pin": self.tr("Wrong PIN."),
            }.get(exc.code, self.tr("That change could not be made.")))
        else:
            self.feedback.setText(self.tr("Not saved: %1").replace("%1", describe(exc)))

    # -- actions -------------------------------------------------------------------------------
    def add(self) -> None:
        dialog = MemberDialog(self)
        dialog.accepted.connect(lambda: self._run(
            lambda s: team.add_member(s, dialog.name.text(), dialog.role.currentData(), dialog.pin.text() or None),
            self.tr("Added %1").replace("%1", dialog.name.text().strip())))
        dialog.open()

    def rename(self) -> None:
        member = self.selected()
        if member is None:
            return
        ask = QInputDialog(self)
        ask.setLabelText(self.tr("New name for %1").replace("%1", member.name))
        ask.setTextValue(member.name)
        ask.textValueSelected.connect(lambda name: self._run(lambda s: team.rename(s, member.id, name),
                                                             self.tr("Renamed")))
        ask.open()

    def change_role(self) -> None:
        member = self.selected()
        if member is None:
            return
        ask = QInputDialog(self)
        ask.setLabelText(self.tr("Role of %1").replace("%1", member.name))
        ask.setComboBoxItems([role_name(r) for r in team.ROLES])
        ask.setTextValue(role_name(member.role))
        ask.textValueSelected.connect(lambda words: self._run(
            lambda s: team.set_role(s, member.id, team.ROLES[[role_name(r) for r in team.ROLES].index(words)]),
            self.tr("Role changed")))
        ask.open()

    def deactivate(self) -> None:
        member = self.selected()
        if member is not None:
            self._run(lambda s: team.deactivate(s, member.id),
                      self.tr("%1 can no longer sign in; their notes keep their name").replace("%1", member.name))

    def set_pin(self) -> None:
        member = self.selected()
        if member is None:
            return
        ask = QInputDialog(self)
        ask.setLabelText(self.tr("PIN for %1 (4 to 8 digits; empty: no PIN)").replace("%1", member.name))
        ask.setTextEchoMode(QLineEdit.EchoMode.Password)
        ask.textValueSelected.connect(lambda pin: self._run(lambda s: team.set_pin(s, member.id, pin or None),
                                                            self.tr("PIN saved")))
        ask.open()

    def sign_in_as(self) -> None:
        member = self.selected()
        if member is None:
            return
        if not member.has_pin:
            self._signed_in(member.id, None)
            return
        ask = QInputDialog(self)
        ask.setLabelText(self.tr("PIN of %1").replace("%1", member.name))
        ask.setTextEchoMode(QLineEdit.EchoMode.Password)
        ask.textValueSelected.connect(lambda pin: self._signed_in(member.id, pin))
        ask.open()

    def _signed_in(self, member_id: int, pin: str | None) -> None:
        try:
            actor = sign_in(self.ctx, member_id, pin)
        except team.TeamError as exc:
            self._refused(exc)
            return
        self.feedback.setText("")
        self.reload()
        self.signed_in.emit(actor)


class MemberDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add a team member"))
        self.name = QLineEdit(self)
        self.role = QComboBox(self)
        for role in team.ROLES:
            self.role.addItem(role_name(role), role)
        self.role.setCurrentIndex(team.ROLES.index("assistant"))
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("optional, 4 to 8 digits"))
        form = QFormLayout(self)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Role"), self.role)
        form.addRow(self.tr("PIN"), self.pin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def sign_in(ctx: AppContext, member_id: int, pin: str | None) -> Actor:
    """This instance acts as the member from now on (remembered on this machine)."""
    with ctx.store.read() as session:
        actor = team.sign_in(session, member_id, pin)
    ctx.store.actor = ctx.actor = actor
    QSettings().setValue(MEMBER_KEY, member_id)
    return actor


def sign_in_remembered(ctx: AppContext) -> Actor | None:
    """At start: the member this machine opened as last time, if they need no PIN."""
    remembered = QSettings().value(MEMBER_KEY)
    if remembered is None:
        return None
    try:
        return sign_in(ctx, int(remembered), None)
    except (team.TeamError, ValueError):  # left the team, or a PIN is asked: the user signs in
        return None
