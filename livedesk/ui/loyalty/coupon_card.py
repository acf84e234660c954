"""看板 › the coupon card: per follow-up rule (and by hand), codes issued, codes used, and the GMV of
the paid orders that used one. Read on the worker when shown and again when codes or orders change."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from livedesk.services.changes import ChangeSet
from livedesk.ui import labels
from livedesk.ui.context import AppContext
from livedesk.ui.rows_model import RowsModel, rows_table


class CouponFiguresCard(QFrame):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("CouponCard")
        self.setStyleSheet("QFrame#CouponCard { background: white; border: 1px solid #e3e6ea; border-radius: 8px; }")
        title = QLabel(self.tr("Coupons from follow-ups: issued, used, and GMV of orders that used one"), self)
        title.setStyleSheet("font-weight: 600;")
        title.setWordWrap(True)
        self.model = RowsModel([self.tr("Issued by"), self.tr("Issued"), self.tr("Used"), self.tr("Use rate"),
                                self.tr("GMV of those orders")], self)
        self.table = rows_table(self.model, self)
        self.table.setMinimumHeight(160)
        self.empty = QLabel(self.tr("No coupon issued yet: add a batch in Settings and choose its rule"), self)
        self.empty.setStyleSheet("color: #777;")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.loaded = False
        ctx.changes.changed.connect(self._changed)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.loaded:
            self.reload()

    def _changed(self, change: ChangeSet) -> None:
        if self.loaded and change.touches_any("coupon_codes", "orders", "followup_tasks"):
            self.reload()

    def reload(self) -> None:
        from livedesk.services.loyalty import coupon_usage

        self.loaded = True

        def run():
            with self.ctx.store.read() as session:
                return coupon_usage.figures(session)

        self.ctx.tasks.submit(run, on_done=self.show_figures)

    def show_figures(self, figures) -> None:
        self.model.set_rows([
            (self.tr("By hand") if f.rule == "manual" else labels.task_kind(f.rule), f"{f.issued:,}", f"{f.used:,}",
             f"{f.used / f.issued:.1%}" if f.issued else "—", f"¥{f.gmv_fen / 100:,.2f}") for f in figures])
        self.empty.setVisible(not figures)
