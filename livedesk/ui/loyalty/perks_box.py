"""设置 › the perk catalogue: what growth points buy, at what cost, how many, for whom, on which days."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from livedesk.services.loyalty import perks
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.loyalty.words import error_text
from livedesk.ui.rows_model import RowsModel, rows_table


def _date_box(parent: QWidget) -> QDateEdit:
    box = QDateEdit(parent, calendarPopup=True, displayFormat="yyyy-MM-dd")
    box.setDate(QDate.currentDate())
    return box


class PerkCatalogueBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Points perks"))
        self.ctx = ctx
        self.perks: list[perks.PerkView] = []
        self.model = RowsModel([self.tr("Perk"), self.tr("Code"), self.tr("Points"), self.tr("Stock"),
                                self.tr("For"), self.tr("Days"), self.tr("On")], self)
        self.table = rows_table(self.model, self)
        self.table.setMinimumHeight(150)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())

        self.code = QLineEdit(self)
        self.code.setPlaceholderText(self.tr("e.g. sample"))
        self.name = QLineEdit(self)
        self.name.setPlaceholderText(self.tr("e.g. Free samples"))
        self.cost = QSpinBox(self, minimum=1, maximum=10_000_000, suffix=self.tr(" points"))
        self.stock = QSpinBox(self, minimum=-1, maximum=1_000_000)
        self.stock.setSpecialValueText(self.tr("Unlimited"))
        self.tiers = {code: QCheckBox(words, self) for code, words in labels.tiers()}
        self.levels = {code: QCheckBox(words, self) for code, words in labels.levels()}
        self.dated = QCheckBox(self.tr("Only from"), self)
        self.start, self.end = _date_box(self), _date_box(self)
        self.dated.toggled.connect(self.start.setEnabled)
        self.dated.toggled.connect(self.end.setEnabled)
        self.active = QCheckBox(self.tr("Offered"), self)
        self.active.setChecked(True)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)
        save = QPushButton(self.tr("Save perk"), self)
        save.clicked.connect(self.save)
        new = QPushButton(self.tr("New perk"), self)
        new.clicked.connect(self.clear)

        tiers_row, levels_row, days_row, buttons = QHBoxLayout(), QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        for box in self.tiers.values():
            tiers_row.addWidget(box)
        tiers_row.addStretch(1)
        for box in self.levels.values():
            levels_row.addWidget(box)
        levels_row.addStretch(1)
        days_row.addWidget(self.dated)
        days_row.addWidget(self.start)
        days_row.addWidget(QLabel(self.tr("to"), self))
        days_row.addWidget(self.end)
        days_row.addStretch(1)
        for w in (save, new, self.feedback):
            buttons.addWidget(w)
        form = QFormLayout(self)
        form.addRow(self.table)
        form.addRow(self.tr("Code"), self.code)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Cost"), self.cost)
        form.addRow(self.tr("Stock"), self.stock)
        form.addRow(self.tr("Tiers (none ticked: all)"), tiers_row)
        form.addRow(self.tr("Levels (none ticked: all)"), levels_row)
        form.addRow(self.tr("Days"), days_row)
        form.addRow("", self.active)
        form.addRow(buttons)
        for w in (self.code, self.name, self.cost, self.stock):
            w.setMaximumWidth(260)
        self.clear()
        self.load()

    def load(self) -> None:
        with self.ctx.store.read() as session:
            self.perks = perks.catalogue(session)
        everyone = self.tr("Everyone")
        self.model.set_rows([
            (p.name, p.code, f"{p.cost:,}", self.tr("Unlimited") if p.stock is None else p.stock,
             "、".join([labels.tier(t) for t in p.tiers or []] + [labels.level(lv) for lv in p.levels or []])
             or everyone,
             f"{p.active_from or '…'} – {p.active_to or '…'}" if p.active_from or p.active_to else self.tr("Always"),
             self.tr("Yes") if p.active else self.tr("No"))
            for p in self.perks])
        self.table.resizeColumnsToContents()

    def clear(self) -> None:
        self.table.clearSelection()
        self.code.clear()
        self.code.setReadOnly(False)
        self.name.clear()
        self.cost.setValue(100)
        self.stock.setValue(-1)
        for box in (*self.tiers.values(), *self.levels.values()):
            box.setChecked(False)
        self.dated.setChecked(False)
        self.start.setEnabled(False)
        self.end.setEnabled(False)
        self.active.setChecked(True)

    def _show_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        p = self.perks[rows[0].row()]
        self.code.setText(p.code)
        self.code.setReadOnly(True)  # the code is how redemptions and the CLI name it
        self.name.setText(p.name)
        self.cost.setValue(p.cost)
        self.stock.setValue(-1 if p.stock is None else p.stock)
        for code, box in self.tiers.items():
            box.setChecked(code in (p.tiers or []))
        for code, box in self.levels.items():
            box.setChecked(code in (p.levels or []))
        self.dated.setChecked(bool(p.active_from or p.active_to))
        self.start.setDate(p.active_from or date.today())
        self.end.setDate(p.active_to or date(2099, 12, 31))
        self.active.setChecked(p.active)

    def save(self) -> None:
        from livedesk.services.loyalty.errors import LoyaltyError

        dated = self.dated.isChecked()
        try:
            with self.ctx.store.write(self.ctx.actor) as session:
                perks.save_perk(
                    session, self.code.text(), self.name.text(), self.cost.value(),
                    stock=None if self.stock.value() < 0 else self.stock.value(),
                    tiers=[c for c, box in self.tiers.items() if box.isChecked()],
                    levels=[c for c, box in self.levels.items() if box.isChecked()],
                    active_from=self.start.date().toPython() if dated else None,
                    active_to=self.end.date().toPython() if dated else None, active=self.active.isChecked())
        except LoyaltyError as exc:
            self.feedback.setStyleSheet("color: #c62828;")
            self.feedback.setText(error_text(exc))
            return
        self.feedback.setStyleSheet("color: #2e7d32;")
        self.feedback.setText(self.tr("Saved: %1").replace("%1", self.name.text().strip()))
        self.load()
