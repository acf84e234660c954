"""Two processes released together on one store: the race harness for "two at once is normal".

``race(store_url, action, rounds)`` starts two worker processes once. For each round the
test prepares the store, then a barrier releases both workers at the same instant; each runs
``action(store, round, worker)`` (a module-level function, importable by a spawned process)
and reports what happened: its return value, or the exception's class name and ``str``.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections.abc import Callable
from typing import Any

ROUND_TIMEOUT_S = 60


def _worker(url: str, action: Callable[..., Any], worker: int, go: Any, results: Any, rounds: int) -> None:
    from livedesk.services.store import open_store

    store = open_store(url, migrate=False)
    try:
        for round_ in range(rounds):
            go.wait(ROUND_TIMEOUT_S)
            try:
                outcome: Any = ("ok", action(store, round_, worker))
            except Exception as exc:  # reported, not raised: the test judges
                outcome = (type(exc).__name__, str(exc), getattr(exc, "code", None))
                if type(exc).__name__ not in ("TaskError", "NoteConflict", "BroadcastError"):
                    outcome = (*outcome, traceback.format_exc())
            results.put((round_, worker, outcome))
    finally:
        store.dispose()


def race(url: str, action: Callable[..., Any], rounds: int,
         prepare: Callable[[int], None] | None = None) -> list[list[tuple]]:
    """Run ``rounds`` rounds of two workers doing ``action`` at once; per round, both outcomes."""
    ctx = mp.get_context("spawn")
    go = ctx.Barrier(3)
    results = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(url, action, w, go, results, rounds), daemon=True)
               for w in (0, 1)]
    for p in workers:
        p.start()
    outcomes: list[list[tuple]] = []
    try:
        for round_ in range(rounds):
            if prepare is not None:
                prepare(round_)
            go.wait(ROUND_TIMEOUT_S)
            got = [results.get(timeout=ROUND_TIMEOUT_S) for _ in workers]
            outcomes.append([o for _r, _w, o in sorted(got)])
    finally:
        for p in workers:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    return outcomes
