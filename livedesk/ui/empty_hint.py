"""A sentence in the middle of an empty list saying why it is empty and what to do.

An empty white box reads as "broken"; "No one has arrived yet: connect the live feed"
reads as a state. The hint follows the model: shown while it has no rows.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel


class EmptyHint(QLabel):
    def __init__(self, view: QAbstractItemView, text: str = "") -> None:
        super().__init__(text, view.viewport())
        self.view = view
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("color: #8a8f98; font-size: 14px; padding: 16px; background: transparent;")
        view.viewport().installEventFilter(self)
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.follow)
        self.follow()

    def set_hint(self, text: str) -> None:
        self.setText(text)
        self.follow()

    def follow(self, *_args: object) -> None:
        empty = self.view.model().rowCount() == 0 and bool(self.text())
        self.setVisible(empty)
        if empty:
            self.setGeometry(self.view.viewport().rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self.view.viewport().rect())
        return False
