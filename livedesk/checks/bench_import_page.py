"""``livedesk bench import-ui --rows N``: the UI's responsiveness while the 导入 page imports.

The same realistic 抖店 export as ``bench import`` goes into an empty store through the
page itself (offscreen), as a person would run it; a 10 ms timer on the UI thread
measures how late each tick comes, so the longest stall is what a person would feel
as a freeze. It lives in ui/ because it drives a widget; the harness imports it by name.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from livedesk.checks.bench import cache_dir, percentiles
from livedesk.checks.bench_import import make_export
from livedesk.services.store import open_store, sqlite_url

TICK_MS = 10


def bench_import_page(args: argparse.Namespace) -> dict[str, Any]:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from livedesk.ui.app import make_application
    from livedesk.ui.context import AppContext
    from livedesk.ui.import_page import ImportPage
    from livedesk.ui.tasks import TaskRunner

    rows = int(args.rows)
    export = cache_dir(args) / f"import-douyin-{rows}.csv"
    if not export.exists():
        make_export(export, rows)
    make_application()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(sqlite_url(Path(folder) / "import.sqlite3"))
        tasks = TaskRunner()
        page = ImportPage(AppContext(store, tasks, "zh_CN"))
        try:
            page.show()
            page.open_file(export)
            late: list[float] = []
            last = [time.perf_counter()]

            def tick() -> None:
                now = time.perf_counter()
                late.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
                last[0] = now

            loop = QEventLoop()
            timer = QTimer(interval=TICK_MS, timeout=tick)
            # Done when the page has shown its result (its slot runs after the worker is idle).
            watch = QTimer(interval=50, timeout=lambda: page.running() or not page.summary.text() or loop.quit())
            started = time.perf_counter()
            page.run(dry_run=False)
            timer.start()
            watch.start()
            loop.exec()
            elapsed_ms = (time.perf_counter() - started) * 1000
            timer.stop()
            watch.stop()
            imported = page.batches_model.rowCount() == 1
        finally:
            page.runner.shutdown()
            tasks.shutdown()
            page.deleteLater()
            store.dispose()
    return {
        "rows": rows,
        "import_ms": round(elapsed_ms, 1),
        "imported": imported,
        "ticks": len(late),
        **percentiles(late, prefix="ui_stall_"),
        "ui_stall_p99_ms": round(sorted(late)[int(0.99 * (len(late) - 1))], 1) if late else None,
    }
