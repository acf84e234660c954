"""Hearing other processes' and machines' writes: the change feed.

Each writing unit of work logs its change set in ``change_log`` (see ``changes``). This
module wakes up when another connection commits and reads what it missed from that log:

- SQLite (processes on one machine): ``PRAGMA data_version`` on a connection of its own
  changes whenever another connection commits; it is polled every few milliseconds, which
  costs a page-cache lookup and no I/O.
- PostgreSQL (a team on several machines): ``LISTEN livedesk_changes`` on a psycopg
  connection of its own, on its own thread (qasync's Windows loop cannot run psycopg's async
  mode); writers ``NOTIFY`` inside their transaction, so it is delivered at commit and only
  if they commit.

The log is the truth and the wake-ups are only hints: a feed that was disconnected or slow
reads everything after the last id it delivered, so nothing is lost or seen twice. The
feed runs a plain thread and calls ``on_changes`` from it; the UI marshals to its own thread.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from livedesk.models.adapters import sqlcipher
from livedesk.services.changes import ChangeSet

log = logging.getLogger(__name__)

CHANNEL = "livedesk_changes"
SQLITE_POLL_S = 0.01
RECONNECT_S = (0.2, 0.5, 1.0, 2.0, 5.0)  # backoff after a lost server, then every 5 s
_LOG_ORDER_LOCK = 0x4C44_4348  # "LDCH": commits that log changes take turns on PostgreSQL


def pg_notify(connection: Any, seq: int) -> None:
    """Inside a committing PostgreSQL transaction: tell listeners, in log order."""
    connection.execute(text("SELECT pg_notify(:channel, :seq)"), {"channel": CHANNEL, "seq": str(seq)})


def pg_log_in_order(connection: Any) -> None:
    """Before a PostgreSQL transaction takes its change-log id: hold the log's turn until commit.

    Ids come from a sequence in the order transactions ask, but they commit in any order; a
    reader that saw id 11 before 10 committed would skip 10 for ever. Taking ids one commit
    at a time makes the log's order the commit order (the lock is held only from here to the
    commit, a few milliseconds).
    """
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOG_ORDER_LOCK})


def _rows_to_changes(rows: list[tuple[Any, ...]]) -> list[ChangeSet]:
    found = []
    for seq, origin, actor_id, payload in rows:
        if isinstance(payload, str):
            payload = json.loads(payload)
        found.append(ChangeSet.from_payload(payload or {}, actor_id=actor_id, origin=origin, seq=int(seq)))
    return found


class ChangeFeed:
    """Delivers other processes' change sets, in commit order, after ``start_after``."""

    def __init__(self, url: str, origin: str, on_changes: Callable[[list[ChangeSet]], None], *,
                 start_after: int, on_state: Callable[[str], None] | None = None) -> None:
        self.url, self.origin = url, origin
        self.on_changes = on_changes
        self.on_state = on_state or (lambda _state: None)  # "connected" | "reconnecting"
        self.last_seq = start_after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.backend = make_url(url).get_backend_name()

    def start(self) -> None:
        target = self._run_sqlite if self.backend == "sqlite" else self._run_postgresql
        self._thread = threading.Thread(target=target, name="livedesk-changes", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _deliver(self, changes: list[ChangeSet]) -> None:
        if not changes:
            return
        self.last_seq = changes[-1].seq or self.last_seq
        mine = [c for c in changes if c.origin != self.origin]
        if mine:
            self.on_changes(mine)

    # -- SQLite ------------------------------------------------------------------------------

    def _run_sqlite(self) -> None:
        path = make_url(self.url).database
        # Keyed for an encrypted store: data_version and the change log are read like any page.
        conn = sqlcipher.open_file(Path(path), read_only=True, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA busy_timeout=2000")
            seen = None
            while not self._stop.is_set():
                try:
                    version = conn.execute("PRAGMA data_version").fetchone()[0]
                    if version != seen:
                        seen = version
                        self._read_sqlite(conn)
                except sqlcipher.OPERATIONAL_ERRORS:  # a checkpoint or recovery in progress: next poll
                    log.debug("change feed poll skipped", exc_info=True)
                self._stop.wait(SQLITE_POLL_S)
        finally:
            conn.close()

    def _read_sqlite(self, conn: Any) -> None:
        while True:
            rows = conn.execute("SELECT id, origin, actor_id, payload FROM change_log WHERE id > ? "
                                "ORDER BY id LIMIT 500", (self.last_seq,)).fetchall()
            self._deliver(_rows_to_changes(rows))
            if len(rows) < 500:
                return

    # -- PostgreSQL ------------------------------------------------------------------------

    def _run_postgresql(self) -> None:
        import psycopg

        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        attempt = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.on_state("connected")
                    attempt = 0
                    self._read_postgresql(conn)  # what was committed while we were away
                    while not self._stop.is_set():
                        woke = False
                        for _note in conn.notifies(timeout=0.5, stop_after=1):
                            woke = True
                        if woke:
                            self._read_postgresql(conn)
            except psycopg.OperationalError:
                self.on_state("reconnecting")
                log.warning("change feed lost the server; reconnecting", exc_info=True)
                self._stop.wait(RECONNECT_S[min(attempt, len(RECONNECT_S) - 1)])
                attempt += 1

    def _read_postgresql(self, conn: Any) -> None:
        while True:
            rows = conn.execute("SELECT id, origin, actor_id, payload FROM change_log WHERE id > %s "
                                "ORDER BY id LIMIT 500", (self.last_seq,)).fetchall()
            self._deliver(_rows_to_changes(rows))
            if len(rows) < 500:
                return

