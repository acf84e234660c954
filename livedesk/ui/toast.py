"""The one feedback area of a page: a toast over the page's bottom edge that says what an
action did (or why it was refused) and fades out by itself.

A small grey line under the buttons was easy to miss; a toast is where the eye already
is, never takes layout space, and an error stays longer and is red.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

SHOW_MS = 4000
ERROR_MS = 8000


class Toast(QLabel):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.error = False
        self._timer = QTimer(self, singleShot=True, timeout=self.hide)
        parent.installEventFilter(self)
        self.hide()

    def say(self, text: str, *, error: bool = False) -> None:
        self.error = error
        self.setText(text)
        self.setStyleSheet(
            "QLabel { color: white; border-radius: 8px; padding: 10px 18px; font-size: 14px; background: %s; }"
            % ("#c62828" if error else "#2e3440"))
        self._place()
        self.show()
        self.raise_()
        self._timer.start(ERROR_MS if error else SHOW_MS)

    def _place(self) -> None:
        parent = self.parentWidget()
        width = min(640, max(200, parent.width() - 48))
        self.setFixedWidth(width)
        self.adjustSize()
        self.move((parent.width() - width) // 2, parent.height() - self.height() - 16)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
