"""``livedesk bench followups``: generating a day's follow-up tasks and opening the queue, at N customers.

Runs inside one transaction on the cached demo store and rolls it back, so the store
stays as built and every run measures the same thing. "now" is an hour after the
store's last order, so the figures do not drift with the calendar.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from livedesk.models import FollowUpTask, Order
from livedesk.checks.bench import percentiles
from livedesk.checks.bench_stores import cached_demo_url
from livedesk.services.followups import generate, queue
from livedesk.services.store import open_store

OPEN_TASKS = 10_000  # the 跟进 page's goal is stated for this many open tasks


def bench_followups(args: argparse.Namespace) -> dict[str, Any]:
    store = open_store(cached_demo_url(args, args.customers))
    session = store.write_factory()
    try:
        now = session.scalar(select(func.max(Order.ordered_at))) + timedelta(hours=1)
        first = generate(session, now)
        again = generate(session, now)
        next_day = generate(session, now + timedelta(days=1))
        # Keep OPEN_TASKS open (the soonest due of the open ones: the demo's store has its old
        # tasks done already), close the other open ones, then time the page's query.
        is_open = FollowUpTask.status == "open"
        keep = select(FollowUpTask.id).where(is_open).order_by(FollowUpTask.due_at).limit(OPEN_TASKS)
        session.execute(update(FollowUpTask).where(is_open, FollowUpTask.id.not_in(keep.scalar_subquery()))
                        .values(status="done"))
        later = now + timedelta(days=30)  # everything kept is due by then
        samples, rows = [], 0
        for _ in range(max(1, args.runs)):
            started = time.perf_counter()
            rows = len(queue(session, later, until=later))
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        session.rollback()
        session.close()
        store.dispose()
    return {
        "customers": args.customers,
        "first_run_ms": first.elapsed_ms, "first_run_tasks": first.total_created,
        "rerun_ms": again.elapsed_ms, "rerun_tasks": again.total_created,
        "next_day_ms": next_day.elapsed_ms, "next_day_tasks": next_day.total_created,
        "next_day_by_kind": next_day.created,
        "queue_rows": rows, **percentiles(samples, prefix="queue_"),
        "goal_generate_ms": 3000, "goal_queue_ms": 300,
    }
