"""Renders a PanelCard the way the host sees it, read at a glance from two metres; the
console shows the same view, smaller.

Top to bottom, in order of importance: the nickname (>= 40 px), tier and level chips
(with "not greeted yet"), one greeting line (a shorter form, then a smaller size, when
it does not fit: it never wraps), at most two alerts (safety in red: allergy, complaint;
sales in amber: upgrade, birthday, running out), then recent purchases, profile and
pinned notes while they fit. Widgets are placed by hand (``_relayout``) so that a section
either fits whole or is hidden: nothing is ever cut.

Names and phones arrive masked from services/panel.py; nothing here can unmask them.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

from livedesk.services.panel import Alert, PanelCard
from livedesk.ui import labels

# Pixel sizes at scale 1 (the host panel's "standard" text size).
NICKNAME_PX = 44
CHIP_PX = 40
GREETING_PX = 32
ALERT_PX = 26
BODY_PX = 22
SMALL_PX = 18
MARGIN = 12
GAP = 8
SAFETY_COLORS = ("#c62828", "#ffffff")  # background, text
SALES_COLORS = ("#ffb300", "#1a1a1a")
STATUS_COLOR = "#64b5f6"
DIM = "#9aa0a6"


def _font(px: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(max(8, px))
    font.setBold(bold)
    return font


def wrap_anywhere(text: str, metrics: QFontMetrics, width: int, max_lines: int) -> str:
    """``text`` broken into lines of ``width`` at any character (a nickname has no words),
    at most ``max_lines``, the last one elided."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines - 1 and metrics.horizontalAdvance(rest) > width:
        cut = len(rest)
        while cut > 1 and metrics.horizontalAdvance(rest[:cut]) > width:
            cut -= 1
        lines.append(rest[:cut])
        rest = rest[cut:]
    lines.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
    return "\n".join(lines)


