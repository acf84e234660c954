"""``livedesk bench lookup``: search-as-you-type on N customers, in the service and on screen.

Every query of a realistic mix is typed a keystroke at a time (nickname fragments,
pinyin initials, handles, phone tails, a few typos); each keystroke is one sample.
The service figure is SearchIndex.search; the screen figure is the live console's
keystroke handling up to the results list repainted, offscreen, on the same index.
It lives in ui/ because it drives a widget; the harness imports it by name.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from typing import Any

from livedesk.checks.bench import percentiles
from livedesk.checks.bench_stores import cached_demo_url
from livedesk.services.search_index import HANDLE, SearchIndex
from livedesk.services.store import open_store

QUERIES = 400  # distinct queries; each is typed a keystroke at a time


def query_mix(index: SearchIndex, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from real customers of the store."""
    from livedesk.services.identity_text import pinyin_readings

    rnd = random.Random(seed)
    picks = rnd.sample(range(len(index)), min(QUERIES, len(index)))
    handle_keys = index.keys[index.kinds == HANDLE]
    handles = [bytes(k).decode("utf-8", "ignore") for k in handle_keys[:: max(1, len(handle_keys) // 2000)]]
    mix: list[tuple[str, str]] = []
    for n, i in enumerate(picks):
        nickname = index.nicknames[i]
        kind = ("fragment", "initials", "handle", "phone", "typo")[n % 5]
        if kind == "fragment":
            start = rnd.randrange(max(1, len(nickname) - 1))
            mix.append((kind, nickname[start:start + 2]))
        elif kind == "initials":
            readings = pinyin_readings(nickname)
            mix.append((kind, "".join(s[0] for s in readings[0]) if readings else nickname[:2].lower()))
        elif kind == "handle" and handles:
            mix.append((kind, rnd.choice(handles)[:6]))
        elif kind == "typo":
            readings = pinyin_readings(nickname)
            word = "".join(readings[0]) if readings else nickname.lower()
            if len(word) > 3:
                j = rnd.randrange(len(word) - 1)
                word = word[:j] + word[j + 1] + word[j] + word[j + 2:]
            mix.append((kind, word))
        else:
            mix.append(("phone", f"{rnd.randrange(10_000):04d}"))
    return mix


def keystrokes(query: str) -> list[str]:
    return [query[:k] for k in range(1, len(query) + 1)]


def bench_lookup(args: argparse.Namespace) -> dict[str, Any]:
    store = open_store(cached_demo_url(args, args.customers))
    try:
        with store.read() as session:
            index = SearchIndex.build(session)
        mix = query_mix(index)
        service: list[float] = []
        by_kind: dict[str, list[float]] = {}
        for kind, query in mix:
            for typed in keystrokes(query):
                started = time.perf_counter()
                index.search(typed)
                elapsed = (time.perf_counter() - started) * 1000
                service.append(elapsed)
                by_kind.setdefault(kind, []).append(elapsed)
        painted = _screen_samples(store, index, mix)
    finally:
        store.dispose()
    result: dict[str, Any] = {
        "customers": len(index),
        "keys": int(len(index.keys)),
        "index_build_ms": round(index.build_ms, 1),
        "keystrokes": len(service),
        **percentiles(service),
        **percentiles(painted, prefix="painted_"),
        "goal_p95_ms": 5,
        "goal_painted_p95_ms": 16,
    }
    for kind, samples in sorted(by_kind.items()):
        result[f"{kind}_p95_ms"] = percentiles(samples)["p95_ms"]
    return result


def _screen_samples(store, index: SearchIndex, mix: list[tuple[str, str]]) -> list[float]:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from livedesk.ui.app import make_application
    from livedesk.ui.context import AppContext
    from livedesk.ui.feed_controller import FeedController
    from livedesk.ui.live_page import LivePage
    from livedesk.ui.search_controller import SearchController
    from livedesk.ui.tasks import TaskRunner

    make_application()
    tasks = TaskRunner()
    search = SearchController(store, tasks)
    search.index = index
    feeds = FeedController(store, tasks)  # the page shows its queue; no source is started
    page = LivePage(AppContext(store, tasks, "zh_CN"), search, feeds)
    page.resize(1200, 800)
    page.show()
    QApplication.processEvents()
    samples: list[float] = []
    for _kind, query in mix[:200]:
        for typed in keystrokes(query):
            started = time.perf_counter()
            page.search_box.setText(typed)  # the keystroke: textChanged -> debounce(0)
            page._debounce.stop()
            page._run_query()
            page.results_view.viewport().repaint()  # synchronous paint of the new results
            samples.append((time.perf_counter() - started) * 1000)
            QApplication.processEvents()
    page.close()
    search.shutdown()
    tasks.shutdown()
    return samples
