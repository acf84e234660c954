"""``livedesk bench startup``: process start to main window shown, on a store of N customers.

Each run is a fresh process (``--startup-probe``) that prints a wall-clock stamp when
the main window's first show event fires and then closes; the time is measured from
just before the process is spawned, so interpreter start and imports are included.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from livedesk.checks.bench import cache_dir, percentiles
from livedesk.services.store import open_store, sqlite_url


def cached_demo_store(args: argparse.Namespace, customers: int, seed: int = 7) -> Path:
    """A demo store of ``customers`` built once and reused by later benchmark runs."""
    from livedesk.services import demo

    path = cache_dir(args) / f"demo-{customers}-seed{seed}.sqlite3"
    ready = path.with_suffix(".ready")
    if path.exists() and ready.exists():
        return path
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    store = open_store(sqlite_url(path))
    try:
        demo.generate(store, customers=customers, seed=seed)
    finally:
        store.dispose()
    ready.write_text("ok")
    return path


def app_command() -> list[str]:
    return [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "livedesk"]


def bench_startup(args: argparse.Namespace) -> dict[str, Any]:
    from livedesk.checks.bench_stores import cached_demo_url, store_args

    url = cached_demo_url(args, args.customers)  # a cached file, or a database on --db-url's server
    env = dict(os.environ)
    if sys.platform.startswith("linux") and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    samples: list[float] = []
    in_process: list[float] = []
    list_ready: list[float] = []
    for _ in range(max(1, args.runs) + 1):  # the first run warms the OS file cache and is dropped
        spawned = time.time()
        out = subprocess.run(
            [*app_command(), *store_args(url), "--startup-probe"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )
        stamps = {ln.split()[0]: dict(part.split("=") for part in ln.split()[1:])
                  for ln in out.stdout.splitlines() if ln.startswith("LIVEDESK_")}
        if out.returncode != 0 or not {"LIVEDESK_SHOWN", "LIVEDESK_LIST"} <= set(stamps):
            raise RuntimeError(f"the app did not start (exit {out.returncode}): {out.stderr.strip()[-2000:]}")
        samples.append((float(stamps["LIVEDESK_SHOWN"]["wall"]) - spawned) * 1000)
        in_process.append(float(stamps["LIVEDESK_SHOWN"]["in_process_ms"]))
        list_ready.append((float(stamps["LIVEDESK_LIST"]["wall"]) - spawned) * 1000)
    samples, in_process, list_ready = samples[1:], in_process[1:], list_ready[1:]
    return {
        "customers": args.customers,
        "runs": len(samples),
        **percentiles(samples),  # process start to main window shown: the goal
        **percentiles(in_process, prefix="in_process_"),
        **percentiles(list_ready, prefix="list_ready_"),  # ...to the customer list's rows painted
        "goal_ms": 1500,
    }
