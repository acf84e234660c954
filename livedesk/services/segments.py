"""Segments: the per-customer caches recomputed from orders and the points ledger.

Owns ``Customer``'s derived columns (order_count, spend, first/last order, points
balance), the RFM scores and segment code, the playbook tier and the membership
level, and the ``LevelChange`` rows written when a level moves. One full recompute
is a handful of set-based queries and pandas column arithmetic (no Python loop per
customer), then executemany UPDATEs of only the rows that changed.

Thresholds come from the ``tiers.rules`` and ``levels`` settings. Times are compared
as naive UTC, which is how ``UTCDateTime`` stores them, and stay in their storage form
(text on SQLite) from the read to the write: only the last order's time is parsed, for
recency. Columns cross the driver packed (frames.read_columns).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from livedesk.models import Customer, LevelChange, Order, PointsEntry
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import changes, points, settings
from livedesk.services.errors import Refused
from livedesk.services.frames import read_columns

CUSTOMERS = Customer.__table__
ORDERS = Order.__table__
POINTS = PointsEntry.__table__
# Customer columns a recompute owns; a row is written back only if one of them moved.
DERIVED = ("order_count", "total_spent_fen", "spent_12m_fen", "first_order_at", "last_order_at",
           "points_balance", "rfm_segment", "tier", "level")
INTS = ("order_count", "total_spent_fen", "spent_12m_fen", "points_balance")
NO_LEVEL = "none"


@dataclass
class SegmentSummary:
    customers: int
    paying: int
    changed: int  # customer rows written
    level_changes: int
    tiers: dict[str, int] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    segments: dict[str, int] = field(default_factory=dict)
    elapsed_ms: float = 0.0


def as_utc(now: date | datetime | None) -> datetime:
    """The recompute's reference instant: aware UTC. A bare date means its midnight UTC."""
    if now is None:
        return datetime.now(timezone.utc)
    if not isinstance(now, datetime):
        return datetime(now.year, now.month, now.day, tzinfo=timezone.utc)
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware time")
    return now.astimezone(timezone.utc)


def twelve_months_before(now: datetime) -> datetime:
    """Same calendar day a year earlier (29 Feb falls back to 28 Feb)."""
    try:
        return now.replace(year=now.year - 1)
    except ValueError:
        return now.replace(year=now.year - 1, day=28)


