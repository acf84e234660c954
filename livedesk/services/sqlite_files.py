"""SQLite files below the ORM (the SQLite adapter for backups): checking, counting, copying, recovering.

Plain ``sqlite3`` on purpose (``sqlcipher3`` for an encrypted store, through
``models.sqlcipher``, with the key its agent knows): these work on files that may be damaged,
foreign or of another schema revision, which the ORM must not touch. A copy of an encrypted
store is written with the store's key and salt (``connect_like``): never a plain copy of it. Copies are written under a temporary name,
synced, and renamed only when complete, so a killed or failed copy never looks finished.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from livedesk.models.adapters import sqlcipher

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 30.0


def connect_ro(path: Path) -> sqlite3.Connection:
    """Read-only: never creates -wal/-shm beside a backup, never changes its header."""
    return sqlcipher.open_file(path, read_only=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)


def connect_rw(path: Path, **kwargs) -> sqlite3.Connection:
    """The store file itself, writable (restore), with its key if it is encrypted."""
    return sqlcipher.open_file(path, isolation_level=None, **kwargs)


def connect_like(source: Path, new: Path) -> sqlite3.Connection:
    """A new file ``new`` that will hold a copy of ``source``: encrypted with its key and salt
    when ``source`` is encrypted (one passphrase opens the store and all its backups)."""
    return sqlcipher.connect(new, key=sqlcipher.AGENT.key_for(source), isolation_level=None)


def roll_back_hot_journal(path: Path) -> bool:
    """A process killed inside a rollback-journal transaction (a conversion leaves WAL for its
    swap) leaves a hot ``-journal``: a read-only connection cannot roll it back ("attempt to
    write a readonly database"). Any writable connection does it on its first read, as SQLite
    would at the next opening anyway. Returns whether there was one."""
    journal = path.with_name(path.name + "-journal")
    if not journal.is_file() or journal.stat().st_size == 0:
        return False
    conn = connect_rw(path, timeout=BUSY_TIMEOUT_S)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        conn.close()
    log.info("rolled back the hot journal of %s", path)
    return True


def is_encrypted(path: Path) -> bool:
    return sqlcipher.looks_encrypted(path)


@contextmanager
def opened_ro(path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect_ro(path)
    try:
        yield conn
    finally:
        conn.close()


def check(conn: sqlite3.Connection, *, full: bool) -> list[str]:
    """``integrity_check`` (full) or ``quick_check``: the problems found, [] when sound."""
    rows = [r[0] for r in conn.execute(f"PRAGMA {'integrity_check' if full else 'quick_check'}(20)")]
    return [] if rows == ["ok"] else rows


def user_tables(conn: sqlite3.Connection, schema: str = "main") -> list[str]:
    return [r[0] for r in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for t in user_tables(conn) if t != "alembic_version"}


def revision(conn: sqlite3.Connection) -> str | None:
    if "alembic_version" not in user_tables(conn):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to sync."""
    if os.name != "posix":
        return
    fsync_path(folder)


def publish(temp: Path, final: Path) -> None:
    """Rename a complete, synced temporary file to its final name."""
    fsync_path(temp)
    os.replace(temp, final)
    fsync_folder(final.parent)


def _schema(conn: sqlite3.Connection, *, salvage: bool = False) -> list[tuple[str, str, str]]:
    if salvage:  # as much of the schema as can be read
        rows = [r[1:] for r in _readable_rows(conn, "sqlite_master", "type, name, sql")]
    else:
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY rowid").fetchall()
    order = {"table": 0, "index": 1, "view": 2}
    rows = [r for r in rows if r[2] and not r[1].startswith("sqlite_")]
    return sorted(rows, key=lambda r: order.get(r[0], 3))


def replace_contents(src: sqlite3.Connection, dst: sqlite3.Connection, *, skip_bad_rows: bool = False
                     ) -> dict[str, int]:
    """Make ``dst`` hold exactly ``src``'s schema and rows; the caller owns ``dst``'s transaction.

    Inside one transaction on ``dst`` this is all or nothing, and ``dst`` keeps its own
    journal and WAL (a page-level copy into a live WAL file would not). With
    ``skip_bad_rows`` a damaged table is copied as far as it can be read (``recover``).
    Returns the rows copied per table.
    """
    for kind, name, _sql in reversed(_schema(dst)):
        if kind in ("table", "view"):
            dst.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    schema = _schema(src, salvage=skip_bad_rows)
    counts: dict[str, int] = {}
    for kind, name, sql in schema:
        if kind == "table":
            dst.execute(sql)
            copy = _copy_rows_salvaging if skip_bad_rows else _copy_rows
            counts[name] = copy(src, dst, name)
    for kind, _name, sql in schema:
        if kind != "table":
            try:
                dst.execute(sql)
            except sqlcipher.INTEGRITY_ERRORS:
                if not skip_bad_rows:
                    raise  # a unique index a salvaged table no longer satisfies: recovery goes on
    try:
        if "sqlite_sequence" in {r[0] for r in src.execute("SELECT name FROM sqlite_master")}:
            dst.execute("DELETE FROM sqlite_sequence")
            dst.executemany("INSERT INTO sqlite_sequence(name, seq) VALUES (?, ?)",
                            src.execute("SELECT name, seq FROM sqlite_sequence"))
        dst.execute(f"PRAGMA user_version = {int(src.execute('PRAGMA user_version').fetchone()[0])}")
    except sqlcipher.DATABASE_ERRORS:
        if not skip_bad_rows:
            raise
    return {t: n for t, n in counts.items() if t != "alembic_version"}


def _insert_sql(src: sqlite3.Connection, table: str) -> str:
    columns = src.execute(f'SELECT * FROM "{table}" LIMIT 0').description
    return f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(columns))})'


