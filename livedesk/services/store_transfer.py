"""Moving a whole store: between SQLite and PostgreSQL, and through a portable dump.

``copy_store`` copies every row of every table, parents before children (the models'
foreign-key order; the change log ``change_log`` and the team tables too, ids kept, so the
copy's history and its followers' positions stay as they were), into an empty store of either kind, in one transaction on the target,
moves the target's id sequences past the copied ids, and verifies by counting each table on
both sides. ``write_dump`` writes the same rows to a zip (one JSON-lines file per table, a
manifest with the schema revision and the counts) that ``load_dump`` loads into an empty
store of either kind: the owner's backup of a server store that needs no server tools.
The server's own backups are ``pg_dump``'s (docs/team.md).
"""

from __future__ import annotations

import base64
import json
import logging
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.types import Date, DateTime, LargeBinary

from livedesk.models import Base
from livedesk.models.adapters import adapter_for
from livedesk.models.engine import write_engine
from livedesk.services.store import Store, StoreError, current_revision

log = logging.getLogger(__name__)

DUMP_FORMAT = "livedesk-dump"
DUMP_VERSION = 1
DUMP_SUFFIX = ".livedesk-dump.zip"
CHUNK = 5_000  # rows per read and per insert: memory stays flat on a million orders
Progress = Callable[[str, int, int], None]  # (table, rows done, rows in it)
# Tables a new store is born with rows in (the migrations seed the shipped perk catalogue):
# such a store is still empty, and the copied rows replace the seed.
SEEDED = ("perks",)


class TransferError(StoreError):
    """The copy or the load cannot go ahead (target not empty, schema differs, bad dump)."""


@dataclass
class TransferSummary:
    schema: str | None
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows, as counted on the target
    sequences: dict[str, int] = field(default_factory=dict)  # table -> next id (server targets)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def tables() -> list[Table]:
    """Every table of the store, parents before children."""
    return list(Base.metadata.sorted_tables)


def count_rows(conn: Connection) -> dict[str, int]:
    return {t.name: conn.scalar(select(func.count()).select_from(t)) or 0 for t in tables()}


def _check_target(target: Store, schema: str | None) -> None:
    mine = current_revision(target)
    if schema != mine:
        raise TransferError(f"the target is at schema {mine} and the source at {schema}: "
                            "open both with this LiveDesk first, so they are at the same schema")
    with target.engine.connect() as conn:
        busy = {name: n for name, n in count_rows(conn).items() if n and name not in SEEDED}
    if busy:
        listed = ", ".join(f"{name} ({n})" for name, n in sorted(busy.items()))
        raise TransferError(f"the target store is not empty ({listed}); copy into a new, empty store")


# -- store to store ----------------------------------------------------------------------------


def copy_store(source: Store, target: Store, progress: Progress | None = None) -> TransferSummary:
    """Copy every row of ``source`` into the empty ``target`` (either kind, same schema)."""
    schema = current_revision(source)
    _check_target(target, schema)
    report = progress or (lambda _t, _d, _n: None)
    with source.engine.connect() as src, _writer(target).begin() as dst:
        _clear_seed(dst)
        expected = count_rows(src)
        for table in tables():
            total, done = expected[table.name], 0
            report(table.name, 0, total)
            for rows in _chunks(src, table):
                dst.execute(insert(table), rows)
                done += len(rows)
                report(table.name, done, total)
        summary = _finish(dst, schema, expected)
    log.info("copied %d rows into %s", summary.rows, target.engine.url.render_as_string(hide_password=True))
    return summary


def _writer(target: Store) -> Any:
    """The target's engine as a writer: on SQLite the copy holds the write lock from its
    first statement (BEGIN IMMEDIATE, waiting its turn like any writing unit)."""
    return write_engine(target.engine, target.write_policy)


def _clear_seed(conn: Connection) -> None:
    for table in reversed(tables()):  # children first, should a seeded table ever have some
        if table.name in SEEDED:
            conn.execute(table.delete())


def _chunks(conn: Connection, table: Table) -> Iterator[list[dict[str, Any]]]:
    ordered = select(table).order_by(*table.primary_key.columns)
    result = conn.execution_options(yield_per=CHUNK).execute(ordered)
    for part in result.mappings().partitions(CHUNK):
        yield [dict(row) for row in part]


