"""Erasing one customer (PIPL's right to deletion), and finding the backups that still hold them.

``erase`` runs in the caller's transaction: every row about the person is deleted (each
foreign key to ``customers.id`` has an entry in ``ERASERS``; a key without one stops the
erasure, as in merges), their orders stay for the accounts with no name, phone, address,
city or link to anyone, and their values are scrubbed from every audit entry. The erasure's
own audit entry holds counts, never the values. After the commit, ``store.scrub_freed_pages``
takes the freed pages out of the file and empties the WAL (see there).

Only the shop owner may erase: ``team.require(session, "erase")`` is the one check, in the
service, so the CLI and every page obey whoever is acting.

The person's identifying values (``Traces``) live in memory only, long enough to scrub the
audit log and to search the backups for them; they are never written anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.orm import Session

from livedesk.models import (
    Appearance,
    AuditEntry,
    Base,
    CommentIntent,
    Customer,
    ImportBatch,
    Order,
    PlatformAccount,
    PossibleDuplicate,
)
from livedesk.models.adapters import sqlcipher
from livedesk.services import backups, sqlite_files, team
from livedesk.services.customers import NotFound

ERASED = "[erased]"  # what a scrubbed value becomes in an audit entry
MIN_TRACE_LENGTH = 2  # a one-character nickname would blank that character in every entry
SCAN_CHUNK = 8 << 20


@dataclass(frozen=True)
class Traces:
    """The person's identifying values, to find them elsewhere. Memory only."""

    values: tuple[str, ...]

    def patterns(self) -> list[bytes]:
        """Every form a value can take on disk: UTF-8 (SQLite's text), UTF-16 (a UTF-16
        store), and JSON's ASCII escapes (how the audit log's JSON keeps Chinese)."""
        found: set[bytes] = set()
        for value in self.values:
            found.add(value.encode("utf-8"))
            found.add(value.encode("utf-16-le"))
            found.add(value.encode("utf-16-be"))
            found.add(json.dumps(value)[1:-1].encode("ascii"))
        return sorted(found, key=len, reverse=True)


@dataclass
class ErasurePlan:
    """What an erasure will do, for the confirmation: the customer and rows per table."""

    customer_id: int
    nickname: str
    deleted: dict[str, int]  # table -> rows deleted
    orders_anonymised: int
    audit_entries_scrubbed: int


@dataclass
class ErasureResult:
    customer_id: int
    deleted: dict[str, int]
    orders_anonymised: int
    audit_entries_scrubbed: int
    audit_id: int
    traces: Traces = field(repr=False)  # for the backup search; never printed or stored

    def as_dict(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "deleted": self.deleted,
                "orders_anonymised": self.orders_anonymised,
                "audit_entries_scrubbed": self.audit_entries_scrubbed, "audit_id": self.audit_id}


# --- what goes ---------------------------------------------------------------------------

Eraser = Callable[[Session, Table, int, Traces, bool], int]  # (..., count only) -> rows


def _rows_of(column: str = "customer_id") -> Eraser:
    def erase_rows(session: Session, table: Table, customer_id: int, _traces: Traces, dry: bool) -> int:
        where = table.c[column] == customer_id
        if dry:
            return int(session.scalar(select(func.count()).select_from(table).where(where)) or 0)
        return session.execute(delete(table).where(where)).rowcount

    return erase_rows


def _pairs(session: Session, table: Table, customer_id: int, _traces: Traces, dry: bool) -> int:
    p = PossibleDuplicate
    where = or_(p.customer_id == customer_id, p.other_id == customer_id)
    if dry:
        return int(session.scalar(select(func.count()).select_from(p).where(where)) or 0)
    return session.execute(delete(p).where(where)).rowcount


def _viewer_rows(model: Any) -> Eraser:
    """Rows keyed by a viewer (appearances, comment intents): theirs, and any unlinked row
    keyed by one of their platform ids."""

    def erase_rows(session: Session, table: Table, customer_id: int, traces: Traces, dry: bool) -> int:
        uids = list(session.scalars(select(PlatformAccount.uid).where(PlatformAccount.customer_id == customer_id,
                                                                      PlatformAccount.uid.is_not(None))))
        where = or_(model.customer_id == customer_id, model.customer_id.is_(None) & model.viewer_key.in_(uids))
        if dry:
            return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)
        return session.execute(delete(model).where(where)).rowcount

    return erase_rows


def _unlink_codes(session: Session, table: Table, customer_id: int, _traces: Traces, dry: bool) -> int:
    """Coupon codes issued to them lose the link but stay issued: a code is never handed out twice."""
    where = table.c["customer_id"] == customer_id
    if dry:
        return int(session.scalar(select(func.count()).select_from(table).where(where)) or 0)
    return session.execute(update(table).where(where).values(customer_id=None)).rowcount


