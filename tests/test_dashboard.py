"""Dashboard figures on a hand-checkable shop, and the page draws exactly those figures."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert

from livedesk.models import Customer, FollowUpTask, Order, SurveyResponse
from livedesk.services import customers, dashboard
from livedesk.services.customers import NewCustomer
from livedesk.services.periods import Period

UTC = timezone.utc


def order(s, cid, n, at, fen, status="completed"):
    s.execute(insert(Order).values(platform="douyin", platform_order_id=f"O{n}", customer_id=cid, status=status,
                                   total_fen=fen, ordered_at=at))


@pytest.fixture
def shop(store):
    """A: buys Jan, Feb, Mar 2026. B: Feb only. C: a refund only. D: 31 Jan 17:00 UTC = 1 Feb in Shanghai."""
    with store.write() as s:
        a, b, c, d = (customers.create(s, NewCustomer(nickname=n)) for n in ("A", "B", "C", "D"))
        order(s, a, 1, datetime(2026, 1, 10, 4, tzinfo=UTC), 10_000)
        order(s, a, 2, datetime(2026, 2, 10, 4, tzinfo=UTC), 30_000)
        order(s, a, 3, datetime(2026, 3, 10, 4, tzinfo=UTC), 20_000)
        order(s, b, 4, datetime(2026, 2, 20, 4, tzinfo=UTC), 50_000)
        order(s, c, 5, datetime(2026, 2, 21, 4, tzinfo=UTC), 99_900, status="refunded")
        order(s, d, 6, datetime(2026, 1, 31, 17, tzinfo=UTC), 8_000)
        s.get(Customer, a).tier = "vip"
        s.get(Customer, b).tier = "new"
        s.get(Customer, d).tier = "new"
        s.add(FollowUpTask(customer_id=a, kind="callback", due_at=datetime(2026, 2, 1, tzinfo=UTC),
                           sla_due_at=datetime(2026, 2, 2, tzinfo=UTC), status="done",
                           done_at=datetime(2026, 2, 1, 12, tzinfo=UTC)))
        s.add(FollowUpTask(customer_id=b, kind="callback", due_at=datetime(2026, 2, 1, tzinfo=UTC),
                           sla_due_at=datetime(2026, 2, 2, tzinfo=UTC), status="open"))
        for score in (10, 9, 3):
            s.add(SurveyResponse(customer_id=a, score=score, answered_at=datetime(2026, 2, 5, tzinfo=UTC)))
    return {"a": a, "b": b, "c": c, "d": d}


PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))


def facts_of(store):
    with store.write() as s:
        return dashboard.load_facts(s)


def test_monthly_orders_gmv_aov_and_repurchase_use_local_months_and_paid_orders(store, shop):
    m = dashboard.monthly(facts_of(store), PERIOD).set_index("month")
    assert m.loc["2026-01", ["orders", "gmv_fen", "buyers"]].tolist() == [1, 10_000, 1]
    # D's order at 17:00 UTC on 31 Jan is 01:00 on 1 Feb in Shanghai; C's refund counts nowhere.
    assert m.loc["2026-02", ["orders", "gmv_fen", "buyers", "repeat_buyers"]].tolist() == [3, 88_000, 3, 1]
    assert m.loc["2026-02", "aov_fen"] == 88_000 // 3
    assert m.loc["2026-02", "repurchase_ratio"] == pytest.approx(1 / 3)
    assert m.loc["2026-03", "repurchase_ratio"] == 1.0


def test_cohort_retention_is_the_share_of_each_first_month_buying_later(store, shop):
    matrix = dashboard.cohorts(facts_of(store), PERIOD)
    assert list(matrix.index) == ["2026-01", "2026-02"]
    assert matrix.loc["2026-01"].tolist()[:3] == [1.0, 1.0, 1.0]  # A, every month
    assert matrix.loc["2026-02"].tolist()[:2] == [1.0, 0.0]  # B and D, never again


def test_tiers_count_customers_and_split_gmv_in_the_period(store, shop):
    t = dashboard.tiers(facts_of(store), PERIOD).set_index("tier")
    assert t.loc["vip", ["customers", "gmv_fen"]].tolist() == [1, 60_000]
    assert t.loc["new", ["customers", "gmv_fen"]].tolist() == [2, 58_000]
    assert t.loc["prospect", "customers"] == 1  # C
    assert t["gmv_ratio"].sum() == pytest.approx(1.0)


def test_activity_moves_buyers_from_active_to_dormant_as_months_pass(store, shop):
    period = Period(date(2026, 1, 1), date(2026, 8, 31))
    a = dashboard.activity(facts_of(store), period, {"active_days": 90, "lost_days": 365}).set_index("month")
    assert a.loc["2026-03", ["active", "dormant", "lost"]].tolist() == [3, 0, 0]
    assert a.loc["2026-05", ["active", "dormant", "lost"]].tolist() == [1, 2, 0]  # A bought in March
    assert a.loc["2026-08", ["active", "dormant", "lost"]].tolist() == [0, 3, 0]


def test_sla_and_nps_by_month(store, shop):
    with store.write() as s:
        sla = dashboard.followup_sla(s, PERIOD).set_index("month")
        score = dashboard.nps(s, PERIOD).set_index("month")
    assert sla.loc["2026-02", ["due", "on_time"]].tolist() == [2, 1]
    assert sla.loc["2026-02", "on_time_ratio"] == 0.5
    assert score.loc["2026-02", ["responses", "promoters", "detractors"]].tolist() == [3, 2, 1]
    assert score.loc["2026-02", "nps"] == pytest.approx(100 / 3)
    assert score.loc["2026-01", "nps"] == 0


def test_an_empty_store_gives_empty_figures(store):
    facts = facts_of(store)
    assert dashboard.monthly(facts, PERIOD)["orders"].sum() == 0
    assert dashboard.cohorts(facts, PERIOD).empty
    assert dashboard.activity(facts, PERIOD, {"active_days": 90, "lost_days": 365})["active"].sum() == 0


def test_the_page_draws_exactly_the_service_figures_and_exports_them(qtbot, store, shop, tmp_path):
    import pandas as pd
    from PySide6.QtCore import QPointF

    from livedesk.ui.context import AppContext
    from livedesk.ui.dashboard_page import DashboardPage
    from livedesk.ui.tasks import TaskRunner

    tasks = TaskRunner()
    page = DashboardPage(AppContext(store, tasks, "en"))
    qtbot.addWidget(page)
    page.start.setDate(page.start.date().fromString("2026-01-01", "yyyy-MM-dd"))
    page.end.setDate(page.end.date().fromString("2026-03-31", "yyyy-MM-dd"))
    with qtbot.waitSignal(page.painted, timeout=10_000):
        page.show()
    with store.write() as s:
        expected = dashboard.figures(s, dashboard.load_facts(s), PERIOD)
    pd.testing.assert_frame_equal(page.repurchase_chart.frame, expected.monthly)
    pd.testing.assert_frame_equal(page.tier_chart.frame, expected.tiers)
    pd.testing.assert_frame_equal(page.cohort_chart.frame, expected.cohorts)
    page.tier_chart.export_xlsx(str(tmp_path / "tiers.xlsx"))
    page.cohort_chart.export_png(str(tmp_path / "cohorts.png"))
    exported = pd.read_excel(tmp_path / "tiers.xlsx", index_col=0)
    assert exported["gmv_fen"].tolist() == expected.tiers["gmv_fen"].tolist()
    assert (tmp_path / "cohorts.png").stat().st_size > 1000
    page.tier_chart._mouse_moved(page.tier_chart.plot.getPlotItem().vb.mapViewToScene(
        QPointF(0, 0.1)))
    assert "High-value VIP" in page.tier_chart.hover.text()
    tasks.shutdown()


def test_the_overview_counts_stored_tiers_like_the_order_figures_do(store, shop):
    facts = facts_of(store)
    with store.write() as s:
        cheap = dashboard.overview(s, PERIOD)
        full = dashboard.figures(s, facts, PERIOD, cheap)
    t = dashboard.tiers(facts, PERIOD)
    assert cheap.tier_counts["customers"].tolist() == t["customers"].tolist() == [1, 0, 2, 0, 0, 1]
    assert cheap.tier_counts["customers_ratio"].tolist() == t["customers_ratio"].tolist()
    assert full.followup_sla is cheap.followup_sla and full.nps is cheap.nps


def _page(qtbot, store):
    from livedesk.ui.context import AppContext
    from livedesk.ui.dashboard_page import DashboardPage
    from livedesk.ui.tasks import TaskRunner

    tasks = TaskRunner()
    page = DashboardPage(AppContext(store, tasks, "en"))
    qtbot.addWidget(page)
    page.start.setDate(page.start.date().fromString("2026-01-01", "yyyy-MM-dd"))
    page.end.setDate(page.end.date().fromString("2026-03-31", "yyyy-MM-dd"))
    return page, tasks


def test_the_page_paints_the_cheap_figures_first_and_says_loading_until_the_orders_arrive(
        qtbot, store, shop, monkeypatch):
    import threading

    import pandas as pd

    orders_may_load = threading.Event()
    real_load = dashboard.load_facts

    def slow_load(session):
        assert orders_may_load.wait(10)
        return real_load(session)

    monkeypatch.setattr(dashboard, "load_facts", slow_load)
    page, tasks = _page(qtbot, store)
    with qtbot.waitSignal(page.overview_painted, timeout=10_000):
        page.show()
    with store.write() as s:
        cheap = dashboard.overview(s, PERIOD)
    pd.testing.assert_frame_equal(page.tier_chart.frame, cheap.tier_counts)
    assert page.service_chart.message is None and page.tier_chart.message is None
    for chart in (page.repurchase_chart, page.aov_chart, page.cohort_chart, page.activity_chart):
        assert chart.message == "Loading…" and chart.frame.empty
    assert page.figures is None
    with qtbot.waitSignal(page.painted, timeout=10_000):
        orders_may_load.set()
    assert all(chart.message is None for chart in (page.tier_chart, page.repurchase_chart, page.cohort_chart))
    tasks.shutdown()


def test_a_new_range_repaints_from_the_orders_in_memory_with_the_service_figures(qtbot, store, shop, monkeypatch):
    import pandas as pd

    page, tasks = _page(qtbot, store)
    with qtbot.waitSignal(page.painted, timeout=10_000):
        page.show()
    loads = []
    monkeypatch.setattr(dashboard, "load_facts", lambda s: loads.append(s))  # must not be needed again
    with qtbot.waitSignal(page.painted, timeout=10_000):
        page.start.setDate(page.start.date().fromString("2026-02-01", "yyyy-MM-dd"))
    assert loads == []
    period = Period(date(2026, 2, 1), date(2026, 3, 31))
    with store.write() as s:
        expected = dashboard.figures(s, page.facts, period)
    for name in ("tiers", "monthly", "cohorts", "activity", "followup_sla", "nps", "private_sessions"):
        pd.testing.assert_frame_equal(getattr(page.figures, name), getattr(expected, name))
    pd.testing.assert_frame_equal(page.aov_chart.frame.drop(columns="aov_yuan"), expected.monthly)
    assert page.figures.period == period
    tasks.shutdown()


def test_a_range_chosen_while_the_orders_load_is_the_one_painted(qtbot, store, shop, monkeypatch):
    import threading

    orders_may_load = threading.Event()
    real_load = dashboard.load_facts
    monkeypatch.setattr(dashboard, "load_facts", lambda s: orders_may_load.wait(10) and real_load(s))
    page, tasks = _page(qtbot, store)
    with qtbot.waitSignal(page.overview_painted, timeout=10_000):
        page.show()
    page.start.setDate(page.start.date().fromString("2026-02-01", "yyyy-MM-dd"))
    with qtbot.waitSignal(page.painted, timeout=10_000):
        orders_may_load.set()
    assert page.figures.period == Period(date(2026, 2, 1), date(2026, 3, 31))
    assert page.repurchase_chart.frame["month"].tolist() == ["2026-02", "2026-03"]
    tasks.shutdown()
