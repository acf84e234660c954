"""Kill trials for ``livedesk store encrypt`` and ``decrypt``: kill -9 at random moments, then check the store.

Each trial copies a demo store (plain for ``encrypt``, encrypted for ``decrypt``), starts the
conversion in a child process, kills it with SIGKILL after a random delay and opens the store
again. It holds when the store opens (with the passphrase if it is encrypted), passes
``integrity_check`` and has every table's rows as before, and no hidden ``.converting`` copy
is left once the next conversion ran (it removes a dead process's).

    python scripts/kill_trials_encrypt.py [--trials 20] [--customers 1000] [--seed 1] [--json]

``run_trials`` returns {"command", "run", "held", "converted", "unchanged", "failures"}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "kill trial passphrase"


def _counts(path: Path) -> dict[str, int]:
    from livedesk.services import sqlite_files

    with sqlite_files.opened_ro(path) as conn:
        if sqlite_files.check(conn, full=True):
            raise AssertionError("integrity_check failed")
        counts = sqlite_files.row_counts(conn)
    # The command audits the conversion (and logs that change) before it converts: not the data.
    return {t: n for t, n in counts.items() if t not in ("audit_log", "change_log")}


def build_base(folder: Path, customers: int, seed: int, encrypted: bool) -> tuple[Path, dict[str, int]]:
    from livedesk.services import demo, encryption
    from livedesk.services.store import open_store, sqlite_url

    path = folder / "base.sqlite3"
    store = open_store(sqlite_url(path))
    try:
        demo.generate(store, customers, seed=seed)
    finally:
        store.dispose()
    if encrypted:
        encryption.encrypt(path, PASSPHRASE)
        shutil.rmtree(folder / "backups", ignore_errors=True)
    return path, _counts(path)


def run_trials(action: str = "encrypt", trials: int = 20, customers: int = 1000, seed: int = 1) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from livedesk.models.adapters import sqlcipher

    sqlcipher.AGENT.add(PASSPHRASE)
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LIVEDESK_PASSPHRASE": PASSPHRASE,
           "LIVEDESK_NEW_PASSPHRASE": PASSPHRASE}
    held = converted = unchanged = 0
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="livedesk-kill-encrypt-") as tmp:
        base, before = build_base(Path(tmp), customers, seed, encrypted=action == "decrypt")
        # How long a full conversion takes here: kills are spread over 0..1.3x of it.
        probe = Path(tmp) / "probe"
        probe.mkdir()
        shutil.copy(base, probe / "store.sqlite3")
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "livedesk", "--db", str(probe / "store.sqlite3"), "store", action],
                       env=env, check=True, capture_output=True, timeout=600)
        full_s = time.monotonic() - started
        for trial in range(trials):
            folder = Path(tmp) / f"t{trial}"
            folder.mkdir()
            db = folder / "store.sqlite3"
            shutil.copy(base, db)
            child = subprocess.Popen([sys.executable, "-m", "livedesk", "--db", str(db), "store", action],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, 1.3) * full_s)
            child.send_signal(signal.SIGKILL)
            child.wait()
            try:
                # Opened as the app or the CLI would (SQLite rolls back what the kill left hot),
                # then counted read-only.
                from livedesk.services.store import open_store, sqlite_url

                open_store(sqlite_url(db), create=False).dispose()
                if _counts(db) != before:
                    raise AssertionError("row counts differ")
                now_encrypted = sqlcipher.looks_encrypted(db)
                done = now_encrypted == (action == "encrypt")
                converted += done
                unchanged += not done
                # The next conversion (the other way) cleans up a killed one's hidden copy.
                subprocess.run([sys.executable, "-m", "livedesk", "--db", str(db), "store",
                                "decrypt" if now_encrypted else "encrypt"], env=env, check=True,
                               capture_output=True, timeout=600)
                left = list(folder.glob(".store.sqlite3.*.converting*"))
                if left:
                    raise AssertionError(f"left behind: {[p.name for p in left]}")
                if _counts(db) != before:
                    raise AssertionError("row counts differ after the next conversion")
                held += 1
            except Exception as exc:  # noqa: BLE001 - a trial that did not hold is reported, not raised
                failures.append(f"trial {trial}: {type(exc).__name__}: {exc}")
    return {"command": f"store {action}", "run": trials, "held": held, "converted": converted,
            "unchanged": unchanged, "full_conversion_s": round(full_s, 2), "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--action", choices=["encrypt", "decrypt"], default="encrypt")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run_trials(args.action, args.trials, args.customers, args.seed)
    print(json.dumps(result, ensure_ascii=False) if args.json else
          f"{result['command']}: run {result['run']} / held {result['held']} "
          f"(converted {result['converted']}, unchanged {result['unchanged']})"
          + "".join(f"\n  {f}" for f in result["failures"]))
    return 0 if result["held"] == result["run"] else 1


if __name__ == "__main__":
    sys.exit(main())
