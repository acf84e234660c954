"""Change sets: what a writing unit of work changed (Anki's ``OpChanges``).

Every writing session collects which rows of which tables it touched: ORM objects by
themselves (a flush reports them), bulk statements through the session as "every row of
that table", and work done on a raw connection through ``touch``. Live-room signals that are
not rows (a card pushed to the host panel) are ``emit``-ted as small events. At commit the
set is written to the change log in the same transaction, so another process or machine
reads exactly what this one committed, and never a change that was rolled back; then this
process's listeners hear it. Pages refresh from change sets, never by polling tables.

Rows owned by a customer (notes, tags, orders, tasks…) also mark that customer under
``customer_data``, so a customer page asks ``touches_customer(id)`` while the customer list,
which shows none of them, refreshes only for ``customers`` rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models import ChangeLogEntry

log = logging.getLogger(__name__)

ALL = None  # "every row of this table": too many ids to list, or not known
IDS_PER_TABLE = 200  # past this a table is sent as ALL: a NOTIFY payload and a log row stay small
INFO_KEY = "livedesk_changes"
CUSTOMER_DATA = "customer_data"  # not a table: the customers whose own rows elsewhere changed
UNTRACKED = frozenset({ChangeLogEntry.__tablename__, "alembic_version"})


@dataclass(frozen=True)
class ChangeSet:
    """Tables (with the ids changed, or ``ALL``) and live events of one committed unit of work."""

    tables: Mapping[str, frozenset[int] | None] = field(default_factory=dict)
    events: tuple[Mapping[str, Any], ...] = ()
    actor_id: int | None = None
    origin: str = ""
    seq: int | None = None  # the change log's id; None for a change that was not logged

    def touches(self, table: str, row_id: int | None = None) -> bool:
        if table not in self.tables:
            return False
        ids = self.tables[table]
        return row_id is None or ids is ALL or row_id in ids

    def touches_customer(self, customer_id: int) -> bool:
        """Anything shown on this customer's page: the customer row or rows they own."""
        return self.touches("customers", customer_id) or self.touches(CUSTOMER_DATA, customer_id)

    def touches_any(self, *tables: str) -> bool:
        return any(t in self.tables for t in tables)

    def ids(self, table: str) -> frozenset[int] | None:
        """The changed ids of ``table``: empty if untouched, ``ALL`` if every row may have changed."""
        return self.tables.get(table, frozenset())

    def events_of(self, kind: str) -> list[Mapping[str, Any]]:
        return [e for e in self.events if e.get("kind") == kind]

    def __bool__(self) -> bool:
        return bool(self.tables or self.events)

    def as_payload(self) -> dict[str, Any]:
        return {"tables": {t: (None if ids is ALL else sorted(ids)) for t, ids in self.tables.items()},
                "events": [dict(e) for e in self.events]}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], *, actor_id: int | None, origin: str,
                     seq: int | None) -> ChangeSet:
        tables = {t: (ALL if ids is None else frozenset(ids)) for t, ids in (payload.get("tables") or {}).items()}
        return cls(tables, tuple(payload.get("events") or ()), actor_id, origin, seq)


class _Collector:
    """The changes of one open session, until it commits or rolls back."""

    def __init__(self) -> None:
        self.tables: dict[str, set[int] | None] = {}
        self.events: list[dict[str, Any]] = []

    def add(self, table: str, ids: Iterable[int] | None) -> None:
        if table in UNTRACKED:
            return
        known = self.tables.get(table, set())
        if known is ALL:
            return
        if ids is ALL:
            self.tables[table] = ALL
            return
        known = set(known)
        known.update(int(i) for i in ids if i is not None)
        self.tables[table] = ALL if len(known) > IDS_PER_TABLE else known

    def change_set(self, actor_id: int | None, origin: str, seq: int | None) -> ChangeSet:
        tables = {t: (ALL if ids is ALL else frozenset(ids)) for t, ids in self.tables.items()}
        return ChangeSet(tables, tuple(self.events), actor_id, origin, seq)

    def snapshot(self) -> tuple[dict[str, set[int] | None], list[dict[str, Any]]]:
        return ({t: (ALL if ids is ALL else set(ids)) for t, ids in self.tables.items()}, list(self.events))

    def restore(self, state: tuple[dict[str, set[int] | None], list[dict[str, Any]]]) -> None:
        self.tables, self.events = state

    def __bool__(self) -> bool:
        return bool(self.tables or self.events)


def everything() -> ChangeSet:
    """Every table as changed: what a client re-reads after a time it could not read at all
    (the server was lost), when it cannot know what it missed."""
    from livedesk.models import Base

    names = [t.name for t in Base.metadata.sorted_tables if t.name not in UNTRACKED]
    return ChangeSet({name: ALL for name in [*names, CUSTOMER_DATA]})


def _collector(session: Session) -> _Collector:
    found = session.info.get(INFO_KEY)
    if found is None:
        found = session.info[INFO_KEY] = _Collector()
    return found


def touch(session: Session, table: str, ids: Iterable[int] | None = ALL) -> None:
    """Record a change made without the ORM (a raw or bulk statement): ``ALL`` rows by default."""
    _collector(session).add(table, ids)


