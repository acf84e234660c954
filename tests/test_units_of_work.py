"""Writes begin as writes and wait their turn; every committed write says what it changed."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select

from livedesk.models import ChangeLogEntry, Note
from livedesk.services import changes, customers, segments
from livedesk.services.customers import NewCustomer
from livedesk.services.store import StoreBusy

# Files, processes and locks of the SQLite store itself: PostgreSQL has its own tests
# (test_server_store.py, test_reconnect.py).
pytestmark = pytest.mark.sqlite_only


def _hold_write_lock(path, seconds: float) -> subprocess.Popen:
    """Another program takes the store's write lock for ``seconds``, then commits a note."""
    script = textwrap.dedent(f"""
        import sqlite3, sys, time
        conn = sqlite3.connect({str(path)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        time.sleep({seconds})
        conn.execute("INSERT INTO notes (customer_id, kind, body, pinned, version, created_at, updated_at) "
                     "VALUES (1, 'note', 'from the other program', 0, 1, '2026-01-01', '2026-01-01')")
        conn.execute("COMMIT")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


@pytest.fixture
def one_customer(store) -> int:
    with store.write() as s:
        return customers.create(s, NewCustomer(nickname="王姐"))


def test_a_write_waits_for_another_programs_write_lock_and_says_so(store, one_customer):
    waits: list[float] = []
    store.write_policy.on_wait = waits.append
    other = _hold_write_lock(store.path, 1.0)
    started = time.monotonic()
    with store.write() as s:
        customers.add_note(s, one_customer, "mine")
    assert other.wait(10) == 0
    assert time.monotonic() - started >= 0.8
    assert waits and waits[-1] >= 0.5  # the wait was visible while it lasted
    with store.read() as s:
        assert sorted(s.scalars(select(Note.body))) == ["from the other program", "mine"]


def test_a_write_gives_up_with_store_busy_after_its_limit_and_writes_nothing(store, one_customer):
    store.write_policy.limit_s = 0.5
    other = _hold_write_lock(store.path, 2.0)
    with pytest.raises(StoreBusy) as raised:
        with store.write() as s:
            customers.add_note(s, one_customer, "mine")
    assert raised.value.waited_s >= 0.5
    assert other.wait(10) == 0
    with store.read() as s:
        assert list(s.scalars(select(Note.body))) == ["from the other program"]


def test_a_recompute_that_reads_first_does_not_fail_when_another_program_commits_meanwhile(store, one_customer):
    # The old failure: a unit that read, then wrote, could not upgrade its snapshot after another
    # connection committed ("database is locked" at once, whatever busy_timeout said).
    other = sqlite3.connect(store.path, isolation_level=None, timeout=30)
    with store.write() as s:
        s.scalar(select(func.count(Note.id)))
        committer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            import sqlite3
            conn = sqlite3.connect({str(store.path)!r}, isolation_level=None, timeout=30)
            conn.execute("INSERT INTO tags (name) VALUES ('while recomputing')")
        """)])
        time.sleep(0.3)
        segments.recompute(s)
    assert committer.wait(30) == 0  # it waited for our write to commit, then wrote
    assert other.execute("SELECT name FROM tags").fetchall() == [("while recomputing",)]
    other.close()


def test_a_reading_unit_refuses_to_write(store, one_customer):
    with pytest.raises(RuntimeError, match="store.write"):
        with store.read() as s:
            customers.add_note(s, one_customer, "in a read")


def test_a_write_returns_and_logs_its_change_set(store, one_customer):
    heard = []
    store.listeners.append(heard.append)
    op = store.apply(customers.add_note, one_customer, "hello")
    assert op.changes.touches("notes", op.result)
    assert op.changes.touches_customer(one_customer)  # a note belongs to its customer
    assert not op.changes.touches("customers")  # ... but the customer row itself did not change
    assert not op.changes.touches("orders")
    assert heard == [op.changes] and op.changes.origin == store.origin
    with store.read() as s:
        logged = changes.since(s, op.changes.seq - 1)
    assert [c.tables for c in logged] == [op.changes.tables]


def test_a_rolled_back_write_logs_nothing_and_a_rolled_back_savepoint_is_not_in_the_change_set(
        store, one_customer):
    with store.read() as s:
        before = changes.latest(s)
    with pytest.raises(ZeroDivisionError):
        with store.write() as s:
            customers.add_note(s, one_customer, "lost")
            1 / 0
    with store.read() as s:
        assert changes.latest(s) == before

    def tag_then_undo_a_note(session):
        customers.tag_customer(session, one_customer, "回头客")
        with session.begin_nested() as savepoint:
            customers.add_note(session, one_customer, "previewed only")
            savepoint.rollback()

    op = store.apply(tag_then_undo_a_note)
    assert op.changes.touches("customer_tags") and not op.changes.touches("notes")


def test_bulk_statements_mark_their_whole_table_and_raw_writes_say_which_rows(store, one_customer):
    from sqlalchemy import update

    from livedesk.models import Customer

    op = store.apply(lambda s: s.execute(update(Customer).values(city="杭州")))
    assert op.changes.ids("customers") is changes.ALL
    # A recompute writes on the raw connection: it names the customers it changed.
    with store.write() as s:
        s.execute(update(Customer).values(tier="vip"))  # wrong on purpose: the recompute puts it back
    op = store.apply(segments.recompute)
    assert op.changes.ids("customers") == {one_customer}


def test_live_events_travel_with_the_change_set(store, one_customer):
    op = store.apply(lambda s: changes.emit(s, "push", customer_id=one_customer))
    assert op.changes.events_of("push") == [{"kind": "push", "customer_id": one_customer}]
    with store.read() as s:
        assert s.get(ChangeLogEntry, op.changes.seq).payload["events"][0]["customer_id"] == one_customer


def test_change_sets_older_than_a_week_are_forgotten_and_newer_ones_kept(store, one_customer):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    for body in ("old", "new"):
        with store.write() as s:
            customers.add_note(s, one_customer, body)
    with store.write() as s:
        first = s.scalar(select(func.min(ChangeLogEntry.id)))
        s.execute(update(ChangeLogEntry).where(ChangeLogEntry.id == first)
                  .values(at=datetime.now(timezone.utc) - timedelta(days=changes.KEEP_DAYS, hours=1)))
    with store.write() as s:
        assert changes.prune(s) == 1
    with store.read() as s:
        assert s.scalar(select(func.min(ChangeLogEntry.id))) > first
        assert s.scalar(select(func.count(ChangeLogEntry.id))) >= 2  # the customer's and the new note's