# Every foreign key to customers.id and what an erasure does with it (orders: anonymised
# separately). A test fails when a table gains one that is not here; ``erase`` refuses too.
ERASERS: dict[str, tuple[tuple[str, ...], Eraser]] = {
    "notes": (("customer_id",), _rows_of()),
    "profile_values": (("customer_id",), _rows_of()),
    "customer_tags": (("customer_id",), _rows_of()),
    "followup_tasks": (("customer_id",), _rows_of()),
    "survey_responses": (("customer_id",), _rows_of()),
    "points_ledger": (("customer_id",), _rows_of()),
    "level_changes": (("customer_id",), _rows_of()),
    "invitations": (("customer_id",), _rows_of()),
    "possible_duplicates": (("customer_id", "other_id"), _pairs),
    "appearances": (("customer_id",), _viewer_rows(Appearance)),
    "comment_intents": (("customer_id",), _viewer_rows(CommentIntent)),
    "coupon_codes": (("customer_id",), _unlink_codes),
    "experiment_assignments": (("customer_id",), _rows_of()),
    "platform_accounts": (("customer_id",), _rows_of()),  # last: the appearances need their uids
}
ANONYMISED = {"orders": ("customer_id",)}
# The platform's buyer id too: it names the person's account as surely as a phone does.
ORDER_PERSONAL = {"customer_id": None, "recipient_name": None, "recipient_phone": None, "address": None,
                  "city": None, "buyer_uid": None}


def handled_references() -> set[tuple[str, str]]:
    return ({(t, c) for t, (columns, _e) in ERASERS.items() for c in columns}
            | {(t, c) for t, columns in ANONYMISED.items() for c in columns})


def traces_of(session: Session, customer_id: int) -> Traces:
    """The values that identify the person, wherever they may have been copied."""
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"customer {customer_id} does not exist")
    values: list[Any] = [c.nickname, c.real_name, c.phone, c.phone_masked, c.address, c.consent_note,
                         c.birthday.isoformat() if c.birthday else None]
    for row in session.execute(select(PlatformAccount.uid, PlatformAccount.handle, PlatformAccount.nickname)
                               .where(PlatformAccount.customer_id == customer_id)):
        values.extend(row)
    for row in session.execute(select(Order.recipient_name, Order.recipient_phone, Order.address, Order.buyer_uid)
                               .where(Order.customer_id == customer_id).distinct()):
        values.extend(row)
    kept = {v.strip() for v in values if isinstance(v, str) and len(v.strip()) >= MIN_TRACE_LENGTH}
    return Traces(tuple(sorted(kept, key=len, reverse=True)))


def plan(session: Session, customer_id: int) -> ErasurePlan:
    """What ``erase`` would delete and anonymise; changes nothing."""
    c = session.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"customer {customer_id} does not exist")
    traces = traces_of(session, customer_id)
    deleted = {table: n for table, (_cols, eraser) in ERASERS.items()
               if (n := eraser(session, Base.metadata.tables[table], customer_id, traces, True))}
    orders = int(session.scalar(select(func.count(Order.id)).where(Order.customer_id == customer_id)) or 0)
    scrubbed = sum(1 for _entry, _detail in _scrubbed_audit(session, traces))
    return ErasurePlan(customer_id, c.nickname, deleted, orders, scrubbed)


def erase(session: Session, customer_id: int, *, actor: str | None = None) -> ErasureResult:
    """Erase one customer. The caller commits, then calls ``store.scrub_freed_pages``."""
    team.require(session, "erase")
    backups.before_destructive(session, "before-erase")
    unhandled = _customer_references() - handled_references()
    if unhandled:  # a new table would keep the person's rows (or lose them to a cascade unseen)
        raise RuntimeError("erasure does not know " + ", ".join(f"{t}.{c}" for t, c in sorted(unhandled)))
    if session.get_bind().dialect.name == "sqlite":
        # The engine sets it on connect; said again here because this connection must have it.
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")
    session.flush()
    traces = traces_of(session, customer_id)
    deleted: dict[str, int] = {}
    for table, (_columns, eraser) in ERASERS.items():
        if n := eraser(session, Base.metadata.tables[table], customer_id, traces, False):
            deleted[table] = n
    orders = session.execute(update(Order).where(Order.customer_id == customer_id)
                             .values(**ORDER_PERSONAL)).rowcount
    session.execute(delete(Customer).where(Customer.id == customer_id))
    deleted["customers"] = 1
    scrubbed = 0
    for entry, detail in list(_scrubbed_audit(session, traces)):
        entry.detail = detail
        scrubbed += 1
    for batch, summary in list(_scrubbed_batches(session, traces)):
        batch.summary = summary
    entry = AuditEntry(actor=actor, action="erase", entity="customer", entity_id=str(customer_id),
                       detail={"deleted": deleted, "orders_anonymised": orders, "audit_entries_scrubbed": scrubbed})
    session.add(entry)
    session.flush()
    session.expire_all()
    return ErasureResult(customer_id, deleted, orders, scrubbed, entry.id, traces)


