"""设置: the shop's own words for comment intents ("蹲一个：想买"), and words that mean nothing here.

Part of the 设置 page's one save: edits say ``changed``, the page's "Save changes" writes them
with the other rules (an owner's job: ``intents.*`` are shop rules in services/settings).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QPlainTextEdit, QWidget

from livedesk.services import settings
from livedesk.services.feeds.intents import INTENTS
from livedesk.ui import labels
from livedesk.ui.context import AppContext


class BadIntentLine(ValueError):
    """A line of "also tag" whose meaning (after the colon) is not an intent; nothing is saved."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: after the colon, one of the intents")
        self.line = line


class IntentTermsBox(QGroupBox):
    changed = Signal()  # something was edited: the page's one save keeps it

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Comment intents word list"))
        self.ctx = ctx
        names = "、".join(f"{labels.intent(code)}" for code in INTENTS)
        intro = QLabel(self.tr("Add the words your room uses, one per line: the word, a colon, what it means "
                               "(%1). The next feed you connect uses them.").replace("%1", names), self)
        intro.setWordWrap(True)
        self.extra = QPlainTextEdit(self)
        self.extra.setPlaceholderText(self.tr("e.g. 蹲一个：%1").replace("%1", labels.intent("buy")))
        self.ignore = QPlainTextEdit(self)
        self.ignore.setPlaceholderText(self.tr("e.g. 福袋"))
        for box in (self.extra, self.ignore):
            box.setMaximumHeight(80)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow(self.tr("Also tag"), self.extra)
        form.addRow(self.tr("Never tag"), self.ignore)
        self.load()
        for box in (self.extra, self.ignore):
            box.textChanged.connect(self.changed.emit)

    def load(self) -> None:
        with self.ctx.store.read() as session:
            extra = settings.get(session, "intents.extra_terms")
            ignore = settings.get(session, "intents.ignore_terms")
        self.blockSignals(True)  # loading is not an edit
        self.extra.setPlainText("\n".join(f"{i['term']}：{labels.intent(i['intent'])}" for i in extra))
        self.ignore.setPlainText("\n".join(ignore))
        self.blockSignals(False)

    def values(self) -> tuple[list[dict[str, Any]], list[str]]:
        """What the form says; BadIntentLine for a line whose meaning is not an intent."""
        by_name = {labels.intent(code): code for code in INTENTS} | {code: code for code in INTENTS}
        extra = []
        for n, line in enumerate(self.extra.toPlainText().splitlines(), 1):
            term, _sep, meaning = line.replace(":", "：").partition("：")
            if not term.strip():
                continue
            code = by_name.get(meaning.strip())  # the codes are accepted too, not offered
            if code is None:
                raise BadIntentLine(n)
            extra.append({"term": term.strip(), "intent": code})
        ignore = [line.strip() for line in self.ignore.toPlainText().splitlines() if line.strip()]
        return extra, ignore

    def refusal(self, exc: BadIntentLine) -> str:
        return (self.tr("Comment intents, line %1: after the colon, one of: %2").replace("%1", str(exc.line))
                .replace("%2", "、".join(labels.intent(code) for code in INTENTS)))

    @staticmethod
    def write(session, extra: list[dict[str, Any]], ignore: list[str]) -> None:
        settings.set_value(session, "intents.extra_terms", extra)
        settings.set_value(session, "intents.ignore_terms", ignore)
