"""Kill trials for imports and exports: ``kill -9`` at a random moment, then look at what is left.

    python scripts/kill_trials_imports.py [--trials 20] [--rows 20000] [--seed 1] [--keep]

Each trial runs the CLI in a fresh process and kills it (SIGKILL) at a random moment between
its start and the end of a calibrated full run. It *held* when, after the kill:

- import: the store passes ``PRAGMA integrity_check`` and holds the whole batch or nothing
  (orders, customers and the batch row all there, or none of them); nothing was written
  beside the source file;
- export: the target folder holds nothing, or the complete file under its own name (never a
  temporary one); no new file in the system's temp folder holds the exported phones;
  and, for both, the next start (``livedesk lookup``) leaves the private ``tmp/`` folder empty.

Prints one line per trial and ``import: run N, held M`` / ``export: run N, held M``; exit 1 if
any did not hold. ``kill_at_random`` is the reusable part (another script's commands can be
tried the same way).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "livedesk", *args]


def kill_at_random(command: Sequence[str], env: dict[str, str], longest_s: float, rng: random.Random
                   ) -> tuple[float, bool]:
    """Run ``command`` and SIGKILL it after a random delay within a calibrated run's length
    ``longest_s`` (from start-up to the final writes): (delay, killed while still running)."""
    delay = rng.uniform(0.0, longest_s)
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        child.wait(delay)
        return delay, False
    except subprocess.TimeoutExpired:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        return delay, True


def timed(command: Sequence[str], env: dict[str, str], runs: int = 2,
          before: Callable[[], None] = lambda: None) -> float:
    """85% of the shortest of ``runs`` full runs (seconds; ``before`` each): kills drawn within
    it land mid-run even when the machine is busier during calibration than during the trials."""
    best = float("inf")
    for _ in range(runs):
        before()
        started = time.monotonic()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"calibration run failed: {' '.join(command)}\n{done.stderr[-2000:]}")
        best = min(best, time.monotonic() - started)
    return best * 0.85


def write_export(path: Path, rows: int, marker: str) -> None:
    """A 抖店-shaped export (the import bench's) with full phones that start with ``marker``."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd

    from livedesk.checks.bench_import import make_export

    make_export(path, rows)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["收件人手机号"] = [f"{marker}{n % 10_000:04d}" for n in range(len(frame))]
    frame.to_csv(path, index=False)


def tmp_files_holding(marker: bytes, since: float) -> list[Path]:
    """Files in the system's temp folder, made since ``since``, whose bytes hold ``marker``."""
    found = []
    for entry in Path(tempfile.gettempdir()).iterdir():
        try:
            if not entry.is_file() or entry.stat().st_mtime < since or entry.stat().st_size > 256 << 20:
                continue
            if marker in entry.read_bytes():
                found.append(entry)
        except OSError:
            continue
    return found


def fresh_copy(source: Path, db: Path) -> None:
    """``source`` copied to ``db``, without a WAL of an earlier ``db`` that SQLite would replay."""
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(source, db)


def store_state(db: Path) -> tuple[bool, tuple[int, int, int]]:
    conn = sqlite3.connect(db)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                       for t in ("orders", "customers", "import_batches"))
    finally:
        conn.close()
    return ok, counts  # type: ignore[return-value]


