"""The dialog of labelled fields that does its work on OK: a refusal shows on its red line and
the dialog stays open with what was typed, so nothing has to be typed again.

Used by the manual follow-up task, the new A/B test and the sign-in dialogs: a subclass adds its
rows to ``form``, calls ``finish()``, and implements ``save()`` (the work, raising to refuse) and
``refusal(exc)`` (the words for the errors it expects; None lets any other error through).
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget


class FormDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.error = QLabel(self)
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.hide()  # no empty gap above the buttons until there is something to say
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish(self) -> None:
        """After the fields' rows: the red line, then the buttons."""
        self.form.addRow(self.error)
        self.form.addRow(self.buttons)

    def save(self) -> None:
        raise NotImplementedError

    def refusal(self, exc: Exception) -> str | None:
        return None

    def accept(self) -> None:
        try:
            self.save()
        except Exception as exc:
            words = self.refusal(exc)
            if words is None:
                raise
            self.say(words)
            return
        super().accept()

    def say(self, words: str) -> None:
        """The red line: why OK did nothing (empty: nothing to say)."""
        self.error.setText(words)
        self.error.setVisible(bool(words))
