"""Temporary stand-in; replaced by the real customers page."""

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget


class CustomersPage(QWidget):
    push_to_panel = Signal(int)

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(parent)
