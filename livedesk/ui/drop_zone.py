"""Where an order export is dropped: a dashed box that takes files dragged from the desktop
or the file manager, with the button to choose one and a link to LiveDesk's own template."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
IDLE = "QFrame#DropZone { border: 2px dashed #b0b6c0; border-radius: 10px; background: #fafbfc; }"
HOVER = "QFrame#DropZone { border: 2px dashed #3b7ddd; border-radius: 10px; background: #eef4fd; }"


def dropped_file(event: QDragEnterEvent | QDropEvent) -> Path | None:
    """The first local file of a drag that LiveDesk can import, or None."""
    for url in event.mimeData().urls() if event.mimeData().hasUrls() else ():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(SUFFIXES):
            return Path(url.toLocalFile())
    return None


class DropZone(QFrame):
    dropped = Signal(object)  # Path
    choose = Signal()
    template = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DropZone")
        self.setAcceptDrops(True)
        self.setStyleSheet(IDLE)
        title = QLabel(self.tr("Drop the platform's order export here"), self)
        title.setStyleSheet("font-size: 18px; color: #1f2430; border: none; background: transparent;")
        detail = QLabel(self.tr("CSV (UTF-8, GBK/GB18030) or Excel, as the platform exported it: Douyin, Taobao, "
                                "Kuaishou, Channels, TikTok Shop, Shopify"), self)
        detail.setWordWrap(True)
        detail.setStyleSheet("color: #555; border: none; background: transparent;")
        pick = QPushButton(self.tr("Choose a file…"), self)
        pick.clicked.connect(self.choose)
        link = QLabel("<a href='template'>" + self.tr("No export at hand? Save LiveDesk's template (CSV) and fill "
                                                      "it in") + "</a>", self)
        link.setStyleSheet("border: none; background: transparent;")
        link.linkActivated.connect(lambda _href: self.template.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.addStretch(1)
        for widget in (title, detail, link):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        layout.addWidget(detail)
        layout.addWidget(pick, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(link)
        layout.addStretch(1)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event) is not None:
            self.setStyleSheet(HOVER)
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self.setStyleSheet(IDLE)

    def dropEvent(self, event: QDropEvent) -> None:
        self.setStyleSheet(IDLE)
        path = dropped_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.dropped.emit(path)
