"""``livedesk bench team``: two client processes on one store, as a team works live.

Two real app processes (``checks/team_client.py``: the main window offscreen, following the
change feed) open one store: the assistant's and the host's. For each event the host's
client is told what to watch for, then the assistant's client acts:

- ``note_seen``: a note saved on the assistant's client (its worker, a writing unit of work)
  until the host client's open customer page lists it;
- ``push_seen``: a card pushed from the assistant's client (``MainWindow.push_to_panel``)
  until the host panel in the other process shows it.

Times are wall-clock (``time.time()``) in each process: both run on this machine. Events go
one at a time, each after the previous was seen. Both backends: an SQLite file (other
processes hear commits through ``PRAGMA data_version``) and PostgreSQL (LISTEN/NOTIFY): the
server of ``--db-url`` / ``LIVEDESK_DATABASE_URL`` (a scratch database on it), or a throwaway
server from this machine's PostgreSQL binaries; without either, the PostgreSQL half is
reported as skipped, with the reason.
"""

from __future__ import annotations

import argparse
import os
import queue
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from livedesk.checks import bench_stores, pg_server
from livedesk.checks.bench import percentiles

CUSTOMERS = 20  # notes rotate over them: one page with hundreds of notes is not a live room's
WARM_UP = 3  # events of each kind before measuring: first imports, first queries
READY_TIMEOUT_S = 180.0  # two windows starting on a loaded two-core machine
EVENT_TIMEOUT_S = 15.0
GOALS = {"goal_note_seen_p95_ms": 250, "goal_push_seen_p95_ms": 100}