def private_tmp_after_start(env: dict[str, str], db: Path, data: Path) -> list[Path]:
    subprocess.run(cli("--db", str(db), "lookup", "x"), env=env, capture_output=True)
    folder = data / "LiveDesk" / "tmp"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def run_trials(name: str, trials: int, attempt: Callable[[int], tuple[bool, str]]) -> tuple[int, int]:
    held = finished = 0
    for n in range(trials):
        ok, line = attempt(n)
        held += ok
        finished += "(had finished)" in line
        print(f"{name} {n + 1:>2}: {'held' if ok else 'NOT HELD'}  {line}", flush=True)
    print(f"{name}: run {trials}, held {held} ({trials - finished} killed mid-run, {finished} had finished)",
          flush=True)
    return trials, held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--only", choices=["import", "export"], help="run one command's trials")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="livedesk-kill-"))
    data = work / "data"
    systmp = work / "systmp"  # the children's system temp folder (TMPDIR): anything there is theirs
    systmp.mkdir()
    env = {**os.environ, "XDG_DATA_HOME": str(data), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "TMPDIR": str(systmp)}
    marker = f"199{rng.randrange(10_000):04d}"
    source_dir = work / "source"
    source_dir.mkdir()
    source = source_dir / "orders.csv"
    write_export(source, args.rows, marker)
    empty = work / "empty.sqlite3"
    subprocess.run(cli("--db", str(empty), "lookup", "x"), env=env, capture_output=True)  # a migrated, empty store

    full = work / "full.sqlite3"
    import_s = timed(cli("--db", str(full), "import", "orders", str(source), "--platform", "douyin", "--json"), env,
                     before=lambda: fresh_copy(empty, full))  # each run into an empty store
    _, expected = store_state(full)

    def import_trial(n: int) -> tuple[bool, str]:
        db = work / f"import-{n}.sqlite3"
        fresh_copy(empty, db)
        delay, killed = kill_at_random(cli("--db", str(db), "import", "orders", str(source), "--platform", "douyin"),
                                       env, import_s, rng)
        ok, counts = store_state(db)
        whole = counts in ((0, 0, 0), expected)
        beside = sorted(p.name for p in source_dir.iterdir()) == ["orders.csv"]
        left = private_tmp_after_start(env, db, data)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return (ok and whole and beside and not left,
                f"killed at {delay:.2f}s{'' if killed else ' (had finished)'}: integrity {'ok' if ok else 'BAD'}, "
                f"orders/customers/batches {counts} of {expected}, beside source {'clean' if beside else 'DIRTY'}, "
                f"private tmp {'empty' if not left else left}")

    target_dir = work / "target"
    target_dir.mkdir()
    export_s = {fmt: timed(cli("--db", str(full), "export", "orders", str(target_dir / f"probe.{fmt}")), env)
                for fmt in ("csv", "xlsx")}
    for probe in target_dir.iterdir():
        probe.unlink()

    def export_trial(n: int) -> tuple[bool, str]:
        fmt = "xlsx" if n % 2 else "csv"
        target = target_dir / f"orders-{n}.{fmt}"
        since = time.time() - 1
        delay, killed = kill_at_random(cli("--db", str(full), "export", "orders", str(target)), env,
                                       export_s[fmt], rng)
        present = sorted(p.name for p in target_dir.iterdir())
        complete = not present or (present == [target.name] and _complete(target, expected[0]))
        # Whatever the child left in its system temp folder (openpyxl's rows: /tmp/openpyxl.*), and
        # any file in the real /tmp holding this run's phones (other programs write there too).
        leaked = sorted(systmp.iterdir()) + tmp_files_holding(marker.encode(), since)
        left = private_tmp_after_start(env, full, data)
        for p in target_dir.iterdir():
            p.unlink()
        return (complete and not leaked and not left,
                f"{fmt} killed at {delay:.2f}s{'' if killed else ' (had finished)'}: target folder {present or 'empty'}"
                f"{'' if complete else ' INCOMPLETE'}, temp files with phones {leaked or 'none'}, "
                f"private tmp {'empty' if not left else left}")

    results = [run_trials(name, args.trials, attempt) for name, attempt in
               (("import", import_trial), ("export", export_trial)) if args.only in (None, name)]
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"work folder: {work}")
    return 0 if all(run == held for run, held in results) else 1


def _complete(path: Path, orders: int) -> bool:
    """The file is whole: a CSV with every order, an XLSX that is a valid zip."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig") as fh:
            return sum(1 for _ in fh) == orders + 1
    try:
        with zipfile.ZipFile(path) as book:
            return book.testzip() is None
    except zipfile.BadZipFile:
        return False


if __name__ == "__main__":
    sys.exit(main())
