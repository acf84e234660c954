"""The write discipline shared by both backends: who may write, how long a writer waits.

Units of work come in two kinds. A reading unit begins a plain (deferred) transaction. A
writing unit is opened on ``write_engine(engine)``, which marks its connections with the
``livedesk_write`` execution option. On SQLite the adapter then begins with
``BEGIN IMMEDIATE``: it takes the write lock before it reads anything, so it can never find
itself unable to upgrade a read snapshot ("database is locked" at once, which
``busy_timeout`` does not cover). While another connection holds the lock it waits its turn
in short slices, telling ``WritePolicy.on_wait`` how long it has waited, up to
``WritePolicy.limit_s``; then it gives up with ``StoreBusy``. PostgreSQL has row locks and
needs no such turn-taking; work that reads what it then writes uses ``serialize``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

WRITE_OPTION = "livedesk_write"  # execution option carrying a WritePolicy: this connection writes


class StoreBusy(Exception):
    """Another program held the store's write lock for longer than a writer may wait."""

    code = "locked"  # store_problems.LOCKED: worded like any other lock

    def __init__(self, waited_s: float) -> None:
        super().__init__(f"the store stayed busy with another program's writing for {waited_s:.0f} s")
        self.waited_s = waited_s


@dataclass
class WritePolicy:
    """How long a writing unit waits for the write lock, and who hears about the wait.

    ``on_wait(seconds)`` is called from the waiting thread about every 200 ms; the app shows
    "waiting for another writer…", the CLI prints it once.
    """

    limit_s: float = field(default_factory=lambda: float(os.environ.get("LIVEDESK_WRITE_WAIT_S", "120")))
    on_wait: Callable[[float], None] | None = field(default=None)


def write_engine(engine: Engine, policy: WritePolicy) -> Engine:
    """The same engine and pool, with connections that begin as writers."""
    return engine.execution_options(**{WRITE_OPTION: policy})


def serialize(session: Session, name: str) -> None:
    """Make writing units that run ``name`` take turns, for work that reads what it then writes
    (follow-up generation checks which tasks exist, then adds the rest).

    SQLite has one writer at a time already (BEGIN IMMEDIATE); PostgreSQL takes a transaction
    advisory lock, released at commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
