"""The 看板 figures: customers and GMV by tier, repurchase, AOV, cohort retention,
active vs lapsed, follow-up SLA and NPS — each for a date range, as DataFrames.

Two speeds. ``overview`` is cheap: the tiers already stored on customers and the small
tables (follow-ups, surveys, private sessions), set-based SQL, milliseconds on any store;
the page paints it first. Every order figure needs the paid orders themselves: they are
read once into ``OrderFacts`` (customer, local month, fen: numpy arrays, the columns
packed across the driver), and all order figures for any date range are then
vectorised slices of it, so changing the range on the page costs no query. Months are
the shop's local months (``shop.utc_offset_hours``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from livedesk.models import Customer, FollowUpTask, Order, SurveyResponse
from livedesk.models.engine import utc_hour
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import settings
from livedesk.services.frames import read_columns
from livedesk.services.periods import Period, month_label

TIER_ORDER = ("vip", "potential", "new", "dormant", "lost", "prospect")
AVERAGE_MONTH_DAYS = 30.44


@dataclass(frozen=True)
class OrderFacts:
    """Every paid order of a known customer: whose, which local month, how much; and the
    paid orders nobody is attached to yet (an export withheld the buyer), which count in
    the orders and GMV but in no buyer figure. Sorted by nothing."""

    customer: np.ndarray  # int64 customer ids
    month: np.ndarray  # int64 local month numbers
    fen: np.ndarray  # int64 order totals
    day: np.ndarray  # datetime64[D] local days, for day-precise period edges
    buyer: np.ndarray  # int64 per order: its buyer's position in ``first``
    first: np.ndarray  # int64 per buyer: the local month of their first paid order ever (their cohort)
    people: np.ndarray  # int64 every customer id, ascending
    people_tiers: np.ndarray  # today's tier of each of ``people`` (object)
    offset_hours: int
    load_ms: float
    unknown_month: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))  # orders without a buyer
    unknown_fen: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    unknown_day: np.ndarray = field(default_factory=lambda: np.empty(0, "datetime64[D]"))

    def first_month(self) -> pd.Series:
        """Each buyer's cohort, by customer id."""
        buyers = np.empty(len(self.first), np.int64)
        buyers[self.buyer] = self.customer
        return pd.Series(self.first, index=buyers).sort_index()

    def within(self, period: Period, days: np.ndarray | None = None) -> np.ndarray:
        start, end = np.datetime64(period.start, "D"), np.datetime64(period.end, "D")
        days = self.day if days is None else days
        return (days >= start) & (days <= end)


def load_facts(session: Session) -> OrderFacts:
    started = time.perf_counter()
    offset = int(settings.get(session, "shop.utc_offset_hours"))
    conn = session.connection()
    o = Order.__table__.c
    # Customer ids start at 1: 0 stands for "nobody yet" across the packed read.
    statement = select(func.coalesce(o.customer_id, 0).label("customer_id"), utc_hour(o.ordered_at).label("hour"),
                       o.total_fen).where(o.status.in_(SPEND_STATUSES))
    orders = read_columns(conn, statement, ints=("customer_id", "total_fen"))
    # The hour strings repeat, so each is parsed once (pd.factorize), not per order.
    codes, unique_hours = pd.factorize(orders["hour"])
    local = pd.to_datetime(pd.Series(unique_hours, dtype=object), format="%Y-%m-%d %H") + pd.Timedelta(hours=offset)
    local_days = local.to_numpy().astype("datetime64[D]")
    local_months = local.to_numpy().astype("datetime64[M]").astype(np.int64)
    month, day = local_months[codes], local_days[codes]
    nobody = orders["customer_id"] == 0
    unknown = {"unknown_month": month[nobody], "unknown_fen": orders["total_fen"][nobody],
               "unknown_day": day[nobody]}
    if nobody.any():
        known = ~nobody
        orders = {name: column[known] for name, column in orders.items()}
        month, day = month[known], day[known]
    buyer, _ids = pd.factorize(orders["customer_id"])
    first = np.full(len(_ids), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first, buyer, month)
    c = Customer.__table__.c
    people = read_columns(conn, select(c.id, c.tier), ints=("id",))
    by_id = np.argsort(people["id"], kind="stable")  # ``tiers`` looks customers up by bisection
    return OrderFacts(
        customer=orders["customer_id"],
        month=month,
        fen=orders["total_fen"],
        day=day,
        buyer=buyer.astype(np.int64),
        first=first,
        people=people["id"][by_id],
        people_tiers=people["tier"][by_id],
        offset_hours=offset,
        load_ms=round((time.perf_counter() - started) * 1000, 1),
        **unknown,
    )


