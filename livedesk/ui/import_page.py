"""The 导入 page: pick an order export, see how its columns map to LiveDesk's fields with
the first rows beside them, correct the mapping, check or import with progress and a
cancel button, read the per-row errors, and revert an earlier import.

All the work is services/importing; this page only shows it. An import runs on its own
thread (not the shared worker), so the other pages keep reading the store while a
million rows go in; SQLite's WAL lets them. Nothing is written unless the whole file
is valid; cancelling writes nothing either.
"""

from __future__ import annotations

import getpass
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from livedesk.services.identity_text import mask_name, mask_phone
from livedesk.services.cells import short
from livedesk.ui.drop_zone import DropZone, dropped_file
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.douyin_sync_box import DouyinSyncBox
from livedesk.ui.rows_model import RowsModel, rows_table
from livedesk.ui.tasks import TaskRunner

PROGRESS_EVERY_S = 0.1
ERRORS_SHOWN = 1000
FILE_FILTER = "CSV / Excel (*.csv *.txt *.xlsx *.xlsm);;*"
PLATFORM_CODES = ("douyin", "taobao", "kuaishou", "channels", "tiktok", "shopify", "livedesk")
# Shown masked, as everywhere else on screen: the mapped columns, and any cell that reads as a phone.
PRIVATE_FIELDS = {"phone": mask_phone, "recipient_name": mask_name}
PHONE_LIKE = re.compile(r"(?<![\d+])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)")


