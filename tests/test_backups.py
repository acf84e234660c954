"""Backups that can be trusted: verified, complete or absent, kept by tier; restores that refuse
bad files and cannot lose a write; damage, full disks and locks told apart."""

from __future__ import annotations

import json
import os
import random
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from livedesk.models import Customer
from livedesk.services import backups, customers, sqlite_files, store_problems
from livedesk.services.store import StoreError, open_store, quick_check
from helpers import livedesk

# Files, processes and locks of the SQLite store itself: PostgreSQL has its own tests
# (test_server_store.py, test_reconnect.py).
pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parent.parent



def add_customer(store, nickname: str) -> int:
    with store.write() as s:
        return customers.create(s, customers.NewCustomer(nickname=nickname))


def nicknames(path: Path) -> list[str]:
    with sqlite_files.opened_ro(path) as conn:
        return sorted(r[0] for r in conn.execute("SELECT nickname FROM customers"))


def damage(path: Path) -> None:
    """Overwrite pages in the middle of the file, as a failing disk would (the schema pages stay)."""
    pages = path.stat().st_size // 4096
    with path.open("r+b") as fh:
        for page in (pages * 3 // 4, pages * 3 // 4 + 5, pages - 3):
            fh.seek(page * 4096 + 100)
            fh.write(os.urandom(900))


@pytest.fixture
def filled(store):
    with store.write() as s:
        for i in range(400):
            customers.create(s, customers.NewCustomer(nickname=f"客户{i:03d}", city="杭州市" * 20))
    with store.engine.connect() as conn:  # fold the WAL in: the damage below must hit real pages
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return store


# -- making backups --------------------------------------------------------------------------------

def test_a_backup_is_verified_and_records_when_why_size_revision_and_counts(store):
    add_customer(store, "王姐")
    info = backups.make_backup(store.path, "manual")
    record = json.loads(Path(str(info.path) + ".json").read_text(encoding="utf-8"))
    assert record["verified"] is True and record["reason"] == "manual"
    assert record["size"] == info.path.stat().st_size > 0
    assert record["revision"] == "0003" or record["revision"]
    assert record["counts"]["customers"] == 1
    assert nicknames(info.path) == ["王姐"]
    assert backups.list_backups(store.path)[0].path == info.path


def test_a_damaged_store_is_not_copied_over_the_backups(filled):
    good = backups.make_backup(filled.path, "manual")
    filled.dispose()
    damage(filled.path)
    assert quick_check(filled.path) != []
    with pytest.raises(backups.BackupError) as err:
        backups.make_backup(filled.path, "manual")
    assert err.value.code == store_problems.DAMAGED
    assert [b.path for b in backups.list_backups(filled.path)] == [good.path]
    assert not list(good.path.parent.glob(".*partial"))


def test_a_killed_backups_partial_file_never_counts_and_is_cleaned(store, tmp_path):
    folder = backups.backups_folder(store.path)
    folder.mkdir()
    # What a backup killed mid-copy leaves: its temporary file, named for a process now dead.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    partial = folder / f".store-20260101-000000-000000-manual.sqlite3.{dead.pid}.partial"
    shutil.copy(store.path, partial)
    assert backups.list_backups(store.path) == []
    assert backups.newest_verified(store.path) is None
    backups.make_backup(store.path, "manual")
    assert not partial.exists()


def in_mount_namespace(mount: str, *livedesk_args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``mount`` (shell) applied in a private mount namespace: a small or
    read-only filesystem that exists for that process only."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        pytest.skip("needs unshare -m (root or user namespaces) to make a small filesystem")
    command = " ".join(["exec", sys.executable, "-m", "livedesk", *map(shlex.quote, livedesk_args)])
    return subprocess.run(["unshare", "-m", "sh", "-c", f"{mount} && {command}"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)})


def test_a_backup_stopped_by_a_full_disk_leaves_nothing_and_says_disk_full(store, tmp_path):
    for i in range(300):
        add_customer(store, f"客户{i}")
    store.dispose()
    small = tmp_path / "small"
    small.mkdir()
    size_k = store.path.stat().st_size // 2048  # room for half a copy
    result = in_mount_namespace(f"mount -t tmpfs -o size={size_k}k tmpfs {small} && ls {small}",
                                "--db", str(store.path), "backup", "--to", str(small))
    assert result.returncode == 1
    assert "disk is full" in result.stderr and "Traceback" not in result.stderr
    assert "damaged" not in result.stderr


def test_a_read_only_folder_is_reported_as_read_only_not_damaged(store, tmp_path):
    add_customer(store, "王姐")
    store.dispose()
    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(store.path, folder / "store.sqlite3")
    bind = f"mount --bind -o ro {folder} {folder}"
    backup = in_mount_namespace(bind, "--db", str(store.path), "backup", "--to", str(folder / "backups"))
    assert backup.returncode == 1 and "read-only" in backup.stderr and "damaged" not in backup.stderr
    opened = in_mount_namespace(bind, "--db", str(folder / "store.sqlite3"), "lookup", "王")
    assert opened.returncode == 1 and "read-only" in opened.stderr and "damaged" not in opened.stderr
    assert "Traceback" not in backup.stderr + opened.stderr


def test_ten_manual_backups_do_not_evict_the_pre_migration_and_pre_restore_copies(store, tmp_path):
    add_customer(store, "王姐")
    migration = backups.make_backup(store.path, backups.BEFORE_MIGRATION)
    spare = backups.make_backup(store.path, "manual")
    shutil.copy(spare.path, tmp_path / "spare.sqlite3")
    store.dispose()
    safety = backups.restore(tmp_path / "spare.sqlite3", store.path).safety
    for _ in range(backups.RECENT + 5):
        backups.make_backup(store.path, "manual")
    kept = {b.path for b in backups.list_backups(store.path)}
    assert migration.path in kept and safety.path in kept
    assert sum(1 for b in backups.list_backups(store.path) if b.reason == "manual") == backups.RECENT


def _fake_backup(folder: Path, when: datetime, reason: str = "auto") -> Path:
    path = folder / f"store-{when.strftime(backups.STAMP_FORMAT)}-{reason}.sqlite3"
    path.write_bytes(b"x")
    record = {"created_at": when.isoformat(), "reason": reason, "size": 1, "verified": True}
    Path(str(path) + ".json").write_text(json.dumps(record))
    return path


def test_retention_keeps_recent_daily_weekly_and_monthly_backups(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    now = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)
    made = [_fake_backup(folder, now - timedelta(hours=6 * i)) for i in range(4 * 400)]  # 4 a day, 400 days
    backups.prune(folder, "store")
    kept = {p for p in made if p.exists()}
    assert made[: backups.RECENT] == [p for p in made[: backups.RECENT] if p in kept]  # the newest ten
    days = {(now - timedelta(hours=6 * made.index(p))).date() for p in kept}
    assert {(now - timedelta(days=d)).date() for d in range(backups.DAILY)} <= days
    assert len(kept) <= backups.RECENT + backups.DAILY + backups.WEEKLY + backups.MONTHLY
    months = {(now - timedelta(hours=6 * made.index(p))).strftime("%Y-%m") for p in kept}
    assert len(months) >= backups.MONTHLY  # a year of monthly copies survives a burst of recent ones
    assert all(Path(str(p) + ".json").exists() for p in kept)
    assert not any(Path(str(p) + ".json").exists() for p in made if p not in kept)


def test_automatic_backup_only_when_something_changed(store):
    assert backups.backup_if_changed(store.path, "auto") is not None
    assert backups.backup_if_changed(store.path, "auto") is None
    add_customer(store, "新客")
    assert backups.backup_if_changed(store.path, "auto") is not None


def test_merge_revert_and_import_back_up_first_from_the_service(store, tmp_path):
    from livedesk.services import importing, merge

    a, b = add_customer(store, "王姐"), add_customer(store, "王姐姐")
    with store.write() as s:
        merge.merge(s, a, b)
    summary = importing.import_orders(store.write_factory, ROOT / "tests/data/douyin_orders.csv")
    assert summary.committed
    with store.write() as s:
        importing.revert_batch(s, summary.batch_id)
    reasons = [b.reason for b in backups.list_backups(store.path)]
    assert sorted(reasons) == ["before-import", "before-merge", "before-revert"]
    assert all(b.verified for b in backups.list_backups(store.path))


# -- restoring -------------------------------------------------------------------------------------

def test_restore_brings_back_the_backup_and_says_where_the_replaced_store_is(store, tmp_path):
    add_customer(store, "备份前")
    info = backups.make_backup(store.path, "manual")
    add_customer(store, "备份后")
    result = backups.restore(info.path, store.path)
    assert nicknames(store.path) == ["备份前"]
    assert result.safety is not None and result.safety.reason == backups.BEFORE_RESTORE
    assert result.safety.verified and nicknames(result.safety.path) == ["备份前", "备份后"]
    assert result.counts["customers"] == 1
    with store.write() as s:  # the app's open engine reads the restored store
        assert s.scalars(select(Customer.nickname)).all() == ["备份前"]


def _newer_schema_backup(store, tmp_path) -> Path:
    info = backups.make_backup(store.path, "manual")
    newer = tmp_path / "newer.sqlite3"
    shutil.copy(info.path, newer)
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    return newer


def _corrupt_backup(store, tmp_path) -> Path:
    for i in range(400):
        add_customer(store, f"客户{i:03d}")
    info = backups.make_backup(store.path, "manual")
    bad = tmp_path / "corrupt.sqlite3"
    shutil.copy(info.path, bad)
    damage(bad)
    return bad


def _foreign_file(store, tmp_path) -> Path:
    other = tmp_path / "contacts.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    return other


@pytest.mark.parametrize(("make", "code", "words"), [
    (_newer_schema_backup, store_problems.NEWER, "newer LiveDesk"),
    (_corrupt_backup, store_problems.DAMAGED, "damaged"),
    (_foreign_file, store_problems.FOREIGN, "not a LiveDesk backup"),
])
def test_restore_refuses_a_bad_file_with_the_reason_and_leaves_the_store_unchanged(store, tmp_path, make, code,
                                                                                    words):
    add_customer(store, "留下")
    bad = make(store, tmp_path)
    before = nicknames(store.path)
    store.dispose()
    result = livedesk("--db", str(store.path), "restore", str(bad))
    assert result.returncode == 1, result.stdout
    assert words in result.stderr and "Traceback" not in result.stderr
    assert "left unchanged" in result.stderr
    assert nicknames(store.path) == before
    assert not any(b.reason == backups.BEFORE_RESTORE for b in backups.list_backups(store.path))
    again = open_store(store.url, create=False)  # still opens
    again.dispose()
    with pytest.raises(backups.BackupError) as err:
        backups.restore(bad, store.path)
    assert err.value.code == code


def test_restore_over_a_damaged_store_works_and_keeps_the_damaged_file(filled, tmp_path):
    info = backups.make_backup(filled.path, "manual")
    filled.dispose()
    damage(filled.path)
    result = backups.restore(info.path, filled.path)
    assert quick_check(filled.path) == []
    assert len(nicknames(filled.path)) == 400
    assert result.safety is not None and result.safety.path.exists()


def _orders_csv(path: Path, first: int, count: int) -> list[str]:
    header = "主订单编号,子订单编号,选购商品,商品ID,商品数量,商品金额,订单应付金额,订单提交时间,支付完成时间,订单状态,售后状态," \
             "收件人,收件人手机号,省,市,区,详细地址,达人昵称\n"
    ids = [str(7_100_000_000_000_000 + first + i) for i in range(count)]
    rows = [f"{oid},{oid}-1,精华液,3500001,1,¥99.00,¥99.00,2024-05-01 20:15:03,2024-05-01 20:15:40,已完成,-,"
            f"买家{i % 500},139{i % 500:08d},浙江省,杭州市,西湖区,文三路,主播小美\n" for i, oid in enumerate(ids)]
    path.write_text(header + "".join(rows), encoding="utf-8")
    return ids


def _has_orders(path: Path, ids: list[str]) -> bool:
    with sqlite_files.opened_ro(path) as conn:
        found = conn.execute(f"SELECT count(*) FROM orders WHERE platform_order_id IN ({','.join('?' * len(ids))})",
                             ids).fetchone()[0]
    assert found in (0, len(ids))  # all or nothing, never part of an import
    return found == len(ids)


def test_an_import_committing_while_a_restore_runs_is_never_lost(store, tmp_path):
    """20 trials: restore and import in two processes, started a random moment apart."""
    for i in range(300):
        add_customer(store, f"客户{i}")
    backup = backups.make_backup(store.path, "manual").path
    shutil.copy(backup, tmp_path / "chosen.sqlite3")
    store.dispose()
    template = tmp_path / "template.sqlite3"
    shutil.copy(backup, template)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    rng = random.Random(12)
    outcomes = []
    for trial in range(20):
        trial_dir = tmp_path / f"t{trial}"
        trial_dir.mkdir()
        db = trial_dir / "store.sqlite3"
        shutil.copy(template, db)
        csv = trial_dir / "orders.csv"
        ids = _orders_csv(csv, trial * 10_000, 1500)
        cmd = [sys.executable, "-m", "livedesk", "--db", str(db)]
        first_import = rng.random() < 0.5
        delay = rng.uniform(0, 1.2)
        procs = {}
        order = ["import", "restore"] if first_import else ["restore", "import"]
        for name in order:
            argv = ["import", "orders", str(csv), "--json"] if name == "import" else \
                ["restore", str(tmp_path / "chosen.sqlite3")]
            procs[name] = subprocess.Popen(cmd + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                           env=env)
            time.sleep(delay) if name == order[0] else None
        out = {name: p.communicate(timeout=180) for name, p in procs.items()}
        assert procs["restore"].returncode == 0, out["restore"][1]
        assert "Traceback" not in out["import"][1] + out["restore"][1]
        committed = procs["import"].returncode == 0 and json.loads(out["import"][0])["committed"]
        copies = [b.path for b in backups.list_backups(db) if b.reason == backups.BEFORE_RESTORE]
        kept = _has_orders(db, ids) or any(_has_orders(c, ids) for c in copies)
        assert quick_check(db) == []
        outcomes.append((committed, kept))
        if committed:
            assert kept, f"trial {trial}: the import said committed but its orders are gone"
    assert sum(c for c, _ in outcomes) >= 5  # most imports got through: the trials raced for real


# -- what happened, in words -----------------------------------------------------------------------

def test_a_store_locked_by_another_program_is_reported_as_locked(store):
    store.dispose()
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE hold (x)")
    try:
        result = livedesk("--db", str(store.path), "lookup", "王", timeout=60)
    finally:
        holder.close()
    assert result.returncode == 1
    assert "locked" in result.stderr and "damaged" not in result.stderr and "Traceback" not in result.stderr


def test_storage_errors_are_classified_by_their_codes_not_their_text(store):
    with pytest.raises(sqlite3.Error) as err:
        with sqlite_files.opened_ro(store.path) as conn:
            conn.execute("INSERT INTO tags(name) VALUES ('x')")
    assert store_problems.classify(err.value) == store_problems.READ_ONLY
    assert store_problems.classify(PermissionError(13, "Permission denied")) == store_problems.READ_ONLY
    assert store_problems.classify(OSError(28, "No space left on device")) == store_problems.DISK_FULL


def test_a_damaged_store_says_damaged(filled):
    filled.dispose()
    with filled.path.open("r+b") as fh:  # the schema page itself
        fh.seek(100)
        fh.write(b"\xff" * 3000)
    with pytest.raises(StoreError) as err:
        open_store(filled.url, create=False)
    assert err.value.code == store_problems.DAMAGED


# -- a store is created only on purpose -------------------------------------------------------------

@pytest.mark.parametrize("argv", [["lookup", "王"], ["import", "orders", str(ROOT / "tests/data/douyin_orders.csv")],
                                  ["backup"], ["followups", "generate"]])
def test_a_mistyped_db_path_is_refused_with_exit_2_and_creates_nothing(tmp_path, argv):
    typo = tmp_path / "sotre.sqlite3"
    result = livedesk("--db", str(typo), *argv)
    assert result.returncode == 2, result.stderr
    assert "no LiveDesk store" in result.stderr and "livedesk init" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_zero_byte_file_is_not_silently_made_a_store(tmp_path):
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = livedesk("--db", str(empty), "lookup", "王")
    assert result.returncode == 2 and "empty" in result.stderr
    assert empty.stat().st_size == 0


def test_init_creates_a_store_and_refuses_an_existing_one(tmp_path):
    path = tmp_path / "new.sqlite3"
    assert livedesk("init", str(path)).returncode == 0
    assert livedesk("--db", str(path), "lookup", "王").returncode == 1  # opens: no match
    again = livedesk("init", str(path))
    assert again.returncode == 1 and "already exists" in again.stderr


def test_recover_saves_what_can_be_read_from_a_damaged_store(filled, tmp_path):
    filled.dispose()
    damage(filled.path)
    out = tmp_path / "saved.sqlite3"
    result = livedesk("--db", str(filled.path), "recover", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert 0 < counts["customers"] <= 400
    assert out.exists() and not list(tmp_path.glob(".*partial"))


def test_recover_without_the_sqlite3_shell_copies_table_by_table(filled, tmp_path, monkeypatch):
    filled.dispose()
    damage(filled.path)
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    counts = sqlite_files.recover(filled.path, tmp_path / "saved.sqlite3")
    assert 0 < counts["customers"] <= 400
    with sqlite_files.opened_ro(tmp_path / "saved.sqlite3") as conn:
        assert sqlite_files.check(conn, full=True) == []
