"""``livedesk bench feed``: a local BarrageGrab-format server at ``--rate`` events/s (a fifth
known customers) against the app's own feed path, offscreen: the source on the qasync loop,
the console's 50 ms drain into the arrivals queue the host panel shows.

Measured: frame sent → in the panel's queue (event-to-panel latency), whether every VIP
entrance, comment and gift reached the queue, and the longest UI-thread stall seen by a
5 ms Qt timer. The console records a live broadcast while it runs, as on air: it holds the
recorder claim and shares what it matched with the other machines in batches, and those
writes count against the same goals. The server and the frames are the service-level benchmark's
(services/feeds/bench_feed.py); only the consumer differs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import threading
import time
from typing import Any

from sqlalchemy import select

from livedesk.models import PlatformAccount
from livedesk.checks.bench import percentiles
from livedesk.checks.bench_feed_source import _script, _serve_in_thread
from livedesk.checks.bench_stores import cached_demo_url
from livedesk.services import broadcasts, changes
from livedesk.services.feeds.intents import tagger_for_shop
from livedesk.services.feeds.matching import ViewerIndex
from livedesk.services.store import open_store

TICK_MS = 5


def bench_feed_panel(args: argparse.Namespace) -> dict[str, Any]:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtCore import QTimer

    from livedesk.ui.app import make_application
    from livedesk.ui.feed_controller import FeedController
    from livedesk.ui.host_panel import HostPanel
    from livedesk.ui.room_questions import QuestionsSection
    from livedesk.ui.tasks import TaskRunner

    store = open_store(cached_demo_url(args, args.customers))
    with store.write() as session:  # a broadcast on air, ended afterwards unless it was live already
        live = broadcasts.current(session)
        started = live is None
        live = live or broadcasts.start(session, "bench feed", "douyin", "bench")
        first_seq = changes.latest(session)
    with store.read() as session:
        index = ViewerIndex.load(session)
        tagger = tagger_for_shop(session)  # comments are tagged on the way in, as in the app
        accounts = session.execute(select(PlatformAccount.uid, PlatformAccount.handle, PlatformAccount.nickname)
                                   .where(PlatformAccount.platform == "douyin")).all()
    total = int(args.rate * args.seconds)
    frames, protected = _script(index, accounts, total, random.Random(7))
    sent_at = [0.0] * total
    reached: dict[int, float] = {}

    class Measured(FeedController):
        def _arrival(self, item):  # every event that reaches the panel's queue, with when
            reached.setdefault(int(item.event.msg_id) - 1, time.perf_counter())
            return super()._arrival(item)

    app = make_application()
    tasks = TaskRunner()
    controller = Measured(store, tasks)
    controller.index, controller.tagger = index, tagger
    controller.set_broadcast(live.id)
    panel = HostPanel(controller.arrivals, remember_state=False)
    panel.add_section(QuestionsSection(controller, host=True, rows=6))  # the question queue, as in the app
    panel.show()
    stalls = [0.0]
    last_tick = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        stalls.append((now - last_tick[0]) * 1000 - TICK_MS)
        last_tick[0] = now

    ticker = QTimer(interval=TICK_MS, timeout=tick)
    port_box: list[int] = []
    ready, done = threading.Event(), threading.Event()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def run() -> None:
        thread = _serve_in_thread(frames, args.rate, sent_at, port_box, ready, done)
        await loop.run_in_executor(None, ready.wait, 10)
        controller.claim(live.id, take_over=True)  # a bench run killed earlier left its claim behind
        while controller.recording is None:
            await asyncio.sleep(0.01)
        controller.start("barragegrab", f"ws://127.0.0.1:{port_box[0]}")
        last_tick[0] = time.perf_counter()
        ticker.start()
        began = time.perf_counter()
        while (not done.is_set() or len(reached) < total) and time.perf_counter() - began < args.seconds + 15:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
        ticker.stop()
        await controller.stop_all()
        thread.join(5)

    try:
        loop.run_until_complete(run())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        panel.close()
        tasks.shutdown()
        with store.write() as session:
            shared = [e for c in changes.since(session, first_seq, limit=100_000) for e in c.events_of("arrivals")]
            if started:
                broadcasts.end(session, live.id)
        store.dispose()
    latencies = [(at - sent_at[seq]) * 1000 for seq, at in reached.items() if sent_at[seq]]
    return {
        "customers": args.customers, "rate": args.rate, "seconds": args.seconds, "sent": total,
        "reached_panel": len(reached), "vip_events_sent": len(protected),
        "vip_events_lost": len(protected - set(reached)),
        **percentiles(latencies, "panel_latency_"),
        "longest_ui_stall_ms": round(max(stalls), 1),
        "arrival_batches_shared": len(shared),  # one write per 250 ms at most, whatever the rate
        "arrival_kb_shared": round(sum(len(json.dumps(e, ensure_ascii=False).encode()) for e in shared) / 1024, 1),
        "goal_panel_latency_p95_ms": 100, "goal_ui_stall_ms": 50,
    }
