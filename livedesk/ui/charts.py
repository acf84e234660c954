"""A dashboard chart card: a pyqtgraph plot with a title, values on hover, and exports.

One card draws bars, lines or a heatmap from a DataFrame and keeps that DataFrame,
so "export data" writes exactly what is drawn. A series with nothing in it says "No data"
rather than drawing a flat zero; the legend sits in the card's header, off the plot;
numbers on the axes have thousands separators (``percent`` axes read 0–100 %); the
heatmap writes each cell's value and has a colour scale beside it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

os.environ.setdefault("QT_API", "pyside6")  # pyqtgraph otherwise tries PyQt first

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget  # noqa: E402

PALETTE = ("#ff5a5f", "#1e88e5", "#2e8b57", "#d4a017", "#8d6e63", "#9e9e9e")
pg.setConfigOptions(antialias=True, background="w", foreground="#444")
HEATMAP_VALUES_MAX = 240  # cells: beyond this the numbers would be too small to read


def _two_lines(label: str) -> str:
    """A label of several words on two balanced lines."""
    words = label.split(" ")
    if len(words) < 2:
        return label
    cut = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


class NumberAxis(pg.AxisItem):
    """Tick values with thousands separators, or as percentages (a ratio axis)."""

    percent = False

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        if self.percent:
            return [f"{v * 100:.0f}%" for v in values]
        return [f"{v:,.0f}" if abs(v) >= 10 or spacing >= 1 else f"{v:,.1f}" for v in values]


class ChartCard(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title, self)
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.hover = QLabel(self)
        self.hover.setStyleSheet("color: #555;")
        self.png_button = QPushButton(self.tr("PNG"), self)
        self.xlsx_button = QPushButton(self.tr("XLSX"), self)
        for button in (self.png_button, self.xlsx_button):
            button.setFixedWidth(56)
        self.png_button.clicked.connect(self._ask_png)
        self.xlsx_button.clicked.connect(self._ask_xlsx)
        self.title.setWordWrap(True)  # a long title takes two lines, not the page's width
        self.legend_label = QLabel(self)
        self.legend_label.setTextFormat(Qt.TextFormat.RichText)
        self.left_axis = NumberAxis("left")
        self.plot = pg.PlotWidget(self, axisItems={"left": self.left_axis})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.plot.setMinimumHeight(220)
        self._colorbar: pg.ColorBarItem | None = None
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.legend_label)
        head.addWidget(self.png_button)
        head.addWidget(self.xlsx_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(head)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.hover)
        self.frame = pd.DataFrame()
        self._describe: Callable[[int], str] = lambda _i: ""
        self._image: pg.ImageItem | None = None
        self.message: str | None = None  # the text shown instead of a chart, if any
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.setStyleSheet("ChartCard { background: white; border: 1px solid #e3e6ea; border-radius: 8px; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)

    # -- drawing -----------------------------------------------------------------
    def _reset(self, frame: pd.DataFrame) -> None:
        self.plot.clear()
        self.legend_label.setText("")
        if self._colorbar is not None:
            self.plot.getPlotItem().layout.removeItem(self._colorbar)
            self.plot.scene().removeItem(self._colorbar)
            self._colorbar = None
        self.left_axis.percent = False
        self._image = None
        self.message = None
        self.frame = frame
        self.hover.setText("")

    def show_message(self, text: str) -> None:
        self._reset(pd.DataFrame())
        self.message = text
        message = pg.TextItem(text, color="#888", anchor=(0.5, 0.5))
        self.plot.addItem(message)
        message.setPos(0.5, 0.5)
        self.plot.setXRange(0, 1)
        self.plot.setYRange(0, 1)

    def _empty(self, frame: pd.DataFrame, series: dict[str, str]) -> bool:
        """Nothing to draw: say so instead of plotting zeros."""
        values = frame[list(series.values())].to_numpy(dtype=float) if len(frame) else np.zeros(0)
        if values.size == 0 or not np.nan_to_num(values).any():
            self.show_message(self.tr("No data"))
            return True
        return False

    def _legend(self, names: Sequence[str]) -> None:
        if len(names) > 1:
            self.legend_label.setText("&nbsp;&nbsp;".join(
                f"<span style='color:{PALETTE[n % len(PALETTE)]}'>■</span> {name}" for n, name in enumerate(names)))

    def set_bars(self, frame: pd.DataFrame, labels: Sequence[str], series: dict[str, str],
                 describe: Callable[[int], str], *, percent: bool = False) -> None:
        """Grouped bars: ``series`` maps legend name -> column of ``frame`` (one bar group per row)."""
        if self._empty(frame, series):
            return
        self._reset(frame)
        width = 0.8 / max(1, len(series))
        for n, (name, column) in enumerate(series.items()):
            x = np.arange(len(frame)) - 0.4 + width * (n + 0.5)
            bars = pg.BarGraphItem(x=x, height=frame[column].to_numpy(dtype=float), width=width * 0.9,
                                   brush=PALETTE[n % len(PALETTE)])
            self.plot.addItem(bars)
        self._legend(list(series))
        self.left_axis.percent = percent
        self._axis(labels)
        self._describe = describe

    def set_lines(self, frame: pd.DataFrame, labels: Sequence[str], series: dict[str, str],
                  describe: Callable[[int], str], *, percent: bool = False) -> None:
        if self._empty(frame, series):
            return
        self._reset(frame)
        x = np.arange(len(frame))
        for n, (name, column) in enumerate(series.items()):
            self.plot.plot(x, frame[column].to_numpy(dtype=float), symbol="o", symbolSize=6,
                           pen=pg.mkPen(PALETTE[n % len(PALETTE)], width=2), symbolBrush=PALETTE[n % len(PALETTE)])
        self._legend(list(series))
        self.left_axis.percent = percent
        self._axis(labels)
        self._describe = describe

    def set_heatmap(self, matrix: pd.DataFrame, describe: Callable[[int, int], str]) -> None:
        self._reset(matrix)
        values = matrix.to_numpy(dtype=float).T  # ImageItem: first axis is x
        image = pg.ImageItem(values)
        colormap = pg.colormap.get("CET-L12")
        top = max(0.01, float(np.nanmax(values[1:])) if values.shape[0] > 1 else 1.0)
        image.setColorMap(colormap)
        image.setLevels((0, top))
        self.plot.addItem(image)
        self._image = image
        # The scale beside it (month 0 is everyone: 100 %, so the scale stops at the next best).
        self._colorbar = pg.ColorBarItem(values=(0, top), colorMap=colormap, interactive=False, width=12)
        self._colorbar.setImageItem(image, insert_in=self.plot.getPlotItem())
        self._colorbar.axis.tickStrings = lambda ticks, _scale, _spacing: [f"{v * 100:.0f}%" for v in ticks]
        if values.size <= HEATMAP_VALUES_MAX:
            rows = values.shape[1]
            for col in range(values.shape[0]):
                for row in range(rows):
                    value = values[col, row]
                    if np.isnan(value) or row + col >= rows:  # a month that has not come yet: no "0%"
                        continue
                    text = pg.TextItem(f"{value:.0%}", color="#fff" if value > top * 0.55 else "#222",
                                       anchor=(0.5, 0.5))
                    text.setPos(col + 0.5, row + 0.5)
                    self.plot.addItem(text)
        self.plot.getAxis("left").setTicks([[(i + 0.5, label) for i, label in enumerate(matrix.index)]])
        self.plot.getAxis("bottom").setTicks([[(i + 0.5, str(c)) for i, c in enumerate(matrix.columns)]])
        self.plot.invertY(True)
        self.plot.autoRange()
        self._describe = lambda i: ""
        self._describe_cell = describe

    def _axis(self, labels: Sequence[str]) -> None:
        self.plot.invertY(False)
        step = max(1, -(-len(labels) // 7))  # at most seven labels: they must not overlap
        bottom = self.plot.getAxis("bottom")
        if len(labels) > 4 and any(" " in str(label) for label in labels):  # side by side they collide
            labels = [_two_lines(str(label)) for label in labels]
            bottom.setHeight(2 * self.fontMetrics().height() + 14)
        else:
            bottom.setHeight(None)
        bottom.setTicks([[(i, str(label)) for i, label in enumerate(labels) if i % step == 0]])
        self.plot.getAxis("left").setTicks(None)
        self.plot.autoRange()

    def _mouse_moved(self, pos: QPointF) -> None:
        if self.frame.empty:
            return
        point = self.plot.getPlotItem().vb.mapSceneToView(pos)
        if self._image is not None:
            x, y = int(np.floor(point.x())), int(np.floor(point.y()))
            if 0 <= y < self.frame.shape[0] and 0 <= x < self.frame.shape[1]:
                self.hover.setText(self._describe_cell(y, x))
            return
        index = int(round(point.x()))
        if 0 <= index < len(self.frame):
            self.hover.setText(self._describe(index))

    # -- exporting -------------------------------------------------------------------
    def export_png(self, path: str) -> None:
        from pyqtgraph.exporters import ImageExporter

        ImageExporter(self.plot.getPlotItem()).export(path)

    def export_xlsx(self, path: str) -> None:
        self.frame.to_excel(path, sheet_name=self.title.text()[:31] or "data", engine="openpyxl")

    def _ask_png(self) -> None:
        self._ask(self.tr("PNG image (*.png)"), ".png", self.export_png)

    def _ask_xlsx(self) -> None:
        self._ask(self.tr("Excel workbook (*.xlsx)"), ".xlsx", self.export_xlsx)

    def _ask(self, file_filter: str, suffix: str, write: Callable[[str], None]) -> None:
        dialog = QFileDialog(self, self.title.text(), self.title.text() + suffix, file_filter)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(write)
        dialog.open()  # not exec(): the qasync loop keeps running
