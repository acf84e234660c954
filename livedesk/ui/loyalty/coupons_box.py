"""设置 › coupon batches: a new batch, its codes (pasted, from the platform's coupon export, generated),
and which follow-up rule hands them out."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from livedesk.services.loyalty import coupons
from livedesk.services.loyalty.errors import LoyaltyError
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.loyalty.words import error_text
from livedesk.ui.rows_model import RowsModel, rows_table

ISSUING_RULES = ("wakeup", "birthday", "vip_touch", "welcome", "thanks", "survey", "callback", "replenish")


class CouponBatchesBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Coupon batches"))
        self.ctx = ctx
        self.batches: list[coupons.BatchView] = []
        self.model = RowsModel([self.tr("Batch"), self.tr("Value"), self.tr("Valid"), self.tr("Issued by"),
                                self.tr("Codes"), self.tr("Issued"), self.tr("Used")], self)
        self.table = rows_table(self.model, self)
        self.table.setMinimumHeight(140)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())

        self.name = QLineEdit(self)
        self.name.setPlaceholderText(self.tr("e.g. ¥20 comeback coupon"))
        self.kind = QComboBox(self)
        self.kind.addItem(self.tr("Amount off"), "amount")
        self.kind.addItem(self.tr("Discount"), "percent")
        self.value = QSpinBox(self, minimum=1, maximum=100_000)
        self.kind.currentIndexChanged.connect(lambda _i: self._value_kind())
        self.min_spend = QSpinBox(self, minimum=0, maximum=10_000_000, prefix="¥")
        self.dated = QCheckBox(self.tr("Valid from"), self)
        self.start = QDateEdit(QDate.currentDate(), self, calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.end = QDateEdit(QDate.currentDate().addMonths(1), self, calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.dated.toggled.connect(self.start.setEnabled)
        self.dated.toggled.connect(self.end.setEnabled)
        self.start.setEnabled(False)
        self.end.setEnabled(False)
        self.rule = QComboBox(self)
        self._fill_rules(self.rule)
        create = QPushButton(self.tr("Create batch"), self)
        create.clicked.connect(self.create)

        self.paste_button = QPushButton(self.tr("Paste codes…"), self)
        self.paste_button.clicked.connect(self.paste)
        self.file_button = QPushButton(self.tr("Import codes file…"), self)
        self.file_button.clicked.connect(self.import_file)
        self.generate_button = QPushButton(self.tr("Generate codes…"), self)
        self.generate_button.clicked.connect(self.generate)
        self.selected_rule = QComboBox(self)
        self._fill_rules(self.selected_rule)
        self.selected_rule.activated.connect(lambda _i: self.set_rule())
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)

        value_row, days_row, actions = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        value_row.addWidget(self.kind)
        value_row.addWidget(self.value)
        value_row.addWidget(QLabel(self.tr("minimum spend"), self))
        value_row.addWidget(self.min_spend)
        value_row.addStretch(1)
        days_row.addWidget(self.dated)
        days_row.addWidget(self.start)
        days_row.addWidget(QLabel(self.tr("to"), self))
        days_row.addWidget(self.end)
        days_row.addStretch(1)
        for w in (self.paste_button, self.file_button, self.generate_button, QLabel(self.tr("Issued by"), self),
                  self.selected_rule):
            actions.addWidget(w)
        actions.addStretch(1)
        form = QFormLayout(self)
        form.addRow(self.table)
        form.addRow(self.tr("Selected batch"), actions)
        form.addRow(self.feedback)
        form.addRow(QLabel(self.tr("New batch"), self))
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Value"), value_row)
        form.addRow(self.tr("Days"), days_row)
        form.addRow(self.tr("Issued by"), self.rule)
        form.addRow("", create)
        self.name.setMaximumWidth(260)
        self.rule.setMaximumWidth(260)
        self._value_kind()
        self.load()

    def value_words(self, amount_fen: int | None, percent_paid: int | None, min_spend_fen: int) -> str:
        value = (self.tr("¥%1 off").replace("%1", f"{amount_fen / 100:,.0f}") if amount_fen is not None
                 else self.tr("%1 % of the price").replace("%1", str(percent_paid)))
        if min_spend_fen:
            value = self.tr("Spend ¥%1, %2").replace("%1", f"{min_spend_fen / 100:,.0f}").replace("%2", value)
        return value

    def _fill_rules(self, combo: QComboBox) -> None:
        combo.addItem(self.tr("By hand only"), None)
        for code in ISSUING_RULES:
            combo.addItem(labels.task_kind(code), code)

    def _value_kind(self) -> None:
        percent = self.kind.currentData() == "percent"
        self.value.setRange(1, 99 if percent else 100_000)
        self.value.setPrefix("" if percent else "¥")
        self.value.setSuffix(self.tr(" % paid") if percent else "")
        self.value.setValue(90 if percent else 20)

    def load(self) -> None:
        selected = self._selected()
        with self.ctx.store.read() as session:
            self.batches = coupons.batches(session)
        self.model.set_rows([
            (b.name, self.value_words(b.amount_fen, b.percent_paid, b.min_spend_fen),
             f"{b.valid_from or '…'} – {b.valid_to or '…'}" if b.valid_from or b.valid_to else self.tr("Always"),
             labels.task_kind(b.rule) if b.rule else self.tr("By hand only"), f"{b.codes:,}", f"{b.issued:,}",
             f"{b.used:,}") for b in self.batches], keys=[b.id for b in self.batches])
        self.table.resizeColumnsToContents()
        if selected is not None and selected.id in self.model.keys:
            self.table.selectRow(self.model.keys.index(selected.id))
        self._enable()

    def _selected(self) -> coupons.BatchView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.batches[rows[0].row()] if rows and rows[0].row() < len(self.batches) else None

    def _enable(self) -> None:
        batch = self._selected()
        for w in (self.paste_button, self.file_button, self.generate_button, self.selected_rule):
            w.setEnabled(batch is not None)
        if batch is not None:
            self.selected_rule.setCurrentIndex(max(0, self.selected_rule.findData(batch.rule)))

    def _write(self, action, done) -> None:
        try:
            with self.ctx.store.write(self.ctx.actor) as session:
                result = action(session)
        except (LoyaltyError, LookupError) as exc:
            self.feedback.setStyleSheet("color: #c62828;")
            self.feedback.setText(error_text(exc))
            return
        self.feedback.setStyleSheet("color: #2e7d32;")
        self.feedback.setText(done(result))
        self.load()

    def create(self) -> None:
        amount = self.kind.currentData() == "amount"
        dated = self.dated.isChecked()
        self._write(lambda s: coupons.create_batch(
            s, self.name.text(), amount_fen=self.value.value() * 100 if amount else None,
            percent_paid=None if amount else self.value.value(), min_spend_fen=self.min_spend.value() * 100,
            valid_from=self.start.date().toPython() if dated else None,
            valid_to=self.end.date().toPython() if dated else None, rule=self.rule.currentData()),
            lambda _id: self.tr("Batch created: now add its codes"))

    def _added(self, added: coupons.AddedCodes) -> str:
        text = self.tr("%1 codes added").replace("%1", f"{added.added:,}")
        if added.known:
            text += self.tr("; %1 were already in the store and left as they were").replace(
                "%1", f"{len(added.known):,}")
        if added.repeated:
            text += self.tr("; %1 repeated").replace("%1", f"{len(added.repeated):,}")
        return text

    def paste(self) -> None:
        batch = self._selected()
        if batch is None:
            return
        text, ok = QInputDialog.getMultiLineText(self, self.tr("Paste codes"),
                                                 self.tr("Codes for %1, one per line:").replace("%1", batch.name))
        if ok:
            self.add_pasted(batch.id, text)

    def add_pasted(self, batch_id: int, text: str) -> None:
        try:
            codes = coupons.parse_codes(text)
        except LoyaltyError as exc:
            self.feedback.setStyleSheet("color: #c62828;")
            self.feedback.setText(error_text(exc))
            return
        self._write(lambda s: coupons.add_codes(s, batch_id, codes), self._added)

    def import_file(self) -> None:
        batch = self._selected()
        if batch is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, self.tr("The platform's coupon export"), "",
                                              self.tr("Tables (*.csv *.xlsx)"))
        if path:
            self.add_file(batch.id, path)

    def add_file(self, batch_id: int, path: str) -> None:
        try:
            codes = coupons.read_code_file(path)
        except LoyaltyError as exc:
            self.feedback.setStyleSheet("color: #c62828;")
            self.feedback.setText(error_text(exc))
            return
        self._write(lambda s: coupons.add_codes(s, batch_id, codes), self._added)

    def generate(self) -> None:
        batch = self._selected()
        if batch is None:
            return
        count, ok = QInputDialog.getInt(self, self.tr("Generate codes"), self.tr("How many codes?"), 100, 1, 100_000)
        if ok:
            self._write(lambda s: coupons.generate_codes(s, batch.id, count),
                        lambda made: self.tr("%1 codes generated").replace("%1", f"{len(made):,}"))

    def set_rule(self) -> None:
        batch = self._selected()
        if batch is None:
            return
        rule = self.selected_rule.currentData()
        self._write(lambda s: coupons.set_rule(s, batch.id, rule),
                    lambda _r: self.tr("Saved: new tasks of this rule carry this batch's codes") if rule
                    else self.tr("Saved: issued by hand only"))
