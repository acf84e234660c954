"""A page whose feature is not built yet: it says what is coming instead of pretending."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PlaceholderPage(QWidget):
    def __init__(self, title: str, coming: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 48)
        heading = QLabel(title, self)
        heading.setStyleSheet("font-size: 22px; font-weight: 600;")
        body = QLabel(coming, self)
        body.setWordWrap(True)
        body.setStyleSheet("font-size: 15px; color: #555;")
        body.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addStretch(1)
