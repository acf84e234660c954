"""The 设置 page's boxes of the shop's own words: words to add (one per line, "word：meaning")
and words to leave alone, kept as two shop-rule settings (an owner's change: services/settings).

One piece for the Advertising Law list (``ComplianceTermsBox``, here) and the comment-intent list
(ui/intent_terms_box.py): a subclass says which settings, its words, and how a line of the first
list reads and is shown. Part of the page's one save: edits say ``changed``; the page writes
``values()`` with ``write`` in its unit of work.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QPlainTextEdit, QWidget

from livedesk.services import compliance, settings
from livedesk.ui.context import AppContext


class WordListBox(QGroupBox):
    changed = Signal()  # something was edited: the page's one save keeps it
    KEYS: tuple[str, str]  # the settings: (words to add, words to leave alone)

    def __init__(self, ctx: AppContext, parent: QWidget | None, *, title: str, intro: str,
                 rows: tuple[str, str], examples: tuple[str, str], height: int) -> None:
        super().__init__(parent)
        self.setTitle(title)
        self.ctx = ctx
        text = QLabel(intro, self)
        text.setWordWrap(True)
        self.extra = QPlainTextEdit(self)
        self.skip = QPlainTextEdit(self)
        form = QFormLayout(self)
        form.addRow(text)
        for box, label, example in zip((self.extra, self.skip), rows, examples):
            box.setPlaceholderText(example)
            box.setMaximumHeight(height)
            form.addRow(label, box)
        self.load()
        for box in (self.extra, self.skip):
            box.textChanged.connect(self.changed.emit)

    def show_item(self, item: Any) -> str:
        """One stored entry of the first list as its line."""
        raise NotImplementedError

    def read_line(self, number: int, term: str, meaning: str) -> Any:
        """One line of the first list (split at its colon) as the entry to store; may refuse."""
        raise NotImplementedError

    def load(self) -> None:
        with self.ctx.store.read() as session:
            extra, skip = (settings.get(session, key) for key in self.KEYS)
        self.blockSignals(True)  # loading is not an edit
        self.extra.setPlainText("\n".join(self.show_item(item) for item in extra))
        self.skip.setPlainText("\n".join(skip))
        self.blockSignals(False)

    def values(self) -> tuple[list[Any], list[str]]:
        extra = []
        for number, line in enumerate(self.extra.toPlainText().splitlines(), 1):
            term, _sep, meaning = line.replace(":", "：").partition("：")
            if term.strip():
                extra.append(self.read_line(number, term.strip(), meaning.strip()))
        return extra, [line.strip() for line in self.skip.toPlainText().splitlines() if line.strip()]

    @classmethod
    def write(cls, session, extra: list[Any], skip: list[str]) -> None:
        for key, value in zip(cls.KEYS, (extra, skip)):
            settings.set_value(session, key, value)

    def save(self) -> None:
        """On its own, outside the page (tests, a box shown elsewhere)."""
        values = self.values()
        with self.ctx.store.write() as session:
            self.write(session, *values)


class ComplianceTermsBox(WordListBox):
    """The shop's own words for the Advertising Law check: more to flag, and never to flag."""

    KEYS = ("compliance.extra_terms", "compliance.exempt_terms")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        shipped = sum(len(c["terms"]) for c in compliance.wordlist()["categories"].values())
        super().__init__(ctx, parent, title=self.tr("Advertising Law word list"), intro=self.tr(
            "%1 words ship with LiveDesk. Add the shop's own, one per line; after a colon, the reason shown to "
            "the team.").replace("%1", str(shipped)), rows=(self.tr("Also flag"), self.tr("Never flag")),
            examples=(self.tr("e.g. 秒杀: a word the platform forbids"),
                      self.tr("e.g. the shop's trademark that contains 最")), height=90)
        self.exempt = self.skip

    def show_item(self, item: Any) -> str:
        if isinstance(item, str):
            return item
        return f"{item['term']}：{item['reason']}" if item.get("reason") else item["term"]

    def read_line(self, number: int, term: str, meaning: str) -> Any:
        return {"term": term, "reason": meaning} if meaning else term
