"""The access export (PIPL's right of access): everything the store holds about one person.

One file, XLSX (a sheet per table) or JSON (an object per table): the customer row, platform
accounts, orders and their items, notes, profile values, tags, follow-up tasks, survey
answers, the points ledger, level history, live appearances, VIP invitations, possible-duplicate
pairs and the audit entries about them. The export is itself audited (counts and format, not
the file's name: it may carry the person's name).

One person's data is small: the file is built in memory, written beside the target under a
private temporary name and renamed when complete, so no half file takes the real name and
nothing goes through the system's shared temporary folder.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from livedesk.models import (
    Appearance,
    AuditEntry,
    Base,
    Customer,
    CustomerTag,
    Invitation,
    Order,
    OrderItem,
    PossibleDuplicate,
    PrivateSession,
    Tag,
)
from livedesk.services import erasure
from livedesk.services.customers import NotFound

FORMATS = ("xlsx", "json")
ILLEGAL_XLSX = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # control characters XML cannot carry
# The audit detail keys that name customers (merge, dismissals, exports, erasure).
CUSTOMER_KEYS = ("kept", "dropped", "customers", "customer_ids", "customer_id")


class AccessExportError(ValueError):
    """The file cannot be written as asked; the message says why, for a person."""


@dataclass
class AccessExportSummary:
    customer_id: int
    path: str
    format: str
    rows: dict[str, int]  # table -> rows written
    audit_id: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Rows = list[dict[str, Any]]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _where_customer(name: str) -> Callable[[Session, int], Rows]:
    def read(session: Session, customer_id: int) -> Rows:
        t = _table(name)
        order = [t.c[k] for k in ("id", "field", "tag_id") if k in t.c][:1]
        return _dicts(session, select(t).where(t.c.customer_id == customer_id).order_by(*order))

    return read


def _customer(session: Session, customer_id: int) -> Rows:
    t = Customer.__table__
    rows = _dicts(session, select(t).where(t.c.id == customer_id))
    for row in rows:
        row.pop("search_text", None)  # the lookup's own key, derived from the fields above
    return rows


def _orders(session: Session, customer_id: int) -> Rows:
    return _dicts(session, select(Order.__table__).where(Order.customer_id == customer_id).order_by(Order.ordered_at))


def _items(session: Session, customer_id: int) -> Rows:
    t = OrderItem.__table__
    mine = select(Order.id).where(Order.customer_id == customer_id)
    return _dicts(session, select(t).where(t.c.order_id.in_(mine)).order_by(t.c.order_id, t.c.id))


def _tags(session: Session, customer_id: int) -> Rows:
    return [{"tag": name} for name in session.scalars(
        select(Tag.name).join(CustomerTag, CustomerTag.tag_id == Tag.id)
        .where(CustomerTag.customer_id == customer_id).order_by(Tag.name))]


def _invitations(session: Session, customer_id: int) -> Rows:
    t = Invitation.__table__
    statement = (select(t, PrivateSession.title.label("session_title"), PrivateSession.starts_at.label("session_starts_at"))
                 .join(PrivateSession, PrivateSession.id == t.c.session_id)
                 .where(t.c.customer_id == customer_id).order_by(t.c.id))
    return _dicts(session, statement)


def _appearances(session: Session, customer_id: int) -> Rows:
    t = Appearance.__table__
    return _dicts(session, select(t).where(t.c.customer_id == customer_id).order_by(t.c.id))


def _pairs(session: Session, customer_id: int) -> Rows:
    t = PossibleDuplicate.__table__
    return _dicts(session, select(t).where(or_(t.c.customer_id == customer_id, t.c.other_id == customer_id))
                  .order_by(t.c.id))


def _audit(session: Session, customer_id: int) -> Rows:
    """Entries about the customer: on them, naming them in their detail, or holding one of
    their values (an export filtered by their phone)."""
    values = erasure.traces_of(session, customer_id).values
    found = []
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        if ((entry.entity == "customer" and entry.entity_id == str(customer_id))
                or _mentions(entry.detail, customer_id) or erasure.scrub_value(entry.detail, values)[1]):
            found.append({"id": entry.id, "at": entry.at, "actor": entry.actor, "action": entry.action,
                          "entity": entry.entity, "entity_id": entry.entity_id,
                          "detail": json.dumps(entry.detail, ensure_ascii=False)})
    return found


def _mentions(detail: Any, customer_id: int) -> bool:
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in CUSTOMER_KEYS and (value == customer_id or (isinstance(value, list) and customer_id in value)):
                return True
            if isinstance(value, (dict, list)) and _mentions(value, customer_id):
                return True
    elif isinstance(detail, list):
        return any(_mentions(v, customer_id) for v in detail)
    return False


# Sheet (table) -> reader, in the order a person reads them. A test checks every table with a
# foreign key to customers is here.
SECTIONS: dict[str, Callable[[Session, int], Rows]] = {
    "customers": _customer,
    "platform_accounts": _where_customer("platform_accounts"),
    "orders": _orders,
    "order_items": _items,
    "notes": _where_customer("notes"),
    "profile_values": _where_customer("profile_values"),
    "customer_tags": _tags,
    "followup_tasks": _where_customer("followup_tasks"),
    "survey_responses": _where_customer("survey_responses"),
    "points_ledger": _where_customer("points_ledger"),
    "level_changes": _where_customer("level_changes"),
    "appearances": _appearances,
    "invitations": _invitations,
    "possible_duplicates": _pairs,
    "audit_log": _audit,
}


def _dicts(session: Session, statement: Any) -> Rows:
    return [dict(row) for row in session.execute(statement).mappings()]


def collect(session: Session, customer_id: int) -> dict[str, Rows]:
    """Everything about one customer, table by table (plain values)."""
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} does not exist")
    return {name: read(session, customer_id) for name, read in SECTIONS.items()}


def check_target(path: str | os.PathLike[str]) -> tuple[Path, str]:
    target = Path(path).expanduser()
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise AccessExportError(f"{target}: the file name must end in .xlsx or .json")
    if target.is_dir():
        raise AccessExportError(f"{target} is a folder: give a file name ending in .{fmt}")
    if not target.parent.is_dir():
        raise AccessExportError(f"folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise AccessExportError(f"folder {target.parent} cannot be written to")
    return target, fmt


def access_export(session: Session, customer_id: int, path: str | os.PathLike[str], *,
                  actor: str | None = None) -> AccessExportSummary:
    """Write everything about ``customer_id`` to ``path`` (.xlsx or .json) and audit it.
    The caller commits (the audit entry)."""
    target, fmt = check_target(path)
    data = collect(session, customer_id)
    payload = _xlsx(data) if fmt == "xlsx" else _json(data, customer_id)
    rows = {name: len(rows) for name, rows in data.items()}
    entry = AuditEntry(actor=actor, action="access_export", entity="customer", entity_id=str(customer_id),
                       detail={"format": fmt, "rows": rows})
    session.add(entry)
    session.flush()
    _write_atomically(target, payload)
    return AccessExportSummary(customer_id, str(target), fmt, rows, entry.id)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json(data: dict[str, Rows], customer_id: int) -> bytes:
    document = {"customer_id": customer_id, "exported_at": _plain(datetime.now(timezone.utc)),
                "tables": {name: [{k: _plain(v) for k, v in row.items()} for row in rows]
                           for name, rows in data.items()}}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _xlsx(data: dict[str, Rows]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.styles import Font

    book = Workbook()  # in memory: write-only mode spills rows to the shared temporary folder
    book.remove(book.active)
    bold = Font(bold=True)
    for name, rows in data.items():
        sheet = book.create_sheet(name[:31])
        columns = list(rows[0]) if rows else ["(none)"]
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for r, row in enumerate(rows, start=2):
            for c, key in enumerate(columns, start=1):
                value = _plain(row.get(key))
                if isinstance(value, (dict, list)):
                    value = json.dumps(value, ensure_ascii=False)
                if isinstance(value, str):
                    value = ILLEGAL_XLSX.sub("", value)
                cell = sheet.cell(row=r, column=c, value=value)
                if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
                    cell.data_type = "s"  # a value, never a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_atomically(target: Path, payload: bytes) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp's file is private (0600): so is the export
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
