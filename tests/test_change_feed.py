"""Another process's writes reach this one through the change feed, in order, exactly once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

from livedesk.services import changes, customers
from livedesk.services.change_feed import ChangeFeed
from livedesk.services.customers import NewCustomer

import pytest

# Files, processes and locks of the SQLite store itself: PostgreSQL has its own tests
# (test_server_store.py, test_reconnect.py).
pytestmark = pytest.mark.sqlite_only


def _other_process_writes(path, script: str) -> None:
    code = textwrap.dedent(f"""
        from livedesk.services.store import open_store, sqlite_url
        from livedesk.services import customers, changes
        from pathlib import Path
        store = open_store(sqlite_url(Path({str(path)!r})))
    """) + textwrap.dedent(script)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_notes_written_by_another_process_are_delivered_in_order_and_once(store):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
    with store.read() as s:
        start = changes.latest(s)
    heard: list[changes.ChangeSet] = []
    got = threading.Event()

    def on_changes(found):
        heard.extend(found)
        if sum(c.touches("notes") for c in heard) >= 5:
            got.set()

    feed = ChangeFeed(store.url, store.origin, on_changes, start_after=start)
    feed.start()
    try:
        store.apply(customers.add_note, cid, "mine: never delivered back to me")
        _other_process_writes(store.path, f"""
            for i in range(5):
                with store.write() as s:
                    customers.add_note(s, {cid}, f"from the other laptop {{i}}")
        """)
        assert got.wait(10)
    finally:
        feed.stop()
    seqs = [c.seq for c in heard]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) == 5
    assert all(c.origin != store.origin and c.touches_customer(cid) for c in heard)


def test_a_feed_started_late_catches_up_from_the_log(store):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="李姐"))
    with store.read() as s:
        start = changes.latest(s)
    _other_process_writes(store.path, f"""
        with store.write() as s:
            changes.emit(s, "push", customer_id={cid})
    """)
    heard = []
    feed = ChangeFeed(store.url, store.origin, heard.extend, start_after=start)
    feed.start()
    try:
        deadline = time.monotonic() + 5
        while not heard and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        feed.stop()
    assert [e["customer_id"] for c in heard for e in c.events_of("push")] == [cid]