def monthly(facts: OrderFacts, period: Period) -> pd.DataFrame:
    """Per month: orders, buyers, GMV, average order value, repeat buyers and repurchase rate.

    A repeat buyer bought that month and had first bought in an earlier month. Orders whose
    buyer is not known yet count in orders, GMV and AOV (``unknown_orders`` of them), in
    no buyer figure.
    """
    months = period.month_numbers()
    keep = facts.within(period)
    slot = facts.month[keep] - months[0]  # a day in the period is in one of its months
    span = len(months)
    pairs = pd.unique(facts.buyer[keep] * span + slot)  # each buyer once per month
    buyer, pair_slot = np.divmod(pairs, span)
    repeat = facts.first[buyer] < pair_slot + months[0]
    out = pd.DataFrame(index=pd.Index(months, name="number"))
    nobody = facts.within(period, facts.unknown_day)
    nobody_slot = facts.unknown_month[nobody] - months[0]
    unknown_orders = np.bincount(nobody_slot, minlength=span)
    out["orders"] = np.bincount(slot, minlength=span) + unknown_orders
    out["gmv_fen"] = (np.bincount(slot, weights=facts.fen[keep], minlength=span)
                      + np.bincount(nobody_slot, weights=facts.unknown_fen[nobody], minlength=span)).round()
    out["unknown_orders"] = unknown_orders
    out["buyers"] = np.bincount(pair_slot, minlength=span)
    out["repeat_buyers"] = np.bincount(pair_slot[repeat], minlength=span)
    out = out.astype("int64")
    out["aov_fen"] = (out["gmv_fen"] // out["orders"].where(out["orders"] > 0)).fillna(0).astype("int64")
    out["repurchase_ratio"] = (out["repeat_buyers"] / out["buyers"].where(out["buyers"] > 0)).fillna(0.0)
    out.insert(0, "month", [month_label(int(n)) for n in out.index])
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Headline:
    """The period's figures at the top of 看板; a rate is None when nothing could be measured."""

    gmv_fen: int
    buyers: int
    repurchase_ratio: float | None  # buyers of the period who had bought before, or twice in it
    nps: float | None
    on_time_ratio: float | None


def headline(facts: OrderFacts, period: Period, sla: pd.DataFrame, scores: pd.DataFrame) -> Headline:
    keep = facts.within(period)
    buyers = np.unique(facts.buyer[keep])
    until_end = facts.day <= np.datetime64(period.end, "D")
    orders_so_far = np.bincount(facts.buyer[until_end], minlength=len(facts.first))
    answers, due = int(scores["responses"].sum()), int(sla["due"].sum())
    return Headline(
        gmv_fen=int(facts.fen[keep].sum()),
        buyers=len(buyers),
        repurchase_ratio=float((orders_so_far[buyers] >= 2).mean()) if len(buyers) else None,
        nps=float((scores["promoters"].sum() - scores["detractors"].sum()) * 100 / answers) if answers else None,
        on_time_ratio=float(sla["on_time"].sum() / due) if due else None,
    )


def cohorts(facts: OrderFacts, period: Period) -> pd.DataFrame:
    """Rows: cohorts whose first purchase falls in the period; columns: months since (0, 1…);
    values: the share of the cohort that bought in that month (up to the period's end)."""
    months = period.month_numbers()
    span = len(months)
    keep = facts.month <= months[-1]
    cohort_of_order = facts.first[facts.buyer[keep]]
    keep[keep] = (cohort_of_order >= months[0]) & (cohort_of_order <= months[-1])
    # Each buyer once per month: (buyer, months since the period's first month).
    pairs = pd.unique(facts.buyer[keep] * span + (facts.month[keep] - months[0]))
    buyer, slot = np.divmod(pairs, span)
    row = facts.first[buyer] - months[0]
    since = slot - row
    if len(pairs) == 0:
        return pd.DataFrame(index=pd.Index([], name="cohort"))
    counts = np.bincount(row * span + since, minlength=span * span).reshape(span, span)
    rows, columns = np.flatnonzero(counts[:, 0]), np.flatnonzero(counts.any(axis=0))
    matrix = pd.DataFrame(counts[np.ix_(rows, columns)], index=pd.Index(months[rows], name="cohort"),
                          columns=pd.Index(columns, name="since"))
    matrix = matrix.div(matrix[0], axis=0)
    matrix.index = pd.Index([month_label(int(n)) for n in matrix.index], name="cohort")
    return matrix


def activity(facts: OrderFacts, period: Period, rules: dict) -> pd.DataFrame:
    """At each month's end: buyers so far who are active (bought within ``active_days``),
    dormant, or lost (nothing for ``lost_days``), by whole months."""
    months = period.month_numbers()
    frame = pd.DataFrame({"month": period.months(), "active": 0, "dormant": 0, "lost": 0})
    keep = facts.month <= months[-1]
    if not keep.any():
        return frame
    buyer = facts.buyer[keep]
    base = int(min(facts.month[keep].min(), months[0]))
    number = facts.month[keep] - base
    grid = np.full((len(facts.first), months[-1] - base + 1), -1, dtype=np.int32)
    grid[buyer, number] = number
    ends = months - base
    last = np.maximum.accumulate(grid, axis=1)[:, ends]  # each buyer's latest purchase month so far
    bought = last >= 0
    gap = np.where(bought, ends - last, 0)
    active = bought & (gap <= rules["active_days"] / AVERAGE_MONTH_DAYS)
    lost = bought & (gap > rules["lost_days"] / AVERAGE_MONTH_DAYS)
    frame["active"] = active.sum(axis=0)
    frame["lost"] = lost.sum(axis=0)
    frame["dormant"] = bought.sum(axis=0) - frame["active"] - frame["lost"]
    return frame


def tier_counts(session: Session) -> pd.DataFrame:
    """Customers per tier, as the last recompute stored them: the cheap half of ``tiers``."""
    rows = dict(session.execute(select(Customer.tier, func.count()).group_by(Customer.tier)).all())
    return _tier_frame({t: int(rows.get(t, 0)) for t in TIER_ORDER}, None)


def _tier_frame(customers: dict[str, int], gmv: dict[str, int] | None) -> pd.DataFrame:
    frame = pd.DataFrame({"tier": list(TIER_ORDER), "customers": [customers[t] for t in TIER_ORDER]})
    if gmv is not None:
        frame["gmv_fen"] = [gmv[t] for t in TIER_ORDER]
    for column, ratio in (("customers", "customers_ratio"), ("gmv_fen", "gmv_ratio")):
        if column in frame:
            total = frame[column].sum()
            frame[ratio] = frame[column] / total if total else 0.0
    return frame


def tiers(facts: OrderFacts, period: Period) -> pd.DataFrame:
    """Per tier (today's tiers): customers, GMV in the period, and each one's share."""
    keep = facts.within(period)
    codes = pd.Categorical(facts.people_tiers, categories=TIER_ORDER).codes  # -1: not a dashboard tier
    counts = np.bincount(codes[codes >= 0], minlength=len(TIER_ORDER))
    customer = facts.customer[keep]
    order_codes = np.full(len(customer), -1, np.int64)
    if len(facts.people):
        at = np.minimum(np.searchsorted(facts.people, customer), len(facts.people) - 1)
        found = facts.people[at] == customer
        order_codes[found] = codes[at[found]]
    known = order_codes >= 0
    gmv = pd.Series(facts.fen[keep][known]).groupby(order_codes[known]).sum()
    return _tier_frame({t: int(counts[i]) for i, t in enumerate(TIER_ORDER)},
                       {t: int(gmv.get(i, 0)) for i, t in enumerate(TIER_ORDER)})


def _by_month(session: Session, period: Period, column, *measures) -> pd.DataFrame:
    """Small tables (tasks, surveys): bucket in pandas after a range query."""
    offset = int(settings.get(session, "shop.utc_offset_hours"))
    start, end = period.utc_bounds(offset)
    rows = session.execute(select(column, *measures).where(column >= start, column < end)).all()
    frame = pd.DataFrame(rows, columns=["at", *(f"m{i}" for i in range(len(measures)))])
    if frame.empty:
        frame["number"] = pd.Series(dtype="int64")
    else:
        local = pd.to_datetime(frame["at"], utc=True) + pd.Timedelta(hours=offset)
        frame["number"] = local.dt.tz_localize(None).to_numpy().astype("datetime64[M]").astype(np.int64)
    return frame


def followup_sla(session: Session, period: Period) -> pd.DataFrame:
    """Per month of the SLA deadline: tasks with a deadline, done in time, and the ratio."""
    on_time = case((and_(FollowUpTask.done_at.is_not(None), FollowUpTask.done_at <= FollowUpTask.sla_due_at), 1),
                   else_=0)
    raw = _by_month(session, period, FollowUpTask.sla_due_at, on_time)
    grouped = raw.groupby("number")
    out = pd.DataFrame(index=pd.Index(period.month_numbers(), name="number"))
    out["due"] = grouped.size()
    out["on_time"] = grouped["m0"].sum()
    out = out.fillna(0).astype("int64")
    out["on_time_ratio"] = (out["on_time"] / out["due"].where(out["due"] > 0)).fillna(0.0)
    out.insert(0, "month", period.months())
    return out.reset_index(drop=True)


def nps(session: Session, period: Period) -> pd.DataFrame:
    """Per month: survey answers, promoters (9–10), detractors (0–6) and NPS (−100…100)."""
    raw = _by_month(session, period, SurveyResponse.answered_at, SurveyResponse.score)
    raw["promoter"] = raw["m0"] >= 9
    raw["detractor"] = raw["m0"] <= 6
    grouped = raw.groupby("number")
    out = pd.DataFrame(index=pd.Index(period.month_numbers(), name="number"))
    out["responses"] = grouped.size()
    out["promoters"] = grouped["promoter"].sum()
    out["detractors"] = grouped["detractor"].sum()
    out = out.fillna(0).astype("int64")
    answered = out["responses"].where(out["responses"] > 0)
    out["nps"] = ((out["promoters"] - out["detractors"]) * 100 / answered).fillna(0.0)
    out.insert(0, "month", period.months())
    return out.reset_index(drop=True)


def private_sessions(session: Session, period: Period) -> pd.DataFrame:
    """Per private session in the period: invited, attended, and what each group bought after."""
    from livedesk.services import vip_sessions

    start, end = period.utc_bounds(int(settings.get(session, "shop.utc_offset_hours")))
    rows = []
    for view in reversed(vip_sessions.sessions(session)):
        if not start <= view.starts_at < end:
            continue
        r = vip_sessions.report(session, view.id)
        rows.append({"session": view.title, "invited": r.invited, "attended": r.attended,
                     "attendee_gmv_fen": r.attendee_gmv_fen, "absent_gmv_fen": r.absent_gmv_fen,
                     "attendee_conversion_ratio": r.attendee_conversion,
                     "absent_conversion_ratio": r.absent_conversion})
    columns = ["session", "invited", "attended", "attendee_gmv_fen", "absent_gmv_fen",
               "attendee_conversion_ratio", "absent_conversion_ratio"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class Overview:
    """The cheap figures: no order is read."""

    period: Period
    tier_counts: pd.DataFrame
    followup_sla: pd.DataFrame
    nps: pd.DataFrame
    private_sessions: pd.DataFrame


def overview(session: Session, period: Period) -> Overview:
    return Overview(period=period, tier_counts=tier_counts(session), followup_sla=followup_sla(session, period),
                    nps=nps(session, period), private_sessions=private_sessions(session, period))


@dataclass(frozen=True)
class Figures:
    period: Period
    tiers: pd.DataFrame
    monthly: pd.DataFrame
    cohorts: pd.DataFrame
    activity: pd.DataFrame
    followup_sla: pd.DataFrame
    nps: pd.DataFrame
    private_sessions: pd.DataFrame


def figures(session: Session, facts: OrderFacts, period: Period, base: Overview | None = None) -> Figures:
    """Everything the dashboard draws for one period (``base``: its overview, if already computed)."""
    base = base if base is not None and base.period == period else overview(session, period)
    return Figures(
        period=period,
        tiers=tiers(facts, period),
        monthly=monthly(facts, period),
        cohorts=cohorts(facts, period),
        activity=activity(facts, period, settings.get(session, "tiers.rules")),
        followup_sla=base.followup_sla,
        nps=base.nps,
        private_sessions=base.private_sessions,
    )
