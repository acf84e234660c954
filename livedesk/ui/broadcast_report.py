"""The 直播复盘 page (broadcast reports): the broadcasts' history beside what the chosen one earned.

A tab of the 直播 page. On the left every past broadcast, newest first; on the right its
report: the audience curve with the run-of-show items drawn on it (where viewers left),
peak and average viewers, known customers by tier, VIPs greeted, each run-of-show line's
planned against actual minutes with the viewers across it and the intents asked during it,
the 24 h conversion from imported orders, and the last broadcasts side by side. Built on
the worker by services/room/report.py; exported as XLSX (the whole report) and PNG (the
curve, from its card). Ending a broadcast, or 'Broadcast report' on the console, opens it here.
"""

from __future__ import annotations

from datetime import tzinfo

import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from livedesk.services import settings
from livedesk.services.feeds.intents import INTENTS
from livedesk.services.room import report
from livedesk.services.room.report_export import write_xlsx
from livedesk.ui import labels
from livedesk.ui.charts import ChartCard
from livedesk.ui.context import AppContext
from livedesk.ui.empty_hint import EmptyHint
from livedesk.ui.errors import describe
from livedesk.ui.rows_model import RowsModel, rows_table

SEGMENT_BRUSHES = ("#1e88e522", "#ff5a5f22")