class PanelCardView(QWidget):
    def __init__(self, parent: QWidget | None = None, *, scale: float = 1.0, on_air: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("PanelCardView")
        # Off air (the follow-up queue) the card is about the customer, not about greeting them on stream:
        # a complaint call-back must not open with "welcome home".
        self.on_air = on_air
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QWidget#PanelCardView { background: #15181d; border-radius: 8px; }"
                           "QLabel { color: #e8eaed; background: transparent; }")
        self.scale = scale
        self.card: PanelCard | None = None
        self._waiting_text = ""
        self._blocks: list[tuple[str, list[QLabel], bool]] = []  # (role, widgets, always shown)
        self._greetings: list[str] = []  # the greeting's forms, longest first
        self.show_waiting(self.tr("Waiting for viewers…"))

    # -- content ------------------------------------------------------------------
    def set_scale(self, scale: float) -> None:
        """The text size (the host panel's setting): everything is redrawn at the new size."""
        self.scale = scale
        if self.card is not None:
            self.show_card(self.card)
        else:
            self.show_waiting(self._waiting_text)

    def show_waiting(self, text: str) -> None:
        self.card = None
        self._waiting_text = text
        self._clear()
        label = self._label(text, self._px(GREETING_PX), color=DIM, wrap=True)
        label.setObjectName("Waiting")
        self._blocks = [("waiting", [label], True)]
        self._relayout()

    def show_card(self, card: PanelCard) -> None:
        self.card = card
        self._clear()
        blocks: list[tuple[str, list[QLabel], bool]] = []

        nickname = self._label(card.nickname, self._px(NICKNAME_PX), bold=True, color="#ffffff")
        nickname.setObjectName("Nickname")
        blocks.append(("nickname", [nickname], True))

        chips = [self._chip(labels.tier(card.tier), labels.TIER_COLORS.get(card.tier, "#e8eaed"), CHIP_PX, "Tier")]
        if card.level != "none":
            chips.append(self._chip(labels.level(card.level), labels.LEVEL_COLORS.get(card.level, "#e8eaed"),
                                    CHIP_PX, "Level"))
        if self.on_air and any(a.kind == "not_greeted" for a in card.alerts):
            chips.append(self._chip(self.tr("Not greeted yet"), STATUS_COLOR, SMALL_PX + 4, "NotGreeted"))
        who = " · ".join(x for x in (card.masked_name, card.masked_phone) if x)
        if who:  # only where it fits beside the chips: never a line of its own
            masked = self._label(who, self._px(SMALL_PX), color=DIM)
            masked.setObjectName("Masked")
            chips.append(masked)
        blocks.append(("chips", chips, True))

        if card.greeting_custom:
            self._greetings = [card.custom_greeting(), labels.short_greeting(card.nickname)]
        else:
            self._greetings = [labels.greeting(card.greeting_key, card.level, card.nickname),
                               labels.greeting(card.greeting_key, card.level, card.nickname, short=True)]
        if self.on_air:
            greeting = self._label(self._greetings[0], self._px(GREETING_PX), bold=True, color="#ffffff")
            greeting.setObjectName("Greeting")
            blocks.append(("greeting", [greeting], True))
        else:
            self._greetings = []

        for category, colors, name in (("safety", SAFETY_COLORS, "SafetyAlert"), ("sales", SALES_COLORS, "SalesAlert")):
            texts = [self.alert_text(a) for a in card.alerts if a.category == category]
            if category == "sales":
                texts = texts[:1]  # the best news only: one calm line
            if texts:
                alert = self._label("  ·  ".join(texts), self._px(ALERT_PX), bold=True, color=colors[1], wrap=True,
                                    background=colors[0])
                alert.setObjectName(name)
                blocks.append(("alert", [alert], True))

        zone = card.zone
        if card.purchases:
            rows = [f"{_escape(p.product_name)}&nbsp;&nbsp;<span style='color:{DIM}'>"
                    f"{p.ordered_at.astimezone(zone):%m-%d}</span>" for p in card.purchases[:3]]
            blocks.append(("section", [self._section(self.tr("Bought recently"), rows)], False))
        if card.profile:
            rows = [f"{_escape(k)}: {_escape(v)}" for k, v in card.profile[:4]]
            blocks.append(("section", [self._section(self.tr("Profile"), rows)], False))
        if card.pinned_notes:
            rows = [f"• {_escape(note)}" for note in card.pinned_notes[:3]]  # no emoji: fonts lack them
            blocks.append(("section", [self._section(self.tr("Pinned notes"), rows)], False))
        self._blocks = blocks
        self._relayout()

    def alert_text(self, alert: Alert) -> str:
        if alert.kind == "birthday":
            days = int(alert.text)
            return self.tr("Birthday today!") if days == 0 else self.tr("Birthday in %n days", "", days)
        if alert.kind == "complaint":
            return self.tr("Open complaint: %1").replace("%1", alert.text)
        if alert.kind == "replenish":
            return self.tr("Running out: %1").replace("%1", alert.text)
        if alert.kind == "upgrade" and self.card is not None:
            days = int(alert.text)
            text = self.tr("Became %1 today") if days == 0 else self.tr("Became %1 %n days ago", "", days)
            return text.replace("%1", labels.level(self.card.level))
        return alert.text  # an allergy reads "label: value", the label in the UI's language

    # -- geometry -----------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def sizeHint(self) -> QSize:
        return QSize(480, self._height_needed(456, everything=True))

    def minimumSizeHint(self) -> QSize:
        width = max(self.width(), 300)
        return QSize(300, self._height_needed(width - 2 * self._px(MARGIN), everything=False))

    def _height_needed(self, inner: int, *, everything: bool) -> int:
        heights = [self._block_height(role, widgets, inner) for role, widgets, always in self._blocks
                   if always or everything]
        heights = [h for h in heights if h]
        return 2 * self._px(MARGIN) + sum(heights) + self._px(GAP) * max(0, len(heights) - 1)

    def _block_height(self, role: str, widgets: list[QLabel], inner: int) -> int:
        if role == "chips":
            return self._place_chips(widgets, 0, 0, inner, dry_run=True)
        if role in ("nickname", "greeting"):
            self._fit_line(role, widgets[0], inner)
        return _label_height(widgets[0], inner)

    def _relayout(self) -> None:
        """Place every block top to bottom; an optional one that does not fit whole is hidden."""
        margin, gap = self._px(MARGIN), self._px(GAP)
        inner = max(50, self.width() - 2 * margin)
        bottom = self.height() - margin
        y = margin
        for role, widgets, always in self._blocks:
            if role == "chips":
                height = self._place_chips(widgets, margin, y, inner, dry_run=False)
            else:
                label = widgets[0]
                if role in ("nickname", "greeting"):
                    self._fit_line(role, label, inner)
                height = _label_height(label, inner)
                fits = always or y + height <= bottom
                label.setVisible(fits)
                if not fits:
                    continue
                label.setGeometry(margin, y, inner, height)
            y += height + gap
        self.updateGeometry()

    def _place_chips(self, chips: list[QLabel], x0: int, y0: int, inner: int, *, dry_run: bool) -> int:
        """Chips flow left to right and wrap; the masked name only joins a line it fits on."""
        gap = self._px(GAP)
        x, y, line = x0, y0, 0
        for chip in chips:
            optional = chip.objectName() == "Masked"
            width = min(_one_line_width(chip), inner)
            height = _label_height(chip, width)
            if x > x0 and x + width > x0 + inner:
                if optional:
                    chip.setVisible(False) if not dry_run else None
                    continue
                x, y, line = x0, y + line + gap, 0
            if not dry_run:
                chip.setGeometry(x, y, width, height)
                chip.setVisible(True)
            x += width + gap
            line = max(line, height)
        return y + line - y0

    def _fit_line(self, role: str, label: QLabel, inner: int) -> None:
        """One line that fits ``inner``: the nickname keeps >= 40 px and may take two lines
        (broken anywhere: it has no words); the greeting tries its short form, then a
        smaller size, and never wraps."""
        if role == "nickname" and self.card is not None:
            px = self._px(NICKNAME_PX)
            floor = max(40, round(40 * self.scale)) if self.scale >= 1 else self._px(40)
            for size in range(px, floor - 1, -2):
                label.setFont(_font(size, bold=True))
                if label.fontMetrics().horizontalAdvance(self.card.nickname) <= inner:
                    label.setText(self.card.nickname)
                    return
            label.setFont(_font(floor, bold=True))
            label.setText(wrap_anywhere(self.card.nickname, label.fontMetrics(), inner, 2))
            return
        if role == "greeting" and self._greetings:
            base = self._px(GREETING_PX)
            tries = [(self._greetings[0], base), (self._greetings[0], round(base * 0.85))]
            tries += [(self._greetings[-1], size) for size in (base, round(base * 0.85), round(base * 0.7))]
            for text, size in tries:
                font = _font(size, bold=True)
                if QFontMetrics(font).horizontalAdvance(text) <= inner:
                    label.setFont(font)
                    label.setText(text)
                    return
            label.setFont(_font(round(base * 0.7), bold=True))
            label.setText(label.fontMetrics().elidedText(self._greetings[-1], Qt.TextElideMode.ElideRight, inner))

    # -- widgets ------------------------------------------------------------------
    def _px(self, size: int) -> int:
        return max(1, round(size * self.scale))

    def _label(self, text: str, px: int, *, bold: bool = False, color: str = "#e8eaed", wrap: bool = False,
               background: str | None = None) -> QLabel:
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setText(text)
        label.setFont(_font(px, bold))
        label.setWordWrap(wrap)
        style = f"color: {color};"
        if background:
            style += f" background: {background}; border-radius: {self._px(6)}px;"
            pad = self._px(6)
            label.setContentsMargins(2 * pad, pad, 2 * pad, pad)
        label.setStyleSheet(style)
        label.ensurePolished()
        label.show()
        return label

    def _chip(self, text: str, color: str, px: int, name: str) -> QLabel:
        chip = QLabel(text, self)
        chip.setObjectName(name)
        chip.setTextFormat(Qt.TextFormat.PlainText)
        chip.setFont(_font(self._px(px), bold=True))
        chip.setWordWrap(True)  # a long level name in English breaks between words, never off the panel
        chip.setStyleSheet(f"color: {color}; border: {self._px(2)}px solid {color}; border-radius: {self._px(8)}px;")
        chip.setContentsMargins(self._px(6), 0, self._px(6), 0)
        chip.show()
        return chip

    def _section(self, title: str, rows: list[str]) -> QLabel:
        head = f"<span style='color:{DIM}; font-size:{self._px(SMALL_PX)}px'>{_escape(title)}</span>"
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setText(head + "<br>" + "<br>".join(rows))
        label.setFont(_font(self._px(BODY_PX)))
        label.setWordWrap(True)
        label.setObjectName("Section")
        label.show()
        return label

    def _clear(self) -> None:
        for _role, widgets, _always in self._blocks:
            for widget in widgets:
                widget.hide()
                widget.deleteLater()
        self._blocks = []
        self._greetings = []

    def labels_shown(self) -> list[QLabel]:
        """The labels on screen now (for tests and the screenshots script)."""
        return [w for _r, widgets, _a in self._blocks for w in widgets if not w.isHidden()]


def _one_line_width(label: QLabel) -> int:
    """The width a label needs to show its text on one line (a wrapping label's size hint
    may already have wrapped it)."""
    label.ensurePolished()
    if not label.wordWrap():
        return label.sizeHint().width()
    label.setWordWrap(False)
    width = label.sizeHint().width()
    label.setWordWrap(True)
    return width


def _label_height(label: QLabel, width: int) -> int:
    if label.wordWrap():
        return max(label.heightForWidth(width), label.minimumSizeHint().height())
    return label.sizeHint().height()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
