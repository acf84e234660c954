"""The 客户 page: a filterable, sortable list of every customer beside the customer's page."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QMenu,
    QToolButton,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import customers
from livedesk.services.customers import CustomerFilter
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.customer_list import COLUMNS, CustomerListModel
from livedesk.ui.customer_view import CustomerView
from livedesk.ui.tasks import TaskRunner


class CustomersPage(QWidget):
    push_to_panel = Signal(int)
    loaded = Signal(int)  # the list holds this many customers now
    erased = Signal(int)  # a customer was erased (PIPL): the search index forgets them

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # Exports get their own thread, as imports do: a million orders must not hold up the pages' reads.
        self.exports = TaskRunner(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.exports.shutdown)
        self.sort_key, self.descending = "total_spent_fen", True
        self._load_seq = 0

        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search nickname, name, pinyin, handle or phone…"))
        self.search.setClearButtonEnabled(True)
        self.tier = QComboBox(self)
        self.tier.addItem(self.tr("All tiers"), None)
        for code, words in labels.tiers():
            self.tier.addItem(words, code)
        self.level = QComboBox(self)
        self.level.addItem(self.tr("All levels"), None)
        for code, words in labels.levels():
            self.level.addItem(words, code)
        self.tag = QComboBox(self)
        self.reveal = QCheckBox(self.tr("Show full phone numbers"), self)
        self.count_label = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 3)
        for w in (self.tier, self.level, self.tag):
            bar.addWidget(w, 1)
        bar.addWidget(self.reveal)
        bar.addWidget(self.count_label)
        more = QToolButton(self)
        more.setText(self.tr("Tools"))
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(more)
        menu.addAction(self.tr("Find and merge duplicates…"), self.find_duplicates)
        menu.addAction(self.tr("Orders without a known buyer…"), self.unknown_buyers)
        menu.addSeparator()
        menu.addAction(self.tr("Export these customers…"), lambda: self.export("customers"))
        menu.addAction(self.tr("Export their orders…"), lambda: self.export("orders"))
        more.setMenu(menu)
        bar.addWidget(more)
        self.notice = QLabel(self)  # what the tools did (the count label is the list's)
        self.notice.setWordWrap(True)
        self.notice.hide()

        self.model = CustomerListModel(ctx.store, self)
        self.model.zone = ctx.shop_zone()
        self.model.sort_requested.connect(self._sort)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        # Indicator first: enabling sorting sorts by the indicator, i.e. asks for a reload.
        self.table.horizontalHeader().setSortIndicator(7, Qt.SortOrder.DescendingOrder)
        self.model.sorted_by = (7, True)
        self.model.blockSignals(True)
        self.table.setSortingEnabled(True)
        self.model.blockSignals(False)
        # After enabling sorting, which shows Qt's own indicator again: the model writes ↓/↑ in the title.
        self.table.horizontalHeader().setSortIndicatorShown(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._size_columns()
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.activated.connect(lambda index: self.push_to_panel.emit(self.model.id_at(index.row())))
        self.empty_hint = QLabel(self)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setStyleSheet("color: #666; font-size: 15px; padding: 24px;")
        self.empty_hint.hide()

        self.detail = CustomerView(ctx, self)
        self.detail.push_to_panel.connect(self.push_to_panel)
        self.detail.changed.connect(self._customer_changed)
        ctx.changes.changed.connect(self._on_changes)
        self.detail.erased.connect(self._customer_erased)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(420)
        scroll.setWidget(self.detail)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        left_layout.addWidget(self.empty_hint)
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        # The list takes what the window gains; the customer's page keeps a readable width.
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        splitter.setSizes([sum(self.table.columnWidth(c) for c in range(len(COLUMNS))), 460])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(bar)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)

        self._debounce = QTimer(self, singleShot=True, interval=150)  # one query per typing pause
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        for combo in (self.tier, self.level, self.tag):
            combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.reveal.toggled.connect(self._set_reveal)
        self.reload_tags()
        self.reload()

    def _size_columns(self) -> None:
        """Width from the font and a typical value, never by measuring rows: that would fetch them all."""
        samples = ("退休教师呀呀呀", "王**", "138****5678", "哈尔滨", max((w for _c, w in labels.tiers()), key=len),
                   max((w for _c, w in labels.levels()), key=len), "1,234", "¥123,456.00", "2026-12-31", "123,456")
        text = self.table.fontMetrics()
        header = self.table.horizontalHeader().fontMetrics()
        arrow = header.horizontalAdvance(" ↓")  # the sort direction written after a header's text
        for column, sample in enumerate(samples):
            title = QCoreApplication.translate("CustomerListModel", COLUMNS[column][1])
            width = max(text.horizontalAdvance(sample), header.horizontalAdvance(title) + arrow) + 16
            self.table.setColumnWidth(column, width)

    def current_filter(self) -> CustomerFilter:
        return CustomerFilter(tier=self.tier.currentData(), level=self.level.currentData(),
                              tag_id=self.tag.currentData(), text=self.search.text())

    def reload(self, keep_selection: bool = False) -> None:
        """Ask the worker for the ids of the current filter and order; the newest answer wins.

        ``keep_selection``: a refresh because others changed the store, not the user's choice:
        the customer shown stays shown."""
        self._load_seq += 1
        shown = self.detail.customer_id if keep_selection else None
        seq, flt, sort_key, descending = self._load_seq, self.current_filter(), self.sort_key, self.descending
        self.count_label.setText(self.tr("Loading…"))

        def load() -> tuple[list[int], bool]:
            with self.ctx.store.read() as session:
                ids = customers.list_ids(session, flt, sort_key, descending)
                empty_store = not ids and customers.count(session) == 0
            return ids, empty_store

        def show(result: tuple[list[int], bool]) -> None:
            if seq != self._load_seq:
                return
            ids, empty_store = result
            self.model.set_ids(ids)
            self.count_label.setText(self.tr("%n customers", "", len(ids)))
            self.empty_hint.setVisible(empty_store)
            self.empty_hint.setText(self.tr(
                "No customers yet. Import the shop's order exports on the Import page, or try LiveDesk "
                "with demo data: livedesk demo --customers 3000"))
            row = self.model.row_of(shown) if shown is not None else None
            if row is not None:
                self.table.selectRow(row)
            elif ids and shown is None:
                self.table.selectRow(0)
            self.loaded.emit(len(ids))

        self.ctx.tasks.submit(load, on_done=show)

    def reload_tags(self) -> None:
        current = self.tag.currentData()
        with self.ctx.store.read() as session:
            tags = customers.all_tags(session)
        self.tag.blockSignals(True)
        self.tag.clear()
        self.tag.addItem(self.tr("All tags"), None)
        for tag in tags:
            self.tag.addItem(tag.name, tag.id)
        self.tag.setCurrentIndex(max(0, self.tag.findData(current)))
        self.tag.blockSignals(False)

    def _sort(self, key: str, descending: bool) -> None:
        self.sort_key, self.descending = key, descending
        self.reload()

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.detail.show_customer(self.model.id_at(current.row()))

    def _on_changes(self, change_set) -> None:
        if change_set.touches_any("tags"):
            self.reload_tags()
        if not change_set.touches("customers"):
            return
        ids = change_set.ids("customers")
        if ids is None or any(self.model.row_of(i) is None for i in ids):
            self.reload(keep_selection=True)  # new, merged or many customers: the list itself moved
        else:
            for customer_id in ids:
                self.model.refresh(customer_id)

    def _customer_changed(self, customer_id: int) -> None:
        self.model.refresh(customer_id)
        self.reload_tags()

    def _customer_erased(self, customer_id: int) -> None:
        self._notify(self.tr("Customer %1 was erased; their orders stay without name, phone or address.")
                     .replace("%1", str(customer_id)))
        self.reload()
        self.reload_tags()
        self.erased.emit(customer_id)

    def _set_reveal(self, reveal: bool) -> None:
        self.model.set_reveal(reveal)
        self.detail.set_reveal(reveal)

    # -- tools ---------------------------------------------------------------------------
    def find_duplicates(self) -> None:
        from livedesk.ui.duplicates_dialog import DuplicatesDialog

        dialog = DuplicatesDialog(self.ctx, self, reveal=self.reveal.isChecked())
        dialog.exec()
        if dialog.merged_any:
            self.reload()

    def unknown_buyers(self) -> None:
        from livedesk.ui.unknown_buyers_dialog import UnknownBuyersDialog

        dialog = UnknownBuyersDialog(self.ctx, self)
        dialog.exec()
        if dialog.attached_any:
            self.reload()

    def export(self, kind: str) -> None:
        """The customers the filter shows now, or their orders, to an Excel or CSV file."""
        title = self.tr("Export customers") if kind == "customers" else self.tr("Export orders")
        name, chosen = QFileDialog.getSaveFileName(self, title, f"livedesk-{kind}.xlsx",
                                                   "Excel (*.xlsx);;CSV (*.csv)")
        if name and not name.lower().endswith((".xlsx", ".csv")) and "." not in name.rsplit("/", 1)[-1]:
            name += ".csv" if "csv" in chosen.lower() else ".xlsx"  # Qt's own dialog adds no extension
        if name:
            self.export_to(kind, name)

    def export_to(self, kind: str, path: str) -> None:
        flt = self.current_filter()

        def run():
            import getpass

            from livedesk.services import export

            with self.ctx.store.read() as session:
                write = export.export_customers if kind == "customers" else export.export_orders
                return write(session, path, flt, actor=getpass.getuser())

        self._notify(self.tr("Exporting…"))
        self.exports.submit(
            run,
            on_done=lambda summary: self._notify(
                self.tr("Exported %1 rows to %2").replace("%1", f"{summary.rows:,}").replace("%2", summary.path)),
            on_error=lambda exc: self._notify(describe(exc), error=True),
        )

    def _notify(self, text: str, *, error: bool = False) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet("color: #c62828;" if error else "color: #2e7d32;")
        self.notice.show()


__all__ = ["COLUMNS", "CustomersPage"]
