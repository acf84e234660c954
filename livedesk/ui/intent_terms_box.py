"""设置: the shop's own words for comment intents ("蹲一个：想买"), and words that mean nothing here.

A word-list box of the 设置 page's one save (ui/word_list_box.py): ``intents.*`` are shop rules,
an owner's change (services/settings).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from livedesk.services.feeds.intents import INTENTS
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.word_list_box import WordListBox


class BadIntentLine(ValueError):
    """A line of "also tag" whose meaning (after the colon) is not an intent; nothing is saved."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line}: after the colon, one of the intents")
        self.line = line


class IntentTermsBox(WordListBox):
    KEYS = ("intents.extra_terms", "intents.ignore_terms")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        names = "、".join(labels.intent(code) for code in INTENTS)
        super().__init__(ctx, parent, title=self.tr("Comment intents word list"), intro=self.tr(
            "Add the words your room uses, one per line: the word, a colon, what it means (%1). The next feed "
            "you connect uses them.").replace("%1", names), rows=(self.tr("Also tag"), self.tr("Never tag")),
            examples=(self.tr("e.g. 蹲一个：%1").replace("%1", labels.intent("buy")), self.tr("e.g. 福袋")),
            height=80)
        self.ignore = self.skip

    def show_item(self, item: Any) -> str:
        return f"{item['term']}：{labels.intent(item['intent'])}"

    def read_line(self, number: int, term: str, meaning: str) -> Any:
        code = ({labels.intent(c): c for c in INTENTS} | {c: c for c in INTENTS}).get(meaning)  # codes too
        if code is None:
            raise BadIntentLine(number)
        return {"term": term, "intent": code}

    def refusal(self, exc: BadIntentLine) -> str:
        return (self.tr("Comment intents, line %1: after the colon, one of: %2").replace("%1", str(exc.line))
                .replace("%2", "、".join(labels.intent(code) for code in INTENTS)))
