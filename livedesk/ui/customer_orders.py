"""A customer's order history on the customer page: the table model and its view.

The pane beside the list is narrow, so the view gives the basket the room left over
by the short columns, and the platform's order number (long, quoted to after-sale
service) comes last; every row's tooltip has it with the order's time. A 抖店 order's
context menu offers 解密收件人 where the page allows it (``decrypt_requested``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QHeaderView, QMenu, QTableView, QWidget

from livedesk.services.customers import OrderView
from livedesk.ui import labels

DATE, PLATFORM, ITEMS, STATUS, AMOUNT, ORDER_NO = range(6)
MIN_ITEMS_WIDTH = 120


class OrdersModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.orders: list[OrderView] = []
        self.zone = None  # the shop's clock, set by the page (None: this computer's)

    def set_orders(self, orders: list[OrderView]) -> None:
        self.beginResetModel()
        self.orders = orders
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.orders)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 6

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self.tr("Date"), self.tr("Platform"), self.tr("Items"), self.tr("Status"), self.tr("Amount"),
                    self.tr("Order no."))[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        order = self.orders[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(order, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == AMOUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and order.status in ("cancelled", "refunded"):
            return QColor("#9e9e9e")  # money that did not stay: greyed, still listed
        if role == Qt.ItemDataRole.ToolTipRole:
            basket = _basket(order) if column == ITEMS else ""
            when = order.ordered_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
            number = self.tr("Order no. %1").replace("%1", order.platform_order_id)
            return "\n".join(x for x in (basket, when, number) if x)
        return None

    def _display(self, order: OrderView, column: int) -> str:
        if column == DATE:
            return order.ordered_at.astimezone(self.zone).strftime("%Y-%m-%d")
        if column == PLATFORM:
            return labels.platform(order.platform)
        if column == ITEMS:
            return _basket(order)
        if column == STATUS:
            return labels.order_status(order.status)
        if column == AMOUNT:
            return labels.money(order.total_fen)
        return order.platform_order_id


def _basket(order: OrderView) -> str:
    return "；".join(f"{i.product_name} ×{i.quantity}" for i in order.items)


class OrdersView(QTableView):
    decrypt_requested = Signal(str)  # a 抖店 order number whose recipient the user asks to decrypt

    def __init__(self, model: OrdersModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.orders_model = model
        self.offer_decrypt = False  # the page turns it on for a member who may decrypt
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(26)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(False)
        model.modelReset.connect(self.fit_columns)

    def fit_columns(self) -> None:
        for column in (DATE, PLATFORM, STATUS, AMOUNT, ORDER_NO):
            self.resizeColumnToContents(column)
        self._fit_items()

    def _fit_items(self) -> None:
        """The basket takes what the short columns leave, but never less than a readable width."""
        others = sum(self.columnWidth(c) for c in (DATE, PLATFORM, STATUS, AMOUNT))
        self.setColumnWidth(ITEMS, max(MIN_ITEMS_WIDTH, self.viewport().width() - others))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_items()

    def decryptable(self, row: int) -> str | None:
        """The order number of row ``row`` when it is a 抖店 order (None otherwise)."""
        orders = self.orders_model.orders
        return orders[row].platform_order_id if 0 <= row < len(orders) and orders[row].platform == "douyin" else None

    def _menu(self, at: QPoint) -> None:
        number = self.decryptable(self.indexAt(at).row())
        if not self.offer_decrypt or number is None:
            return
        menu = QMenu(self)
        menu.addAction(self.tr("Decrypt the recipient (抖店)…"), lambda: self.decrypt_requested.emit(number))
        menu.popup(self.viewport().mapToGlobal(at))
