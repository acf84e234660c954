"""``livedesk bench dashboard`` runs end to end on a small store: first paint before complete."""

from __future__ import annotations

import argparse

from livedesk.checks import bench


def test_bench_dashboard_stamps_first_paint_before_every_chart_is_filled(tmp_path):
    args = argparse.Namespace(customers=300, runs=1, cache=str(tmp_path))
    result = bench.run("dashboard", args)
    assert result["bench"] == "dashboard" and result["runs"] == 1 and result["orders"] > 0
    assert 0 < result["first_paint_p50_ms"] <= result["complete_p50_ms"]
    assert 0 < result["reload_first_paint_p50_ms"] <= result["reload_complete_p50_ms"]
    assert result["goal_first_paint_ms"] == 1000