def _copy_rows(src: sqlite3.Connection, dst: sqlite3.Connection, table: str) -> int:
    before = dst.total_changes
    dst.executemany(_insert_sql(src, table), src.execute(f'SELECT * FROM "{table}"'))
    return dst.total_changes - before


def _copy_rows_salvaging(src: sqlite3.Connection, dst: sqlite3.Connection, table: str) -> int:
    try:
        insert = _insert_sql(src, table)
    except sqlcipher.DATABASE_ERRORS:
        return 0
    copied = 0
    for row in _readable_rows(src, table):
        try:
            dst.execute(insert, row[1:])
            copied += 1
        except sqlcipher.INTEGRITY_ERRORS:
            pass  # a duplicate key read from a damaged index page
    return copied


def _readable_rows(src: sqlite3.Connection, table: str, columns: str = "*") -> Iterator[tuple]:
    """The rows that can be read, in rowid order, jumping over the rowids on unreadable pages."""
    try:
        top = src.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0]
    except sqlcipher.DATABASE_ERRORS:
        top = None
    after, step = None, 1
    while True:
        where, args = ("", ()) if after is None else ("WHERE rowid > ?", (after,))
        last = after
        try:
            for row in src.execute(f'SELECT rowid, {columns} FROM "{table}" {where} ORDER BY rowid', args):
                last = row[0]
                step = 1
                yield row
            return
        except sqlcipher.DATABASE_ERRORS:
            # Jump past the damage, further each time it stays unreadable.
            after = (last if last is not None else 0) + step
            step *= 2
            if top is None or after > top:
                return
        except (*sqlcipher.ERRORS, ValueError):  # WITHOUT ROWID tables or unreadable at all
            return


def recover(damaged: Path, out: Path) -> dict[str, int]:
    """Save what can be read from ``damaged`` into the new file ``out``; return its row counts.

    SQLite's own ``.recover`` (the ``sqlite3`` command-line shell) reads page by page and
    also finds rows the damaged indexes no longer point to; without the shell, a careful
    table-by-table copy that skips unreadable pages.
    """
    if out.exists():
        raise FileExistsError(out)
    temp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    temp.unlink(missing_ok=True)
    try:
        # The sqlite3 shell cannot read an encrypted file: the copy below can (with its key).
        shell = None if is_encrypted(damaged) else shutil.which("sqlite3")
        if shell and _recover_with_shell(shell, damaged, temp):
            log.info("recovered %s with the sqlite3 shell", damaged)
        else:
            temp.unlink(missing_ok=True)
            _recover_by_copy(damaged, temp)
        with opened_ro(temp) as conn:
            counts = row_counts(conn)
        publish(temp, out)
        out.chmod(0o600)
    finally:
        temp.unlink(missing_ok=True)
    return counts


def _recover_with_shell(shell: str, damaged: Path, temp: Path) -> bool:
    # .recover needs a writable connection: give it a copy, never the damaged original.
    work = temp.with_name(temp.name + ".source")
    try:
        for suffix in ("", "-wal"):
            if damaged.with_name(damaged.name + suffix).exists():
                shutil.copyfile(damaged.with_name(damaged.name + suffix), work.with_name(work.name + suffix))
        dump = subprocess.run([shell, str(work), ".recover"], capture_output=True, timeout=3600)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            work.with_name(work.name + suffix).unlink(missing_ok=True)
    if dump.returncode != 0 or not dump.stdout:
        log.warning("sqlite3 .recover failed: %s", dump.stderr.decode(errors="replace")[:500])
        return False
    load = subprocess.run([shell, str(temp)], input=dump.stdout, capture_output=True, timeout=3600)
    if load.returncode != 0:
        log.warning("loading the recovered SQL failed: %s", load.stderr.decode(errors="replace")[:500])
        return False
    return True


def _recover_by_copy(damaged: Path, temp: Path) -> None:
    src = connect_ro(damaged)
    dst = connect_like(damaged, temp)
    try:
        dst.execute("BEGIN")
        replace_contents(src, dst, skip_bad_rows=True)
        dst.execute("COMMIT")
    finally:
        dst.close()
        src.close()
