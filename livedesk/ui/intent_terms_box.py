"""设置: the shop's own words for comment intents ("蹲一个：想买"), and words that mean nothing here."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QPlainTextEdit, QPushButton, QWidget

from livedesk.services import settings
from livedesk.services.feeds.intents import INTENTS
from livedesk.ui import labels
from livedesk.ui.context import AppContext


class IntentTermsBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Comment intents word list"))
        self.ctx = ctx
        names = "、".join(f"{labels.intent(code)}" for code in INTENTS)
        intro = QLabel(self.tr("Add the words your room uses, one per line: the word, a colon, what it means "
                               "(%1).").replace("%1", names), self)
        intro.setWordWrap(True)
        self.extra = QPlainTextEdit(self)
        self.extra.setPlaceholderText(self.tr("e.g. 蹲一个：%1").replace("%1", labels.intent("buy")))
        self.ignore = QPlainTextEdit(self)
        self.ignore.setPlaceholderText(self.tr("e.g. 福袋"))
        for box in (self.extra, self.ignore):
            box.setMaximumHeight(80)
        self.save_button = QPushButton(self.tr("Save intent words"), self)
        self.save_button.clicked.connect(self.save)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow(self.tr("Also tag"), self.extra)
        form.addRow(self.tr("Never tag"), self.ignore)
        form.addRow(self.save_button, self.feedback)
        self.load()

    def load(self) -> None:
        with self.ctx.store.read() as session:
            extra = settings.get(session, "intents.extra_terms")
            ignore = settings.get(session, "intents.ignore_terms")
        self.extra.setPlainText("\n".join(f"{i['term']}：{labels.intent(i['intent'])}" for i in extra))
        self.ignore.setPlainText("\n".join(ignore))

    def save(self) -> None:
        shown = {labels.intent(code): code for code in INTENTS}
        by_name = shown | {code: code for code in INTENTS}  # the codes are accepted too, not offered
        extra = []
        for n, line in enumerate(self.extra.toPlainText().splitlines(), 1):
            term, _sep, meaning = line.replace(":", "：").partition("：")
            if not term.strip():
                continue
            code = by_name.get(meaning.strip())
            if code is None:
                self.feedback.setText(self.tr("Line %1: after the colon, one of: %2")
                                      .replace("%1", str(n)).replace("%2", "、".join(shown)))
                self.feedback.setStyleSheet("color: #c62828;")
                return  # nothing saved
            extra.append({"term": term.strip(), "intent": code})
        ignore = [line.strip() for line in self.ignore.toPlainText().splitlines() if line.strip()]
        with self.ctx.store.write() as session:
            settings.set_value(session, "intents.extra_terms", extra)
            settings.set_value(session, "intents.ignore_terms", ignore)
        self.feedback.setStyleSheet("")
        self.feedback.setText(self.tr("Saved: the next feed you connect uses these words"))