class ImportPage(QWidget):
    progressed = Signal(int, object, str)  # done, total or None, phase — emitted from the import thread

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.path: Path | None = None
        self.preview: Any = None  # importing.FilePreview of the chosen file
        self.overrides: dict[str, str] = {}
        self._cancel = threading.Event()
        self._last_progress = 0.0
        # Imports get their own thread: a long one must not hold up the pages' reads.
        self.runner = TaskRunner(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._quit)

        pick = QPushButton(self.tr("Choose an order export…"), self)
        pick.clicked.connect(self.choose_file)
        self.file_label = QLabel(self.tr("CSV (UTF-8, GBK/GB18030) or Excel, as the platform exported it"), self)
        self.file_label.setStyleSheet("color: #555;")
        self.platform = QComboBox(self)
        self.platform.addItem(self.tr("Detect from the columns"), None)
        for code in PLATFORM_CODES:
            self.platform.addItem(labels.platform(code), code)
        self.platform.currentIndexChanged.connect(lambda _i: self.path and self.open_file(self.path))
        # A CSV is read in one encoding, detected (UTF-8, else GBK) or chosen here: every row held to it.
        self.encoding = QComboBox(self)
        self.encoding.addItem(self.tr("Detect the encoding"), None)
        for label, code in (("UTF-8", "utf-8"), ("GBK / GB18030", "gb18030"), ("Big5", "big5"),
                            ("UTF-16", "utf-16")):
            self.encoding.addItem(label, code)
        self.encoding.currentIndexChanged.connect(lambda _i: self.path and self.open_file(self.path))
        top = QHBoxLayout()
        top.addWidget(pick)
        top.addWidget(self.file_label, 1)
        top.addWidget(QLabel(self.tr("Source"), self))
        top.addWidget(self.platform)
        top.addWidget(self.encoding)

        self.mapping_grid = QGridLayout()
        mapping_inner = QWidget(self)
        mapping_inner.setLayout(self.mapping_grid)
        mapping_scroll = QScrollArea(self)
        mapping_scroll.setWidgetResizable(True)
        mapping_scroll.setWidget(mapping_inner)
        mapping_box = QGroupBox(self.tr("Columns → fields"), self)
        QVBoxLayout(mapping_box).addWidget(mapping_scroll)
        self.combos: dict[str, QComboBox] = {}
        self.origins: dict[str, QLabel] = {}
        self.preview_model = RowsModel([], self)
        preview_box = QGroupBox(self.tr("First rows of the file"), self)
        QVBoxLayout(preview_box).addWidget(rows_table(self.preview_model, self))
        upper = QSplitter(self)
        upper.addWidget(mapping_box)
        upper.addWidget(preview_box)
        upper.setSizes([560, 560])
        # Before a file is chosen the mapping area is a drop zone: drag the export in, or choose it.
        self.drop_zone = DropZone(self)
        self.drop_zone.dropped.connect(self._open_dropped)
        self.drop_zone.choose.connect(self.choose_file)
        self.drop_zone.template.connect(self.save_template)
        self.upper = QStackedWidget(self)
        self.upper.addWidget(self.drop_zone)
        self.upper.addWidget(upper)
        self.setAcceptDrops(True)  # a file dropped anywhere on the page is taken too

        self.check_button = QPushButton(self.tr("Check only (write nothing)"), self)
        self.import_button = QPushButton(self.tr("Import"), self)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.check_button.clicked.connect(lambda: self.run(dry_run=True))
        self.import_button.clicked.connect(lambda: self.run(dry_run=False))
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(True)
        self.phase = QLabel(self)
        run_row = QHBoxLayout()
        for w in (self.check_button, self.import_button, self.cancel_button):
            run_row.addWidget(w)
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.phase)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.errors_model = RowsModel([self.tr("Row"), self.tr("Column"), self.tr("Value"), self.tr("Why")], self)
        self.errors_view = rows_table(self.errors_model, self)
        self.report_button = QPushButton(self.tr("Open the error report"), self)
        self.report_button.clicked.connect(self._open_report)
        self.duplicates_button = QPushButton(self.tr("Review the possible duplicates…"), self)
        self.duplicates_button.clicked.connect(self.review_duplicates)
        self._report_path: str | None = None

        self.batches_model = RowsModel([
            self.tr("Imported"), self.tr("File"), self.tr("Source"), self.tr("Rows"), self.tr("New orders"),
            self.tr("Updated orders"), self.tr("New customers"), self.tr("State")], self)
        self.batches_view = rows_table(self.batches_model, self)
        self.batches_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.revert_button = QPushButton(self.tr("Revert the selected import…"), self)
        self.revert_button.clicked.connect(self.revert_selected)
        batches_box = QGroupBox(self.tr("Earlier imports"), self)
        batches_layout = QVBoxLayout(batches_box)
        batches_layout.addWidget(self.batches_view)
        revert_row = QHBoxLayout()
        revert_row.addStretch(1)
        revert_row.addWidget(self.revert_button)
        batches_layout.addLayout(revert_row)

        results = QWidget(self)
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addLayout(run_row)
        results_layout.addWidget(self.summary)
        results_layout.addWidget(self.errors_view, 1)
        results_layout.addWidget(self.report_button, 0, Qt.AlignmentFlag.AlignLeft)
        results_layout.addWidget(self.duplicates_button, 0, Qt.AlignmentFlag.AlignLeft)
        body = QSplitter(Qt.Orientation.Vertical, self)
        body.addWidget(self.upper)
        body.addWidget(results)
        body.addWidget(batches_box)
        body.setSizes([380, 220, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addWidget(body, 1)
        self.sync_box = DouyinSyncBox(ctx, self)  # the second way in, beside files
        self.sync_box.synced.connect(self.reload_batches)
        layout.addWidget(self.sync_box)

        self.progressed.connect(self._show_progress)
        self._set_running(False)
        self.errors_view.hide()
        self.report_button.hide()
        self.duplicates_button.hide()
        self.reload_batches()

    # -- choosing and mapping ----------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event)
        if path is not None:
            event.acceptProposedAction()
            self._open_dropped(path)

    def _open_dropped(self, path: Path) -> None:
        self.overrides = {}
        self.open_file(path)

    def save_template(self) -> None:
        """A copy of LiveDesk's own order template where the user wants it (never the shipped file)."""
        dialog = QFileDialog(self, self.tr("Save the order template"), "orders_template.csv", "CSV (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(self._write_template)
        dialog.open()

    def _write_template(self, target: str) -> None:
        from livedesk.resources_path import resource_path

        try:
            shutil.copyfile(resource_path("templates", "orders_template.csv"), target)
        except OSError as exc:
            self._say(describe(exc), error=True)
            return
        self._say(self.tr("Template saved: %1. Fill it in and drop it here.").replace("%1", Path(target).name))

    def choose_file(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(self, self.tr("Choose an order export"), "", FILE_FILTER)
        if name:
            self.overrides = {}
            self.open_file(Path(name))

    def open_file(self, path: Path) -> None:
        from livedesk.services import importing

        self.path = path
        self._clear_result()
        self.upper.setCurrentIndex(1)
        try:
            with self.ctx.store.read() as session:
                self.preview = importing.inspect_file(path, session, platform=self.platform.currentData(),
                                                      overrides=self.overrides, encoding=self.encoding.currentData())
        except (importing.ImportSetupError, importing.MappingError) as exc:
            self.preview = None
            self._show_mapping()
            self._say(self._setup_words(exc), error=True)
            return
        table = self.preview.table
        facts = [path.name, table.kind.upper()]
        if table.encoding:
            facts.append(table.encoding)
        if table.header_row > 1:
            facts.append(self.tr("header on row %1").replace("%1", str(table.header_row)))
        if table.total_rows is not None:
            facts.append(self.tr("about %1 rows").replace("%1", f"{table.total_rows:,}"))
        facts.append(labels.platform(self.preview.platform) if self.preview.platform
                     else self.tr("source not recognised: map the columns below"))
        self.file_label.setText(" · ".join(facts))
        self.file_label.setStyleSheet("color: #1f2430;")
        self._show_mapping()
        self._show_rows()
        self._set_running(False)

    def _show_rows(self) -> None:
        frame = self.preview.rows
        self.preview_model.set_rows([tuple(self._shown(h, v) for h, v in zip(frame.columns, r))
                                     for r in frame.itertuples(index=False)],
                                    headers=[str(c) for c in frame.columns])

    def _show_mapping(self) -> None:
        from livedesk.services.importing import FIELDS

        while self.mapping_grid.count():
            item = self.mapping_grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.combos.clear()
        self.origins.clear()
        if self.preview is None:
            return
        headers = self.preview.table.headers
        first = self.preview.rows.iloc[0] if len(self.preview.rows) else None
        origin_words = {"auto": self.tr("recognised"), "remembered": self.tr("as last time"),
                        "override": self.tr("your choice"), "guess": self.tr("a guess: check it")}
        for row, (field, meaning) in enumerate(FIELDS.items()):
            name = QLabel(labels.import_field(field), self)
            name.setToolTip(meaning)
            combo = QComboBox(self)
            combo.addItem(self.tr("— not imported —"), "")
            for header in headers:
                sample = self._shown(header, first.get(header)) if first is not None else None
                combo.addItem(f"{header}  ({sample})" if sample else header, header)
            column = self.preview.mapping.column(field)
            combo.setCurrentIndex(max(0, combo.findData(column or "")))
            combo.currentIndexChanged.connect(lambda _i, f=field, c=combo: self._remap(f, c.currentData()))
            how = self.preview.mapping.source.get(field, "")
            origin = QLabel(origin_words.get(how, ""), self)
            origin.setStyleSheet("color: #e65100; font-weight: 600;" if how == "guess"
                                 else "color: #2e7d32;" if how else "color: #999;")
            if how == "guess":
                origin.setToolTip(self.tr("The column's name is close to this field but not the same (payable is "
                                          "not paid): choose the right column or confirm this one"))
            self.mapping_grid.addWidget(name, row, 0)
            self.mapping_grid.addWidget(combo, row, 1)
            self.mapping_grid.addWidget(origin, row, 2)
            self.combos[field], self.origins[field] = combo, origin
        self.mapping_grid.setColumnStretch(1, 1)

    def _shown(self, header: Any, value: Any) -> Any:
        """A cell as this page shows it: phones and recipients' names masked."""
        if value is None or self.preview is None or (isinstance(value, float) and value != value):
            return value
        text = short(str(value))  # a cell may be 32,767 characters: its start says enough
        for field, mask in PRIVATE_FIELDS.items():
            column = self.overrides[field] if field in self.overrides else self.preview.mapping.column(field)
            if header is not None and header == column:
                return mask(text)
        return PHONE_LIKE.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group(0))[-11:]), text)

    def _remap(self, field: str, column: str) -> None:
        self.overrides[field] = column
        self.origins[field].setText(self.tr("your choice"))
        self.origins[field].setStyleSheet("color: #1565c0;")
        if field in PRIVATE_FIELDS:  # the column now holding phones or names is shown masked
            self._show_rows()

    # -- running -----------------------------------------------------------------------------
    def run(self, *, dry_run: bool) -> None:
        from livedesk.services import importing

        if self.path is None or self.runner.busy():
            return
        options = importing.ImportOptions(platform=self.platform.currentData(), overrides=dict(self.overrides),
                                          dry_run=dry_run, actor=getpass.getuser(),
                                          encoding=self.encoding.currentData())
        self._cancel.clear()
        self._clear_result()
        self._set_running(True)
        self.phase.setText(self.tr("Reading…"))
        path, factory = self.path, self.ctx.store.write_factory

        def work():
            summary = importing.import_orders(factory, path, options, progress=self._progress_from_thread,
                                              cancel=self._cancel)
            if summary.committed:  # new orders owe welcomes and thank-yous: don't wait for the timer
                from livedesk.services import followups

                with self.ctx.store.write() as session:
                    followups.generate(session)
            return summary

        self.runner.submit(work, on_done=self._finished, on_error=self._failed)

    def _progress_from_thread(self, done: int, total: int | None, phase: str) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY_S:
            self._last_progress = now
            self.progressed.emit(done, total, phase)

    def _show_progress(self, done: int, total: Any, phase: str) -> None:
        if total:
            self.progress.setRange(0, int(total))
            self.progress.setValue(min(int(done), int(total)))
        else:
            self.progress.setRange(0, 0)  # busy indicator: the length is not known
        self.phase.setText(self._phase_words(phase) + (f" {done:,}" if done else ""))

    def _phase_words(self, phase: str) -> str:
        return {"prepare": self.tr("Preparing"), "import": self.tr("Importing rows"),
                "check": self.tr("Checking rows"), "match": self.tr("Matching customers"),
                "write": self.tr("Writing orders"),
                "finish": self.tr("Saving, then tiers and points")}.get(phase, phase)

    def cancel(self) -> None:
        self._cancel.set()
        self.phase.setText(self.tr("Cancelling…"))

    def _finished(self, summary: Any) -> None:
        self._set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.phase.clear()
        counts = (self.tr("%1 rows read: %2 new orders, %3 updated, %4 unchanged; %5 new customers, "
                          "%6 matched to existing ones; %7 possible duplicates to review.")
                  .replace("%1", f"{summary.rows_read:,}").replace("%2", f"{summary.orders_created:,}")
                  .replace("%3", f"{summary.orders_updated:,}").replace("%4", f"{summary.orders_unchanged:,}")
                  .replace("%5", f"{summary.customers_created:,}").replace("%6", f"{summary.customers_matched:,}")
                  .replace("%7", f"{summary.possible_duplicates:,}"))
        if summary.orders_without_buyer:
            counts += "\n" + self.tr("%1 orders came without a buyer anyone can recognise: they count in the "
                                      "figures and wait under Customers › Tools › Orders without a known buyer.") \
                .replace("%1", f"{summary.orders_without_buyer:,}")
        if summary.orders_outdated:
            counts += "\n" + self.tr("%1 orders were left as a newer export had them.") \
                .replace("%1", f"{summary.orders_outdated:,}")
        if summary.errors:
            head = self.tr("%n rows cannot be read, so nothing was written. Fix them in the file (or the "
                           "mapping) and import again.", "", len(summary.errors))
            if summary.report_path:  # private, in the app's folder: say where
                head += "\n" + self.tr("The list of errors is saved (only you can read it) in %1").replace(
                    "%1", summary.report_path)
            self._say(head, error=True)
            self.errors_model.set_rows([(e.row, e.column, self._shown(e.column, e.value), self._reason(e))
                                        for e in summary.errors[:ERRORS_SHOWN]])
            self.errors_view.show()
        elif summary.dry_run:
            self._say(self.tr("The file is valid. Nothing was written yet.") + "\n" + counts)
        else:
            self._say(self.tr("Imported in %1 s.").replace("%1", f"{summary.elapsed_s:.1f}") + "\n" + counts)
            self.reload_batches()
        self._report_path = summary.report_path
        self.report_button.setVisible(bool(summary.report_path))
        self.duplicates_button.setVisible(summary.committed and summary.possible_duplicates > 0)

    def _failed(self, exc: BaseException) -> None:
        from livedesk.services import importing

        self._set_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.phase.clear()
        if isinstance(exc, importing.ImportCancelled):
            self._say(self.tr("Cancelled: nothing was written."))
        elif isinstance(exc, importing.ImportSetupError):
            self._say(self._setup_words(exc), error=True)
        else:
            self._say(describe(exc), error=True)

    def _setup_words(self, exc: Exception) -> str:
        """Why the file cannot be read, in the UI's language (the service's English otherwise)."""
        detail = str(getattr(exc, "detail", None) or "")
        words = {
            "no_file": self.tr("The file does not exist (any more)."),
            "empty": self.tr("The file is empty."),
            "no_header": self.tr("No header row was found in the file's first rows."),
            "too_many_columns": self.tr("The header has %1 columns; at most 1,000 are read. Is this an order "
                                        "export?"),
            "unknown_encoding": self.tr("Unknown text encoding: %1"),
            "not_a_table": self.tr("The file's first rows cannot be read as a table."),
            "workbook_too_big": self.tr("The workbook's text is too big to read safely (%1). Save the sheet as CSV "
                                        "and import that."),
            "not_xlsx": self.tr("The file is not an Excel workbook LiveDesk can read (damaged, or another format)."),
        }.get(getattr(exc, "code", None) or "")
        return words.replace("%1", detail) if words else describe(exc)

    def _reason(self, error: Any) -> str:
        """A row error's reason in the UI's language (the report file keeps the bilingual text)."""
        return {
            "required": self.tr("required, but empty"),
            "money": self.tr("not an amount: write 1299.00, ¥1,299.00 or 1299元"),
            "money_negative": self.tr("an amount cannot be negative"),
            "money_fraction": self.tr("more than two decimals: amounts are in fen at most"),
            "quantity": self.tr("the quantity must be a whole number above 0"),
            "datetime": self.tr("not a date and time: write it like 2024-05-01 12:30:00"),
            "phone": self.tr("not a phone number"),
            "status": self.tr("an order status LiveDesk does not know"),
            "too_long": self.tr("too long"),
            "missing_column": self.tr("the file has no column for this field: choose one in Columns → fields"),
            "platform": self.tr("a platform LiveDesk does not know"),
            "unreadable": self.tr("the row cannot be read: more cells than the header, or broken text"),
            "encoding": self.tr("bytes that are not text in the file's encoding: save the file again as UTF-8 or "
                                "GBK, or choose its encoding"),
            "mixed_gbk": self.tr("this row is GBK while the rest of the file is UTF-8: save the whole file in one "
                                 "encoding"),
            "mixed_utf8": self.tr("this row is UTF-8 while the rest of the file is GBK: save the whole file in one "
                                  "encoding"),
            "cell_too_big": self.tr("a cell over 32,767 characters (Excel's limit)"),
            "row_too_big": self.tr("a row over 4 MB: it was not read"),
        }.get(error.code, error.reason)

    def running(self) -> bool:
        """An import, check or revert is under way."""
        return self.runner.busy()

    def _set_running(self, running: bool) -> None:
        ready = self.preview is not None and not running
        self.check_button.setEnabled(ready)
        self.import_button.setEnabled(ready)
        self.cancel_button.setEnabled(running)
        for combo in self.combos.values():
            combo.setEnabled(not running)
        self.platform.setEnabled(not running)
        self.revert_button.setEnabled(not running and self.batches_model.rowCount() > 0)

    # -- earlier imports ---------------------------------------------------------------------
    def reload_batches(self) -> None:
        from livedesk.services.import_batches import recent_batches

        with self.ctx.store.read() as session:
            batches = recent_batches(session)
        states = {"done": self.tr("imported"), "reverted": self.tr("reverted"), "failed": self.tr("failed"),
                  "running": self.tr("running")}
        self.batches_model.set_rows(
            [(self.ctx.local(b.started_at).strftime("%Y-%m-%d %H:%M"), b.file_name,
              labels.platform(b.source) if b.source else "", f"{b.rows:,}", f"{b.orders_created:,}",
              f"{b.orders_updated:,}", f"{b.customers_created:,}", states.get(b.status, b.status))
             for b in batches],
            keys=batches)
        self.revert_button.setEnabled(bool(batches) and not self.runner.busy())

    def revert_selected(self) -> None:
        index = self.batches_view.currentIndex()
        if not index.isValid():
            self._say(self.tr("Pick an import in the list first."), error=True)
            return
        batch = self.batches_model.keys[index.row()]
        if not batch.revertible:
            self._say(self.tr("Only a finished import can be reverted."), error=True)
            return
        answer = QMessageBox.question(self, self.tr("Revert import"), self.tr(
            "Remove the %1 orders of %2 and the customers it created? Customers it only added orders to stay, "
            "with their notes, tags and points.").replace("%1", f"{batch.orders_created:,}")
            .replace("%2", batch.file_name))
        if answer == QMessageBox.StandardButton.Yes:
            self.revert(batch.id)

    def revert(self, batch_id: int) -> None:
        from livedesk.services import importing

        def work():
            with self.ctx.store.write() as session:
                return importing.revert_batch(session, batch_id, actor=getpass.getuser())

        def done(result: Any) -> None:
            self._say(self.tr("Reverted: %1 orders and %2 customers removed, %3 customers kept (they have "
                              "other orders or notes now).").replace("%1", f"{result.orders_removed:,}")
                      .replace("%2", f"{result.customers_removed:,}").replace("%3", f"{result.customers_kept:,}"))
            self.reload_batches()

        self.runner.submit(work, on_done=done, on_error=lambda exc: self._say(describe(exc), error=True))

    # -- feedback ----------------------------------------------------------------------------
    def _clear_result(self) -> None:
        self.summary.clear()
        self.errors_model.set_rows([])
        self.errors_view.hide()
        self.report_button.hide()
        self.duplicates_button.hide()

    def review_duplicates(self) -> None:
        """The pairs this import could not decide on, with the others, for a person to settle."""
        from livedesk.ui.duplicates_dialog import DuplicatesDialog

        DuplicatesDialog(self.ctx, self).exec()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet("color: #c62828;" if error else "color: #1f2430;")

    def _open_report(self) -> None:
        if self._report_path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self._report_path))

    def _quit(self) -> None:
        self._cancel.set()  # an import still running rolls back; nothing half-written
        self.runner.shutdown()
        self.sync_box.shutdown()