def emit(session: Session, kind: str, **data: Any) -> None:
    """A live-room signal (a push to the host panel, an arrival): delivered with the commit."""
    _collector(session).events.append({"kind": kind, **data})


def _object_changes(session: Session) -> None:
    collector = _collector(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        table = getattr(obj, "__tablename__", None)
        if table is None:
            continue
        # The key from the attributes: a new row's identity is only set after this flush.
        key = inspect(obj).mapper.primary_key_from_instance(obj)
        if len(key) == 1 and isinstance(key[0], int):
            collector.add(table, [key[0]])
        elif table not in collector.tables:
            collector.add(table, [])
        owner = getattr(obj, "customer_id", None)
        if isinstance(owner, int) and table != "customers":
            collector.add(CUSTOMER_DATA, [owner])


def install(factory: sessionmaker[Session], origin: str, listeners: list[Callable[[ChangeSet], None]], *,
            before_log: Callable[[Any], None] | None = None,
            notify: Callable[[Any, int], None] | None = None) -> None:
    """Track changes on every session ``factory`` makes, log them at commit, tell ``listeners``.

    ``before_log(connection)`` and ``notify(connection, seq)`` run inside the committing
    transaction, around the log row's insert (PostgreSQL: take the log's turn, then NOTIFY,
    which is delivered at commit and only if it commits).
    """

    @event.listens_for(factory, "after_flush")
    def _after_flush(session: Session, _flush_context: Any) -> None:
        _object_changes(session)

    # A savepoint rolled back (a merge preview) takes its changes with it.
    @event.listens_for(factory, "after_transaction_create")
    def _savepoint(session: Session, transaction: Any) -> None:
        if transaction.nested:
            # Objects still pending are flushed into the enclosing transaction right after this
            # event (new ones' ids are not known yet): count them as the enclosing one's.
            _object_changes(session)
            session.info.setdefault("livedesk_savepoints", {})[transaction] = _collector(session).snapshot()

    @event.listens_for(factory, "after_soft_rollback")
    def _savepoint_rolled_back(session: Session, previous: Any) -> None:
        state = session.info.get("livedesk_savepoints", {}).pop(previous, None)
        if state is not None:
            _collector(session).restore(state)

    @event.listens_for(factory, "after_transaction_end")
    def _transaction_ended(session: Session, transaction: Any) -> None:
        # (A savepoint's snapshot stays until then: SQLAlchemy ends it before it reports its rollback.)
        if transaction.parent is None:  # committed (already reported) or rolled back: start afresh
            session.info.pop("livedesk_savepoints", None)
            session.info.pop(INFO_KEY, None)
            session.info.pop("livedesk_committing", None)

    @event.listens_for(factory, "do_orm_execute")
    def _bulk(state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            if table is not None:
                _collector(state.session).add(table.name, ALL)

    @event.listens_for(factory, "before_commit")
    def _before_commit(session: Session) -> None:
        if session.info.get("read_only"):
            return
        session.flush()
        collector = session.info.get(INFO_KEY)
        if not collector:
            return
        actor = session.info.get("actor")
        actor_id = getattr(actor, "member_id", None)
        payload = collector.change_set(actor_id, origin, None).as_payload()
        connection = session.connection()
        if before_log is not None:
            before_log(connection)
        seq = connection.execute(
            insert(ChangeLogEntry).values(origin=origin, actor_id=actor_id, payload=payload)
            .returning(ChangeLogEntry.id)).scalar_one()
        if notify is not None:
            notify(connection, seq)
        session.info["livedesk_committing"] = collector.change_set(actor_id, origin, seq)

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        committed = session.info.pop("livedesk_committing", None)
        if committed is None:
            return
        session.info["livedesk_committed"] = committed
        for listener in list(listeners):
            try:
                listener(committed)
            except Exception:  # a page that fails to refresh must not undo a commit's report
                log.exception("change listener failed")


def since(session: Session, seq: int, *, limit: int = 1000) -> list[ChangeSet]:
    """Change sets committed after ``seq``, oldest first: what a client that was away missed."""
    rows = session.execute(
        select(ChangeLogEntry.id, ChangeLogEntry.origin, ChangeLogEntry.actor_id, ChangeLogEntry.payload)
        .where(ChangeLogEntry.id > seq).order_by(ChangeLogEntry.id).limit(limit)).all()
    return [ChangeSet.from_payload(p, actor_id=a, origin=o, seq=i) for i, o, a, p in rows]


def latest(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(ChangeLogEntry.id), 0))) or 0


KEEP_DAYS = 7  # how long change sets are kept: a reconnecting client catches up from them


def prune(session: Session, keep_after: Any = None) -> int:
    """Forget change sets older than ``keep_after`` (by default ``KEEP_DAYS`` ago): the live
    room logs arrivals several times a second, so the log would grow without end. A client
    away longer reloads everything (it starts from the newest set when it opens)."""
    if keep_after is None:
        keep_after = datetime.now(timezone.utc) - timedelta(days=KEEP_DAYS)
    return session.execute(delete(ChangeLogEntry).where(ChangeLogEntry.at < keep_after)).rowcount or 0
