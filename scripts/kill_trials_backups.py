"""Kill trials for backup, restore, merge, recompute and follow-up generation: `kill -9` each
command at a random moment, N times, and check the store held.

    python scripts/kill_trials_backups.py [--trials 20] [--customers 3000] [--only backup,restore]

"Held" means, after the kill: the store passes `PRAGMA integrity_check` and opens; it holds
either the state before the command or the state after it, nothing in between; every backup
the store lists is complete and verified (a killed backup's partial file never counts); a
restore's replaced store is either untouched or kept whole as its before-restore copy.
Prints one line per command: runs, killed mid-way, held. Import/export trials live in
scripts/kill_trials_imports.py.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livedesk.services import backups, sqlite_files  # noqa: E402
from livedesk.services.store import open_store, sqlite_url  # noqa: E402


def cli(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "livedesk", "--db", str(db), *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}


def snapshot(db: Path) -> dict[str, object]:
    """What "the state" is, for before/after comparisons."""
    with sqlite_files.opened_ro(db) as conn:
        return {
            "customers": conn.execute("SELECT count(*), total(id) FROM customers").fetchone(),
            "orders": conn.execute("SELECT count(*), total(customer_id) FROM orders").fetchone(),
            "tiers": conn.execute("SELECT group_concat(tier || level, ',') FROM (SELECT tier, level FROM customers "
                                  "ORDER BY id)").fetchone(),
            "tasks": conn.execute("SELECT count(*) FROM followup_tasks").fetchone(),
            "nicknames": conn.execute("SELECT group_concat(nickname, ',') FROM (SELECT nickname FROM customers "
                                      "ORDER BY id)").fetchone(),
        }


def prepare(work: Path, customers: int) -> tuple[Path, Path, tuple[int, int]]:
    """A demo store with a verified backup of an older state, and a duplicate pair to merge."""
    db = work / "template" / "store.sqlite3"
    db.parent.mkdir(parents=True)
    subprocess.run(cli(db, "demo", "--customers", str(customers)), check=True, env=env(), capture_output=True)
    store = open_store(sqlite_url(db), create=False)
    store.dispose()
    old = backups.make_backup(db, "manual")
    chosen = work / "chosen.sqlite3"
    shutil.copy(old.path, chosen)
    # A later change, so a restore has something to undo.
    conn = sqlite3.connect(db)
    conn.execute("UPDATE customers SET nickname = nickname || '·改' WHERE id % 7 = 0")
    conn.commit()
    conn.close()
    found = json.loads(subprocess.run(cli(db, "duplicates", "find", "--limit", "1", "--json"), check=True,
                                      env=env(), capture_output=True, text=True).stdout)
    pair = found["candidates"][0]
    return db, chosen, (pair["customer_id"], pair["other_id"])


def fresh_copy(template: Path, trial_dir: Path) -> Path:
    shutil.copytree(template.parent, trial_dir)
    return trial_dir / template.name


def backups_hold(db: Path) -> bool:
    for info in backups.list_backups(db):
        if info.verified is not True:
            return False
        with sqlite_files.opened_ro(info.path) as conn:
            if sqlite_files.check(conn, full=True) or sqlite_files.row_counts(conn) != info.counts:
                return False
    return True


def store_holds(db: Path) -> bool:
    with sqlite_files.opened_ro(db) as conn:
        if sqlite_files.check(conn, full=True):
            return False
    store = open_store(sqlite_url(db), create=False)
    store.dispose()
    return True


def run_command(name: str, argv: list[str], before: dict, after: dict, template: Path, work: Path,
                trials: int, duration: float, rng: random.Random) -> tuple[int, int, int]:
    killed = held = 0
    for trial in range(trials):
        db = fresh_copy(template, work / f"{name}-{trial}")
        proc = subprocess.Popen([a.replace("{db}", str(db)) for a in argv], env=env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, duration * 1.05))  # now and then it finishes first
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        ok = store_holds(db) and backups_hold(db)
        state = snapshot(db)
        ok = ok and state in (before, after)
        if name == "restore" and state == after:
            # The replaced store must be kept whole, as its before-restore copy.
            kept = [b for b in backups.list_backups(db) if b.reason == backups.BEFORE_RESTORE]
            ok = ok and len(kept) == 1 and snapshot(kept[0].path) == before
        held += ok
        if not ok:
            print(f"  {name} trial {trial}: NOT HELD ({db})", flush=True)
        else:
            shutil.rmtree(db.parent)
    return trials, killed, held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--only", default="backup,restore,merge,recompute,followups")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="livedesk-kill-"))
    template, chosen, (keep, drop) = prepare(work, args.customers)
    commands = {
        "backup": cli(Path("{db}"), "backup"),
        "restore": cli(Path("{db}"), "restore", str(chosen)),
        "merge": cli(Path("{db}"), "duplicates", "merge", str(keep), str(drop)),
        "recompute": cli(Path("{db}"), "segments", "recompute"),
        "followups": cli(Path("{db}"), "followups", "generate"),
    }
    print(f"store: {args.customers} demo customers, {template.stat().st_size / 1e6:.1f} MB; work folder {work}")
    failures = 0
    for name in args.only.split(","):
        argv = commands[name]
        before = snapshot(template)
        # One run to the end: its duration bounds the kill moment, its result is "after".
        done = fresh_copy(template, work / f"{name}-complete")
        started = time.perf_counter()
        subprocess.run([a.replace("{db}", str(done)) for a in argv], check=True, env=env(), capture_output=True)
        duration = time.perf_counter() - started
        after = snapshot(done)
        runs, killed, held = run_command(name, argv, before, after, template, work, args.trials, duration, rng)
        failures += runs - held
        print(f"{name:<10} runs {runs}  killed mid-way {killed}  held {held}/{runs}  (a full run takes "
              f"{duration:.1f} s)", flush=True)
    if not failures:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
