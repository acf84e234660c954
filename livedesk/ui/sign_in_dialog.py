"""Who is at this computer: the app opens as a team member.

A shop with a team never opens as nobody (services/team refuses every permission to nobody):
at start the member this computer opened as last time goes straight in when they have no PIN;
otherwise this dialog asks who (and their PIN). The choice is remembered per computer in
QSettings (``team/member_id``). A shop without a team opens as its one user, unasked.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLabel, QLineEdit, QWidget

from livedesk.services import settings, team
from livedesk.services.team import Actor, MemberView
from livedesk.ui.context import AppContext
from livedesk.ui.form_dialog import FormDialog
from livedesk.ui.team_words import refusal, role_name

MEMBER_KEY = "team/member_id"  # per computer: who it opens as


class SignInDialog(FormDialog):
    """The team's active members and, for one with a PIN, the PIN; OK signs in (``actor``)."""

    def __init__(self, ctx: AppContext, members: list[MemberView], chosen: int | None = None,
                 parent: QWidget | None = None, *, at_start: bool = True) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.members = members
        self.actor: Actor | None = None
        self.setWindowTitle(self.tr("Who is at this computer?"))
        with ctx.store.read() as session:
            shop = settings.get(session, "shop.name")
        heading = QLabel(shop, self)
        heading.setStyleSheet("font-size: 16px; font-weight: 600;")
        intro = QLabel(self.tr("This shop has a team: sign in as yourself. Notes, tasks and changes are recorded "
                               "under your name, and your role decides what you may do."), self)
        intro.setWordWrap(True)
        intro.setMinimumWidth(380)
        self.member = QComboBox(self)
        for m in members:
            self.member.addItem(f"{m.name} · {role_name(m.role)}", m.id)
        self.member.setCurrentIndex(max(0, self.member.findData(chosen)))
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("4 to 8 digits"))
        self.form.addRow(heading)
        self.form.addRow(intro)
        self.form.addRow(self.tr("I am"), self.member)
        self.form.addRow(self.tr("PIN"), self.pin)
        self.finish()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Sign in"))
        if at_start:  # no way into the shop's data without saying who
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Quit"))
        self.member.currentIndexChanged.connect(lambda _i: self._show_pin())
        self._show_pin()

    def chosen(self) -> MemberView:
        return self.members[self.member.currentIndex()]

    def _show_pin(self) -> None:
        self.form.setRowVisible(self.pin, self.chosen().has_pin)
        self.pin.clear()
        self.say("")
        self.adjustSize()

    def save(self) -> None:
        self.actor = sign_in(self.ctx, self.chosen().id, self.pin.text() or None)

    def refusal(self, exc: Exception) -> str | None:
        if not isinstance(exc, team.TeamError):
            return None
        self.pin.selectAll()
        return refusal(exc)


def sign_in(ctx: AppContext, member_id: int, pin: str | None) -> Actor:
    """This instance acts as the member from now on (remembered on this computer)."""
    with ctx.store.read() as session:
        actor = team.sign_in(session, member_id, pin)
    ctx.store.actor = ctx.actor = actor
    QSettings().setValue(MEMBER_KEY, member_id)
    return actor


def sign_in_at_start(ctx: AppContext, ask: Callable[[SignInDialog], bool] | None = None) -> bool:
    """Open as a member; False when the person chose not to sign in (the app does not open).

    ``ask`` shows the dialog and says whether it was accepted (the app runs it modally).
    """
    with ctx.store.read() as session:
        members = team.members(session)
    if not members:
        return True  # a one-person shop: its user may do everything
    remembered = _remembered()
    known = {m.id: m for m in members}
    if remembered in known and not known[remembered].has_pin:
        sign_in(ctx, remembered, None)
        return True
    dialog = SignInDialog(ctx, members, remembered)
    return (ask or (lambda d: d.exec() == SignInDialog.DialogCode.Accepted))(dialog) and dialog.actor is not None


def _remembered() -> int | None:
    value = QSettings().value(MEMBER_KEY)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):  # another version's value: ask
        return None
