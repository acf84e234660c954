"""The broadcast report window (直播复盘): what a stream earned, beside the last ten.

The audience curve with the run-of-show items drawn on it (where viewers left), peak and
average viewers, known customers by tier, VIPs greeted, intents per item, the 24 h
conversion from imported orders, and the last broadcasts side by side. Built on the
worker by services/room/report.py; exported as XLSX (the whole report) and PNG (the curve).
"""

from __future__ import annotations

from datetime import tzinfo

import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from livedesk.services import settings
from livedesk.services.feeds.intents import INTENTS
from livedesk.services.room import report
from livedesk.services.room.report_export import write_xlsx
from livedesk.ui import labels
from livedesk.ui.charts import ChartCard
from livedesk.ui.context import AppContext
from livedesk.ui.rows_model import RowsModel, rows_table

SEGMENT_BRUSHES = ("#1e88e522", "#ff5a5f22")


class BroadcastReportWindow(QWidget):
    def __init__(self, ctx: AppContext, broadcast_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Broadcast report"))
        self.resize(1100, 760)
        self.report: report.Report | None = None
        self.compared: list[report.Compared] = []
        self.zone: tzinfo | None = None
        self.picker = QComboBox(self)
        self.picker.activated.connect(lambda _i: self.load(self.picker.currentData()))
        self.xlsx_button = QPushButton(self.tr("Export XLSX…"), self)
        self.xlsx_button.clicked.connect(self._ask_xlsx)
        self.summary = QLabel(self.tr("Loading…"), self)
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 14px;")
        self.curve = ChartCard(self.tr("Viewers online, with the run-of-show"), self)
        self.items_model = RowsModel([], self)
        self.items_view = rows_table(self.items_model, self)
        self.compare_model = RowsModel([self.tr("Broadcast"), self.tr("Started"), self.tr("Peak viewers"),
                                        self.tr("VIPs greeted"), self.tr("Conversion"), self.tr("GMV")], self)
        self.compare_view = rows_table(self.compare_model, self)
        head = QHBoxLayout()
        head.addWidget(QLabel(self.tr("Broadcast"), self))
        head.addWidget(self.picker, 1)
        head.addWidget(self.xlsx_button)
        tables = QHBoxLayout()
        tables.addWidget(self.items_view, 3)
        tables.addWidget(self.compare_view, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(self.curve, 3)
        layout.addLayout(tables, 2)
        self.load(broadcast_id)

    def load(self, broadcast_id: int | None) -> None:
        def build() -> tuple[report.Report | None, list[report.Compared], tzinfo]:
            with self.ctx.store.read() as session:
                compared = report.last_broadcasts(session)
                chosen = broadcast_id if broadcast_id is not None else (compared[0].broadcast_id if compared else None)
                built = report.build(session, chosen) if chosen is not None else None
                return built, compared, settings.shop_zone(session)

        self.ctx.tasks.submit(build, on_done=self._show, on_error=lambda exc: self.summary.setText(str(exc)))

    # -- showing ---------------------------------------------------------------
    def _local(self, moment) -> str:
        return moment.astimezone(self.zone).strftime("%m-%d %H:%M")

    def _show(self, result) -> None:
        self.report, self.compared, self.zone = result
        self.picker.clear()
        for c in self.compared:
            self.picker.addItem(f"{self._local(c.started_at)}  {c.title}", c.broadcast_id)
        r = self.report
        self.xlsx_button.setEnabled(r is not None)
        if r is None:
            self.summary.setText(self.tr("No broadcast yet"))
            self.curve.show_message(self.tr("No broadcast yet"))
            return
        self.picker.setCurrentIndex(max(0, self.picker.findData(r.broadcast_id)))
        percent = lambda v: "–" if v is None else f"{v:.0%}"  # noqa: E731
        tiers = "、".join(f"{labels.tier(t)} {n}" for t, n in sorted(r.known_by_tier.items())) or "–"
        self.summary.setText(
            self.tr("Peak %1 viewers, average %2. Known customers present: %3 (%4). VIPs greeted: %5 of %6 (%7).")
            .replace("%1", str(r.peak_viewers)).replace("%2", str(r.average_viewers))
            .replace("%3", str(r.known_viewers)).replace("%4", tiers).replace("%5", str(r.vips_greeted))
            .replace("%6", str(r.vips_present)).replace("%7", percent(r.greeted_ratio)) + "\n"
            + self.tr("Ordered within 24 h after the stream: %1 known viewers (%2), GMV %3; new buyers who "
                      "commented: %4. From the orders imported so far.")
            .replace("%1", str(r.buyers)).replace("%2", percent(r.conversion_ratio))
            .replace("%3", labels.money(r.gmv_fen)).replace("%4", str(r.new_buyers_who_commented)))
        self._draw_curve(r)
        titles = {str(i.position): f"{i.position}. {i.title}" for i in r.segments}
        rows = []
        for key in [*titles, *(k for k in r.intents_by_item if k not in titles)]:
            counts = r.intents_by_item.get(key, {})
            rows.append((titles.get(key, self.tr("(none on air)")), *(counts.get(i, 0) for i in INTENTS)))
        self.items_model.set_rows(rows, headers=[self.tr("Run-of-show item"), *(labels.intent(i) for i in INTENTS)])
        self.compare_model.set_rows([
            (c.title, self._local(c.started_at), c.peak_viewers, percent(c.greeted_ratio),
             percent(c.conversion_ratio), labels.money(c.gmv_fen)) for c in self.compared])

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
        for n, item in enumerate(i for i in r.segments if i.started_at is not None):
            start = _index(minutes, item.started_at)
            end = _index(minutes, item.ended_at) if item.ended_at else len(minutes) - 1
            region = pg.LinearRegionItem((start - 0.5, max(start, end) + 0.5), movable=False,
                                         brush=SEGMENT_BRUSHES[n % 2])
            self.curve.plot.addItem(region)
            label = pg.TextItem(f"{item.position}. {item.title}", color="#555", anchor=(0, 0))
            self.curve.plot.addItem(label)
            label.setPos(start - 0.4, max(frame["online"].max(), 1))

    # -- exporting -------------------------------------------------------------
    def _ask_xlsx(self) -> None:
        if self.report is None:
            return
        dialog = QFileDialog(self, self.tr("Export XLSX…"), f"broadcast-{self.report.broadcast_id}.xlsx",
                             self.tr("Excel workbook (*.xlsx)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(self.export_xlsx)
        dialog.open()

    def export_xlsx(self, path: str) -> None:
        if self.report is not None:
            write_xlsx(self.report, self.compared, path)

    def export_png(self, path: str) -> None:
        self.curve.export_png(path)


def _index(minutes: list, moment) -> int:
    """The curve's index of the minute ``moment`` falls in (clamped to the curve)."""
    for i, m in enumerate(minutes):
        if m > moment:
            return max(0, i - 1)
    return len(minutes) - 1
