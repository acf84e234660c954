"""The run-of-show editor (a table of kind, product, title, minutes, reorderable) and the report
page, reached from the console as the 直播 page's second tab."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from livedesk.models import Product
from livedesk.services import broadcasts
from livedesk.services.room import audience, run_of_show
from livedesk.services.room.run_of_show import PlannedItem
from livedesk.ui.broadcast_report import BroadcastReportPage
from livedesk.ui.main_window import MainWindow
from livedesk.ui.run_of_show_editor import KIND, MINUTES, PRODUCT, STARTS, TITLE, Line, PlanModel, RunOfShowDialog

START = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def planned(store):
    with store.write() as s:
        cream, lipstick = Product(name="修护面霜 50g", price_fen=23_900), Product(name="丝绒口红", price_fen=19_900)
        s.add_all([cream, lipstick])
        s.flush()
        b = broadcasts.start(s, "周二美妆专场", "douyin", now=START)
    return {"broadcast": b.id, "cream": cream.id, "lipstick": lipstick.id}


def test_picking_a_product_names_the_line_and_minutes_move_the_later_starts(qtbot, store, planned):
    with store.read() as s:
        model = PlanModel(run_of_show.catalogue(s))
    model.load([Line("draw", "福袋", 5)])
    row = model.add("product")
    assert model.setData(model.index(row, PRODUCT), planned["cream"])
    assert model.index(row, TITLE).data() == "修护面霜 50g"
    model.setData(model.index(row, PRODUCT), planned["lipstick"])  # the title follows the product it named
    assert model.index(row, TITLE).data() == "丝绒口红"
    model.setData(model.index(row, TITLE), "口红试色")
    model.setData(model.index(row, PRODUCT), planned["cream"])  # a title of one's own stays
    assert model.index(row, TITLE).data() == "口红试色"
    model.setData(model.index(0, MINUTES), 12)
    flash = model.add("flash")
    assert [model.index(r, STARTS).data() for r in range(3)] == ["0:00", "0:12", "0:27"]
    assert model.move(flash, -1) == 1 and [line.kind for line in model.lines] == ["draw", "flash", "product"]
    assert model.index(1, KIND).data() == "Flash deal" and model.total() == 32
    model.remove(0)
    assert [p.kind for p in model.planned()] == ["flash", "product"]


def test_the_editor_opens_on_the_playbook_example_and_saves_the_plan(qtbot, ctx, planned):
    dialog = RunOfShowDialog(ctx, planned["broadcast"], [])
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 10 and "5 products, 2 lucky draws, 3 flash deals" in dialog.total.text()
    # The shop has two products (neither sold yet): they are the first two main products of the example.
    assert [line.product_id for line in dialog.model.lines if line.kind == "product"][2:] == [None] * 3
    assert {line.product_id for line in dialog.model.lines if line.kind == "product"} == {
        planned["cream"], planned["lipstick"], None}
    dialog.save()
    with ctx.store.read() as s:
        items = run_of_show.items(s, planned["broadcast"])
    assert len(items) == 10 and sum(i.planned_minutes for i in items) == 120
    assert {i.product_id for i in items if i.kind == "product"} >= {planned["cream"], planned["lipstick"]}


def test_a_refused_line_is_worded_and_selected_and_nothing_is_saved(qtbot, ctx, planned):
    dialog = RunOfShowDialog(ctx, planned["broadcast"], [])
    qtbot.addWidget(dialog)
    dialog.model.setData(dialog.model.index(3, MINUTES), 900)
    dialog.save()
    assert "Line 4" in dialog.error.text() and "600" in dialog.error.text()
    assert dialog.view.currentIndex().row() == 3
    with ctx.store.read() as s:
        assert run_of_show.items(s, planned["broadcast"]) == []


def test_the_console_opens_the_report_as_the_live_pages_second_tab(qtbot, ctx, planned):
    with ctx.store.write() as s:
        run_of_show.plan(s, planned["broadcast"], [PlannedItem("product", "", 15, planned["cream"]),
                                                   PlannedItem("draw", "福袋", 5)])
        run_of_show.mark_now(s, planned["broadcast"], 1, now=START)
        audience.record(s, planned["broadcast"], audience.AudienceBatch(
            [audience.Minute(START + timedelta(minutes=m), online=500 - 10 * m) for m in range(20)]))
        broadcasts.end(s, planned["broadcast"], now=START + timedelta(minutes=20))
    window = MainWindow(ctx, remember_state=False)
    qtbot.addWidget(window)
    window.live_page.open_report(planned["broadcast"])  # what 'Broadcast report…' and ending a broadcast do
    page = window.live_tabs.currentWidget()
    assert isinstance(page, BroadcastReportPage) and window.pages.currentWidget() is window.live_tabs
    qtbot.waitUntil(lambda: page.report is not None and page.items_model.rowCount() == 2, timeout=10_000)
    headers = [page.items_model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)]
    assert headers == ["Run-of-show item", "Kind", "Planned", "Actual", "Viewers (start → end)"]
    first = [page.items_model.index(0, c).data() for c in range(5)]
    assert first == ["1. 修护面霜 50g", "Product", "15 min", "20 min", "500 → 310 (-190)"]
    assert page.history_model.rowCount() == 1 and page.history_view.currentIndex().row() == 0


def test_before_a_broadcast_the_console_plans_the_next_one_which_takes_it_when_it_starts(qtbot, ctx, planned):
    from livedesk.ui.feed_controller import FeedController
    from livedesk.ui.run_of_show_bar import RunOfShowBar

    with ctx.store.write() as s:
        broadcasts.end(s, planned["broadcast"], now=START + timedelta(hours=1))
    bar = RunOfShowBar(ctx, FeedController(ctx.store, ctx.tasks))
    qtbot.addWidget(bar)
    assert bar.plan_button.isEnabled() and "plan the next broadcast" in bar.label.text()
    bar.edit_plan()
    assert bar.dialog.windowTitle() == "Run-of-show for the next broadcast"
    with qtbot.waitSignal(bar.dialog.accepted):
        bar.dialog.save()
    assert bar.label.text().startswith("Next broadcast: 10 item")
    with ctx.store.write() as s:
        b = broadcasts.start(s, "周四护肤专场", "douyin", now=START + timedelta(days=2))
    bar.set_broadcast(b.id)
    assert len(bar.items) == 10 and bar.next_button.isEnabled() and "F8 marks the first" in bar.label.text()