class BroadcastReportPage(QWidget):
    def __init__(self, ctx: AppContext, broadcast_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.report: report.Report | None = None
        self.compared: list[report.Compared] = []
        self.past: list[report.PastBroadcast] = []
        self.zone: tzinfo = ctx.shop_zone()
        self._seq = 0
        self._stale = False

        self.history_model = RowsModel([self.tr("Started"), self.tr("Broadcast")], self)
        self.history_view = rows_table(self.history_model, self)
        self.history_view.setMinimumWidth(220)
        self.history_view.selectionModel().currentRowChanged.connect(self._picked)
        EmptyHint(self.history_view, self.tr("Broadcasts appear here once one has been started on the console"))
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.title.setWordWrap(True)
        self.xlsx_button = QPushButton(self.tr("Export report (XLSX)…"), self)
        self.xlsx_button.clicked.connect(self._ask_xlsx)
        self.xlsx_button.setEnabled(False)
        self.notice = QLabel(self)  # what an export did
        self.notice.setStyleSheet("color: #555;")
        self.summary = QLabel(self.tr("Loading…"), self)
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 14px;")
        self.curve = ChartCard(self.tr("Viewers online, with the run-of-show"), self)
        self.items_model = RowsModel([], self)
        self.items_view = rows_table(self.items_model, self)
        EmptyHint(self.items_view, self.tr("No run-of-show was planned for this broadcast"))
        self.compare_model = RowsModel([self.tr("Broadcast"), self.tr("Started"), self.tr("Peak viewers"),
                                        self.tr("VIPs greeted"), self.tr("Conversion"), self.tr("GMV")], self)
        self.compare_view = rows_table(self.compare_model, self)

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.xlsx_button, 0, Qt.AlignmentFlag.AlignTop)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(head)
        right_layout.addWidget(self.summary)
        right_layout.addWidget(self.notice)
        # Curve over the tables; the person reading decides how much each gets.
        parts = QSplitter(Qt.Orientation.Vertical, right)
        parts.addWidget(self.curve)
        tables = QSplitter(Qt.Orientation.Horizontal, parts)
        tables.addWidget(_titled(self.tr("Run-of-show: planned and actual"), self.items_view, tables))
        tables.addWidget(_titled(self.tr("The last broadcasts side by side"), self.compare_view, tables))
        tables.setSizes([600, 400])
        parts.addWidget(tables)
        parts.setSizes([300, 260])
        right_layout.addWidget(parts, 1)
        splitter = QSplitter(self)
        splitter.addWidget(_titled(self.tr("Broadcasts"), self.history_view, splitter))
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(splitter)
        ctx.changes.changed.connect(self._on_changes)
        self.reload(broadcast_id)

    # -- loading -------------------------------------------------------------------
    def reload(self, broadcast_id: int | None = None) -> None:
        """The history again, then the report of ``broadcast_id`` (default: the one shown, or the latest)."""
        wanted = broadcast_id if broadcast_id is not None else (self.report.broadcast_id if self.report else None)

        def read() -> tuple[list[report.PastBroadcast], tzinfo]:
            with self.ctx.store.read() as session:
                return report.history(session), settings.shop_zone(session)

        self.ctx.tasks.submit(read, on_done=lambda result: self._show_history(*result, wanted),
                              on_error=self._failed)

    def show_broadcast(self, broadcast_id: int | None) -> None:
        """Open on this broadcast (None: the latest), reading the history again (it may be new)."""
        self.reload(broadcast_id)

    def load(self, broadcast_id: int | None) -> None:
        self._seq += 1
        seq = self._seq

        def build() -> tuple[report.Report | None, list[report.Compared]]:
            with self.ctx.store.read() as session:
                compared = report.last_broadcasts(session)
                chosen = broadcast_id if broadcast_id is not None else (compared[0].broadcast_id if compared else None)
                return (report.build(session, chosen) if chosen is not None else None), compared

        self.summary.setText(self.tr("Loading…"))
        self.ctx.tasks.submit(build, on_done=lambda result: seq == self._seq and self._show(result),
                              on_error=self._failed)

    def _on_changes(self, change_set) -> None:
        # A broadcast started or ended, a plan changed, orders arrived (the conversion moves), a minute
        # of the room was recorded. Read again when seen: the comparison builds ten reports.
        if change_set.touches_any("broadcasts", "run_of_show_items", "orders", "broadcast_minutes"):
            if self.isVisible():
                self.reload()
            else:
                self._stale = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.reload()

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(describe(exc))

    # -- showing -------------------------------------------------------------------
    def _local(self, moment) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def _show_history(self, past: list[report.PastBroadcast], zone: tzinfo, wanted: int | None) -> None:
        self.past, self.zone = past, zone
        self.history_model.set_rows([(self._local(b.started_at), f"{b.title} · {labels.platform(b.platform)}")
                                     for b in past], keys=[b.broadcast_id for b in past])
        self.history_view.resizeColumnToContents(0)
        if not past:
            self._show((None, []))
            return
        row = next((n for n, b in enumerate(past) if b.broadcast_id == wanted), 0)
        blocked = self.history_view.selectionModel().blockSignals(True)
        self.history_view.selectRow(row)
        self.history_view.selectionModel().blockSignals(blocked)
        self.load(past[row].broadcast_id)

    def _picked(self, current, _previous) -> None:
        if current.isValid():
            self.load(self.history_model.keys[current.row()])

    def _show(self, result) -> None:
        self.report, self.compared = result
        r = self.report
        self.xlsx_button.setEnabled(r is not None)
        if r is None:
            self.title.setText(self.tr("No broadcast yet"))
            self.summary.setText(self.tr("Start a broadcast on the console; its report is here when it ends."))
            self.curve.show_message(self.tr("No broadcast yet"))
            self.items_model.set_rows([])
            self.compare_model.set_rows([])
            return
        self.title.setText(f"{r.title} · {self._local(r.started_at)}")
        percent = lambda v: "–" if v is None else f"{v:.0%}"  # noqa: E731
        tiers = self.tr(", ").join(f"{labels.tier(t)} {n}" for t, n in sorted(r.known_by_tier.items())) or "–"
        self.summary.setText(
            self.tr("Peak %1 viewers, average %2. Known customers present: %3 (%4). VIPs greeted: %5 of %6 (%7).")
            .replace("%1", f"{r.peak_viewers:,}").replace("%2", f"{r.average_viewers:,}")
            .replace("%3", str(r.known_viewers)).replace("%4", tiers).replace("%5", str(r.vips_greeted))
            .replace("%6", str(r.vips_present)).replace("%7", percent(r.greeted_ratio)) + "\n"
            + self.tr("Ordered within 24 h after the stream: %1 known viewers (%2), GMV %3; new buyers who "
                      "commented: %4. From the orders imported so far.")
            .replace("%1", str(r.buyers)).replace("%2", percent(r.conversion_ratio))
            .replace("%3", labels.money(r.gmv_fen)).replace("%4", str(r.new_buyers_who_commented)))
        self._draw_curve(r)
        self._show_items(r)
        self.compare_model.set_rows([  # a stream whose room was not recorded has no peak, not a peak of 0
            (c.title, self._local(c.started_at), f"{c.peak_viewers:,}" if c.peak_viewers else "–",
             percent(c.greeted_ratio), percent(c.conversion_ratio), labels.money(c.gmv_fen)) for c in self.compared])
        self.compare_view.resizeColumnsToContents()

    def _show_items(self, r: report.Report) -> None:
        """Each line: planned and actual minutes, viewers from its start to its end, intents asked."""
        def minutes(value: int | None) -> str:
            return "–" if value is None else labels.duration(value)

        def viewers(f: report.SegmentFigures) -> str:
            if f.viewers_start is None or f.viewers_end is None:
                return "–"
            return f"{f.viewers_start:,} → {f.viewers_end:,} ({f.viewers_change:+,})"

        rows = []
        for f in r.figures:
            counts = r.intents_by_item.get(str(f.position), {})
            rows.append((f"{f.position}. {f.title}", labels.show_kind(f.kind), minutes(f.planned_minutes),
                         minutes(f.actual_minutes), viewers(f), *(counts.get(i, 0) for i in INTENTS)))
        if "-" in r.intents_by_item:  # asked while nothing was marked on air
            counts = r.intents_by_item["-"]
            rows.append((self.tr("(none on air)"), "", "", "", "", *(counts.get(i, 0) for i in INTENTS)))
        self.items_model.set_rows(rows, headers=[
            self.tr("Run-of-show item"), self.tr("Kind"), self.tr("Planned"), self.tr("Actual"),
            self.tr("Viewers (start → end)"), *(labels.intent(i) for i in INTENTS)])
        self.items_view.resizeColumnsToContents()

    def _draw_curve(self, r: report.Report) -> None:
        if not r.curve:
            self.curve.show_message(self.tr("No room figures were recorded for this broadcast"))
            return
        frame = pd.DataFrame({
            "minute": [self._local(p.minute) for p in r.curve], "online": [p.online for p in r.curve],
            "comments": [p.comments for p in r.curve], "entries": [p.entries for p in r.curve],
        })
        self.curve.set_lines(frame, [m[-5:] for m in frame["minute"]], {
            self.tr("Online"): "online", self.tr("Comments/min"): "comments", self.tr("Entries/min"): "entries"},
            lambda i: f"{frame['minute'][i]}: {frame['online'][i]} / {frame['comments'][i]} / {frame['entries'][i]}")
        minutes = [p.minute for p in r.curve]
        top = max(int(frame["online"].max()), 1) * 1.08
        for n, item in enumerate(i for i in r.segments if i.started_at is not None):
            start = _index(minutes, item.started_at)
            end = _index(minutes, item.ended_at) if item.ended_at else len(minutes) - 1
            region = pg.LinearRegionItem((start - 0.5, max(start, end) + 0.5), movable=False,
                                         brush=SEGMENT_BRUSHES[n % 2])
            self.curve.plot.addItem(region)
            # The line's number only (the table below names it), on two staggered rows: short
            # flash deals side by side would otherwise print over each other.
            label = pg.TextItem(str(item.position), color="#555", anchor=(0, 0))
            label.setToolTip(f"{item.position}. {labels.show_kind(item.kind)} · {item.title}")
            self.curve.plot.addItem(label)
            label.setPos(start - 0.4, top * (1.0 if n % 2 == 0 else 0.93))

    # -- exporting -------------------------------------------------------------------
    def _ask_xlsx(self) -> None:
        if self.report is None:
            return
        dialog = QFileDialog(self, self.tr("Export report (XLSX)…"), f"broadcast-{self.report.broadcast_id}.xlsx",
                             self.tr("Excel workbook (*.xlsx)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(self.export_xlsx)
        dialog.open()

    def export_xlsx(self, path: str) -> None:
        if self.report is None:
            return
        try:
            write_xlsx(self.report, self.compared, path)
        except OSError as exc:  # a folder that cannot be written, a file open in Excel
            self.notice.setText(self.tr("Not exported: %1").replace("%1", describe(exc)))
        else:
            self.notice.setText(self.tr("Exported to %1").replace("%1", path))

    def export_png(self, path: str) -> None:
        self.curve.export_png(path)


def _titled(title: str, view: QWidget, parent: QWidget) -> QWidget:
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    label = QLabel(title, box)
    label.setStyleSheet("font-weight: 600;")
    layout.addWidget(label)
    layout.addWidget(view, 1)
    return box


def _index(minutes: list, moment) -> int:
    """The curve's index of the minute ``moment`` falls in (clamped to the curve)."""
    for i, m in enumerate(minutes):
        if m > moment:
            return max(0, i - 1)
    return len(minutes) - 1
