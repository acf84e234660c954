"""The 设置 page: the shop's tier rules and membership levels (with a preview of what
each tier would hold before saving), the industry preset, and this laptop's language."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import presets, settings
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.i18n import LANGUAGES


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
        self.preview_button = QPushButton(self.tr("Preview"), self)
        self.save_button = QPushButton(self.tr("Save and recompute"), self)
        self.preview_button.clicked.connect(self.preview)
        self.save_button.clicked.connect(self.save)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)

        self.shop_name = QLineEdit(self)
        self.preset = QComboBox(self)
        for code, preset in presets.presets().items():
            self.preset.addItem(preset.name_zh if ctx.language.startswith("zh") else preset.name_en, code)
        self.language = QComboBox(self)
        for code, words in zip(LANGUAGES, ("中文（简体）", "English")):
            self.language.addItem(words, code)
        self.language.setCurrentIndex(max(0, self.language.findData(ctx.language)))
        self.language.currentIndexChanged.connect(self._language_chosen)
        shop_box = QGroupBox(self.tr("Shop"), self)
        shop_form = QFormLayout(shop_box)
        shop_form.addRow(self.tr("Shop name"), self.shop_name)
        shop_form.addRow(self.tr("Industry preset (profile fields)"), self.preset)
        shop_form.addRow(self.tr("Language on this laptop (after a restart)"), self.language)
        self.shop_name.editingFinished.connect(lambda: self._store_setting("shop.name", self.shop_name.text().strip()))
        self.preset.currentIndexChanged.connect(lambda _i: self._store_setting("shop.preset", self.preset.currentData()))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        for box in (tiers_box, levels_box):
            layout.addWidget(box)
        layout.addLayout(buttons)
        layout.addWidget(self.preview_label)
        layout.addWidget(shop_box)
        layout.addStretch(1)
        for field in (self.vip_share, self.vip_min, self.active_days, self.lost_days, self.potential_orders,
                      self.silver, self.gold, self.shop_name, self.preset, self.language):
            field.setMaximumWidth(260)
        self.load()

    def load(self) -> None:
        with self.ctx.store.begin() as session:
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

        def run():
            from livedesk.services import segments  # pandas: only when someone asks

            with self.ctx.store.begin() as session:
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
        rules, levels = self.rules()

        def run():
            from livedesk.services import segments

            with self.ctx.store.begin() as session:
                return segments.save_rules(session, rules, levels)

        def done(summary) -> None:
            self.preview_label.setText(self.tr("Saved: %1 customers recomputed, %2 changed")
                                       .replace("%1", f"{summary.customers:,}").replace("%2", f"{summary.changed:,}"))
            self.saved.emit()

        self.preview_label.setText(self.tr("Recomputing…"))
        self.ctx.tasks.submit(run, on_done=done, on_error=self._show_error)

    def _store_setting(self, key: str, value: Any) -> None:
        def run() -> None:
            with self.ctx.store.begin() as session:
                settings.set_value(session, key, value)

        self.ctx.tasks.submit(run, on_error=self._show_error)

    def _language_chosen(self, _index: int) -> None:
        QSettings().setValue("ui/language", self.language.currentData())

    def _show_error(self, exc: BaseException) -> None:
        self.preview_label.setText(self.tr("Not saved: %1").replace("%1", str(exc)))
