"""设置 › 存储加密: turning encryption at rest on or off, changing the passphrase, deleting the
backups that are still plain.

A conversion swaps the store file, so it runs with the store closed: the box hands the main
window a job (``with_store_closed``), the window closes, the app runs the job once the store is
closed (``run_conversion``: a backup first, then the conversion, in words if it fails) and starts
again, asking for the passphrase unless the user let the keyring remember it. The owner only:
the buttons follow the acting member's role, and the service checks it again (``encryption.authorize``).
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtWidgets import (
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import encryption, passphrases
from livedesk.ui import backup_labels
from livedesk.ui.context import AppContext
from livedesk.ui.errors import describe
from livedesk.ui.passphrase_dialog import NewPassphraseDialog


class EncryptionBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Encryption at rest"), parent)
        self.ctx = ctx
        self.path: Path = ctx.store.path  # type: ignore[assignment]  # shown for SQLite stores only
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, words, slot in (("encrypt", self.tr("Encrypt…"), self.encrypt),
                                 ("rekey", self.tr("Change passphrase…"), self.change_passphrase),
                                 ("decrypt", self.tr("Decrypt…"), self.decrypt),
                                 ("purge", self.tr("Delete unencrypted backups…"), self.purge)):
            button = QPushButton(words, self)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(row)
        layout.addWidget(self.feedback)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.refresh()  # the acting member may have changed in the team box
        super().showEvent(event)

    def refresh(self) -> None:
        encrypted = encryption.is_encrypted(self.path)
        plain = encryption.plain_backups(self.path) if encrypted else []
        text = (self.tr("The store and its backups are encrypted: they open only with the passphrase.")
                if encrypted else
                self.tr("The store is not encrypted: anyone who copies this computer's files can read the "
                        "customers' phones and names."))
        if plain:
            text += " " + self.tr("%n older backup(s) are still unencrypted.", "", len(plain))
        self.state.setText(text)
        actor = self.ctx.store.actor
        owner = actor is None or actor.may(encryption.PERMISSION)
        for key, shown in (("encrypt", not encrypted), ("rekey", encrypted), ("decrypt", encrypted),
                           ("purge", bool(plain))):
            self.buttons[key].setVisible(shown)
            self.buttons[key].setEnabled(owner)
        if not owner:
            self.feedback.setText(self.tr("Only the owner can change this."))

    # -- actions ---------------------------------------------------------------------------

    def encrypt(self) -> None:
        dialog = NewPassphraseDialog(self.path, self.tr(
            "LiveDesk will close, encrypt the store (after a backup) and open again. Close LiveDesk on "
            "this computer's other windows first. Nobody can open the store or its new backups without "
            "this passphrase, and a lost passphrase cannot be recovered."), self)
        if dialog.exec() == NewPassphraseDialog.DialogCode.Accepted:
            self._convert_on_restart(encryption.ENCRYPT, dialog.chosen(), dialog.remember.isChecked())

    def change_passphrase(self) -> None:
        dialog = NewPassphraseDialog(self.path, self.tr(
            "LiveDesk will close, re-encrypt the store with the new passphrase (after a backup) and open "
            "again. Older backups keep the old passphrase."), self)
        if dialog.exec() == NewPassphraseDialog.DialogCode.Accepted:
            self._convert_on_restart(encryption.REKEY, dialog.chosen(), dialog.remember.isChecked())

    def decrypt(self) -> None:
        answer = QMessageBox.question(self, self.tr("Decrypt the store"), self.tr(
            "LiveDesk will close, write the store back unencrypted (after a backup) and open again. "
            "Anyone who copies this computer's files can then read it. Decrypt?"))
        if answer == QMessageBox.StandardButton.Yes:
            self._convert_on_restart(encryption.DECRYPT, None, False)

    def purge(self) -> None:
        plain = encryption.plain_backups(self.path)
        answer = QMessageBox.question(self, self.tr("Delete unencrypted backups"), self.tr(
            "Delete the %n backup(s) made before the store was encrypted? The encrypted backups stay.", "",
            len(plain)))
        if answer != QMessageBox.StandardButton.Yes:
            return

        def run() -> int:
            from livedesk.services import erasure

            with self.ctx.store.write() as session:
                encryption.authorize(session, "purge_plain_backups")
            return len(erasure.purge_backups(plain))

        self.ctx.tasks.submit(run, on_done=self._purged, on_error=self._failed)

    def _purged(self, count: int) -> None:
        self.feedback.setText(self.tr("Deleted %n unencrypted backup(s).", "", count))
        self.refresh()

    def _convert_on_restart(self, action: str, passphrase: str | None, remember: bool) -> None:
        def authorized(_none: None) -> None:
            window = self.window()
            window.with_store_closed = functools.partial(run_conversion, action, self.path, passphrase, remember)
            window.restart_requested = True
            window.close()

        def check() -> None:
            with self.ctx.store.write() as session:  # the owner only, audited, before the window closes
                encryption.authorize(session, action)

        self.ctx.tasks.submit(check, on_done=authorized, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.feedback.setText(describe(exc))


def run_conversion(action: str, path: Path, passphrase: str | None, remember: bool) -> bool:
    """The conversion, with the store closed and a busy dialog; failures in words. True when done."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            if action == encryption.ENCRYPT:
                outcome["done"] = encryption.encrypt(path, passphrase or "")
            elif action == encryption.REKEY:
                outcome["done"] = encryption.change_passphrase(path, passphrase or "")
            else:
                outcome["done"] = encryption.decrypt(path)
        except Exception as exc:  # noqa: BLE001 - worded below, and the store is unchanged
            outcome["error"] = exc

    busy = QProgressDialog(QCoreApplication.translate("EncryptionBox", "Converting the store…"), "", 0, 0)
    busy.setCancelButton(None)
    busy.setWindowModality(Qt.WindowModality.ApplicationModal)
    busy.show()
    thread = threading.Thread(target=work, name="livedesk-convert", daemon=True)
    thread.start()
    while thread.is_alive():
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        thread.join(0.05)
    busy.close()
    error = outcome.get("error")
    if error is not None:
        code = getattr(error, "code", "other")
        words = (QCoreApplication.translate("EncryptionBox", "The converted copy did not check out.")
                 if code == "mismatch" else backup_labels.problem(code))
        QMessageBox.critical(None, "LiveDesk", words + " " + QCoreApplication.translate(
            "EncryptionBox", "The store is unchanged."))
        return False
    if action == encryption.DECRYPT:
        passphrases.forget(path)
    elif remember and passphrase:
        try:
            passphrases.remember(path, passphrase)
        except passphrases.KeyringUnavailable:
            QMessageBox.warning(None, "LiveDesk", QCoreApplication.translate(
                "EncryptionBox", "This computer has no system keyring: the passphrase was not remembered. You will "
                "be asked for it when LiveDesk opens."))
    else:
        passphrases.forget(path)  # an older remembered passphrase no longer opens it
    return True
