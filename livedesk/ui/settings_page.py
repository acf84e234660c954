"""The 设置 page: the shop's tier rules and membership levels (with a preview of what
each tier would hold before saving), the follow-up rules (each on/off with its timing),
the shop's own words for the Advertising Law check and for comment intents, the industry
preset, this laptop's language, and the database it uses (ui/database_box.py).

One way of saving for the whole page: edits are kept until "Save changes" (or thrown
away with "Discard"); the bar above the form says whether something is unsaved. Tier
and level edits are previewed as they are typed (counts now → then) and recompute
everyone when saved."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import presets, settings
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.database_box import DatabaseBox
from livedesk.ui.i18n import LANGUAGES
from livedesk.ui.loyalty.settings_boxes import loyalty_boxes
from livedesk.ui.intent_terms_box import BadIntentLine, IntentTermsBox
from livedesk.ui.word_list_box import ComplianceTermsBox


def _yuan_box(parent: QWidget) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(0, 100_000_000)
    box.setSingleStep(1000)
    box.setPrefix("¥")
    box.setGroupSeparatorShown(True)
    return box


def _days_box(parent: QWidget, suffix: str) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(1, 3650)
    box.setSuffix(suffix)
    return box


class SettingsPage(QWidget):
    saved = Signal()  # tiers and levels were recomputed under new rules

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.vip_share = QDoubleSpinBox(self, suffix=" %", decimals=1, minimum=0.1, maximum=100.0)
        self.vip_min = _yuan_box(self)
        self.active_days = _days_box(self, self.tr(" days"))
        self.lost_days = _days_box(self, self.tr(" days"))
        self.potential_orders = QSpinBox(self, minimum=1, maximum=100)
        tiers_box = QGroupBox(self.tr("Customer tiers (RFM)"), self)
        tiers_form = QFormLayout(tiers_box)
        tiers_form.addRow(self.tr("High-value VIP: the top share of buyers by 12-month spend"), self.vip_share)
        tiers_form.addRow(self.tr("…who also spent at least"), self.vip_min)
        tiers_form.addRow(self.tr("Active if they bought within"), self.active_days)
        tiers_form.addRow(self.tr("Lost after nothing for"), self.lost_days)
        tiers_form.addRow(self.tr("Potential active: at least this many orders"), self.potential_orders)

        self.silver = _yuan_box(self)
        self.gold = _yuan_box(self)
        levels_box = QGroupBox(self.tr("Membership levels by rolling 12-month spend"), self)
        levels_form = QFormLayout(levels_box)
        levels_form.addRow(labels.level("silver"), self.silver)
        levels_form.addRow(labels.level("gold"), self.gold)

        self.preview_label = QLabel(self)
        self.preview_label.setWordWrap(True)
        self.preview_label.setStyleSheet("background: #f5f6f8; padding: 10px; border-radius: 6px;")
        self.preview_label.hide()  # no empty box: shown once there is a preview to read
        self._preview_timer = QTimer(self, singleShot=True, interval=600, timeout=self.preview)

        self.state = QLabel(self)
        self.discard_button = QPushButton(self.tr("Discard"), self)
        self.discard_button.clicked.connect(self.discard)
        self.save_button = QPushButton(self.tr("Save changes"), self)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        bar = QHBoxLayout()
        bar.setContentsMargins(24, 10, 24, 10)
        bar.addWidget(self.state, 1)
        bar.addWidget(self.discard_button)
        bar.addWidget(self.save_button)

        self.shop_name = QLineEdit(self)
        self.preset = QComboBox(self)
        for code, preset in presets.presets().items():
            self.preset.addItem(preset.name_zh if ctx.language.startswith("zh") else preset.name_en, code)
        self.language = QComboBox(self)
        for code, words in zip(LANGUAGES, ("中文（简体）", "English")):
            self.language.addItem(words, code)
        self.language.setCurrentIndex(max(0, self.language.findData(ctx.language)))
        shop_box = QGroupBox(self.tr("Shop"), self)
        shop_form = QFormLayout(shop_box)
        shop_form.addRow(self.tr("Shop name"), self.shop_name)
        shop_form.addRow(self.tr("Industry preset (profile fields)"), self.preset)
        shop_form.addRow(self.tr("Language on this laptop (after a restart)"), self.language)

        self.rules_box = FollowupRulesBox(ctx, self)
        self.terms_box = ComplianceTermsBox(ctx, self)
        self.intent_box = IntentTermsBox(ctx, self)
        self.database_box = DatabaseBox(ctx, self)
        self._rules_dirty = False  # tiers or levels edited: saving recomputes everyone
        self._dirty = False
        from livedesk.ui.team_box import TeamBox

        self.team_box = TeamBox(ctx, self)

        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(24, 16, 24, 16)
        for box in (tiers_box, levels_box):
            layout.addWidget(box)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.rules_box)
        layout.addWidget(self.terms_box)
        layout.addWidget(self.intent_box)
        for box in loyalty_boxes(ctx, content):  # the perk catalogue, coupon batches
            layout.addWidget(box)
        layout.addWidget(shop_box)
        layout.addWidget(self.database_box)
        layout.addWidget(self.team_box)
        if ctx.store.path is not None:  # encryption at rest is the SQLite file's
            from livedesk.ui.cipher_box import EncryptionBox

            self.encryption_box = EncryptionBox(ctx, content)
            layout.addWidget(self.encryption_box)
        layout.addStretch(1)
        for field in (self.vip_share, self.vip_min, self.active_days, self.lost_days, self.potential_orders,
                      self.silver, self.gold, self.shop_name, self.preset, self.language):
            field.setMaximumWidth(260)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addLayout(bar)
        outer.addWidget(scroll, 1)
        self.load()
        for box in (self.vip_share, self.vip_min, self.active_days, self.lost_days, self.potential_orders,
                    self.silver, self.gold):
            box.valueChanged.connect(self._rules_edited)
        self.shop_name.textEdited.connect(self._edited)
        for combo in (self.preset, self.language):
            combo.currentIndexChanged.connect(self._edited)
        for box in (self.rules_box, self.terms_box, self.intent_box):
            box.changed.connect(self._edited)
        self._set_dirty(False)

    def _rules_edited(self, *_args: object) -> None:
        self._rules_dirty = True
        self._edited()
        self._preview_timer.start()

    def _edited(self, *_args: object) -> None:
        self._set_dirty(True)

    def _set_dirty(self, dirty: bool, said: str = "") -> None:
        self._dirty = dirty
        self.save_button.setEnabled(dirty)
        self.discard_button.setEnabled(dirty)
        if dirty:
            self.state.setText(self.tr("Unsaved changes"))
            self.state.setStyleSheet("color: #e65100; font-weight: 600;")
        else:
            self.state.setText(said or self.tr("All changes saved"))
            self.state.setStyleSheet("color: #2e7d32;")

    def discard(self) -> None:
        self.load()
        for box in (self.rules_box, self.terms_box, self.intent_box):
            box.load()
        self.language.blockSignals(True)
        self.language.setCurrentIndex(max(0, self.language.findData(self.ctx.language)))
        self.language.blockSignals(False)
        self._rules_dirty = False
        self.preview_label.hide()
        self._set_dirty(False)

    def load(self) -> None:
        with self.ctx.store.read() as session:
            values = settings.all_values(session)
        rules, levels = values["tiers.rules"], {lv["code"]: lv["min_spend_fen"] for lv in values["levels"]}
        self.vip_share.setValue(rules["vip_top_share"] * 100)
        self.vip_min.setValue(rules["vip_min_spend_fen"] // 100)
        self.active_days.setValue(rules["active_days"])
        self.lost_days.setValue(rules["lost_days"])
        self.potential_orders.setValue(rules["potential_min_orders"])
        self.silver.setValue(levels.get("silver", 0) // 100)
        self.gold.setValue(levels.get("gold", 0) // 100)
        self.shop_name.setText(values["shop.name"])
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(max(0, self.preset.findData(values["shop.preset"])))
        self.preset.blockSignals(False)
        self._rules_dirty = False

    def rules(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rules = {
            "vip_top_share": round(self.vip_share.value() / 100, 4),
            "vip_min_spend_fen": self.vip_min.value() * 100,
            "active_days": self.active_days.value(),
            "lost_days": self.lost_days.value(),
            "potential_min_orders": self.potential_orders.value(),
        }
        levels = [{"code": "silver", "min_spend_fen": self.silver.value() * 100},
                  {"code": "gold", "min_spend_fen": self.gold.value() * 100}]
        return rules, levels

    def preview(self) -> None:
        rules, levels = self.rules()
        self.preview_label.show()

        def run():
            from livedesk.services import segments  # pandas: only when someone asks

            with self.ctx.store.read() as session:
                now_tiers, now_levels = segments.preview(session, settings.get(session, "tiers.rules"),
                                                         settings.get(session, "levels"))
                new_tiers, new_levels = segments.preview(session, rules, levels)
            return now_tiers, now_levels, new_tiers, new_levels

        self.preview_label.setText(self.tr("Counting…"))
        self.ctx.tasks.submit(run, on_done=self._show_preview, on_error=self._show_error)

    def _show_preview(self, result) -> None:
        now_tiers, now_levels, new_tiers, new_levels = result
        rows = [self.tr("With these rules (now → then):")]
        for code, words in labels.tiers():
            rows.append(f"{words}: {now_tiers.get(code, 0):,} → {new_tiers.get(code, 0):,}")
        for code, words in labels.levels():
            rows.append(f"{words}: {now_levels.get(code, 0):,} → {new_levels.get(code, 0):,}")
        self.preview_label.setText("\n".join(rows))

    def save(self) -> None:
        """Everything on the page in one unit of work; tier or level edits recompute everyone."""
        rules, levels = self.rules()
        recompute = self._rules_dirty
        name, preset = self.shop_name.text().strip(), self.preset.currentData()
        rules_box, terms_box = self.rules_box.values(), self.terms_box.values()
        try:
            intent_box = self.intent_box.values()
        except BadIntentLine as exc:  # nothing saved: the bar says which line
            self._show_refusal(self.intent_box.refusal(exc))
            return

        def run():
            from livedesk.services import segments

            with self.ctx.store.write() as session:
                settings.set_value(session, "shop.name", name)
                settings.set_value(session, "shop.preset", preset)
                FollowupRulesBox.write(session, rules_box)
                ComplianceTermsBox.write(session, *terms_box)
                IntentTermsBox.write(session, *intent_box)
                return segments.save_rules(session, rules, levels) if recompute else None

        def done(summary) -> None:
            QSettings().setValue("ui/language", self.language.currentData())
            self._rules_dirty = False
            said = self.tr("Saved")
            if summary is not None:
                said = (self.tr("Saved: %1 customers recomputed, %2 changed")
                        .replace("%1", f"{summary.customers:,}").replace("%2", f"{summary.changed:,}"))
                self.preview_label.hide()
            self._set_dirty(False, said)
            self.saved.emit()

        self.state.setText(self.tr("Recomputing…") if recompute else self.tr("Saving…"))
        self.ctx.tasks.submit(run, on_done=done, on_error=self._show_error)

    def _show_error(self, exc: BaseException) -> None:
        self._show_refusal(describe(exc))

    def _show_refusal(self, words: str) -> None:
        self.state.setText(self.tr("Not saved: %1").replace("%1", words))
        self.state.setStyleSheet("color: #c62828; font-weight: 600;")


def _hours_box(parent: QWidget, suffix: str, maximum: int = 24 * 14) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(1, maximum)
    box.setSuffix(suffix)
    return box


class FollowupRulesBox(QGroupBox):
    """Each follow-up rule on or off, with its timing; saved as the ``followups.rules`` setting."""

    changed = Signal()  # something was edited: the page's one save keeps it

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Follow-up rules"))
        self.ctx = ctx
        self.enabled: dict[str, QCheckBox] = {}
        self.fields: dict[tuple[str, str], QWidget] = {}
        form = QFormLayout(self)
        days, hours = self.tr(" days"), self.tr(" h")
        weekday = QComboBox(self)
        for number, words in enumerate((self.tr("Monday"), self.tr("Tuesday"), self.tr("Wednesday"),
                                        self.tr("Thursday"), self.tr("Friday"), self.tr("Saturday"),
                                        self.tr("Sunday")), start=1):
            weekday.addItem(words, number)
        score = QSpinBox(self, minimum=0, maximum=10)
        rows = (
            ("welcome", self.tr("First-order welcome within"), (("sla_hours", _hours_box(self, hours, 72)),)),
            ("thanks", self.tr("Thank-you after"), (("delay_hours", _hours_box(self, hours)),)),
            ("survey", self.tr("Satisfaction survey after"), (("delay_hours", _hours_box(self, hours)),)),
            ("callback", self.tr("Call-back within (refund, complaint note, survey score at most)"),
             (("sla_hours", _hours_box(self, hours, 72)), ("max_score", score))),
            ("wakeup", self.tr("Wake-up after no purchase for, with coupon"),
             (("inactive_days", _days_box(self, days)), ("coupon", QLineEdit(self)))),
            ("birthday", self.tr("Birthday greeting this many days before, with coupon"),
             (("days_before", _days_box(self, days)), ("coupon", QLineEdit(self)))),
            ("replenish", self.tr("Replenishment this many days before a product runs out"),
             (("days_before", QSpinBox(self, minimum=0, maximum=90, suffix=days)),)),
            ("vip_touch", self.tr("Weekly touch for each VIP, on"), (("weekday", weekday),)),
        )
        for kind, words, fields in rows:
            check = QCheckBox(words, self)
            self.enabled[kind] = check
            line = QHBoxLayout()
            check.toggled.connect(lambda _on: self.changed.emit())
            for key, field in fields:
                self.fields[(kind, key)] = field
                field.setMaximumWidth(200)
                line.addWidget(field)
                check.toggled.connect(field.setEnabled)
                edited = (field.currentIndexChanged if isinstance(field, QComboBox) else field.textEdited
                          if isinstance(field, QLineEdit) else field.valueChanged)
                edited.connect(lambda *_a: self.changed.emit())
            line.addStretch(1)
            form.addRow(check, line)
        self.load()

    def load(self) -> None:
        from livedesk.services.followups.config import rule_settings

        with self.ctx.store.read() as session:
            rules = rule_settings(session)
        self.blockSignals(True)  # loading is not an edit
        for kind, check in self.enabled.items():
            check.setChecked(bool(rules[kind]["enabled"]))
        for (kind, key), field in self.fields.items():
            value = rules[kind].get(key)
            if isinstance(field, QComboBox):
                field.setCurrentIndex(max(0, field.findData(value)))
            elif isinstance(field, QLineEdit):
                field.setText(value or "")
            else:
                field.setValue(int(value))
            field.setEnabled(self.enabled[kind].isChecked())
        self.blockSignals(False)

    def values(self) -> dict[str, dict[str, Any]]:
        """What the form says, per rule; keys the form does not show keep their stored values."""
        changed: dict[str, dict[str, Any]] = {kind: {"enabled": check.isChecked()}
                                             for kind, check in self.enabled.items()}
        for (kind, key), field in self.fields.items():
            if isinstance(field, QComboBox):
                changed[kind][key] = field.currentData()
            elif isinstance(field, QLineEdit):
                changed[kind][key] = field.text().strip()
            else:
                changed[kind][key] = field.value()
        return changed

    @staticmethod
    def write(session, values: dict[str, dict[str, Any]]) -> None:
        from livedesk.services.followups.config import rule_settings

        rules = rule_settings(session)
        for kind, changed in values.items():
            rules[kind].update(changed)
        settings.set_value(session, "followups.rules", rules)

    def save(self) -> None:
        with self.ctx.store.write() as session:
            self.write(session, self.values())