def bench_team(args: argparse.Namespace) -> dict[str, Any]:
    events = max(1, int(getattr(args, "events", None) or 200))
    backends = [b.strip() for b in (getattr(args, "backends", None) or "sqlite,postgresql").split(",") if b.strip()]
    result: dict[str, Any] = {"events": events, "load_1m": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(prefix="livedesk-bench-team-") as folder:
        for backend in backends:
            opener = _sqlite_store if backend == "sqlite" else _postgresql_store
            try:
                with opener(args, Path(folder)) as url:
                    figures = measure(url, events)
            except _Skipped as skipped:
                result[f"{backend}_skipped"] = str(skipped)
                continue
            result.update({f"{backend}_{k}": v for k, v in figures.items()})
    result["load_1m_after"] = round(os.getloadavg()[0], 2)
    return {**result, **GOALS}


class _Skipped(Exception):
    """This backend cannot be measured here; the message says why."""


@contextmanager
def _sqlite_store(_args: argparse.Namespace, folder: Path) -> Iterator[str]:
    from livedesk.services.store import sqlite_url

    yield sqlite_url(folder / "team.sqlite3")


@contextmanager
def _postgresql_store(args: argparse.Namespace, folder: Path) -> Iterator[str]:
    """A scratch database on the given server, or on a throwaway one started here."""
    given = getattr(args, "db_url", None) or os.environ.get("LIVEDESK_DATABASE_URL")
    if given:
        args.db_url = given
        with bench_stores.scratch_store_url(args, folder, "team") as url:
            yield url
        return
    try:
        server = pg_server.ThrowawayServer().start()
    except (pg_server.ServerUnavailable, KeyError, OSError) as exc:
        raise _Skipped(f"no PostgreSQL server: {exc}") from None
    try:
        server.execute("CREATE DATABASE livedesk_team")
        yield server.url("livedesk_team")
    finally:
        server.stop()


def _seed(url: str) -> list[int]:
    from livedesk.services import customers
    from livedesk.services.customers import NewCustomer
    from livedesk.services.store import open_store

    store = open_store(url, create=True)
    try:
        with store.write() as session:
            return [customers.create(session, NewCustomer(nickname=f"团队测试{i:02d}")) for i in range(CUSTOMERS)]
    finally:
        store.dispose()


def measure(url: str, events: int) -> dict[str, Any]:
    """Start both clients on ``url`` (made and seeded here), time ``events`` of each kind."""
    ids = _seed(url)
    with clients(url, 2) as (assistant, host):
        notes = _timed(assistant, host, events, lambda i, tag: (
            ("watch", tag, "note", ids[i % CUSTOMERS], f"{tag} {uuid.uuid4().hex[:6]}"),
            lambda watch: ("note", tag, watch[3], watch[4])))
        pushes = _timed(assistant, host, events, lambda i, tag: (
            ("watch", tag, "card", ids[i % 2]), lambda watch: ("push", tag, watch[3])))
    return {**percentiles(notes.samples, "note_seen_"), "notes_lost": notes.lost,
            **percentiles(pushes.samples, "push_seen_"), "pushes_lost": pushes.lost}


class Client:
    """The driver's end of one client process: commands in, answers sorted by tag."""

    def __init__(self, process: Any, inbox: Any, outbox: Any) -> None:
        self.process, self.inbox, self.outbox = process, inbox, outbox
        self.answers: dict[tuple[str, Any], tuple] = {}
        self.origin: str | None = None

    def send(self, command: tuple) -> None:
        self.inbox.put(command)

    def expect(self, kind: str, tag: Any, timeout: float = EVENT_TIMEOUT_S) -> tuple | None:
        """The answer ``kind`` for ``tag``, or None after ``timeout``; an error answer raises."""
        deadline = time.monotonic() + timeout
        while (kind, tag) not in self.answers:
            if ("error", tag) in self.answers:
                raise RuntimeError(f"client error on {tag}: {self.answers[('error', tag)][2]}")
            left = deadline - time.monotonic()
            if left <= 0 or not self.process.is_alive():
                return None
            try:
                answer = self.outbox.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            self.answers[(answer[0], answer[1])] = answer
        return self.answers.pop((kind, tag))

    def state(self) -> dict[str, Any]:
        tag = f"state-{uuid.uuid4().hex[:8]}"
        self.send(("state", tag))
        answer = self.expect("state", tag)
        if answer is None:
            raise RuntimeError("the client did not answer")
        return answer[2]


@contextmanager
def clients(url: str, count: int, members: list[str | None] | None = None) -> Iterator[list[Client]]:
    """``count`` app processes on ``url``, ready; closed (or killed) afterwards."""
    import multiprocessing as mp

    from livedesk.checks.team_client import run_client

    ctx = mp.get_context("spawn")
    started: list[Client] = []
    try:
        for n in range(count):
            inbox, outbox = ctx.Queue(), ctx.Queue()
            member = members[n] if members else None
            process = ctx.Process(target=run_client, args=(url, inbox, outbox, member), daemon=True)
            process.start()
            started.append(Client(process, inbox, outbox))
        for client in started:
            client.origin = _ready(client)[1]
        yield started
    finally:
        for client in started:
            if client.process.is_alive():
                client.send(("quit",))
        for client in started:
            client.process.join(30)
            if client.process.is_alive():
                client.process.kill()
                client.process.join(5)


def _ready(client: Client) -> tuple:
    try:
        answer = client.outbox.get(timeout=READY_TIMEOUT_S)
    except queue.Empty:
        raise RuntimeError("a client process did not open its window in time") from None
    if answer[0] != "ready":
        raise RuntimeError(f"a client process failed to start: {answer}")
    return answer


class _Timed:
    def __init__(self) -> None:
        self.samples: list[float] = []
        self.lost = 0


def _timed(actor: Client, watcher: Client, events: int,
           make: Callable[[int, str], tuple[tuple, Callable[[tuple], tuple]]]) -> _Timed:
    """Per event: the watcher watches, then the actor acts; action → shown, in ms."""
    timed = _Timed()
    prefix = uuid.uuid4().hex[:6]
    for i in range(WARM_UP + events):
        tag = f"{prefix}-{i}"
        watch, action = make(i, tag)
        watcher.send(watch)
        if watcher.expect("watching", tag) is None:
            raise RuntimeError("the watching client stopped answering")
        actor.send(action(watch))
        did = actor.expect("did", tag)
        seen = watcher.expect("seen", tag)
        if i < WARM_UP:
            continue
        if did is None or seen is None:
            timed.lost += 1
            continue
        timed.samples.append(max(0.0, (seen[2] - did[2]) * 1000))
    return timed
