"""Kill trials for ``livedesk customers erase``: kill -9 at random moments, then check the store.

Each trial copies a demo store, starts the erasure of its busiest customer in a child process,
kills it with SIGKILL at a random moment and opens the store again. It holds when the store
passes ``integrity_check`` and the customer is either fully there (every row as before) or
fully erased (no row about them, their orders kept and anonymised, the erasure audited).

    python scripts/kill_trials_erase.py [--trials 20] [--customers 2000] [--seed 1] [--json]

``run_trials`` is what another runner calls; it returns {"command", "run", "held", ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Tables with the customer's rows: all must be as before, or all empty.
OWNED = ("notes", "profile_values", "customer_tags", "followup_tasks", "survey_responses", "points_ledger",
         "level_changes", "invitations", "appearances", "platform_accounts")


def build_base(folder: Path, customers: int, seed: int) -> tuple[Path, int]:
    """A demo store and the customer with the most rows; an export in the audit log names them."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    from livedesk.models import Order
    from livedesk.services import demo, export
    from livedesk.services.customers import CustomerFilter
    from livedesk.services.store import open_store, sqlite_url

    path = folder / "base.sqlite3"
    store = open_store(sqlite_url(path))
    try:
        demo.generate(store, customers, seed=seed)
        with store.begin() as s:
            target = s.scalar(select(Order.customer_id).where(Order.customer_id.is_not(None))
                              .group_by(Order.customer_id).order_by(func.count().desc()).limit(1))
            phone = s.execute(select(func.max(Order.recipient_phone)).where(Order.customer_id == target)).scalar()
            export.export_customers(s, folder / "one.csv", CustomerFilter(text=phone or ""), [target], actor="trial")
    finally:
        store.dispose()
    return path, int(target)


def snapshot(path: Path, customer_id: int) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        state: dict[str, Any] = {"integrity": conn.execute("PRAGMA integrity_check").fetchone()[0]}
        state["customer"] = conn.execute("SELECT count(*) FROM customers WHERE id=?", (customer_id,)).fetchone()[0]
        for table in OWNED:
            state[table] = conn.execute(f"SELECT count(*) FROM {table} WHERE customer_id=?",  # noqa: S608
                                        (customer_id,)).fetchone()[0]
        state["orders"] = conn.execute("SELECT count(*) FROM orders WHERE customer_id=?", (customer_id,)).fetchone()[0]
        state["anonymous_orders"] = conn.execute(
            "SELECT count(*) FROM orders WHERE customer_id IS NULL AND recipient_name IS NULL "
            "AND recipient_phone IS NULL AND address IS NULL AND city IS NULL").fetchone()[0]
        state["all_orders"] = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        state["erase_audit"] = conn.execute("SELECT count(*) FROM audit_log WHERE action='erase' AND entity_id=?",
                                            (str(customer_id),)).fetchone()[0]
    finally:
        conn.close()
    return state


def verdict(before: dict[str, Any], after: dict[str, Any]) -> str:
    if after["integrity"] != "ok":
        return "damaged"
    if after == before:
        return "there"
    erased = (after["customer"] == 0 and all(after[t] == 0 for t in OWNED) and after["orders"] == 0
              and after["anonymous_orders"] == before["anonymous_orders"] + before["orders"]
              and after["all_orders"] == before["all_orders"] and after["erase_audit"] == 1)
    return "erased" if erased else "partial"


def _command(db: Path, customer_id: int) -> list[str]:
    return [sys.executable, "-m", "livedesk", "--db", str(db), "customers", "erase", str(customer_id), "--yes",
            "--json"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run_trials(trials: int = 20, customers: int = 2000, seed: int = 1, folder: Path | None = None) -> dict[str, Any]:
    rng = random.Random(seed)
    own = folder is None
    work = Path(tempfile.mkdtemp(prefix="kill-erase-")) if own else folder
    try:
        base, customer_id = build_base(work, customers, seed)
        before = snapshot(base, customer_id)
        # How long a whole erasure takes here (the quickest of three): the kills land inside it.
        spans = []
        for _ in range(3):
            calibrate = work / "calibrate.sqlite3"
            shutil.copy(base, calibrate)
            started = time.perf_counter()
            subprocess.run(_command(calibrate, customer_id), env=_env(), check=True, capture_output=True)
            spans.append(time.perf_counter() - started)
            for extra in ("", "-wal", "-shm"):
                Path(f"{calibrate}{extra}").unlink(missing_ok=True)
        whole = min(spans)
        results = []
        for n in range(trials):
            db = work / f"trial-{n}.sqlite3"
            shutil.copy(base, db)
            # Most kills late (the start-up is imports; the erasure and the scrub come last).
            delay = whole * (rng.uniform(0.0, 0.5) if n % 4 == 0 else rng.uniform(0.5, 1.0))
            child = subprocess.Popen(_command(db, customer_id), env=_env(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            time.sleep(delay)
            finished = child.poll() is not None
            if not finished:
                child.send_signal(signal.SIGKILL)
            child.wait()
            results.append({"delay_s": round(delay, 3), "finished": finished,
                            "verdict": verdict(before, snapshot(db, customer_id))})
            for extra in ("", "-wal", "-shm"):
                Path(f"{db}{extra}").unlink(missing_ok=True)
        held = sum(r["verdict"] in ("there", "erased") for r in results)
        return {"command": "erase", "run": len(results), "held": held,
                "there": sum(r["verdict"] == "there" for r in results),
                "erased": sum(r["verdict"] == "erased" for r in results),
                "finished_before_kill": sum(r["finished"] for r in results),
                "whole_run_s": round(whole, 2), "trials": results}
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run_trials(args.trials, args.customers, args.seed)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for r in result["trials"]:
            print(f"  kill after {r['delay_s']:.3f} s: {r['verdict']}{' (had finished)' if r['finished'] else ''}")
        print(f"erase: run {result['run']} / held {result['held']} (there {result['there']}, erased "
              f"{result['erased']}, finished before the kill {result['finished_before_kill']}; "
              f"a whole erasure {result['whole_run_s']} s)")
    return 0 if result["held"] == result["run"] else 1


if __name__ == "__main__":
    sys.exit(main())