def _customer_references() -> set[tuple[str, str]]:
    return {(table.name, fk.parent.name) for table in Base.metadata.tables.values()
            for fk in table.foreign_keys if fk.column.table.name == "customers"}


def _scrubbed_audit(session: Session, traces: Traces) -> Iterator[tuple[AuditEntry, Any]]:
    """Audit entries whose detail holds one of the values, each with its scrubbed detail.

    Read in Python, not matched in SQL: the JSON column keeps Chinese as ``\\uXXXX`` escapes."""
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.detail.is_not(None))):
        cleaned, changed = scrub_value(entry.detail, traces.values)
        if changed:
            yield entry, cleaned


def _scrubbed_batches(session: Session, traces: Traces) -> Iterator[tuple[ImportBatch, Any]]:
    for batch in session.scalars(select(ImportBatch).where(ImportBatch.summary.is_not(None))):
        cleaned, changed = scrub_value(batch.summary, traces.values)
        if changed:
            yield batch, cleaned


def scrub_value(value: Any, values: Iterable[str]) -> tuple[Any, bool]:
    """``value`` (JSON-like) with every occurrence of ``values`` in its strings and keys
    replaced by ERASED; and whether anything changed."""
    values = tuple(values)

    def clean(text: str) -> str:
        for v in values:  # longest first (Traces sorts them): a phone before its tail
            if v in text:
                text = text.replace(v, ERASED)
        return text

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return clean(node)
        if isinstance(node, dict):
            return {clean(str(k)) if isinstance(k, str) else k: walk(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return [walk(v) for v in node]
        return node

    cleaned = walk(value)
    return cleaned, cleaned != value


# --- backups that still hold the person ------------------------------------------------------


@dataclass(frozen=True)
class BackupHolding:
    path: str
    size: int


def backup_files(store_path: Path) -> list[Path]:
    """The store's backups, oldest first."""
    return sorted(Path(info.path) for info in backups.list_backups(store_path))


def backups_holding(paths: Iterable[Path], traces: Traces) -> list[BackupHolding]:
    """The backup files (with their -wal, if any) in which any of the values occurs.

    A byte search, not a query: a backup can hold a value in free pages that no query sees."""
    patterns = traces.patterns()
    found = []
    for path in paths:
        path = Path(path)
        files = [path, path.with_name(path.name + "-wal")]
        if sqlite_files.is_encrypted(path):
            holds = encrypted_contains(path, patterns)
        else:
            holds = any(f.is_file() and file_contains(f, patterns) for f in files)
        if holds:
            found.append(BackupHolding(str(path), path.stat().st_size))
    return found


def encrypted_contains(path: Path, patterns: list[bytes]) -> bool:
    """An encrypted backup's bytes are ciphertext: search its rows, decrypted with the store's key.

    One that this process cannot decrypt (made under an earlier passphrase) may hold them: listed.
    Its free pages are not searched; they are ciphertext to anyone without the passphrase, and
    the stores LiveDesk backs up zero what they free (``secure_delete``)."""
    try:
        with sqlite_files.opened_ro(path) as conn:
            for table in sqlite_files.user_tables(conn):
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        data = value.encode("utf-8") if isinstance(value, str) else value
                        if isinstance(data, bytes) and any(p in data for p in patterns):
                            return True
    except (sqlcipher.CipherError, *sqlcipher.ERRORS):
        return True
    return False


def file_contains(path: Path, patterns: list[bytes]) -> bool:
    """Whether any pattern occurs in the file, read in chunks that overlap by the longest pattern."""
    if not patterns:
        return False
    overlap = max(len(p) for p in patterns) - 1
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            window = tail + chunk
            if any(p in window for p in patterns):
                return True
            tail = window[-overlap:] if overlap else b""
    return False


def count_occurrences(path: Path, patterns: list[bytes]) -> int:
    """How many times the patterns occur in a file (tests and the kill trials' check)."""
    data = path.read_bytes() if path.is_file() else b""
    return sum(data.count(p) for p in patterns)


def purge_backups(paths: Iterable[str | Path]) -> list[str]:
    """Delete these backup files (and any -wal/-shm beside them). Returns what was removed."""
    removed = []
    for path in map(Path, paths):
        for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            extra.unlink(missing_ok=True)
        if path.exists():
            path.unlink()
            removed.append(str(path))
    return removed
