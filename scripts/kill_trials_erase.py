"""Kill trials for ``livedesk customers erase``: kill -9 at random moments, then check the store.

Each trial copies a demo store, starts the erasure of its busiest customer in a child process,
kills it with SIGKILL at a random moment and opens the store again. It holds when the store
passes ``integrity_check`` and the customer is either fully there (every row as before) or
fully erased (no row about them, their orders kept and anonymised, the erasure audited, and —
once the store has been opened and closed cleanly — no byte of their phone, names or address
left in the file or its WAL, even when the kill came between the commit and the scrub).

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


# The person erased in every trial: values no other demo customer has, so a byte search for
# them after the erasure can only find what the erasure left behind.
PERSON = {"nickname": "试删客户Zed", "real_name": "欧阳试删", "phone": "19999999999", "address": "试删路998号"}


def build_base(folder: Path, customers: int, seed: int) -> tuple[Path, int]:
    """A demo store and the customer with the most rows, renamed to PERSON (orders too, after
    some history: older row versions sit in the file as well); an export in the audit log
    names them."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select, update

    from livedesk.models import Customer, Order
    from livedesk.services import customers as customer_service
    from livedesk.services import demo, export, segments
    from livedesk.services.customers import CustomerFilter
    from livedesk.services.store import open_store, sqlite_url

    path = folder / "base.sqlite3"
    store = open_store(sqlite_url(path))
    try:
        demo.generate(store, customers, seed=seed)
        with store.begin() as s:
            target = s.scalar(select(Order.customer_id).where(Order.customer_id.is_not(None))
                              .group_by(Order.customer_id).order_by(func.count().desc()).limit(1))
            s.execute(update(Customer).where(Customer.id == target).values(
                nickname=PERSON["nickname"], real_name=PERSON["real_name"], phone=PERSON["phone"],
                address=PERSON["address"]))
            s.execute(update(Order).where(Order.customer_id == target).values(
                recipient_name=PERSON["real_name"], recipient_phone=PERSON["phone"], address=PERSON["address"]))
            customer_service.refresh_search_text(s, s.get(Customer, target))
        with store.begin() as s:
            segments.recompute(s)  # rewrites the row: a stale copy of the old one is left behind
            export.export_customers(s, folder / "one.csv", CustomerFilter(text=PERSON["phone"]), [target],
                                    actor="trial")
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


def traces_left(path: Path) -> int:
    """After one clean opening and closing (SQLite checkpoints and removes the WAL then): how
    often the person's values occur in the file and its WAL, UTF-8, UTF-16 and JSON-escaped."""
    from livedesk.services.erasure import Traces, count_occurrences

    conn = sqlite3.connect(path)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the file: recovers the WAL
    conn.close()  # the last connection: checkpoints and deletes the WAL
    patterns = Traces(tuple(PERSON.values())).patterns()
    return sum(count_occurrences(Path(f"{path}{extra}"), patterns) for extra in ("", "-wal"))


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
            outcome = verdict(before, snapshot(db, customer_id))
            if outcome == "erased" and (left := traces_left(db)):
                outcome = f"erased but {left} traces left"
            results.append({"delay_s": round(delay, 3), "finished": finished, "verdict": outcome})
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
