"""The passphrase of an encrypted store: asked at start (``PassphraseDialog``), chosen when turning
encryption on or changing it (``NewPassphraseDialog``).

A wrong passphrase keeps the dialog open and says so; nothing is shown of SQLCipher's own words.
"Remember on this computer" puts it in the OS keyring, only when ticked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from livedesk.models.adapters import sqlcipher
from livedesk.services import encryption, passphrases


class _Base(QDialog):
    # Shared words under one context (a subclass's self.tr would look them up under its own name).
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("LiveDesk")
        self.setMinimumWidth(440)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("passphraseError")
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.remember = QCheckBox(QCoreApplication.translate(
            "PassphraseDialog", "Remember on this computer (in the system keyring)"), self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.remember)
        layout.addWidget(self.buttons)

    def _field(self, label: str) -> QLineEdit:
        field = QLineEdit(self)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow(label, field)
        return field

    def _say(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _keep(self, path: Path, passphrase: str) -> bool:
        """Into the keyring if ticked; False (and said) when the keyring refuses."""
        if not self.remember.isChecked():
            return True
        try:
            passphrases.remember(path, passphrase)
        except passphrases.KeyringUnavailable:
            self._say(QCoreApplication.translate("PassphraseDialog", "This computer has no system keyring to "
                                                 "remember it in. Untick \"Remember\" to go on; you will be asked "
                                                 "each time."))
            return False
        return True


class PassphraseDialog(_Base):
    """Asked when the app opens an encrypted store; accepted only with a passphrase that opens it."""

    def __init__(self, path: Path, parent: QWidget | None = None, agent: sqlcipher.KeyAgent | None = None) -> None:
        super().__init__(parent)
        self.path, self.agent = path, agent or sqlcipher.AGENT
        self.intro.setText(self.tr("This store is encrypted. Type its passphrase to open it.") + f"\n{path}")
        self.passphrase = self._field(self.tr("Passphrase"))

    def accept(self) -> None:
        typed = self.passphrase.text()
        if not typed:
            self._say(self.tr("Type the passphrase."))
            return
        self.agent.add(typed)
        try:
            self.agent.key_for(self.path)
        except sqlcipher.CipherError as exc:
            self.agent.discard(typed)
            self.passphrase.clear()
            self._say(self.tr("The passphrase is wrong. Try again.") if exc.code == sqlcipher.WRONG_PASSPHRASE
                      else self.tr("This LiveDesk cannot open encrypted stores."))
            return
        if self._keep(self.path, typed):
            super().accept()


class NewPassphraseDialog(_Base):
    """A new passphrase, typed twice, at least ``encryption.MIN_PASSPHRASE`` characters."""

    def __init__(self, path: Path, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.intro.setText(intro)
        self.passphrase = self._field(self.tr("New passphrase"))
        self.again = self._field(self.tr("The same again"))

    def chosen(self) -> str:
        return self.passphrase.text()

    def accept(self) -> None:
        if len(self.passphrase.text()) < encryption.MIN_PASSPHRASE:
            self._say(self.tr("A passphrase needs at least %1 characters.").replace(
                "%1", str(encryption.MIN_PASSPHRASE)))
            return
        if self.passphrase.text() != self.again.text():
            self._say(self.tr("The two passphrases differ."))
            return
        super().accept()


def unlock(path: Path, parent: QWidget | None = None,
           ask: Callable[[PassphraseDialog], int] | None = None) -> bool:
    """Before the app opens ``path``: True once the agent can open it (plain, the environment, the
    keyring, or the dialog); False when the user gave up."""
    if passphrases.unlock_without_asking(path):
        return True
    dialog = PassphraseDialog(path, parent)
    return (ask or (lambda d: d.exec()))(dialog) == QDialog.DialogCode.Accepted
