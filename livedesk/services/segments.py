"""Segments: the per-customer caches recomputed from orders and the points ledger.

Owns ``Customer``'s derived columns (order_count, spend, first/last order, points
balance), the RFM scores and segment code, the playbook tier and the membership
level, and the ``LevelChange`` rows written when a level moves. One full recompute
is a handful of set-based queries and pandas column arithmetic (no Python loop per
customer), then executemany UPDATEs of only the rows that changed.

Thresholds come from the ``tiers.rules`` and ``levels`` settings. Times are compared
as naive UTC, which is how ``UTCDateTime`` stores them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, String, bindparam, case, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session

from livedesk.models import Customer, LevelChange, Order, PointsEntry
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import points, settings
from livedesk.services.frames import read_frame

CUSTOMERS = Customer.__table__
ORDERS = Order.__table__
POINTS = PointsEntry.__table__
# Customer columns a recompute owns; a row is written back only if one of them moved.
DERIVED = ("order_count", "total_spent_fen", "spent_12m_fen", "first_order_at", "last_order_at",
           "points_balance", "rfm_segment", "tier", "level")
TIMES = ("first_order_at", "last_order_at")
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
    moved = new.index[(df["level"] != new["level"]).to_numpy()]
    _write(conn, new.loc[changed], now_utc)
    if len(moved):
        conn.execute(insert(LevelChange.__table__), [
            {"customer_id": int(cid), "from_level": old, "to_level": to, "changed_at": now_utc}
            for cid, old, to in zip(moved, df.loc[moved, "level"], new.loc[moved, "level"])
        ])
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


def validate_rules(rules: dict[str, Any], levels: list[dict[str, Any]]) -> None:
    """Refuse rules that cannot mean anything, with the reason."""
    if not 0 < rules["vip_top_share"] <= 1:
        raise ValueError("the VIP share must be more than 0 % and at most 100 %")
    if rules["vip_min_spend_fen"] < 0 or rules["potential_min_orders"] < 1:
        raise ValueError("minimum spend cannot be negative and potential buyers need at least one order")
    if not 0 < rules["active_days"] < rules["lost_days"]:
        raise ValueError("'active within' must be shorter than 'lost after'")
    bounds = [lv["min_spend_fen"] for lv in sorted(levels, key=lambda lv: lv["min_spend_fen"])]
    if any(b <= 0 for b in bounds) or len(set(bounds)) != len(bounds):
        raise ValueError("each membership level needs its own spend threshold above zero")


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


def _raw_time(column: Any) -> Any:
    # Skip the per-row datetime conversion: pandas parses the whole column at once
    # (SQLite returns text, PostgreSQL naive datetimes; both parse the same way).
    return type_coerce(column, String)


def _read(conn: Connection, statement: Any, times: tuple[str, ...] = ()) -> pd.DataFrame:
    return read_frame(conn, statement, times).set_index("id")


def _current(conn: Connection) -> pd.DataFrame:
    c = CUSTOMERS.c
    statement = select(
        c.id, c.order_count, c.total_spent_fen, c.spent_12m_fen,
        _raw_time(c.first_order_at).label("first_order_at"), _raw_time(c.last_order_at).label("last_order_at"),
        c.points_balance, c.rfm_segment, c.tier, c.level,
    )
    return _read(conn, statement, TIMES)


def _order_stats(conn: Connection, now: datetime) -> pd.DataFrame:
    o = ORDERS.c
    statement = (
        select(
            o.customer_id.label("id"),
            func.count().label("n_orders"),
            func.sum(o.total_fen).label("n_total"),
            func.sum(case((o.ordered_at > twelve_months_before(now), o.total_fen), else_=0)).label("n_12m"),
            _raw_time(func.min(o.ordered_at)).label("n_first"),
            _raw_time(func.max(o.ordered_at)).label("n_last"),
        )
        # Orders placed after ``now`` are not known yet at ``now``: a recompute "as of"
        # a past day must give the answer that day would have given.
        .where(o.status.in_(SPEND_STATUSES), o.ordered_at <= now)
        .group_by(o.customer_id)
    )
    return _read(conn, statement, ("n_first", "n_last"))


def _points(conn: Connection) -> pd.DataFrame:
    p = POINTS.c
    statement = select(p.customer_id.label("id"), func.sum(p.delta).label("n_points")).group_by(p.customer_id)
    return _read(conn, statement)


def _quintile(values: pd.Series) -> pd.Series:
    """Scores 1–5 by rank among the given customers; equal values share a score."""
    rank = values.rank(method="min").to_numpy()
    return pd.Series(1 + ((rank - 1) * 5 // len(values)).astype(int), index=values.index)


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
    new = pd.DataFrame(index=df.index)
    new["order_count"] = df["n_orders"].fillna(0).astype("int64")
    new["total_spent_fen"] = df["n_total"].fillna(0).astype("int64")
    new["spent_12m_fen"] = df["n_12m"].fillna(0).astype("int64")
    new["first_order_at"] = df["n_first"]
    new["last_order_at"] = df["n_last"]
    new["points_balance"] = df["n_points"].fillna(0).astype("int64")

    paying = new["order_count"] > 0
    buyers = new[paying]
    days_since = (now - buyers["last_order_at"]).dt.days
    r = _quintile(-days_since).to_numpy()  # more recent ranks higher
    f = _quintile(buyers["order_count"]).to_numpy()
    m = _quintile(buyers["total_spent_fen"]).to_numpy()
    new["rfm_segment"] = pd.Series(_segment(r, (f + m + 1) // 2), index=buyers.index, dtype=object)
    new["rfm_segment"] = new["rfm_segment"].where(paying, None)

    spend_rank = buyers["spent_12m_fen"].rank(ascending=False, method="min")
    top = (spend_rank <= rules["vip_top_share"] * len(buyers)) & (buyers["spent_12m_fen"] >= rules["vip_min_spend_fen"])
    tier = np.select(
        [days_since > rules["lost_days"], top, days_since > rules["active_days"],
         buyers["order_count"] >= rules["potential_min_orders"]],
        ["lost", "vip", "dormant", "potential"],
        default="new",
    )
    new["tier"] = "prospect"
    new.loc[buyers.index, "tier"] = tier

    codes = np.array([NO_LEVEL] + [lv["code"] for lv in levels], dtype=object)
    bounds = np.array([lv["min_spend_fen"] for lv in levels], dtype="int64")
    new["level"] = codes[np.searchsorted(bounds, new["spent_12m_fen"].to_numpy(), side="right")]
    return new


def _changed(old: pd.DataFrame, new: pd.DataFrame) -> pd.Index:
    moved = np.zeros(len(new), dtype=bool)
    for name in DERIVED:
        a, b = old[name], new[name]
        # NaN/NaT/None on both sides is "unchanged"; pandas' != would call it different.
        moved |= ((a != b) & ~(a.isna() & b.isna())).to_numpy()
    return new.index[moved]


def _write(conn: Connection, rows: pd.DataFrame, now: datetime) -> None:
    if rows.empty:
        return
    c = CUSTOMERS.c
    values: dict[str, Any] = {name: bindparam(f"v_{name}") for name in DERIVED}
    # SET sees the old row: level_since moves only when the level does.
    values["level_since"] = case(
        (c.level != bindparam("v_level"), bindparam("v_now", now, type_=c.level_since.type)),
        else_=c.level_since,
    )
    # Recomputed caches are not an edit: updated_at keeps its value (no onupdate).
    values["updated_at"] = c.updated_at
    statement = update(CUSTOMERS).where(c.id == bindparam("v_id")).values(**values)
    columns = [_python_values(rows[name]) for name in DERIVED]
    keys = ["v_id", *(f"v_{name}" for name in DERIVED)]
    conn.execute(statement, [dict(zip(keys, row)) for row in zip(rows.index.tolist(), *columns)])


def _python_values(column: pd.Series) -> list[Any]:
    if pd.api.types.is_datetime64_any_dtype(column):
        aware = column.dt.tz_localize(timezone.utc)
        return [None if pd.isna(v) else v.to_pydatetime() for v in aware]
    if pd.api.types.is_integer_dtype(column):
        return column.astype("int64").tolist()
    return [None if v is None or v != v else v for v in column.tolist()]
