"""兑换: a customer's points, the perks they can have now (and why not the others), redeeming after a
confirmation, their ledger with the owner's undo, and coupons issued to them by hand.

Opened from the customer page and the live console with ``redeem_button``. Every action
runs one unit of work; what is shown is read again after it, so two people at once see
the result of whoever came first (and the loser is told why).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import customers, points, settings
from livedesk.services.loyalty import coupons, perks
from livedesk.ui.context import AppContext
from livedesk.ui.loyalty.words import error_text, refusal
from livedesk.ui.rows_model import RowsModel, rows_table

class RedeemDialog(QDialog):
    def __init__(self, ctx: AppContext, customer_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id = customer_id
        self.offers: list[perks.Offer] = []
        self.lines: list[perks.LedgerLine] = []
        self.balance = 0
        self.resize(820, 700)

        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.offers_model = RowsModel([self.tr("Perk"), self.tr("Points"), self.tr("Stock"), self.tr("Can redeem?")],
                                      self)
        self.offers_view = rows_table(self.offers_model, self)
        self.redeem_button = QPushButton(self.tr("Redeem…"), self)
        self.redeem_button.clicked.connect(self.redeem)
        self.offers_view.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.history_model = RowsModel([self.tr("When"), self.tr("Points"), self.tr("What"), self.tr("By"),
                                        self.tr("State")], self)
        self.history_view = rows_table(self.history_model, self)
        self.undo_button = QPushButton(self.tr("Undo redemption…"), self)
        self.undo_button.setToolTip(self.tr("The owner gives the points back with a reversing entry"))
        self.undo_button.clicked.connect(self.undo)
        self.history_view.selectionModel().selectionChanged.connect(lambda *_: self._enable())

        self.batch = QComboBox(self)
        self.issue_button = QPushButton(self.tr("Issue a code"), self)
        self.issue_button.clicked.connect(self.issue)
        self.codes_label = QLabel(self)
        self.codes_label.setWordWrap(True)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)

        perks_box = QGroupBox(self.tr("Perks"), self)
        perks_layout = QVBoxLayout(perks_box)
        perks_layout.addWidget(self.offers_view)
        perks_layout.addWidget(self.redeem_button)
        history_box = QGroupBox(self.tr("Points history"), self)
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(self.history_view)
        history_layout.addWidget(self.undo_button)
        coupons_box = QGroupBox(self.tr("Coupons"), self)
        coupons_layout = QVBoxLayout(coupons_box)
        issue_row = QHBoxLayout()
        issue_row.addWidget(self.batch, 1)
        issue_row.addWidget(self.issue_button)
        coupons_layout.addLayout(issue_row)
        coupons_layout.addWidget(self.codes_label)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(perks_box, 3)
        layout.addWidget(history_box, 3)
        layout.addWidget(coupons_box, 1)
        layout.addWidget(self.feedback)
        layout.addWidget(close)
        self.load()

    def load(self) -> None:
        with self.ctx.store.read() as session:
            nickname = customers.rows(session, [self.customer_id])[self.customer_id].nickname
            self.balance = points.balance(session, self.customer_id)
            self.offers = perks.offers(session, self.customer_id)
            self.lines = perks.history(session, self.customer_id)
            self.batches = coupons.batches(session)
            issued = coupons.issued_codes(session, customer_id=self.customer_id, limit=20)
            zone = settings.shop_zone(session)
        self.setWindowTitle(self.tr("Points and coupons: %1").replace("%1", nickname))
        self.heading.setText(self.tr("%1 has %2 points").replace("%1", nickname).replace("%2", f"{self.balance:,}"))
        self.offers_model.set_rows([
            (o.perk.name, f"{o.perk.cost:,}", self.tr("Unlimited") if o.perk.stock is None else o.perk.stock,
             self.tr("Yes") if o.refusal is None else
             refusal(o.refusal, perk=o.perk.name, cost=o.perk.cost, balance=self.balance))
            for o in self.offers])
        self.offers_view.resizeColumnsToContents()
        self.history_model.set_rows([
            (line.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), f"{line.delta:+,}",
             self._what(line), line.by or "", self.tr("Undone") if line.undone else "")
            for line in self.lines])
        self.history_view.resizeColumnsToContents()
        current = self.batch.currentData()
        self.batch.clear()
        for b in self.batches:
            self.batch.addItem(self.tr("%1 (%2 codes free)").replace("%1", b.name)
                               .replace("%2", f"{b.codes - b.issued:,}"), b.id)
        self.batch.setCurrentIndex(max(0, self.batch.findData(current)))
        self.batch.setPlaceholderText(self.tr("No coupon batch yet: add one in Settings"))
        used = self.tr("used")
        self.codes_label.setText(self.tr("Issued to this customer: %1").replace("%1", "、".join(
            f"{i.code}（{i.batch}{'，' + used if i.used_order_id else ''}）" for i in issued))
            if issued else self.tr("No coupon issued to this customer yet"))
        self._enable()

    def _what(self, line: perks.LedgerLine) -> str:
        words = {
            "spend": self.tr("Purchase"), "refund": self.tr("Refund"), "comment": self.tr("Comment"),
            "share": self.tr("Share"), "review": self.tr("Review"), "gift": self.tr("Gift"),
            "redeem": self.tr("Redeemed"), "redeem_undo": self.tr("Redemption undone"), "manual": self.tr("By hand"),
        }
        word = words.get(line.reason, line.reason)
        return f"{word}：{line.note}" if line.note and line.reason in ("redeem", "redeem_undo") else word

    def _selected(self, view, items: list) -> object | None:
        rows = view.selectionModel().selectedRows()
        return items[rows[0].row()] if rows and rows[0].row() < len(items) else None

    def _enable(self) -> None:
        offer = self._selected(self.offers_view, self.offers)
        self.redeem_button.setEnabled(offer is not None and offer.refusal is None)
        line = self._selected(self.history_view, self.lines)
        self.undo_button.setEnabled(line is not None and line.reason == "redeem" and not line.undone
                                    and self.ctx.may("undo_redemption"))
        self.issue_button.setEnabled(self.batch.count() > 0)

    def _act(self, action: Callable, done: Callable[[object], str]) -> None:
        def run():
            with self.ctx.store.write(self.ctx.actor) as session:
                return action(session)

        def finished(result) -> None:
            self.feedback.setStyleSheet("color: #2e7d32;")
            self.feedback.setText(done(result))
            self.load()

        def failed(exc: BaseException) -> None:
            self.feedback.setStyleSheet("color: #c62828;")
            self.feedback.setText(error_text(exc))
            self.load()

        self.ctx.tasks.submit(run, on_done=finished, on_error=failed)

    def redeem(self) -> None:
        offer = self._selected(self.offers_view, self.offers)
        if offer is None or offer.refusal is not None:
            return
        question = self.tr("Redeem %1 for %2 points? The balance becomes %3.").replace("%1", offer.perk.name) \
            .replace("%2", f"{offer.perk.cost:,}").replace("%3", f"{self.balance - offer.perk.cost:,}")
        if QMessageBox.question(self, self.tr("Redeem"), question) != QMessageBox.StandardButton.Yes:
            return
        code = offer.perk.code
        self._act(lambda s: perks.redeem(s, self.customer_id, code),
                  lambda done: self.tr("Redeemed %1; %2 points left").replace("%1", done.perk.name)
                  .replace("%2", f"{done.balance:,}"))

    def undo(self) -> None:
        line = self._selected(self.history_view, self.lines)
        if line is None:
            return
        question = self.tr("Give back the %1 points of this redemption? It stays in the history with its "
                           "reversing entry.").replace("%1", f"{-line.delta:,}")
        if QMessageBox.question(self, self.tr("Undo redemption"), question) != QMessageBox.StandardButton.Yes:
            return
        entry = line.id
        self._act(lambda s: perks.undo(s, entry),
                  lambda balance: self.tr("Undone; %1 points now").replace("%1", f"{balance:,}"))

    def issue(self) -> None:
        batch_id = self.batch.currentData()
        if batch_id is None:
            return
        self._act(lambda s: coupons.issue(s, batch_id, self.customer_id),
                  lambda code: self.tr("Code %1 issued: send it to the customer").replace("%1", code))


def redeem_button(ctx: AppContext, customer_id: Callable[[], int | None], parent: QWidget) -> QPushButton:
    """The 兑换 button a page puts next to its customer actions; ``customer_id()`` is who is shown."""
    button = QPushButton(QCoreApplication.translate("Loyalty", "Redeem…"), parent)
    button.setToolTip(QCoreApplication.translate("Loyalty", "Spend this customer's points on a perk, or give a coupon"))

    def open_dialog() -> None:
        cid = customer_id()
        if cid is not None:
            RedeemDialog(ctx, cid, parent).open()

    button.clicked.connect(open_dialog)
    return button
