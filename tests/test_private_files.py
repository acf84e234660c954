"""Private by default: an export's temporary files (LiveDesk's and openpyxl's) live in the app's
private folder, never in the user's folder or /tmp; a killed run's leftovers go at the next start."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from livedesk import cli
from livedesk.services import customers, export, private
from livedesk.services.customers import NewCustomer

PHONE = "13912345678"


@pytest.fixture
def people(store):
    with store.write() as s:
        for n in range(30):
            customers.create(s, NewCustomer(nickname=f"顾客{n}", real_name=f"王{n}", phone=f"139123456{n:02d}"))


def _tmp_openpyxl() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("openpyxl.*")}


@pytest.mark.parametrize("name", ["客户.xlsx", "客户.csv"])
def test_an_export_under_way_writes_only_in_the_private_folder(store, people, tmp_path, monkeypatch, name):
    monkeypatch.setattr(export, "CHUNK", 10)  # several chunks: look between two of them
    target_dir = tmp_path / "user"
    target_dir.mkdir()
    before = _tmp_openpyxl()
    seen: list[tuple[list[str], set[str], list[Path]]] = []

    def progress(done: int, total: int) -> None:
        seen.append((sorted(p.name for p in target_dir.iterdir()), _tmp_openpyxl() - before,
                     sorted(p for p in (private.work_dir()).iterdir() if p.name != ".lock")))

    with store.write() as s:
        export.export_customers(s, target_dir / name, progress=progress)
    assert seen and all(listing == [] and not in_tmp for listing, in_tmp, _ in seen)  # nothing until done
    work = private.work_dir()
    assert stat.S_IMODE(work.parent.stat().st_mode) == 0o700
    assert all(p.parent == work for _, _, files in seen for p in files) and seen[-1][2]
    if name.endswith(".xlsx"):
        assert any(p.name.startswith("openpyxl.") for p in seen[-1][2])  # openpyxl's rows, here
    assert [p.name for p in target_dir.iterdir()] == [name]
    assert [p for p in work.iterdir() if p.name != ".lock"] == []  # moved, and openpyxl's removed
    assert stat.S_IMODE((target_dir / name).stat().st_mode) == 0o600


def test_an_abandoned_xlsx_export_removes_openpyxl_rows_at_once(store, people, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 10)

    def stop(done: int, total: int) -> None:
        if done >= 20:
            raise RuntimeError("cancelled")

    target_dir = tmp_path / "user"
    target_dir.mkdir()
    with store.write() as s, pytest.raises(RuntimeError):
        export.export_customers(s, target_dir / "c.xlsx", progress=stop)
    assert [p for p in private.work_dir().iterdir() if p.name != ".lock"] == []
    assert list(target_dir.iterdir()) == []


def test_an_export_to_another_filesystem_is_copied_in_at_the_end_under_a_name_noted_for_cleaning(
        store, people, tmp_path, monkeypatch):
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append((Path(src), Path(dst)))
        if len(calls) == 1:  # the private folder -> the user's folder: another filesystem
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst)

    target_dir = tmp_path / "user"
    target_dir.mkdir()
    pending = private.work_dir() / private.PENDING  # this process's: earlier tests may have noted theirs
    before = pending.read_text().splitlines() if pending.exists() else []
    monkeypatch.setattr(os, "replace", replace)
    with store.write() as s:
        export.export_customers(s, target_dir / "c.csv")
    staged = calls[1][0]
    assert staged.parent == target_dir and staged.name.startswith(".c-")  # copied beside, then renamed
    assert pending.read_text().splitlines() == [*before, str(staged)]
    assert [p.name for p in target_dir.iterdir()] == ["c.csv"]


_KILLED_EXPORT = """
import os, sys, time
from livedesk.services import export
from pathlib import Path
from livedesk.services.store import open_store, sqlite_url
export.CHUNK = 5
store = open_store(sqlite_url(Path(sys.argv[1])))

def progress(done, total):
    if done >= 10:
        print("WRITING", flush=True)
        time.sleep(60)

with store.write() as s:
    export.export_customers(s, sys.argv[2], progress=progress)
"""


@pytest.mark.sqlite_only
@pytest.mark.parametrize("name", ["c.xlsx", "c.csv"])
def test_a_killed_export_leaves_nothing_in_the_users_folder_and_its_leftovers_go_at_the_next_start(
        store, people, tmp_path, name):
    target_dir = tmp_path / "user"
    target_dir.mkdir()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "TMPDIR": str(tmp_path / "systmp")}
    (tmp_path / "systmp").mkdir()
    child = subprocess.Popen([sys.executable, "-c", _KILLED_EXPORT, str(store.path), str(target_dir / name)],
                             env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "WRITING"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
        child.stdout.close()
    assert list(target_dir.iterdir()) == []  # no hidden .part with names and phones
    assert list((tmp_path / "systmp").iterdir()) == []  # nor openpyxl.* in the system's temp folder
    left = tmp_path / "data" / "LiveDesk" / "tmp"
    assert [p for p in left.iterdir()]  # what the kill left is in the private folder...
    store.dispose()
    done = subprocess.run([sys.executable, "-m", "livedesk", "--db", str(store.path), "lookup", "王"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert list(left.iterdir()) == []  # ...and gone after the next start


def test_the_folder_of_a_process_still_running_is_kept(tmp_path):
    other = private.private_folder("tmp") / "run-other"
    other.mkdir()
    with (other / ".lock").open("wb") as held:
        private._hold(held)  # another open file holding the lock: as another process would
        assert other not in private.clean_leftovers()
        assert other.is_dir()
    assert other in private.clean_leftovers()
    assert not other.exists()


@pytest.mark.sqlite_only
def test_a_full_disk_and_a_locked_store_end_in_words_on_the_cli(store, people, tmp_path, monkeypatch, capsys):
    db = str(store.path)
    store.dispose()

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "c.csv"))

    monkeypatch.setattr(private, "publish", full)
    assert cli.main(["--db", db, "export", "customers", str(tmp_path / "c.csv")]) == 1
    err = capsys.readouterr().err
    assert "disk is full" in err and "Traceback" not in err
    monkeypatch.undo()

    import sqlite3

    holder = sqlite3.connect(db, timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program writing, for longer than the store waits
    monkeypatch.setenv("LIVEDESK_WRITE_WAIT_S", "3")
    try:
        started = time.monotonic()
        code = cli.main(["--db", db, "import", "orders", str(Path(__file__).parent / "data" / "douyin_orders.csv")])
    finally:
        holder.rollback()
        holder.close()
    err = capsys.readouterr().err
    assert code == 1 and "in use by another program" in err, err
    assert time.monotonic() - started < 60


def test_failures_of_the_machine_are_named_for_the_ui_to_word():
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from livedesk.services import failures

    full = OperationalError("INSERT …", {}, sqlite3.OperationalError("database or disk is full"))
    locked = OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
    assert [failures.kind(e) for e in (full, locked, OSError(errno.ENOSPC, "No space left on device"),
                                        OSError(errno.EROFS, "Read-only file system"), ValueError("a bug"))] == [
        "disk_full", "locked", "disk_full", "read_only", None]


def test_import_reports_older_than_a_month_go_at_start():
    reports = private.reports_dir()
    old, new = reports / "a-20200101-000000.import-report.csv", reports / "b.import-report.csv"
    for path in (old, new):
        path.write_text("行号 row\n", encoding="utf-8")
    month = time.time() - (private.REPORTS_KEPT_DAYS + 1) * 86_400
    os.utime(old, (month, month))
    assert old in private.clean_leftovers()
    assert not old.exists() and new.exists()
