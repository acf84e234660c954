"""未识别买家: orders whose buyer an export withheld, and attaching one to a customer.

The assistant finds out whose an order is (the platform's order page, a chat, a call),
finds the customer with the usual lookup and attaches the order; the store then knows the
order's buyer id for next time. For a 抖店 order the shop's owner may instead ask the
platform to decrypt the recipient (解密收件人, counted against the shop's quota): the
decrypted name and phone find or make the customer as a file's plain values would.
services/unknown_buyers.py lists and attaches, services/sync/douyin_decrypt.py decrypts;
this dialog only shows it.
"""

from __future__ import annotations

import getpass
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import settings, unknown_buyers
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.douyin_words import RecipientDecrypt
from livedesk.ui.rows_model import RowsModel, rows_table

ORDERS_SHOWN = 500
HITS_SHOWN = 20


class UnknownBuyersDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.attached_any = False
        with ctx.store.read() as session:
            self.zone = settings.shop_zone(session)
        self.setWindowTitle(self.tr("Orders without a known buyer"))
        self.resize(1180, 680)

        self.status = QLabel(self.tr("Reading the orders…"), self)
        self.status.setWordWrap(True)
        self.orders = RowsModel([self.tr("Platform"), self.tr("Order number"), self.tr("Placed"), self.tr("Amount"),
                                 self.tr("Status"), self.tr("Products")], self)
        self.orders_view = rows_table(self.orders, self)
        self.orders_view.selectionModel().currentRowChanged.connect(lambda _c, _p: self._update_buttons())
        self.platforms: list[str] = []  # each listed order's platform code
        self.decryptor = RecipientDecrypt(ctx, self)
        self.decryptor.finished.connect(self._decrypted)
        self.decrypt_button = QPushButton(self.tr("Decrypt the recipient (抖店)"), self)
        self.decrypt_button.setToolTip(self.tr("Asks 抖店 for the order's recipient, which counts against the "
                                               "shop's decryption quota; the name and phone find or make the "
                                               "customer. Only the shop's owner may."))
        self.decrypt_button.clicked.connect(self.decrypt)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Whose is it? Nickname, pinyin, platform id or phone tail"))
        self.search.returnPressed.connect(self.find)
        find_button = QPushButton(self.tr("Find"), self)
        find_button.clicked.connect(self.find)
        self.hits = RowsModel([self.tr("Customer"), self.tr("City"), self.tr("Tier"), self.tr("Spent")], self)
        self.hits_view = rows_table(self.hits, self)
        self.hits_view.selectionModel().currentRowChanged.connect(lambda _c, _p: self._update_buttons())
        self.attach_button = QPushButton(self.tr("Attach the order to this customer"), self)
        self.attach_button.clicked.connect(self.attach)
        self.feedback = QLabel(self)
        self.feedback.setWordWrap(True)

        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(find_button)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(search_row)
        right_layout.addWidget(self.hits_view, 1)
        right_layout.addWidget(self.feedback)
        right_layout.addWidget(self.attach_button)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.orders_view, 1)
        decrypt_row = QHBoxLayout()
        decrypt_row.addWidget(self.decrypt_button)
        decrypt_row.addStretch(1)
        left_layout.addLayout(decrypt_row)
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([720, 460])
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        self._update_buttons()
        self.reload()

    # -- the orders --------------------------------------------------------------------------
    def reload(self) -> None:
        def run():
            with self.ctx.store.read() as session:
                return unknown_buyers.count(session), unknown_buyers.unknown_orders(session, limit=ORDERS_SHOWN)

        self.ctx.tasks.submit(run, on_done=self._show_orders, on_error=self._error)

    def _show_orders(self, found: tuple[int, list[unknown_buyers.UnknownOrder]]) -> None:
        total, waiting = found
        self.orders.set_rows(
            [(labels.platform(o.platform), o.platform_order_id,
              o.ordered_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M"), labels.money(o.total_fen),
              labels.order_status(o.status), o.products) for o in waiting],
            keys=[o.id for o in waiting])
        self.platforms = [o.platform for o in waiting]
        self.orders_view.resizeColumnsToContents()
        if total:
            self.status.setText(self.tr("%1 orders came without a buyer anyone can recognise (the platform "
                                        "encrypted or masked it). They already count in the sales figures. When you "
                                        "know whose an order is, find the customer on the right and attach it.")
                                .replace("%1", f"{total:,}"))
            if self.orders_view.currentIndex().row() < 0:
                self.orders_view.selectRow(0)
        else:
            self.status.setText(self.tr("Every order has its customer."))
        self._update_buttons()

    # -- the customer ------------------------------------------------------------------------
    def find(self) -> None:
        text = self.search.text().strip()
        if not text:
            return

        def run():
            from livedesk.services import lookup

            with self.ctx.store.read() as session:
                return lookup.lookup(session, text, limit=HITS_SHOWN)

        self.ctx.tasks.submit(run, on_done=self._show_hits, on_error=self._error)

    def _show_hits(self, hits: list[Any]) -> None:
        self.hits.set_rows([(h.nickname, h.city or "", labels.tier(h.tier), labels.money(h.total_spent_fen))
                            for h in hits], keys=[h.id for h in hits])
        if hits:
            self.hits_view.selectRow(0)
            self.feedback.setText("")
        else:
            self._say(self.tr("Nobody found: try another name, the pinyin initials or a phone tail."), error=True)
        self._update_buttons()

    # -- attaching ---------------------------------------------------------------------------
    def attach(self) -> None:
        order_row, hit_row = self.orders_view.currentIndex().row(), self.hits_view.currentIndex().row()
        if order_row < 0 or hit_row < 0:
            return
        order_id, customer_id = self.orders.keys[order_row], self.hits.keys[hit_row]
        nickname = self.hits.rows[hit_row][0]

        def run():
            with self.ctx.store.write() as session:
                return unknown_buyers.attach(session, order_id, customer_id, actor=getpass.getuser())

        def done(result: unknown_buyers.AttachResult) -> None:
            self.attached_any = True
            words = self.tr("Attached %1 orders to %2.").replace("%1", str(len(result.order_ids))) \
                .replace("%2", nickname)
            if result.account_linked:
                words += " " + self.tr("Their next orders with this buyer id will find them by themselves.")
            self._say(words)
            self.reload()

        self.attach_button.setEnabled(False)
        self.ctx.tasks.submit(run, on_done=done, on_error=self._error)

    # -- decrypting (抖店) ---------------------------------------------------------------------
    def decrypt(self) -> None:
        row = self.orders_view.currentIndex().row()
        if row < 0 or self.platforms[row] != "douyin":
            return
        self.decrypt_button.setEnabled(False)
        self._say(self.tr("Asking 抖店 for the recipient…"))
        self.decryptor.start([self.orders.rows[row][1]])

    def _decrypted(self, text: str, error: bool) -> None:
        self._say(text, error=error)
        if not error:
            self.attached_any = True
        self.reload()

    def _update_buttons(self) -> None:
        row = self.orders_view.currentIndex().row()
        self.attach_button.setEnabled(row >= 0 and self.hits_view.currentIndex().row() >= 0)
        douyin = 0 <= row < len(self.platforms) and self.platforms[row] == "douyin"
        self.decrypt_button.setVisible(self.decryptor.allowed())
        self.decrypt_button.setEnabled(douyin and not self.decryptor.running)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.feedback.setText(text)
        self.feedback.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")

    def _error(self, exc: BaseException) -> None:
        if isinstance(exc, unknown_buyers.AttachError):
            text = {
                unknown_buyers.AttachError.NO_ORDER: self.tr("That order is gone: someone reverted its import."),
                unknown_buyers.AttachError.NOT_UNKNOWN: self.tr("Someone attached that order already."),
                unknown_buyers.AttachError.NO_CUSTOMER: self.tr("That customer is gone: merged or erased."),
                unknown_buyers.AttachError.UID_TAKEN: self.tr(
                    "The platform says this buyer is another customer (#%1): attach the order to them, or merge "
                    "the two customers first.").replace("%1", str(exc.other_id)),
            }.get(exc.code, self.tr("The order could not be attached."))
        else:
            text = self.tr("Something went wrong; the log has the details.")
        self._say(text, error=True)
        self.reload()
