"""The customer list's Qt model: ordered ids for the current filter, rows fetched lazily.

Like Anki's browser table: the model holds only ids (200k ints), and fetches the rows
the view asks for in blocks, keeping a bounded cache. Sorting is the query's job.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from livedesk.services import customers
from livedesk.services.customers import CustomerRow
from livedesk.services.identity_text import mask_name, mask_phone
from livedesk.services.store import Store
from livedesk.ui import labels

ID_ROLE = Qt.ItemDataRole.UserRole + 1
BLOCK = 200
CACHE_ROWS = 5000

# (sort key understood by services.customers.SORTABLE or None, header source text)
COLUMNS: list[tuple[str | None, str]] = [
    ("nickname", QT_TRANSLATE_NOOP("CustomerListModel", "Nickname")),
    (None, QT_TRANSLATE_NOOP("CustomerListModel", "Name")),
    (None, QT_TRANSLATE_NOOP("CustomerListModel", "Phone")),
    ("city", QT_TRANSLATE_NOOP("CustomerListModel", "City")),
    ("tier", QT_TRANSLATE_NOOP("CustomerListModel", "Tier")),
    ("level", QT_TRANSLATE_NOOP("CustomerListModel", "Level")),
    ("order_count", QT_TRANSLATE_NOOP("CustomerListModel", "Orders")),
    ("total_spent_fen", QT_TRANSLATE_NOOP("CustomerListModel", "Total spent")),
    ("last_order_at", QT_TRANSLATE_NOOP("CustomerListModel", "Last order")),
    ("points_balance", QT_TRANSLATE_NOOP("CustomerListModel", "Growth points")),
]
RIGHT_ALIGNED = {6, 7, 9}


class CustomerListModel(QAbstractTableModel):
    sort_requested = Signal(str, bool)  # sort key, descending

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._ids: list[int] = []
        self._positions: dict[int, int] | None = None
        self._cache: OrderedDict[int, CustomerRow] = OrderedDict()
        self.reveal = False  # full phones and names, on this laptop only
        self.zone = None  # the shop's clock, set by the page (None: this computer's)
        # The sorted column and its direction, drawn as ↓/↑ in the header's text: styles disagree
        # about which way Qt's own indicator points, and a descending sort must point down.
        self.sorted_by: tuple[int, bool] | None = None
        self.fetches = 0  # block queries made: lets tests prove rows are fetched lazily

    # -- contents ----------------------------------------------------------
    def set_ids(self, ids: list[int]) -> None:
        self.beginResetModel()
        self._ids = ids
        self._positions = None
        self._cache.clear()
        self.endResetModel()

    def ids(self) -> list[int]:
        return self._ids

    def id_at(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, customer_id: int) -> int | None:
        if self._positions is None:  # built once per list: change sets ask for many ids
            self._positions = {cid: row for row, cid in enumerate(self._ids)}
        return self._positions.get(customer_id)

    def refresh(self, customer_id: int) -> None:
        """Drop one customer's cached row so the view shows what the store has now."""
        self._cache.pop(customer_id, None)
        row = self.row_of(customer_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def set_reveal(self, reveal: bool) -> None:
        self.reveal = reveal
        if self._ids:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self._ids) - 1, 2))

    def _row(self, row: int) -> CustomerRow | None:
        customer_id = self._ids[row]
        found = self._cache.get(customer_id)
        if found is not None:
            self._cache.move_to_end(customer_id)
            return found
        start = (row // BLOCK) * BLOCK
        block = self._ids[start : start + BLOCK]
        with self._store.read() as session:
            fetched = customers.rows(session, block)
        self.fetches += 1
        self._cache.update(fetched)
        while len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return fetched.get(customer_id)

    # -- Qt model API ----------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            title = QCoreApplication.translate("CustomerListModel", COLUMNS[section][1])
            if self.sorted_by is not None and self.sorted_by[0] == section:
                title += " ↓" if self.sorted_by[1] else " ↑"
            return title
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == ID_ROLE:
            return self._ids[index.row()]
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole,
                        Qt.ItemDataRole.TextAlignmentRole):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if column in RIGHT_ALIGNED else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        row = self._row(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(labels.TIER_COLORS.get(row.tier, "#000")) if column == 4 else None
        return self._display(row, column)

    def _display(self, row: CustomerRow, column: int) -> str:
        if column == 0:
            return row.nickname
        if column == 1:
            return (row.real_name or "") if self.reveal else mask_name(row.real_name)
        if column == 2:
            return (row.phone or "") if self.reveal else mask_phone(row.phone)
        if column == 3:
            return row.city or ""
        if column == 4:
            return labels.tier(row.tier)
        if column == 5:
            return labels.level(row.level)
        if column == 6:
            return str(row.order_count)
        if column == 7:
            return labels.money(row.total_spent_fen)
        if column == 8:
            return row.last_order_at.astimezone(self.zone).strftime("%Y-%m-%d") if row.last_order_at else ""
        return f"{row.points_balance:,}"

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][0]
        if key is not None:
            self.sorted_by = (column, order == Qt.SortOrder.DescendingOrder)
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
            self.sort_requested.emit(key, order == Qt.SortOrder.DescendingOrder)
