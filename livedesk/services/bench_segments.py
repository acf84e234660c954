"""``livedesk bench segments``: a full recompute of RFM, tiers, levels and point balances on a
store of N customers, and the dashboard's data for its default period (what its first paint waits for)."""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any

from sqlalchemy import func, select

from livedesk.models import Order
from livedesk.services import dashboard, segments
from livedesk.services.bench import percentiles
from livedesk.services.bench_startup import cached_demo_store
from livedesk.services.periods import default_period
from livedesk.services.store import open_store, sqlite_url


def bench_segments(args: argparse.Namespace) -> dict[str, Any]:
    store = open_store(sqlite_url(cached_demo_store(args, args.customers)))
    recompute_ms: list[float] = []
    dashboard_ms: list[float] = []
    try:
        with store.begin() as session:
            orders = session.scalar(select(func.count(Order.id)))
        for _ in range(max(1, args.runs)):
            with store.begin() as session:
                started = time.perf_counter()
                summary = segments.recompute(session)
                recompute_ms.append((time.perf_counter() - started) * 1000)
            with store.begin() as session:
                started = time.perf_counter()
                facts = dashboard.load_facts(session)
                dashboard.figures(session, facts, default_period(date.today()))
                dashboard_ms.append((time.perf_counter() - started) * 1000)
    finally:
        store.dispose()
    return {
        "customers": summary.customers,
        "orders": orders,
        "runs": len(recompute_ms),
        **percentiles(recompute_ms, prefix="recompute_"),
        **percentiles(dashboard_ms, prefix="dashboard_data_"),
        "goal_recompute_ms": 2000,
        "goal_dashboard_first_paint_ms": 1000,
    }
