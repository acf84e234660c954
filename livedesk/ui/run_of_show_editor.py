"""The run-of-show (排品) editor: products of the catalogue, lucky draws and flash deals in order,
each with its planned minutes, and when it starts in the plan.

A table (``PlanModel``) edited in place: the kind and the product are picked from lists,
the title and minutes typed; lines are added, removed and moved up or down. The playbook's
example (2 hours: 5 main products, 2 draws, 3 flash deals) fills in the shop's best sellers.
Saving replaces the plan through services/room/run_of_show.py; a line already marked on air
keeps its marks wherever it moves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livedesk.services.room import run_of_show
from livedesk.services.room.run_of_show import ItemView, PlannedItem, ProductChoice, RunOfShowError
from livedesk.ui import errors, labels
from livedesk.ui.context import AppContext
from livedesk.ui.flow_layout import FlowLayout

NUMBER, KIND, PRODUCT, TITLE, MINUTES, STARTS = range(6)
DEFAULT_MINUTES = {"product": 15, "draw": 5, "flash": 5}


@dataclass(frozen=True)
class Line:
    kind: str
    title: str
    minutes: int
    product_id: int | None = None
    was: int | None = None  # its position in the saved plan (its on-air marks go with it)


class PlanModel(QAbstractTableModel):
    def __init__(self, products: list[ProductChoice], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.products = products
        self.names = {p.id: p.name for p in products}
        self.lines: list[Line] = []

    # -- what the table shows ------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 6

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return (self.tr("#"), self.tr("Kind"), self.tr("Product"), self.tr("Title"), self.tr("Minutes"),
                self.tr("Starts at"))[section]

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsEditable if index.column() in (KIND, PRODUCT, TITLE, MINUTES) else base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line, column = self.lines[index.row()], index.column()
        if role == Qt.ItemDataRole.EditRole:
            return {KIND: line.kind, PRODUCT: line.product_id, TITLE: line.title, MINUTES: line.minutes}.get(column)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == NUMBER:
                return str(index.row() + 1)
            if column == KIND:
                return labels.show_kind(line.kind)
            if column == PRODUCT:
                return self.names.get(line.product_id, "—") if line.product_id else "—"
            if column == TITLE:
                return line.title
            if column == MINUTES:
                return str(line.minutes)
            return _clock(self.starts(index.row()))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (NUMBER, MINUTES, STARTS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,  # noqa: N802
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, column = index.row(), index.column()
        line = self.lines[row]
        if column == KIND and value in DEFAULT_MINUTES:
            line = replace(line, kind=value)
        elif column == PRODUCT:
            product_id = int(value) if value else None
            # A title that was the old product's name follows the product.
            follows = not line.title or line.title == self.names.get(line.product_id)
            line = replace(line, product_id=product_id,
                           title=self.names.get(product_id, line.title) if follows and product_id else line.title)
        elif column == TITLE:
            line = replace(line, title=str(value).strip())
        elif column == MINUTES:
            line = replace(line, minutes=max(0, int(value)))
        else:
            return False
        self.lines[row] = line
        # Minutes move every later start; a product may rename the title.
        self.dataChanged.emit(self.index(row, 0), self.index(len(self.lines) - 1, STARTS))
        return True

    # -- changing the list ---------------------------------------------------------
    def load(self, lines: list[Line]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()

    def add(self, kind: str, after: int | None = None) -> int:
        row = len(self.lines) if after is None else after + 1
        self.beginInsertRows(QModelIndex(), row, row)
        self.lines.insert(row, Line(kind, "", DEFAULT_MINUTES[kind]))
        self.endInsertRows()
        self._starts_changed(row)
        return row

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.lines):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.lines[row]
            self.endRemoveRows()
            self._starts_changed(row)

    def move(self, row: int, delta: int) -> int:
        """Move a line one place up (-1) or down (+1); returns where it is now."""
        target = row + delta
        if not (0 <= row < len(self.lines) and 0 <= target < len(self.lines)):
            return row
        # Qt's destination is the row the line goes before, counted before the move.
        self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), target + 1 if delta > 0 else target)
        self.lines.insert(target, self.lines.pop(row))
        self.endMoveRows()
        self._starts_changed(min(row, target))
        return target

    def _starts_changed(self, row: int) -> None:
        if self.lines:
            self.dataChanged.emit(self.index(max(0, min(row, len(self.lines) - 1)), NUMBER),
                                  self.index(len(self.lines) - 1, STARTS))

    # -- figures -------------------------------------------------------------------
    def starts(self, row: int) -> int:
        return sum(line.minutes for line in self.lines[:row])

    def total(self) -> int:
        return self.starts(len(self.lines))

    def planned(self) -> list[PlannedItem]:
        return [PlannedItem(line.kind, line.title, line.minutes, line.product_id, was=line.was) for line in self.lines]


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


class ChoiceDelegate(QStyledItemDelegate):
    """A list to pick from (kinds, products) for a column that holds a code or an id."""

    def __init__(self, choices: list[tuple[Any, str]], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, _option, _index) -> QWidget:  # noqa: N802
        box = QComboBox(parent)
        box.setMaxVisibleItems(20)
        for value, text in self.choices:
            box.addItem(text, value)
        box.activated.connect(lambda _i, b=box: self.commitData.emit(b))
        return box

    def setEditorData(self, editor: QComboBox, index: QModelIndex) -> None:  # noqa: N802
        editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))

    def setModelData(self, editor: QComboBox, model: QAbstractTableModel, index: QModelIndex) -> None:  # noqa: N802
        model.setData(index, editor.currentData())


class RunOfShowDialog(QDialog):
    def __init__(self, ctx: AppContext, broadcast_id: int | None, items: list[ItemView],
                 parent: QWidget | None = None) -> None:
        """The plan of ``broadcast_id``, or with None the next broadcast's (made before it starts)."""
        super().__init__(parent)
        self.ctx = ctx
        self.broadcast_id = broadcast_id
        self.setWindowTitle(self.tr("Run-of-show") if broadcast_id is not None
                            else self.tr("Run-of-show for the next broadcast"))
        self.resize(900, 560)
        with ctx.store.read() as session:
            products = run_of_show.catalogue(session)
            self._example = run_of_show.example_plan(session)
            drafted = run_of_show.draft(session) if broadcast_id is None else []
        self.model = PlanModel(products, self)
        self.model.load([Line(i.kind, i.title, i.planned_minutes, i.product_id, was=i.position) for i in items]
                        or [_line(p) for p in drafted] or [_line(p) for p in self._example])
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.view.setItemDelegateForColumn(KIND, ChoiceDelegate(labels.show_kinds(), self.view))
        self.view.setItemDelegateForColumn(PRODUCT, ChoiceDelegate(
            [(None, self.tr("(no product)"))] + [(p.id, p.name) for p in products], self.view))
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in ((NUMBER, 36), (KIND, 110), (PRODUCT, 260), (MINUTES, 70), (STARTS, 80)):
            self.view.setColumnWidth(column, width)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)

        hint = QLabel(self.tr("Products, lucky draws and flash deals in the order of the stream. During the stream, "
                              "F8 on the Live page marks the next one on air."), self)
        if broadcast_id is None:
            hint.setText(hint.text() + " " + self.tr("The next broadcast you start takes this plan."))
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555;")
        self.total = QLabel(self)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        tools = FlowLayout()
        for kind, text in (("product", self.tr("Add product")), ("draw", self.tr("Add lucky draw")),
                           ("flash", self.tr("Add flash deal"))):
            button = QPushButton(text, self)
            button.clicked.connect(lambda _c=False, k=kind: self._add(k))
            tools.addWidget(button)
        self.up_button = QPushButton(self.tr("Move up"), self)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button = QPushButton(self.tr("Move down"), self)
        self.down_button.clicked.connect(lambda: self._move(1))
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.clicked.connect(self._remove)
        example = QPushButton(self.tr("Playbook example"), self)
        example.setToolTip(self.tr("2 hours: 5 main products (your best sellers), 2 lucky draws, 3 flash deals"))
        example.clicked.connect(lambda: self.model.load([_line(p) for p in self._example]))
        for button in (self.up_button, self.down_button, self.remove_button, example):
            tools.addWidget(button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.total, 1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.error)
        layout.addLayout(bottom)
        for signal in (self.model.dataChanged, self.model.rowsInserted, self.model.rowsRemoved,
                       self.model.modelReset, self.model.rowsMoved):
            signal.connect(self._show_total)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._enable())
        self._show_total()
        self._enable()

    def _row(self) -> int | None:
        index = self.view.currentIndex()
        return index.row() if index.isValid() and self.view.selectionModel().hasSelection() else None

    def _enable(self) -> None:
        row = self._row()
        self.remove_button.setEnabled(row is not None)
        self.up_button.setEnabled(row is not None and row > 0)
        self.down_button.setEnabled(row is not None and row < self.model.rowCount() - 1)

    def _select(self, row: int, column: int = TITLE) -> None:
        self.view.setCurrentIndex(self.model.index(row, column))
        self.view.selectRow(row)
        self._enable()

    def _add(self, kind: str) -> None:
        row = self.model.add(kind, self._row())
        self._select(row, PRODUCT if kind == "product" else TITLE)

    def _move(self, delta: int) -> None:
        row = self._row()
        if row is not None:
            self._select(self.model.move(row, delta))

    def _remove(self) -> None:
        row = self._row()
        if row is not None:
            self.model.remove(row)
            if self.model.rowCount():
                self._select(min(row, self.model.rowCount() - 1))
            self._enable()

    def _show_total(self, *_args: Any) -> None:
        counts = {kind: sum(1 for line in self.model.lines if line.kind == kind) for kind in DEFAULT_MINUTES}
        self.total.setText(self.tr("%1 products, %2 lucky draws, %3 flash deals · planned %4")
                           .replace("%1", str(counts["product"])).replace("%2", str(counts["draw"]))
                           .replace("%3", str(counts["flash"])).replace("%4", labels.duration(self.model.total())))

    def save(self) -> None:
        self.view.setFocus()  # an open editor commits first
        try:
            with self.ctx.store.write() as session:
                if self.broadcast_id is None:  # the next broadcast takes it when it starts
                    run_of_show.save_draft(session, self.model.planned())
                else:
                    run_of_show.plan(session, self.broadcast_id, self.model.planned())
        except RunOfShowError as exc:
            self.error.setText(errors.describe(exc))
            line = exc.params.get("line")
            if isinstance(line, int):
                self._select(line - 1)
            return
        self.accept()


def _line(item: PlannedItem) -> Line:
    return Line(item.kind, item.title, item.planned_minutes, item.product_id)
