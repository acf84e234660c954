"""Advertising Law findings on screen: an editor that marks the offending words as they
are typed (the reason in a list beside them, a click selects the word), and the 话术检查
tab where a live script is pasted and checked.

The check itself is services/compliance.py; it is regex over a few kilobytes, so it runs
on the UI thread after a short pause in typing. The owner's extra and exempt words are
read from settings when the editor is shown, so a word added in 设置 counts at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QShowEvent, QSyntaxHighlighter, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPlainTextEdit, QVBoxLayout, QWidget

from livedesk.services import compliance, settings
from livedesk.services.compliance import Finding
from livedesk.ui import labels
from livedesk.ui.context import AppContext

CHECK_AFTER_MS = 250
CATEGORY_COLOURS = {"medical": "#8e24aa", "efficacy": "#8e24aa", "safety": "#8e24aa"}  # health claims read apart from absolutes
DEFAULT_COLOUR = "#c62828"


def utf16_spans(text: str, findings: list[Finding]) -> list[tuple[int, int, Finding]]:
    """Findings' spans in QTextDocument positions (UTF-16 units; differs after an emoji)."""
    if all(ord(ch) < 0x10000 for ch in text):
        return [(f.start, f.end, f) for f in findings]
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) >= 0x10000 else 1))
    return [(prefix[f.start], prefix[f.end], f) for f in findings]


class FindingsHighlighter(QSyntaxHighlighter):
    """Marks each finding's span with a wavy underline on a tinted background."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.spans: list[tuple[int, int, Finding]] = []

    def set_spans(self, spans: list[tuple[int, int, Finding]]) -> None:
        self.spans = spans
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        block_start = self.currentBlock().position()
        block_end = block_start + len(text)
        for start, end, finding in self.spans:
            a, b = max(start, block_start), min(end, block_end)
            if a < b:
                colour = QColor(CATEGORY_COLOURS.get(finding.category, DEFAULT_COLOUR))
                fmt = QTextCharFormat()
                fmt.setForeground(colour)
                fmt.setBackground(QColor(colour.red(), colour.green(), colour.blue(), 28))
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                fmt.setUnderlineColor(colour)
                self.setFormat(a - block_start, b - a, fmt)


class CheckedEditor(QWidget):
    """A text editor checked against the word list, with the findings listed under it."""

    checked = Signal(list)  # the findings of the text as it is now
    edited = Signal()  # the text changed (QPlainTextEdit.textChanged also fires on re-highlighting)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, placeholder: str = "") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.findings: list[Finding] = []
        self._checked_text: str | None = None
        self._terms: tuple[list, list] = ([], [])
        self.editor = QPlainTextEdit(self)
        self.editor.setPlaceholderText(placeholder)
        self.highlighter = FindingsHighlighter(self.editor.document())
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.itemActivated.connect(self._select_finding)
        self.list.itemClicked.connect(self._select_finding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self._timer = QTimer(self, singleShot=True, interval=CHECK_AFTER_MS, timeout=self.check_now)
        self.editor.textChanged.connect(self._text_changed)
        self.load_terms()

    def _text_changed(self) -> None:
        if self.text() != self._checked_text:
            self._timer.start()
            self.edited.emit()

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        self.editor.setPlainText(text)
        self.check_now()

    def load_terms(self) -> None:
        with self.ctx.store.read() as session:
            self._terms = (settings.get(session, "compliance.extra_terms"),
                           settings.get(session, "compliance.exempt_terms"))

    def check_now(self) -> None:
        self._timer.stop()
        text = self._checked_text = self.text()
        self.findings = compliance.check(text, *self._terms)
        spans = utf16_spans(text, self.findings)
        self.highlighter.set_spans(spans)
        self.list.clear()
        for start, end, finding in spans:
            item = QListWidgetItem(f"「{finding.term}」 {labels.compliance_reason(finding.category, finding.reason)}")
            item.setForeground(QColor(CATEGORY_COLOURS.get(finding.category, DEFAULT_COLOUR)))
            item.setData(Qt.ItemDataRole.UserRole, (start, end))
            self.list.addItem(item)
        self.list.setVisible(bool(self.findings))
        self.list.setFixedHeight(min(160, 6 + self.list.sizeHintForRow(0) * len(self.findings)) if self.findings else 0)
        if not text.strip():
            self.summary.setText("")
        elif self.findings:
            self.summary.setText(self.tr("%n risky words under the Advertising Law: reword them, or keep them "
                                         "only if you are sure they are allowed", "", len(self.findings)))
            self.summary.setStyleSheet(f"color: {DEFAULT_COLOUR};")
        else:
            self.summary.setText(self.tr("No absolute terms or medical claims found"))
            self.summary.setStyleSheet("color: #2e7d32;")
        self.checked.emit(self.findings)

    def _select_finding(self, item: QListWidgetItem) -> None:
        a, b = item.data(Qt.ItemDataRole.UserRole)
        cursor = self.editor.textCursor()
        cursor.setPosition(a)
        cursor.setPosition(b, QTextCursor.MoveMode.KeepAnchor)
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.load_terms()  # the owner may have changed the word list in 设置
        self.check_now()


class ScriptCheckPage(QWidget):
    """话术检查: paste the live script before going on air, see what the law forbids."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        intro = QLabel(self.tr("Paste the live script or product copy. Absolute terms (最, 第一, 国家级 …) and "
                               "medical or efficacy claims are marked with the reason; the word list is in "
                               "Settings, where the owner can add the shop's own."), self)
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #555;")
        self.checker = CheckedEditor(ctx, self, placeholder=self.tr("Paste the script here"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(intro)
        layout.addWidget(self.checker, 1)
