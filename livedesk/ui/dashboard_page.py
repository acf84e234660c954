"""The 看板 page: the owner's charts for a date range, each exportable to PNG and XLSX.

It paints in steps, all computed on the worker: first the cheap figures (customers by
tier as stored, follow-up SLA, NPS, private sessions: services.dashboard.overview), with
the order charts saying "Loading…" (加载中…); then the paid orders are loaded once
(services.dashboard.load_facts) and the tier GMV, repurchase and AOV charts fill in,
then cohorts and active/lapsed. Changing the range recomputes from the orders in memory.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from typing import TYPE_CHECKING

from livedesk.services.periods import Period, default_period
from livedesk.ui.errors import describe
from livedesk.ui import labels
from livedesk.ui.context import AppContext

if TYPE_CHECKING:  # the dashboard service brings pandas: imported by the worker, not at start-up
    import pandas as pd

    from livedesk.services.dashboard import Figures, OrderFacts, Overview

RANGES = (3, 6, 12, 18)  # months back from today
COLUMNS = 2  # charts side by side: wide enough for their axis labels on a 1366 px laptop


class DashboardPage(QWidget):
    overview_painted = Signal()  # the cheap figures are on screen; the order charts say "Loading…"
    painted = Signal()  # every chart is filled: ``figures`` holds what is drawn

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.facts: OrderFacts | None = None
        self.figures: Figures | None = None
        self._seq = 0
        self._parts: dict[str, object] = {}  # this load's results so far, by step

        self.range = QComboBox(self)
        for months in RANGES:
            self.range.addItem(self.tr("Last %n months", "", months), months)
        self.range.addItem(self.tr("Custom"), None)
        self.range.setCurrentIndex(RANGES.index(12))
        self.start = QDateEdit(self, calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.end = QDateEdit(self, calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.refresh_button = QPushButton(self.tr("Reload data"), self)
        self.status = QLabel(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Period"), self))
        bar.addWidget(self.range)
        bar.addWidget(self.start)
        bar.addWidget(QLabel("—", self))
        bar.addWidget(self.end)
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        bar.addWidget(self.status)

        # The headline figures of the period, above the charts.
        self.kpis: dict[str, QLabel] = {}
        kpi_row = QHBoxLayout()
        for key, title in (("gmv", self.tr("GMV")), ("buyers", self.tr("Buyers")),
                           ("repurchase", self.tr("Repurchase")), ("nps", self.tr("NPS")),
                           ("on_time", self.tr("Follow-ups on time"))):
            tile = QFrame(self)
            tile.setObjectName("Kpi")
            tile.setStyleSheet("QFrame#Kpi { background: white; border: 1px solid #e3e6ea; border-radius: 8px; }")
            box = QVBoxLayout(tile)
            caption = QLabel(title, tile)
            caption.setStyleSheet("color: #666;")
            value = QLabel("…", tile)
            value.setStyleSheet("font-size: 22px; font-weight: 600;")
            box.addWidget(caption)
            box.addWidget(value)
            self.kpis[key] = value
            kpi_row.addWidget(tile, 1)

        # Charts scroll: the page never asks the window to be taller or wider than a laptop's screen.
        self.grid = QGridLayout()
        self.grid.setSpacing(12)
        charts_holder = QWidget(self)
        charts_holder.setLayout(self.grid)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(charts_holder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(bar)
        layout.addLayout(kpi_row)
        layout.addWidget(self.scroll, 1)
        self.charts_built = False

        self._set_range_dates(12)
        self.range.currentIndexChanged.connect(self._range_chosen)
        self.start.dateChanged.connect(self._dates_edited)
        self.end.dateChanged.connect(self._dates_edited)
        self.refresh_button.clicked.connect(self.reload)

    def period(self) -> Period:
        return Period(self.start.date().toPython(), self.end.date().toPython())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.charts_built:
            self.reload()  # the worker starts reading while pyqtgraph loads and the charts are built
            self._build_charts()
            self._show_pending()

    def _build_charts(self) -> None:
        # pyqtgraph is imported the first time the page is opened, not at start-up.
        from livedesk.ui.charts import ChartCard

        self.tier_chart = ChartCard(self.tr("Customers and GMV by tier (share)"), self)
        self.repurchase_chart = ChartCard(self.tr("Repurchase rate by month"), self)
        self.aov_chart = ChartCard(self.tr("Average order value by month"), self)
        self.cohort_chart = ChartCard(self.tr("Cohort retention (month of first purchase × months since)"), self)
        self.activity_chart = ChartCard(self.tr("Active vs lapsed buyers"), self)
        self.service_chart = ChartCard(self.tr("Follow-up SLA and NPS"), self)
        self.vip_chart = ChartCard(self.tr("VIP private sessions: what attendees and absentees bought"), self)
        charts = (self.tier_chart, self.repurchase_chart, self.aov_chart, self.cohort_chart, self.activity_chart,
                  self.service_chart, self.vip_chart)
        for n, chart in enumerate(charts):
            chart.setMinimumWidth(0)
            self.grid.addWidget(chart, n // COLUMNS, n % COLUMNS)
        self.charts_built = True

    # -- loading -----------------------------------------------------------------------
    def reload(self) -> None:
        """Read the orders again (after an import, say), then redraw."""
        seq, period = self._start()

        def orders() -> tuple[OrderFacts, dict[str, pd.DataFrame]]:
            from livedesk.services import dashboard

            with self.ctx.store.read() as session:
                facts = dashboard.load_facts(session)
            return facts, {"tiers": dashboard.tiers(facts, period), "monthly": dashboard.monthly(facts, period)}

        self.ctx.tasks.submit(orders, on_done=lambda result: self._orders_loaded(seq, period, *result),
                              on_error=self._failed)

    def _recompute(self) -> None:
        if self.facts is None:
            if self.charts_built:  # the orders are still on their way: read them for this period instead
                self.reload()
            return  # (not shown yet: the first showing loads the period chosen by then)
        seq, period = self._start()
        facts = self.facts

        def compute() -> dict[str, pd.DataFrame]:
            from livedesk.services import dashboard

            return {"tiers": dashboard.tiers(facts, period), "monthly": dashboard.monthly(facts, period)}

        self.ctx.tasks.submit(compute, on_done=lambda part: self._orders_loaded(seq, period, facts, part),
                              on_error=self._failed)

    def _start(self) -> tuple[int, Period]:
        """A new load for the chosen period: the cheap figures are asked for first."""
        self._seq += 1
        self._parts = {}
        seq, period = self._seq, self.period()
        self.status.setText(self.tr("Loading…"))
        self._show_pending()

        def overview() -> Overview:
            from livedesk.services import dashboard

            with self.ctx.store.read() as session:
                return dashboard.overview(session, period)

        self.ctx.tasks.submit(overview, on_done=lambda result: self._overview_loaded(seq, result),
                              on_error=self._failed)
        return seq, period

    def _overview_loaded(self, seq: int, overview: Overview) -> None:
        if seq != self._seq:
            return
        self._parts["overview"] = overview
        if "tiers" not in self._parts:  # (the orders' tier figures are the fuller version)
            self._paint_tier_counts(overview.tier_counts)
        self._paint_service(overview)
        self.overview_painted.emit()

    def _orders_loaded(self, seq: int, period: Period, facts: OrderFacts, part: dict[str, pd.DataFrame]) -> None:
        if seq != self._seq:
            return
        self.facts = facts
        self._parts.update(part)
        self._paint_orders(part["tiers"], part["monthly"])

        def rest() -> dict[str, pd.DataFrame]:
            from livedesk.services import dashboard, settings

            with self.ctx.store.read() as session:
                rules = settings.get(session, "tiers.rules")
            return {"cohorts": dashboard.cohorts(facts, period), "activity": dashboard.activity(facts, period, rules)}

        self.ctx.tasks.submit(rest, on_done=lambda more: self._rest_loaded(seq, period, facts, more),
                              on_error=self._failed)

    def _rest_loaded(self, seq: int, period: Period, facts: OrderFacts, part: dict[str, pd.DataFrame]) -> None:
        if seq != self._seq:
            return
        self._parts.update(part)
        self._paint_rest(part["cohorts"], part["activity"])
        from livedesk.services.dashboard import Figures

        overview = self._parts["overview"]
        self.figures = Figures(period=period, tiers=self._parts["tiers"], monthly=self._parts["monthly"],
                               cohorts=part["cohorts"], activity=part["activity"],
                               followup_sla=overview.followup_sla, nps=overview.nps,
                               private_sessions=overview.private_sessions)
        self.status.setText(self.tr("%n paid orders", "", len(facts.fen)))
        self._paint_headline(facts, period, overview)
        self.painted.emit()

    def _paint_headline(self, facts: OrderFacts, period: Period, overview: Overview) -> None:
        from livedesk.services.dashboard import headline

        h = headline(facts, period, overview.followup_sla, overview.nps)
        none = self.tr("No data")
        self.kpis["gmv"].setText(labels.money(h.gmv_fen))
        self.kpis["buyers"].setText(f"{h.buyers:,}")
        self.kpis["repurchase"].setText(none if h.repurchase_ratio is None else f"{h.repurchase_ratio:.1%}")
        self.kpis["nps"].setText(none if h.nps is None else f"{h.nps:.0f}")
        self.kpis["on_time"].setText(none if h.on_time_ratio is None else f"{h.on_time_ratio:.0%}")

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(describe(exc))

    # -- range -------------------------------------------------------------------------
    def _set_range_dates(self, months: int) -> None:
        period = default_period(date.today(), months)
        for edit, day in ((self.start, period.start), (self.end, period.end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _range_chosen(self, _index: int) -> None:
        months = self.range.currentData()
        if months is not None:
            self._set_range_dates(months)
            self._recompute()

    def _dates_edited(self, _date: QDate) -> None:
        self.range.blockSignals(True)
        self.range.setCurrentIndex(self.range.count() - 1)  # custom
        self.range.blockSignals(False)
        if self.start.date() <= self.end.date():
            self._recompute()

    # -- painting ------------------------------------------------------------------------
    def _show_pending(self) -> None:
        """Every chart still waiting for its figures says so."""
        if not self.charts_built:
            return
        pending = self.tr("Loading…")  # 加载中…: this page's own words, already translated
        for chart in (self.tier_chart, self.repurchase_chart, self.aov_chart, self.cohort_chart, self.activity_chart):
            chart.show_message(pending)
        if "overview" not in self._parts:
            self.service_chart.show_message(pending)
            self.vip_chart.show_message(pending)

    def _paint_tier_counts(self, tiers: pd.DataFrame) -> None:
        """Customers by tier as stored on them, before the orders give each tier's GMV."""
        self.tier_chart.set_bars(
            tiers, [labels.tier(t) for t in tiers["tier"]], {self.tr("Customers"): "customers_ratio"},
            lambda i: self.tr("%1: %2 customers (%3), GMV %4 (%5)")
            .replace("%1", labels.tier(tiers["tier"][i])).replace("%2", f"{tiers['customers'][i]:,}")
            .replace("%3", f"{tiers['customers_ratio'][i]:.1%}").replace("%4", "…").replace("%5", "…"), percent=True)

    def _paint_orders(self, tiers: pd.DataFrame, monthly: pd.DataFrame) -> None:
        self.tier_chart.set_bars(
            tiers, [labels.tier(t) for t in tiers["tier"]],
            {self.tr("Customers"): "customers_ratio", self.tr("GMV"): "gmv_ratio"},
            lambda i: self.tr("%1: %2 customers (%3), GMV %4 (%5)")
            .replace("%1", labels.tier(tiers["tier"][i])).replace("%2", f"{tiers['customers'][i]:,}")
            .replace("%3", f"{tiers['customers_ratio'][i]:.1%}").replace("%4", labels.money(int(tiers["gmv_fen"][i])))
            .replace("%5", f"{tiers['gmv_ratio'][i]:.1%}"), percent=True)
        months = list(monthly["month"])
        ticks = [m[2:] for m in months]  # 25-12: short enough not to collide
        self.repurchase_chart.set_lines(
            monthly, ticks, {self.tr("Repurchase rate"): "repurchase_ratio"},
            lambda i: self.tr("%1: %2 of %3 buyers bought again (%4)")
            .replace("%1", months[i]).replace("%2", f"{monthly['repeat_buyers'][i]:,}")
            .replace("%3", f"{monthly['buyers'][i]:,}").replace("%4", f"{monthly['repurchase_ratio'][i]:.1%}"),
            percent=True)
        aov = monthly.assign(aov_yuan=monthly["aov_fen"] / 100)
        self.aov_chart.set_lines(
            aov, ticks, {self.tr("Average order value (¥)"): "aov_yuan"},
            lambda i: self.tr("%1: %2 orders, GMV %3, average %4")
            .replace("%1", months[i]).replace("%2", f"{monthly['orders'][i]:,}")
            .replace("%3", labels.money(int(monthly["gmv_fen"][i]))).replace("%4", labels.money(int(monthly["aov_fen"][i]))))

    def _paint_rest(self, cohorts: pd.DataFrame, act: pd.DataFrame) -> None:
        if cohorts.empty:
            self.cohort_chart.show_message(self.tr("No first purchases in this period"))
        else:
            self.cohort_chart.set_heatmap(
                cohorts, lambda row, col: self.tr("Cohort %1, month %2: %3 still buying")
                .replace("%1", str(cohorts.index[row])).replace("%2", str(cohorts.columns[col]))
                .replace("%3", f"{cohorts.iat[row, col]:.1%}"))
        self.activity_chart.set_lines(
            act, [m[2:] for m in act["month"]],
            {self.tr("Active"): "active", self.tr("Dormant"): "dormant", self.tr("Lost"): "lost"},
            lambda i: self.tr("%1: %2 active, %3 dormant, %4 lost")
            .replace("%1", act["month"][i]).replace("%2", f"{act['active'][i]:,}")
            .replace("%3", f"{act['dormant'][i]:,}").replace("%4", f"{act['lost'][i]:,}"))

    def _paint_service(self, f: Overview) -> None:
        service = f.followup_sla.merge(f.nps, on="month")
        if service["due"].sum() == 0 and service["responses"].sum() == 0:
            self.service_chart.show_message(self.tr("No follow-ups or survey answers in this period yet"))
        else:
            service = service.assign(on_time_percent=service["on_time_ratio"] * 100)
            self.service_chart.set_lines(
                service, [m[2:] for m in service["month"]],
                {self.tr("Follow-ups on time (%)"): "on_time_percent", self.tr("NPS"): "nps"},
                lambda i: self.tr("%1: %2 of %3 follow-ups on time, NPS %4 from %5 answers")
                .replace("%1", service["month"][i]).replace("%2", str(service["on_time"][i]))
                .replace("%3", str(service["due"][i])).replace("%4", f"{service['nps'][i]:.0f}")
                .replace("%5", str(service["responses"][i])))
        vip = f.private_sessions
        if vip.empty:
            self.vip_chart.show_message(self.tr("No private sessions in this period"))
        else:
            vip = vip.assign(attendee_yuan=vip["attendee_gmv_fen"] / 100, absent_yuan=vip["absent_gmv_fen"] / 100)
            self.vip_chart.set_bars(
                vip, list(vip["session"]), {self.tr("Attendees (¥)"): "attendee_yuan", self.tr("Absent (¥)"): "absent_yuan"},
                lambda i: self.tr("%1: %2 of %3 came; %4 of attendees bought, %5 of the absent")
                .replace("%1", vip["session"][i]).replace("%2", str(vip["attended"][i]))
                .replace("%3", str(vip["invited"][i])).replace("%4", f"{vip['attendee_conversion_ratio'][i]:.0%}")
                .replace("%5", f"{vip['absent_conversion_ratio'][i]:.0%}"))
