"""The benchmark harness behind ``livedesk bench NAME --json``.

Each benchmark builds (or reuses from a cache folder) the store it needs, measures,
and returns one flat JSON-able dict: times in ``*_ms`` keys (``p50_ms``/``p95_ms``
for distributions), ratios in ``*_ratio`` keys. Each benchmark is a module of this
package, named in ``BENCHES`` and imported only when it runs.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BenchFn = Callable[[argparse.Namespace], dict[str, Any]]
BENCHES: dict[str, str] = {
    # name -> "module:function", imported only when that benchmark runs
    "startup": "livedesk.checks.bench_startup:bench_startup",
    "feed": "livedesk.checks.bench_feed:bench_feed_panel",  # through the console to the panel
    "feed-source": "livedesk.checks.bench_feed_source:bench_feed",  # the source alone, no Qt
    "intents": "livedesk.checks.bench_intents:bench_intents",  # comment tagging, one core
    "segments": "livedesk.checks.bench_segments:bench_segments",
    "followups": "livedesk.checks.bench_followups:bench_followups",
    "import": "livedesk.checks.bench_import:bench_import",
    # These drive real widgets offscreen.
    "lookup": "livedesk.checks.bench_lookup:bench_lookup",
    "dashboard": "livedesk.checks.bench_dashboard:bench_dashboard",
    "import-ui": "livedesk.checks.bench_import_page:bench_import_page",  # the UI while the 导入 page imports
    "team": "livedesk.checks.bench_team:bench_team",  # two app processes on one store: notes and pushes seen
}


def run(name: str, args: argparse.Namespace) -> dict[str, Any]:
    import importlib

    module_name, func_name = BENCHES[name].split(":")
    fn: BenchFn = getattr(importlib.import_module(module_name), func_name)
    return {"bench": name, **fn(args)}


def cache_dir(args: argparse.Namespace) -> Path:
    from livedesk.services.store import default_data_dir

    folder = Path(args.cache) if getattr(args, "cache", None) else default_data_dir() / "bench-cache"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def percentiles(samples_ms: Sequence[float], prefix: str = "") -> dict[str, float]:
    """p50/p95/max of a list of millisecond samples, rounded for printing."""
    ordered = sorted(samples_ms)
    if not ordered:
        return {}
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        f"{prefix}p50_ms": round(statistics.median(ordered), 3),
        f"{prefix}p95_ms": round(p95, 3),
        f"{prefix}max_ms": round(ordered[-1], 3),
    }
