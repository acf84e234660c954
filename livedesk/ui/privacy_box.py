"""The 隐私 box of a customer's page (PIPL): consent, the access export, and erasure.

Consent (date, channel, note) is shown and edited here. "Export this person's data" writes
the access export; "Erase this customer" (the owner only: the service checks the acting role
again) shows what will go in a confirmation that names the customer, erases on the worker,
overwrites the freed pages, then lists the backups that still hold the person and offers to
delete them. Dialogs open with ``open()``, never ``exec()``: the qasync loop keeps running.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import customers, team
from livedesk.services.customers import CONSENT_NOTE_MAX, Consent, ConsentError
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.flow_layout import FlowLayout



class PrivacyBox(QGroupBox):
    erased = Signal(int)  # the customer is gone: lists and the search index forget them
    changed = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Privacy"))
        self.ctx = ctx
        self.customer_id: int | None = None
        self.nickname = ""
        self.consent = Consent(None, None, None)
        self.consent_label = QLabel(self)
        self.consent_label.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.consent_button = QPushButton(self.tr("Edit consent…"), self)
        self.consent_button.clicked.connect(self.edit_consent)
        self.export_button = QPushButton(self.tr("Export this person's data…"), self)
        self.export_button.setToolTip(self.tr("Everything the store holds about this customer, for their request"))
        self.export_button.clicked.connect(self.choose_export_file)
        self.erase_button = QPushButton(self.tr("Erase this customer…"), self)
        self.erase_button.setStyleSheet("QPushButton { color: #c62828; }")
        self.erase_button.setVisible(ctx.store.actor is None or ctx.store.actor.may("erase"))
        self.erase_button.clicked.connect(self.ask_erase)
        buttons = FlowLayout()  # three long English buttons wrap in the customer page's narrow pane
        for button in (self.consent_button, self.export_button, self.erase_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.consent_label)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.dialog: QDialog | QFileDialog | None = None  # the one open, for tests and to keep it alive

    def show_customer(self, customer_id: int, nickname: str, consent: Consent | None) -> None:
        if customer_id != self.customer_id:
            self.message.hide()
        self.customer_id, self.nickname = customer_id, nickname
        self.consent = consent or Consent(None, None, None)
        c = self.consent
        if c.at is None:
            self.consent_label.setText(self.tr("No consent recorded"))
        else:
            parts = [self.tr("Consent given %1").replace("%1", self.ctx.local(c.at).strftime("%Y-%m-%d"))]
            if c.channel:
                parts.append(labels.consent_channel(c.channel))
            if c.note:
                parts.append(c.note)
            self.consent_label.setText(" · ".join(parts))

    # -- consent ---------------------------------------------------------------------------
    def edit_consent(self) -> None:
        dialog = ConsentDialog(self.consent, self)
        dialog.accepted.connect(lambda: self.save_consent(*dialog.value()))
        self.dialog = dialog
        dialog.open()

    def save_consent(self, at: datetime | None, channel: str | None, note: str | None) -> None:
        customer_id = self.customer_id

        def run() -> None:
            with self.ctx.store.write() as session:
                customers.set_consent(session, customer_id, at, channel, note)

        self.ctx.tasks.submit(run, on_done=lambda _r: self.changed.emit(customer_id), on_error=self._failed)

    # -- access export ---------------------------------------------------------------------
    def choose_export_file(self) -> None:
        dialog = QFileDialog(self, self.tr("Export this person's data"), f"customer-{self.customer_id}.xlsx",
                             self.tr("Excel (*.xlsx);;JSON (*.json)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda name: self.export_to(_with_suffix(name, dialog.selectedNameFilter())))
        self.dialog = dialog
        dialog.open()

    def export_to(self, path: str) -> None:
        customer_id = self.customer_id

        def run():
            import getpass

            from livedesk.services import access_export

            with self.ctx.store.write() as session:
                return access_export.access_export(session, customer_id, path, actor=getpass.getuser())

        self._say(self.tr("Exporting…"))
        self.ctx.tasks.submit(run, on_done=lambda summary: self._say(
            self.tr("Everything about this customer was written to %1").replace("%1", summary.path)),
            on_error=self._failed)

    # -- erasure ---------------------------------------------------------------------------
    def ask_erase(self) -> None:
        customer_id = self.customer_id

        def run():
            from livedesk.services import erasure

            with self.ctx.store.write() as session:
                return erasure.plan(session, customer_id)

        self.ctx.tasks.submit(run, on_done=self._confirm_erase, on_error=self._failed)

    def _confirm_erase(self, plan: Any) -> None:
        dialog = EraseDialog(plan, self)
        dialog.accepted.connect(lambda: self.erase_now(plan.customer_id))
        self.dialog = dialog
        dialog.open()

    def erase_now(self, customer_id: int) -> None:
        nickname = self.nickname

        def run():
            import getpass

            from livedesk.services import erasure
            from livedesk.services.store import scrub_freed_pages

            store = self.ctx.store
            with store.write() as session:
                result = erasure.erase(session, customer_id, actor=getpass.getuser())
            scrub = scrub_freed_pages(store)
            holding = erasure.backups_holding(erasure.backup_files(store.path), result.traces) if store.path else []
            return result, scrub, holding

        def done(outcome: tuple[Any, Any, list[Any]]) -> None:
            result, scrub, holding = outcome
            self._say(self.tr("%1 was erased: %2 orders kept without name, phone or address.")
                      .replace("%1", nickname).replace("%2", str(result.orders_anonymised))
                      + ("" if scrub.complete else " " + self.tr(
                          "Another program has the store open: the freed space is overwritten when it closes.")))
            self.erased.emit(customer_id)
            if holding:
                self._offer_purge(nickname, holding)

        self._say(self.tr("Erasing…"))
        self.ctx.tasks.submit(run, on_done=done, on_error=self._failed)

    def _offer_purge(self, nickname: str, holding: list[Any]) -> None:
        dialog = BackupsDialog(nickname, holding, self)
        dialog.accepted.connect(lambda: self.purge([h.path for h in holding]))
        self.dialog = dialog
        dialog.open()

    def purge(self, paths: list[str]) -> None:
        from livedesk.services import erasure

        self.ctx.tasks.submit(erasure.purge_backups, paths, on_done=lambda removed: self._say(
            self.tr("%1 backups deleted").replace("%1", str(len(removed)))), on_error=self._failed)

    # -- messages ----------------------------------------------------------------------------
    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")
        self.message.show()

    def _failed(self, exc: BaseException) -> None:
        from livedesk.services import access_export

        if isinstance(exc, ConsentError):
            text = {
                "unknown_channel": self.tr("Choose how consent was given from the list."),
                "note_too_long": self.tr("The consent note is too long (at most %1 characters).")
                .replace("%1", str(CONSENT_NOTE_MAX)),
                "needs_date": self.tr("Give the date consent was given."),
                "in_the_future": self.tr("The consent date is in the future."),
            }.get(exc.code, self.tr("Consent was not saved."))
        elif isinstance(exc, team.PermissionDenied):
            text = self.tr("Only the shop owner may erase a customer.")
        elif isinstance(exc, customers.NotFound):
            text = self.tr("This customer no longer exists.")
        elif isinstance(exc, access_export.AccessExportError):
            text = self.tr("The file could not be written there. Choose a file name ending in .xlsx or .json "
                           "in a folder you can write to.")
        elif isinstance(exc, OSError):
            text = self.tr("The file could not be written: %1").replace("%1", exc.strerror or exc.__class__.__name__)
        else:
            text = self.tr("That did not work. Nothing was changed.")
        self._say(text, error=True)


def _with_suffix(name: str, chosen_filter: str) -> str:
    if name and not name.lower().endswith((".xlsx", ".json")) and "." not in name.rsplit("/", 1)[-1]:
        name += ".json" if "json" in chosen_filter.lower() else ".xlsx"  # Qt's own dialog adds none
    return name


class ConsentDialog(QDialog):
    def __init__(self, consent: Consent, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Consent"))
        self.setMinimumWidth(420)
        self.given = QCheckBox(self.tr("The customer agreed that the shop keeps their data"), self)
        self.date = QDateEdit(self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setMaximumDate(QDate.currentDate())
        self.channel = QComboBox(self)
        for code, word in labels.consent_channels():
            self.channel.addItem(word, code)
        self.note = QLineEdit(self)
        self.note.setMaxLength(CONSENT_NOTE_MAX)
        self.note.setPlaceholderText(self.tr("What they agreed to, where the record is"))
        if consent.at is not None:
            local = consent.at.astimezone()
            self.date.setDate(QDate(local.year, local.month, local.day))
        else:
            self.date.setDate(QDate.currentDate())
        self.given.setChecked(consent.at is not None)
        self.channel.setCurrentIndex(max(0, self.channel.findData(consent.channel)))
        self.note.setText(consent.note or "")
        form = QFormLayout()
        form.addRow(self.given)
        form.addRow(self.tr("Date"), self.date)
        form.addRow(self.tr("Channel"), self.channel)
        form.addRow(self.tr("Note"), self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.given.toggled.connect(self._enable)
        self._enable(self.given.isChecked())

    def _enable(self, on: bool) -> None:
        for widget in (self.date, self.channel, self.note):
            widget.setEnabled(on)

    def value(self) -> tuple[datetime | None, str | None, str | None]:
        """(when, channel, note); all None when consent is withdrawn. An earlier day is stored
        as its local noon (the same date in any zone it is read in later), today as now."""
        if not self.given.isChecked():
            return None, None, None
        day = self.date.date().toPython()
        now = datetime.now(timezone.utc)
        at = now if day >= now.astimezone().date() else (
            datetime.combine(day, time(12)).astimezone().astimezone(timezone.utc))
        return at, self.channel.currentData(), self.note.text().strip() or None


class EraseDialog(QDialog):
    """The confirmation: names the customer, lists what goes and what stays; Erase is enabled
    only once "cannot be undone" is ticked."""

    def __init__(self, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Erase customer"))
        self.setMinimumWidth(480)
        title = QLabel(self.tr("Erase %1 (customer %2) for good?").replace("%1", plan.nickname)
                       .replace("%2", str(plan.customer_id)), self)
        title.setStyleSheet("font-size: 16px; font-weight: 600;")
        title.setWordWrap(True)
        lines = [labels.erased_table("customers")]
        lines += [f"{labels.erased_table(table)}: {n}" for table, n in plan.deleted.items()]
        gone = QLabel(self.tr("Deleted:") + "<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>", self)
        gone.setTextFormat(Qt.TextFormat.RichText)
        kept = QLabel(self.tr("%1 orders stay for the accounts, without name, phone, address or link to anyone. "
                              "%2 audit entries lose this customer's details. Backups that still hold the "
                              "customer are listed afterwards.").replace("%1", str(plan.orders_anonymised))
                      .replace("%2", str(plan.audit_entries_scrubbed)), self)
        kept.setWordWrap(True)
        self.understood = QCheckBox(self.tr("I understand this cannot be undone"), self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.erase_button = self.buttons.addButton(self.tr("Erase"), QDialogButtonBox.ButtonRole.DestructiveRole)
        self.erase_button.setEnabled(False)
        self.erase_button.setStyleSheet("QPushButton { color: #c62828; font-weight: 600; }")
        self.understood.toggled.connect(self.erase_button.setEnabled)
        self.erase_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (title, gone, kept, self.understood, self.buttons):
            layout.addWidget(widget)
        self.summary = "\n".join([title.text(), *lines, kept.text()])  # what the dialog says, for tests


class BackupsDialog(QDialog):
    def __init__(self, nickname: str, holding: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Backups that still hold the customer"))
        self.setMinimumWidth(520)
        text = QLabel(self.tr("%n backups made before the erasure still hold %1. Delete them now, or keep "
                              "them until they expire.", "", len(holding)).replace("%1", nickname), self)
        text.setWordWrap(True)
        files = QLabel("\n".join(f"{h.path}  ({h.size / 1e6:.1f} MB)" for h in holding), self)
        files.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        files.setWordWrap(True)
        buttons = QDialogButtonBox(self)
        self.delete_button = buttons.addButton(self.tr("Delete these backups"),
                                               QDialogButtonBox.ButtonRole.DestructiveRole)
        self.keep_button = buttons.addButton(self.tr("Keep them"), QDialogButtonBox.ButtonRole.RejectRole)
        self.delete_button.clicked.connect(self.accept)
        self.keep_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (text, files, buttons):
            layout.addWidget(widget)
