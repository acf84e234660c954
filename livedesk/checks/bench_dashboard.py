"""``livedesk bench dashboard``: opening the 看板 page on a store of N customers, offscreen.

Each run is a fresh process (``python -m livedesk.checks.bench_dashboard STORE``), as when the
owner first clicks 看板 after start-up: pandas is loaded (the start-up recompute brought it),
pyqtgraph is not. Measured from ``show()`` to

- first paint: the page on screen with its cheap figures (tiers as stored, follow-up SLA,
  NPS, private sessions), the order charts saying "Loading…" (加载中…);
- complete: every chart filled from the paid orders;

each stamp taken after a synchronous repaint of the page. Then "Reload data" is pressed
once on the same page: the warm figures (reload_*). It lives in ui/ because it drives a
widget; the harness imports it by name.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from livedesk.checks.bench import percentiles
from livedesk.checks.bench_stores import cached_demo_url

STAMPS = ("first_paint_ms", "complete_ms", "reload_first_paint_ms", "reload_complete_ms")


def bench_dashboard(args: argparse.Namespace) -> dict[str, Any]:
    url = cached_demo_url(args, args.customers)  # a cached file, or a database on --db-url's server
    samples: list[dict[str, float]] = []
    for _ in range(max(1, args.runs) + 1):  # the first run warms the OS file cache and is dropped
        if getattr(sys, "frozen", False):  # no ``-m`` in a frozen app: measure in this process
            samples.append(probe(url))
            continue
        out = subprocess.run([sys.executable, "-m", __name__, url], env=_offscreen_env(),
                             capture_output=True, text=True, timeout=300, check=False)
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        if out.returncode != 0 or not lines:
            raise RuntimeError(f"the dashboard probe failed (exit {out.returncode}): {out.stderr.strip()[-2000:]}")
        samples.append(json.loads(lines[-1]))
    samples = samples[1:]
    result: dict[str, Any] = {"customers": args.customers, "orders": int(samples[-1]["orders"]), "runs": len(samples)}
    for stamp in STAMPS:
        result.update(percentiles([s[stamp] for s in samples], prefix=stamp.removesuffix("ms")))
    result["orders_load_p50_ms"] = percentiles([s["orders_load_ms"] for s in samples])["p50_ms"]
    result["goal_first_paint_ms"] = 1000
    return result


def _offscreen_env() -> dict[str, str]:
    env = dict(os.environ)
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def probe(url: str) -> dict[str, float]:
    """One opening of the page, then one reload, in this process."""
    os.environ.update(_offscreen_env())
    import pandas  # noqa: F401 - loaded by the app's start-up recompute before anyone opens 看板
    from PySide6.QtCore import QEventLoop, QTimer

    from livedesk.services.store import open_store
    from livedesk.ui.app import make_application
    from livedesk.ui.context import AppContext
    from livedesk.ui.dashboard_page import DashboardPage
    from livedesk.ui.i18n import install_translators
    from livedesk.ui.tasks import TaskRunner

    app = make_application()
    install_translators(app, "zh_CN")
    store = open_store(url)
    tasks = TaskRunner()
    page = DashboardPage(AppContext(store, tasks, "zh_CN"))
    page.resize(1400, 900)
    stamps: dict[str, float] = {}

    def stamp(name: str) -> None:
        if name not in stamps:
            page.repaint()  # the figures are on screen when we stamp
            stamps[name] = time.perf_counter()

    def measure(action, prefix: str) -> tuple[float, float]:
        stamps.clear()
        loop = QEventLoop()
        page.painted.connect(loop.quit)
        timeout = QTimer(singleShot=True)
        timeout.timeout.connect(loop.quit)
        timeout.start(120_000)
        started = time.perf_counter()
        action()
        if "complete" not in stamps:
            loop.exec()
        page.painted.disconnect(loop.quit)
        if not {"first", "complete"} <= set(stamps):
            raise RuntimeError(f"{prefix}: the dashboard did not finish painting")
        return (stamps["first"] - started) * 1000, (stamps["complete"] - started) * 1000

    page.overview_painted.connect(lambda: stamp("first"))
    page.painted.connect(lambda: stamp("complete"))
    try:
        first, complete = measure(page.show, "open")
        reload_first, reload_complete = measure(page.reload, "reload")
        assert page.facts is not None
        return {"first_paint_ms": first, "complete_ms": complete, "reload_first_paint_ms": reload_first,
                "reload_complete_ms": reload_complete, "orders": len(page.facts.fen),
                "orders_load_ms": page.facts.load_ms}
    finally:
        page.close()
        tasks.shutdown()
        store.dispose()


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1])), flush=True)
