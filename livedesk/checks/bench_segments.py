"""``livedesk bench segments``: a full recompute of RFM, tiers, levels and point balances on a
store of N customers. (The dashboard that shows them has its own: ``livedesk bench dashboard``.)"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import func, select

from livedesk.models import Order
from livedesk.services import segments
from livedesk.checks.bench import percentiles
from livedesk.checks.bench_stores import cached_demo_url
from livedesk.services.store import open_store


def bench_segments(args: argparse.Namespace) -> dict[str, Any]:
    store = open_store(cached_demo_url(args, args.customers))
    recompute_ms: list[float] = []
    changed: list[int] = []
    try:
        with store.read() as session:
            orders = session.scalar(select(func.count(Order.id)))
        for _ in range(max(1, args.runs)):
            with store.write() as session:
                started = time.perf_counter()
                summary = segments.recompute(session)
                recompute_ms.append((time.perf_counter() - started) * 1000)
                changed.append(summary.changed)
    finally:
        store.dispose()
    return {
        "customers": summary.customers,
        "orders": orders,
        "runs": len(recompute_ms),
        **percentiles(recompute_ms, prefix="recompute_"),
        "rows_written_max": max(changed),  # the first run after the demo's day moves some tiers
        "goal_recompute_ms": 2000,
    }
