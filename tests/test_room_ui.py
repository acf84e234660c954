"""The question queue on the host panel and in the console, and the broadcast report window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from livedesk.services import broadcasts, customers
from livedesk.services.customers import NewCustomer
from livedesk.services.feeds.events import FeedEvent, Kind, Viewer
from livedesk.services.feeds.intents import shipped_tagger
from livedesk.services.feeds.matching import KnownCustomer, Match
from livedesk.services.feeds.source import MatchedEvent
from livedesk.services.room import audience, run_of_show
from livedesk.ui.broadcast_report import BroadcastReportPage
from livedesk.ui.feed_controller import FeedController
from livedesk.ui.host_panel import HostPanel
from livedesk.ui.room_questions import QuestionsSection

START = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def wang(store):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐", accounts=[("douyin", "uid-wang", None)],
                                              profile={"height_cm": "160", "top_size": "M"}))
    return KnownCustomer(cid, "王姐", "vip", "gold", True)


def comment(who, text, match):
    event = FeedEvent(Kind.COMMENT, "douyin", Viewer(who, nickname="王姐"), START, content=text)
    return MatchedEvent(event, match, "replay", 0.0, shipped_tagger().tag(text))


def test_the_host_panel_shows_questions_with_the_askers_tier_and_sizes(qtbot, ctx, wang):
    feeds = FeedController(ctx.store, ctx.tasks)
    panel = HostPanel(feeds.arrivals, remember_state=False)
    qtbot.addWidget(panel)
    section = QuestionsSection(feeds, host=True, rows=6)
    panel.add_section(section)
    assert section.parent() is panel
    feeds.set_on_air(run_of_show.ItemView(1, "product", "面霜", 15, None, START, None))
    feeds.room.add(comment("uid-wang", "160/50穿几码", Match(wang, "uid")))
    feeds.room.add(comment("uid-x", "拍了", Match(wang, "uid")))
    feeds._publish_room()
    qtbot.waitUntil(lambda: "160" in (section.model.index(0).data() or ""), timeout=3000)
    row = section.model.index(0).data()
    assert "王姐" in row and "High-value VIP" in row and "160/50穿几码" in row
    assert "Now: 1 面霜" in section.now.text() and "size 1" in section.now.text()
    assert "want this: 1" in section.summary.text()
    feeds.room.add(comment("uid-y", "还有货吗", Match(wang, "uid")))
    feeds._publish_room()
    assert "waitlist: 1" in section.summary.text() and "还有货吗" in section.summary.toolTip()
    section._answered(section.model.index(0))  # answered: off the queue
    assert section.model.rowCount() == 0


def test_the_report_page_draws_the_curve_and_exports_xlsx_and_png(qtbot, ctx, wang, tmp_path):
    with ctx.store.write() as s:
        b = broadcasts.start(s, "周二美妆专场", "douyin", now=START)
        run_of_show.plan(s, b.id, run_of_show.example_plan())
        run_of_show.mark_now(s, b.id, 1, now=START)
        run_of_show.mark_now(s, b.id, 2, now=START + timedelta(minutes=2))
        batch = audience.AudienceBatch([audience.Minute(START + timedelta(minutes=m), online=100 + 10 * m, comments=m)
                                        for m in range(5)])
        audience.record(s, b.id, batch)
        broadcasts.end(s, b.id, now=START + timedelta(minutes=5))
    window = BroadcastReportPage(ctx, b.id)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.report is not None, timeout=5000)
    assert "Peak 140 viewers, average 120" in window.summary.text()
    assert window.compare_model.rowCount() == 1 and window.items_model.rowCount() == 10
    window.export_xlsx(str(tmp_path / "r.xlsx"))
    window.export_png(str(tmp_path / "r.png"))
    assert openpyxl.load_workbook(tmp_path / "r.xlsx")["在线曲线"].max_row == 6
    assert (tmp_path / "r.png").stat().st_size > 1000
