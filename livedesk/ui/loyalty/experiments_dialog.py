"""跟进 › A/B tests: start a test of a rule's message (or coupon), read each variant's figures with
their intervals and the verdict, and make the winner the rule's default (the owner)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import templates
from livedesk.services.loyalty import coupons, experiments
from livedesk.services.loyalty.errors import LoyaltyError
from livedesk.services.loyalty.experiments import ExperimentReport, VariantSpec
from livedesk.services.team import PermissionDenied
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.form_dialog import FormDialog
from livedesk.ui.loyalty.words import error_text
from livedesk.ui.rows_model import RowsModel, rows_table

TESTABLE_RULES = ("wakeup", "birthday", "vip_touch", "welcome", "thanks", "survey", "callback", "replenish")
LETTERS = "ABCDEF"


def _pct(estimate) -> str:
    return f"{estimate.value:.1%} ({estimate.low:.1%}–{estimate.high:.1%})"


def _yuan(estimate) -> str:
    return f"¥{estimate.value / 100:,.2f} (¥{estimate.low / 100:,.2f}–¥{estimate.high / 100:,.2f})"


class ExperimentsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("A/B tests of follow-ups"))
        self.resize(1300, 600)
        self.rows: list[experiments.ExperimentRow] = []
        self.report: ExperimentReport | None = None
        self.tests_model = RowsModel([self.tr("Test"), self.tr("Rule"), self.tr("State"), self.tr("Customers")], self)
        self.tests_view = rows_table(self.tests_model, self)
        self.tests_view.selectionModel().selectionChanged.connect(lambda *_: self.show_report())
        new = QPushButton(self.tr("New test…"), self)
        new.clicked.connect(self.new_test)
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.title.setWordWrap(True)
        self.variants_model = RowsModel([self.tr("Variant"), self.tr("Message or coupon"), self.tr("Customers"),
                                         self.tr("Reply rate (95 % interval)"), self.tr("Purchase rate (95 % interval)"),
                                         self.tr("GMV per customer (95 % interval)"), self.tr("Against A")], self)
        self.variants_view = rows_table(self.variants_model, self)
        self.variants_view.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.verdict = QLabel(self)
        self.verdict.setWordWrap(True)
        self.winner_button = QPushButton(self.tr("Make this variant the default…"), self)
        self.winner_button.clicked.connect(self.make_default)
        self.stop_button = QPushButton(self.tr("Stop without a winner"), self)
        self.stop_button.clicked.connect(self.stop)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.tests_view)
        left_layout.addWidget(new)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.variants_view, 1)
        right_layout.addWidget(self.verdict)
        buttons = QHBoxLayout()
        buttons.addWidget(self.winner_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        right_layout.addLayout(buttons)
        split = QSplitter(self)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([320, 960])
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addWidget(close)
        self.load()

    def load(self, select_id: int | None = None) -> None:
        current = select_id or (self.report.id if self.report else None)
        with self.ctx.store.read() as session:
            self.rows = experiments.listing(session)
        self.tests_model.set_rows([
            (r.name, labels.task_kind(r.rule), self.tr("Running") if r.status == "running" else self.tr("Finished"),
             f"{r.customers:,}") for r in self.rows], keys=[r.id for r in self.rows])
        self.tests_view.resizeColumnsToContents()
        if self.rows:
            self.tests_view.selectRow(self.tests_model.keys.index(current) if current in self.tests_model.keys else 0)
        else:
            self.title.setText(self.tr("No A/B test yet: start one with “New test…”"))
        self._enable()

    def show_report(self) -> None:
        rows = self.tests_view.selectionModel().selectedRows()
        if not rows:
            return
        with self.ctx.store.read() as session:
            self.report = r = experiments.report(session, self.rows[rows[0].row()].id)
        what = self.tr("message") if r.target == "template" else self.tr("coupon")
        self.title.setText(self.tr("%1: the %2 of “%3”, orders within %4 days").replace("%1", r.name)
                           .replace("%2", what).replace("%3", labels.task_kind(r.rule))
                           .replace("%4", str(r.window_days)))
        self.variants_model.set_rows([
            (v.label + (" ★" if v.id == r.winner_id else ""), v.detail, f"{v.n:,}", _pct(v.replied), _pct(v.bought),
             _yuan(v.gmv_per_customer_fen), self._against(v)) for v in r.variants])
        self.variants_view.resizeColumnsToContents()
        self.verdict.setText(self._verdict(r))
        self._enable()

    def _against(self, v) -> str:
        if v.p_value is None:
            return self.tr("control")
        p = f"{v.p_value:.3f}" if v.p_value >= 0.001 else "< 0.001"
        if v.significant:
            return self.tr("different (p %1)").replace("%1", p if p.startswith("<") else f"= {p}")
        if v.needs_more is None:
            return self.tr("no difference yet")
        return self.tr("not yet (p = %1): about %2 more customers").replace("%1", p) \
            .replace("%2", f"{v.needs_more:,}")

    def _verdict(self, r: ExperimentReport) -> str:
        if any(v.n == 0 for v in r.variants):
            return self.tr("Customers are assigned as their tasks are created; figures come with the first tasks.")
        best = max(r.variants, key=lambda v: v.bought.value)
        if best.significant:
            return self.tr("Variant %1 sells better than A, and the difference is significant (two-proportion "
                           "test, 5 %).").replace("%1", best.label)
        if best.p_value is None and any(v.significant for v in r.variants):
            return self.tr("A sells better, and the difference is significant (two-proportion test, 5 %).")
        return self.tr("No significant difference in purchase rate yet.")

    def _selected_variant(self):
        rows = self.variants_view.selectionModel().selectedRows()
        if self.report is None or not rows:
            return None
        return self.report.variants[rows[0].row()]

    def _enable(self) -> None:
        running = self.report is not None and self.report.status == "running"
        owner = self.ctx.may("run_experiments")
        self.winner_button.setEnabled(running and owner and self._selected_variant() is not None)
        self.stop_button.setEnabled(running and owner)

    def _write(self, action) -> bool:
        try:
            with self.ctx.store.write(self.ctx.actor) as session:
                action(session)
        except (LoyaltyError, LookupError, templates.TemplateError, PermissionDenied) as exc:
            self.verdict.setText(error_text(exc) if not isinstance(exc, templates.TemplateError)
                                 else self.tr("The winning message cannot be saved as it is: check it in Templates"))
            return False
        self.load()
        return True

    def make_default(self) -> None:
        variant = self._selected_variant()
        if variant is None or self.report is None:
            return
        question = self.tr("Make variant %1 (%2) the default of “%3” and end the test?").replace("%1", variant.label) \
            .replace("%2", variant.detail).replace("%3", labels.task_kind(self.report.rule))
        if QMessageBox.question(self, self.tr("Choose the winner"), question) != QMessageBox.StandardButton.Yes:
            return
        test_id = self.report.id
        self._write(lambda s: experiments.make_default(s, test_id, variant.id))

    def stop(self) -> None:
        if self.report is None:
            return
        test_id = self.report.id
        self._write(lambda s: experiments.stop(s, test_id))

    def new_test(self) -> None:
        dialog = NewExperimentDialog(self.ctx, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.created_id is not None:
            self.load(dialog.created_id)


class NewExperimentDialog(FormDialog):
    """Name, rule, what is compared, the window for orders, and 2–6 variants (A is the control)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.created_id: int | None = None
        self.setWindowTitle(self.tr("New A/B test"))
        with ctx.store.read() as session:
            self.messages = [(v.id, v.name) for v in templates.listing(session) if v.kind == "followup"]
            self.batches = [(b.id, b.name) for b in coupons.batches(session)]
        self.name = QLineEdit(self)
        self.rule = QComboBox(self)
        for code in TESTABLE_RULES:
            self.rule.addItem(labels.task_kind(code), code)
        self.target = QComboBox(self)
        self.target.addItem(self.tr("Message template"), "template")
        self.target.addItem(self.tr("Coupon"), "coupon")
        self.target.currentIndexChanged.connect(lambda _i: self._fill_choices())
        self.window = QSpinBox(self, minimum=1, maximum=90, value=14, suffix=self.tr(" days"))
        self.choices: list[QComboBox] = []
        self.variants_form = QFormLayout()
        more = QPushButton(self.tr("Add a variant"), self)
        more.clicked.connect(self.add_variant)
        self.form.addRow(self.tr("Name"), self.name)
        self.form.addRow(self.tr("Rule"), self.rule)
        self.form.addRow(self.tr("Compare"), self.target)
        self.form.addRow(self.tr("Count orders within"), self.window)
        self.form.addRow(self.variants_form)
        self.form.addRow(more)
        self.finish()
        self.add_variant()
        self.add_variant()

    def add_variant(self) -> None:
        if len(self.choices) >= len(LETTERS):
            return
        box = QComboBox(self)
        self.choices.append(box)
        label = LETTERS[len(self.choices) - 1]
        self.variants_form.addRow(self.tr("Variant %1").replace("%1", label) +
                                  (self.tr(" (control)") if label == "A" else ""), box)
        self._fill_choices()

    def _fill_choices(self) -> None:
        items = self.messages if self.target.currentData() == "template" else self.batches
        for i, box in enumerate(self.choices):
            current = box.currentData()
            box.clear()
            for item_id, name in items:
                box.addItem(name, item_id)
            box.setCurrentIndex(box.findData(current) if box.findData(current) >= 0 else min(i, box.count() - 1))

    def specs(self) -> list[VariantSpec]:
        template = self.target.currentData() == "template"
        return [VariantSpec(LETTERS[i], template_id=box.currentData() if template else None,
                            coupon_batch_id=None if template else box.currentData())
                for i, box in enumerate(self.choices)]

    def save(self) -> None:
        with self.ctx.store.write(self.ctx.actor) as session:
            self.created_id = experiments.create(session, self.name.text(), self.rule.currentData(),
                                                 self.target.currentData(), self.specs(),
                                                 window_days=self.window.value())

    def refusal(self, exc: Exception) -> str | None:
        return error_text(exc) if isinstance(exc, (LoyaltyError, PermissionDenied)) else None


def experiments_button(ctx: AppContext, parent: QWidget) -> QPushButton:
    """The button the 跟进 page shows in its bar."""
    button = QPushButton(QCoreApplication.translate("Loyalty", "A/B tests…"), parent)
    button.clicked.connect(lambda: ExperimentsDialog(ctx, parent).open())
    return button