def _finish(conn: Connection, schema: str | None, expected: dict[str, int]) -> TransferSummary:
    """Sequences past the copied ids, then the per-table counts, checked against the source's."""
    sequences = adapter_for(conn).sync_sequences(conn)
    counts = count_rows(conn)
    wrong = {name: (expected.get(name, 0), n) for name, n in counts.items() if n != expected.get(name, 0)}
    if wrong:  # raising rolls the target back: nothing half-copied stays
        listed = ", ".join(f"{name}: {want} expected, {got} written" for name, (want, got) in sorted(wrong.items()))
        raise TransferError(f"the copy does not add up ({listed}); nothing was kept")
    return TransferSummary(schema, counts, sequences)


# -- the portable dump -----------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: Any) -> Callable[[Any], Any] | None:
    kind = column.type
    if isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    return None


def write_dump(store: Store, path: Path, progress: Progress | None = None) -> TransferSummary:
    """Every table as JSON lines in one zip, with a manifest; written beside, then renamed."""
    report = progress or (lambda _t, _d, _n: None)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".part")
    # One repeatable-read snapshot on a server, one read transaction on SQLite: the tables agree.
    with store.engine.connect() as conn:
        conn = conn.execution_options(**adapter_for(conn).SNAPSHOT_OPTIONS)
        with conn.begin():
            schema = _revision(conn)
            counts = count_rows(conn)
            manifest: dict[str, Any] = {"format": DUMP_FORMAT, "version": DUMP_VERSION, "schema": schema,
                                        "written_at": datetime.now(timezone.utc).isoformat(),
                                        "source": conn.dialect.name, "tables": []}
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for n, table in enumerate(tables()):
                    columns = [c.name for c in table.columns]
                    member = f"tables/{n:03d}_{table.name}.jsonl"
                    written = 0
                    with archive.open(member, "w", force_zip64=True) as fh:
                        for rows in _chunks(conn, table):
                            fh.write("".join(json.dumps([_encode(row[c]) for c in columns], ensure_ascii=False)
                                             + "\n" for row in rows).encode("utf-8"))
                            written += len(rows)
                            report(table.name, written, counts[table.name])
                    manifest["tables"].append({"name": table.name, "file": member, "columns": columns,
                                               "rows": written})
                archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    partial.chmod(0o600)  # customers' phones are in it
    partial.replace(path)
    return TransferSummary(schema, {t["name"]: t["rows"] for t in manifest["tables"]})


def backup_to_dump(store: Store, folder: Path | None = None) -> Path:
    """``livedesk backup`` of a server store (or ``--portable``): a dated dump in ``folder``
    (default: backups/ beside the SQLite file, or in the user data folder for a server)."""
    from livedesk.services.store import default_data_dir

    folder = Path(folder) if folder else (store.path.parent if store.path else default_data_dir()) / "backups"
    name = store.path.stem if store.path else (store.engine.url.database or "server")
    target = folder / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}{DUMP_SUFFIX}"
    write_dump(store, target)
    return target


def _revision(conn: Connection) -> str | None:
    if not conn.dialect.has_table(conn, "alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("manifest.json"))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TransferError(f"{path} is not a LiveDesk dump ({exc})") from exc
    if manifest.get("format") != DUMP_FORMAT or manifest.get("version") != DUMP_VERSION:
        raise TransferError(f"{path} is not a LiveDesk dump this version can read")
    return manifest


def is_dump(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def load_dump(path: Path, target: Store, progress: Progress | None = None) -> TransferSummary:
    """Load a dump into the empty ``target`` (either kind), all or nothing, verified by counts."""
    report = progress or (lambda _t, _d, _n: None)
    manifest = read_manifest(path)
    _check_target(target, manifest["schema"])
    known = {t.name: t for t in tables()}
    unknown = [t["name"] for t in manifest["tables"] if t["name"] not in known]
    if unknown:
        raise TransferError(f"{path} has tables this LiveDesk does not know: {', '.join(unknown)}")
    expected = {name: 0 for name in known} | {t["name"]: t["rows"] for t in manifest["tables"]}
    with zipfile.ZipFile(path) as archive, _writer(target).begin() as conn:
        _clear_seed(conn)
        for entry in manifest["tables"]:
            table = known[entry["name"]]
            columns = entry["columns"]
            decoders = [(i, d) for i, c in enumerate(columns) if (d := _decoder(table.c[c])) is not None]
            done, batch = 0, []
            with archive.open(entry["file"]) as fh:
                for line in fh:
                    values = json.loads(line)
                    for i, decode in decoders:
                        values[i] = decode(values[i])
                    batch.append(dict(zip(columns, values)))
                    if len(batch) >= CHUNK:
                        conn.execute(insert(table), batch)
                        done += len(batch)
                        batch = []
                        report(table.name, done, entry["rows"])
            if batch:
                conn.execute(insert(table), batch)
                done += len(batch)
            report(table.name, done, entry["rows"])
        return _finish(conn, manifest["schema"], expected)