def recompute(session: Session, now: date | datetime | None = None) -> SegmentSummary:
    """Recompute every customer's caches, tier and level as of ``now``; the caller commits."""
    started = time.perf_counter()
    now_utc = as_utc(now)
    rules = settings.get(session, "tiers.rules")
    levels = sorted(settings.get(session, "levels"), key=lambda lv: lv["min_spend_fen"])
    conn = session.connection()

    df = _current(conn).join(_order_stats(conn, now_utc), how="left").join(_points(conn), how="left")
    new = _derive(df, pd.Timestamp(now_utc.replace(tzinfo=None)), rules, levels)

    changed = _changed(df, new)
    _write(conn, new.loc[changed], now_utc)
    moved = _record_level_changes(conn, df, new, now_utc)
    _touched(session, changed, moved)
    session.expire_all()  # ORM objects loaded earlier must not shadow the rows just written
    return SegmentSummary(
        customers=len(new),
        paying=int((new["order_count"] > 0).sum()),
        changed=len(changed),
        level_changes=len(moved),
        tiers=_counts(new["tier"]),
        levels=_counts(new["level"]),
        segments=_counts(new["rfm_segment"].dropna()),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def recompute_customers(session: Session, ids: list[int], now: date | datetime | None = None) -> None:
    """Recompute only these customers' caches, tier and level (after a merge moved orders and points).

    Their figures are read fresh from orders and the ledger; everyone else counts with the
    figures of the last full recompute, so ranks (VIP share, RFM quintiles) are the ones the
    rest of the store shows. A fraction of a full recompute's time; the caller commits.
    """
    if not ids:
        return
    now_utc = as_utc(now)
    rules = settings.get(session, "tiers.rules")
    levels = sorted(settings.get(session, "levels"), key=lambda lv: lv["min_spend_fen"])
    conn = session.connection()
    df = _current(conn)
    stats = pd.DataFrame({
        "n_orders": df["order_count"], "n_total": df["total_spent_fen"], "n_12m": df["spent_12m_fen"],
        "n_first": df["first_order_at"], "n_last": df["last_order_at"], "n_points": df["points_balance"],
    }).astype({"n_orders": "float64", "n_total": "float64", "n_12m": "float64", "n_points": "float64"})
    mine = stats.index.isin(ids)
    fresh = (pd.DataFrame(index=stats.index[mine]).join(_order_stats(conn, now_utc, ids), how="left")
             .join(_points(conn, ids), how="left"))
    stats.loc[mine] = fresh[stats.columns]
    new = _derive(df.join(stats), pd.Timestamp(now_utc.replace(tzinfo=None)), rules, levels)
    new, df = new.loc[mine], df.loc[mine]
    changed = _changed(df, new)
    _write(conn, new.loc[changed], now_utc)
    _touched(session, changed, _record_level_changes(conn, df, new, now_utc))
    session.expire_all()


def _touched(session: Session, changed: pd.Index, moved: pd.Index) -> None:
    """The change set of a recompute: written on the raw connection, so said here."""
    if len(changed):
        changes.touch(session, "customers", changed.tolist())
    if len(moved):
        changes.touch(session, "level_changes")


def preview(session: Session, rules: dict[str, Any], levels: list[dict[str, Any]],
            now: date | datetime | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """How many customers each tier and level would hold under these rules; nothing is written."""
    validate_rules(rules, levels)
    now_utc = as_utc(now)
    conn = session.connection()
    df = _current(conn).join(_order_stats(conn, now_utc), how="left").join(_points(conn), how="left")
    new = _derive(df, pd.Timestamp(now_utc.replace(tzinfo=None)), rules,
                  sorted(levels, key=lambda lv: lv["min_spend_fen"]))
    return _counts(new["tier"]), _counts(new["level"])


class RulesError(Refused):
    """Tier or level rules that cannot mean anything; ``code`` says which."""


def validate_rules(rules: dict[str, Any], levels: list[dict[str, Any]]) -> None:
    """Refuse rules that cannot mean anything, with the reason."""
    if not 0 < rules["vip_top_share"] <= 1:
        raise RulesError("vip_share", "the VIP share must be more than 0 % and at most 100 %")
    if rules["vip_min_spend_fen"] < 0 or rules["potential_min_orders"] < 1:
        raise RulesError("minimums", "minimum spend cannot be negative and potential buyers need at least one order")
    if not 0 < rules["active_days"] < rules["lost_days"]:
        raise RulesError("active_lost", "'active within' must be shorter than 'lost after'")
    bounds = [lv["min_spend_fen"] for lv in sorted(levels, key=lambda lv: lv["min_spend_fen"])]
    if any(b <= 0 for b in bounds) or len(set(bounds)) != len(bounds):
        raise RulesError("levels", "each membership level needs its own spend threshold above zero")


def save_rules(session: Session, rules: dict[str, Any], levels: list[dict[str, Any]],
               now: date | datetime | None = None) -> SegmentSummary:
    """Store new rules for the whole team and recompute everyone under them."""
    validate_rules(rules, levels)
    settings.set_value(session, "tiers.rules", rules)
    settings.set_value(session, "levels", levels)
    return recompute(session, now)


def recompute_if_stale(
    session: Session, today: date, now: date | datetime | None = None, *, force: bool = False
) -> SegmentSummary | None:
    """Recompute once per local day (``today``): RFM recency and rolling spend move with the calendar."""
    if not force and settings.get(session, "segments.computed_on") == today.isoformat():
        return None
    points.settle_orders(session)  # orders paid or refunded since: their growth value first
    summary = recompute(session, now)
    settings.set_value(session, "segments.computed_on", today.isoformat())
    return summary


def _counts(column: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in column.value_counts().sort_index().items()}


def _read(conn: Connection, statement: Any, ints: tuple[str, ...]) -> pd.DataFrame:
    """A frame indexed by customer id, values in storage form: ints as int64, the rest
    (codes, times: text on SQLite, datetimes on PostgreSQL) as objects with None for NULL."""
    columns = read_columns(conn, statement, ints=("id", *ints))
    index = pd.Index(columns.pop("id"), name="id")
    return pd.DataFrame({name: pd.Series(values, index=index, dtype=values.dtype, copy=False)
                         for name, values in columns.items()}, index=index)


def _current(conn: Connection) -> pd.DataFrame:
    c = CUSTOMERS.c
    statement = select(c.id, *(c[name] for name in DERIVED))
    return _read(conn, statement, INTS)


def _order_stats(conn: Connection, now: datetime, ids: list[int] | None = None) -> pd.DataFrame:
    o = ORDERS.c
    statement = (
        select(
            o.customer_id.label("id"),
            func.count().label("n_orders"),
            func.sum(o.total_fen).label("n_total"),
            # FILTER, not SUM(CASE …): one comparison fewer per order on SQLite.
            func.coalesce(func.sum(o.total_fen).filter(o.ordered_at > twelve_months_before(now)), 0).label("n_12m"),
            func.min(o.ordered_at).label("n_first"),
            func.max(o.ordered_at).label("n_last"),
        )
        # Orders placed after ``now`` are not known yet at ``now``: a recompute "as of"
        # a past day must give the answer that day would have given.
        .where(o.status.in_(SPEND_STATUSES), o.ordered_at <= now,
               o.customer_id.is_not(None))  # an unknown buyer's orders count for the shop, not a person
        .group_by(o.customer_id)
    )
    if ids is not None:
        statement = statement.where(o.customer_id.in_(ids))
    return _read(conn, statement, ("n_orders", "n_total", "n_12m"))


def _points(conn: Connection, ids: list[int] | None = None) -> pd.DataFrame:
    p = POINTS.c
    statement = select(p.customer_id.label("id"), func.sum(p.delta).label("n_points")).group_by(p.customer_id)
    if ids is not None:
        statement = statement.where(p.customer_id.in_(ids))
    return _read(conn, statement, ("n_points",))


def _quintile(values: np.ndarray) -> np.ndarray:
    """Scores 1–5 by rank among the given customers; equal values share a score."""
    rank = pd.Series(values).rank(method="min").to_numpy()
    return 1 + ((rank - 1) * 5 // len(values)).astype(int)


def _segment(r: np.ndarray, fm: np.ndarray) -> np.ndarray:
    """The classic recency × frequency/monetary grid of RFM segment codes."""
    rules = [
        ("champions", (r == 5) & (fm >= 4)),
        ("loyal", (r >= 3) & (fm >= 4)),
        ("new", (r == 5) & (fm == 1)),
        ("promising", (r == 4) & (fm == 1)),
        ("potential_loyalist", r >= 4),
        ("need_attention", r == 3),
        ("cant_lose", fm == 5),
        ("at_risk", fm >= 3),
        ("hibernating", r == 2),
    ]
    return np.select([cond for _, cond in rules], [code for code, _ in rules], default="lost")


def _derive(df: pd.DataFrame, now: pd.Timestamp, rules: dict[str, Any], levels: list[dict[str, Any]]) -> pd.DataFrame:
    """Each customer's derived columns from their order and ledger figures (``n_*``, NaN
    for none); times stay in the storage form they were read in."""
    order_count = _ints(df["n_orders"])
    total = _ints(df["n_total"])
    spent_12m = _ints(df["n_12m"])
    paying = order_count > 0
    buyers = np.flatnonzero(paying)

    last = _objects(df["n_last"])
    last_at = last[buyers].astype("datetime64[us]")
    days_since = (np.datetime64(now.to_datetime64(), "us") - last_at) // np.timedelta64(1, "D")
    r = _quintile(-days_since)  # more recent ranks higher
    f = _quintile(order_count[buyers])
    m = _quintile(total[buyers])
    rfm_segment = np.full(len(df), None, dtype=object)
    rfm_segment[buyers] = _segment(r, (f + m + 1) // 2)

    spend = spent_12m[buyers]
    spend_rank = pd.Series(spend).rank(ascending=False, method="min").to_numpy()
    top = (spend_rank <= rules["vip_top_share"] * len(buyers)) & (spend >= rules["vip_min_spend_fen"])
    tier = np.full(len(df), "prospect", dtype=object)
    tier[buyers] = np.select(
        [days_since > rules["lost_days"], top, days_since > rules["active_days"],
         order_count[buyers] >= rules["potential_min_orders"]],
        ["lost", "vip", "dormant", "potential"],
        default="new",
    )

    codes = np.array([NO_LEVEL] + [lv["code"] for lv in levels], dtype=object)
    bounds = np.array([lv["min_spend_fen"] for lv in levels], dtype="int64")
    columns = {
        "order_count": order_count,
        "total_spent_fen": total,
        "spent_12m_fen": spent_12m,
        "first_order_at": _objects(df["n_first"]),
        "last_order_at": last,
        "points_balance": _ints(df["n_points"]),
        "rfm_segment": rfm_segment,
        "tier": tier,
        "level": codes[np.searchsorted(bounds, spent_12m, side="right")],
    }
    return pd.DataFrame({name: pd.Series(values, index=df.index, dtype=values.dtype, copy=False)
                         for name, values in columns.items()}, index=df.index)


def _ints(column: pd.Series) -> np.ndarray:
    return column.fillna(0).to_numpy(dtype="int64")


def _objects(column: pd.Series) -> np.ndarray:
    """Object values with None for missing (a left join leaves NaN)."""
    values = column.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values


def _record_level_changes(conn: Connection, old: pd.DataFrame, new: pd.DataFrame, now: datetime) -> pd.Index:
    moved = new.index[(old["level"] != new["level"]).to_numpy()]
    if len(moved):
        conn.execute(insert(LevelChange.__table__), [
            {"customer_id": int(cid), "from_level": was, "to_level": to, "changed_at": now}
            for cid, was, to in zip(moved, old.loc[moved, "level"], new.loc[moved, "level"])
        ])
    return moved


def _changed(old: pd.DataFrame, new: pd.DataFrame) -> pd.Index:
    moved = np.zeros(len(new), dtype=bool)
    for name in DERIVED:
        a, b = old[name].to_numpy(), new[name].to_numpy()
        differ = a != b
        if a.dtype == object or b.dtype == object:
            # None/NaN on both sides is "unchanged"; != calls NaN different. Checked only
            # where the values differ: usually a handful of rows.
            suspects = np.flatnonzero(differ)
            differ[suspects[pd.isna(a[suspects]) & pd.isna(b[suspects])]] = False
        moved |= differ
    return new.index[moved]


def _write(conn: Connection, rows: pd.DataFrame, now: datetime) -> None:
    """UPDATE the changed rows through the driver's executemany, values in storage form
    (SQLAlchemy's per-row bind processing would cost more than the UPDATEs)."""
    if rows.empty:
        return
    c = CUSTOMERS.c
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in DERIVED}
    # SET sees the old row: level_since moves only when the level does.
    values["level_since"] = case((c.level != bindparam("v_level"), bindparam("v_now")), else_=c.level_since)
    # Recomputed caches are not an edit: updated_at keeps its value (no onupdate).
    values["updated_at"] = c.updated_at
    compiled = update(CUSTOMERS).where(c.id == bindparam("v_id")).values(**values).compile(dialect=conn.dialect)
    stored_now = c.level_since.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    params = {"v_id": rows.index.tolist(), "v_now": [stored_now(now) if stored_now else now] * len(rows)}
    for name in DERIVED:
        column = rows[name]
        params[f"v_{name}"] = column.tolist() if column.dtype != object else _objects(column).tolist()
    if compiled.positional:
        order = compiled.positiontup or []
        conn.exec_driver_sql(compiled.string, list(zip(*(params[key] for key in order))))
    else:
        keys = list(params)
        conn.exec_driver_sql(compiled.string, [dict(zip(keys, row)) for row in zip(*params.values())])
