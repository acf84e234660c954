"""The follow-up rules: which customers are owed a message, when, and why.

Each rule is a function ``(conn, window, rule_settings) -> DataFrame`` returning the
candidate tasks of one kind, with the columns of ``COLUMNS``. SQL narrows the rows to
the ones that can matter for the window; pandas does the shop's local-calendar
arithmetic on whole columns. No rule walks the customers one by one.

Which reasons become tasks (the window):

- Tasks are created up to the end of the shop's local day, so the morning's queue
  shows the whole day. A task whose due time has passed keeps that due time: it shows
  as overdue, it is never moved or dropped.
- Reasons are looked for back to the rule's ``lookback_days`` or to the last
  generation run, whichever is earlier (at most ``catch_up_max_days``): the days the
  app was closed are caught up, while a first run over years of imported history
  does not flood the queue with thank-yous nobody would send now.
- A birthday is actionable from N days before until the day itself, whatever the
  lookback; the weekly VIP touch is for the current ISO week only (a missed week is
  replaced by this week's touch, not doubled).

Every candidate carries a ``dedupe_key`` naming the fact that triggered it (an order,
a survey answer, a note, a lapse date, a birthday year, an order item, an ISO week);
the generator inserts only keys not seen before.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, String, and_, case, exists, extract, literal, or_, select, type_coerce

from livedesk.models import Customer, Note, Order, OrderItem, Product, SurveyResponse, UTCDateTime
from livedesk.models.adapters import adapter_for, day_number
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import shop_words
from livedesk.services.followups.clock import UTC, local_day_start, local_today
from livedesk.services.followups.config import replenish_item_id

COLUMNS = ["customer_id", "kind", "dedupe_key", "due_at", "sla_due_at", "order_id", "assignee_id", "coupon", "note"]
# Orders that were paid at some point: a refunded first order still makes the next one a repeat.
PAID_STATUSES = (*SPEND_STATUSES, "refunded")
REFUND_WITHIN_DAYS = 90  # a refund is looked for on orders placed this long before the window

C = Customer.__table__
O = Order.__table__
I = OrderItem.__table__
P = Product.__table__

Rule = dict[str, Any]


@dataclass(frozen=True)
class Window:
    now: datetime  # aware UTC
    until: datetime  # start of the next local day: tasks due before it are created now
    catch_up_from: datetime | None  # the previous run, if it is older than a lookback
    day_hour: int  # local hour day-based tasks are due at
    zone: tzinfo  # the shop's

    @property
    def today(self) -> date:
        return local_today(self.now, self.zone)

    def since(self, lookback_days: float) -> datetime:
        start = self.now - timedelta(days=lookback_days)
        return start if self.catch_up_from is None else min(start, self.catch_up_from)

    def due_on(self, local_midnights: pd.Series) -> pd.Series:
        """Naive local midnights -> naive UTC due times at ``day_hour``."""
        at = (local_midnights + pd.Timedelta(hours=self.day_hour)).dt.tz_localize(self.zone)
        return at.dt.tz_convert(UTC).dt.tz_localize(None)


def make_window(now: datetime, rules: dict[str, Any], last_run: datetime | None, zone: tzinfo) -> Window:
    until = local_day_start(local_today(now, zone) + timedelta(days=1), zone)
    catch_up = None
    if last_run is not None and last_run < now:
        catch_up = max(last_run, now - timedelta(days=rules["catch_up_max_days"]))
    return Window(now, until, catch_up, int(rules["day_hour"]), zone)


# --- reading ---------------------------------------------------------------------------


def _raw(column: Any) -> Any:
    # Times come back as text (SQLite) or naive datetimes (PostgreSQL) and pandas parses
    # the column at once; per-row conversion to aware datetimes costs more than the query.
    return type_coerce(column, String)


def _frame(conn: Connection, statement: Any, times: tuple[str, ...] = ()) -> pd.DataFrame:
    result = conn.execute(statement)
    names = list(result.keys())
    columns = list(zip(*result.all())) or [()] * len(names)
    df = pd.DataFrame(dict(zip(names, columns)))
    for name in times:
        df[name] = pd.to_datetime(df[name], format="ISO8601")
    return df


def _local_midnight(utc_naive: pd.Series, zone: tzinfo) -> pd.Series:
    local = utc_naive.dt.tz_localize(UTC).dt.tz_convert(zone)
    return local.dt.tz_localize(None).dt.normalize()


def _in_window(due: pd.Series, since: datetime, until: datetime) -> pd.Series:
    return (due >= pd.Timestamp(since.replace(tzinfo=None))) & (due < pd.Timestamp(until.replace(tzinfo=None)))


def _tasks(df: pd.DataFrame, kind: str, keys: pd.Series, due: pd.Series, **extra: Any) -> pd.DataFrame:
    out = pd.DataFrame({"customer_id": df["customer_id"], "kind": kind, "dedupe_key": keys, "due_at": due})
    out["sla_due_at"] = extra.get("sla_due_at", pd.NaT)
    out["order_id"] = df.get("order_id")
    out["assignee_id"] = df["assignee_id"]
    out["coupon"] = extra.get("coupon")
    out["note"] = extra.get("note")
    return out[COLUMNS]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({name: [] for name in COLUMNS})


# --- date arithmetic in SQL: day_number compiles per database (models.adapters) -------------


def _days_of(moment: datetime) -> day_number:
    return day_number(literal(moment, UTCDateTime()))


# --- the rules -------------------------------------------------------------------------


def welcome(conn: Connection, w: Window, rule: Rule) -> pd.DataFrame:
    """A customer's first paid order: a welcome due within ``sla_hours``."""
    sla = timedelta(hours=rule["sla_hours"])
    o, e = O.alias("o"), O.alias("e")
    earlier = select(e.c.id).where(
        e.c.customer_id == o.c.customer_id, e.c.status.in_(PAID_STATUSES),
        or_(e.c.ordered_at < o.c.ordered_at, and_(e.c.ordered_at == o.c.ordered_at, e.c.id < o.c.id)),
    )
    statement = (
        select(o.c.id.label("order_id"), o.c.customer_id, _raw(o.c.ordered_at).label("ordered_at"),
               C.c.assigned_member_id.label("assignee_id"))
        .join(C, C.c.id == o.c.customer_id)
        .where(o.c.status.in_(PAID_STATUSES), o.c.ordered_at >= w.since(rule["lookback_days"]) - sla,
               o.c.ordered_at < w.until - sla, ~exists(earlier))
    )
    df = _frame(conn, statement, ("ordered_at",))
    return _tasks(df, "welcome", "welcome:order:" + df["order_id"].astype(str), df["ordered_at"] + sla)


def _after_order(kind: str) -> Callable[[Connection, Window, Rule], pd.DataFrame]:
    def rule_fn(conn: Connection, w: Window, rule: Rule) -> pd.DataFrame:
        delay = timedelta(hours=rule["delay_hours"])
        statement = (
            select(O.c.id.label("order_id"), O.c.customer_id, _raw(O.c.ordered_at).label("ordered_at"),
                   C.c.assigned_member_id.label("assignee_id"))
            .join(C, C.c.id == O.c.customer_id)
            # Still a sale: a refunded or cancelled order gets a call-back, not a thank-you.
            .where(O.c.status.in_(SPEND_STATUSES), O.c.ordered_at >= w.since(rule["lookback_days"]) - delay,
                   O.c.ordered_at < w.until - delay)
        )
        df = _frame(conn, statement, ("ordered_at",))
        return _tasks(df, kind, f"{kind}:order:" + df["order_id"].astype(str), df["ordered_at"] + delay)

    rule_fn.__doc__ = f"Every order still paid: a {kind} message ``delay_hours`` after it."
    return rule_fn


thanks = _after_order("thanks")
survey = _after_order("survey")


def callback(conn: Connection, w: Window, rule: Rule) -> pd.DataFrame:
    """A negative survey, a refund or a complaint note: contact at once, within the SLA."""
    since, until = w.since(rule["lookback_days"]), w.until
    s, n = SurveyResponse.__table__, Note.__table__
    surveys = _frame(conn, select(
        s.c.id, s.c.customer_id, s.c.order_id, _raw(s.c.answered_at).label("at"), s.c.score, s.c.comment,
        C.c.assigned_member_id.label("assignee_id"),
    ).join(C, C.c.id == s.c.customer_id).where(
        s.c.score <= rule["max_score"], s.c.answered_at >= since, s.c.answered_at < until,
    ), ("at",))
    surveys["key"] = "callback:survey:" + surveys["id"].astype(str)
    records = shop_words.for_connection(conn).records  # task notes are stored in the shop's language
    surveys["note"] = [records["survey_comment"].format(score=score, comment=comment) if comment
                       else records["survey"].format(score=score)
                       for score, comment in zip(surveys["score"], surveys["comment"])]
    # An order's refund time is when its row last changed (imports set updated_at).
    refunds = _frame(conn, select(
        O.c.id.label("order_id"), O.c.customer_id, _raw(O.c.updated_at).label("at"), O.c.platform_order_id,
        C.c.assigned_member_id.label("assignee_id"),
    ).join(C, C.c.id == O.c.customer_id).where(
        O.c.status == "refunded", O.c.updated_at >= since, O.c.updated_at < until,
        # updated_at has no index; refunds come within the platforms' after-sale periods.
        O.c.ordered_at >= since - timedelta(days=REFUND_WITHIN_DAYS),
    ), ("at",))
    refunds["key"] = "callback:refund:" + refunds["order_id"].astype(str)
    refunds["note"] = [records["refund"].format(order=o) for o in refunds["platform_order_id"].astype(str)]
    complaints = _frame(conn, select(
        n.c.id, n.c.customer_id, _raw(n.c.created_at).label("at"), n.c.body.label("note"),
        C.c.assigned_member_id.label("assignee_id"),
    ).join(C, C.c.id == n.c.customer_id).where(
        n.c.kind == "complaint", n.c.created_at >= since, n.c.created_at < until,
    ), ("at",))
    complaints["key"] = "callback:note:" + complaints["id"].astype(str)
    df = pd.concat([surveys, refunds, complaints], ignore_index=True)
    if df.empty:
        return _empty()
    df["at"] = pd.to_datetime(df["at"])
    sla = df["at"] + timedelta(hours=rule["sla_hours"])
    return _tasks(df, "callback", df["key"], df["at"], sla_due_at=sla, note=df["note"].str.slice(0, 500))


def wakeup(conn: Connection, w: Window, rule: Rule) -> pd.DataFrame:
    """No purchase for ``inactive_days`` local days: a wake-up with the rule's coupon."""
    days = timedelta(days=rule["inactive_days"])
    since = w.since(rule["lookback_days"])
    # Orders whose lapse can fall in the window (a superset, refined below), and only
    # from customers who bought nothing since: a later purchase means not lapsed.
    lo, hi = since - days - timedelta(days=1), w.until - days + timedelta(days=1)
    e = O.alias("e")
    later = select(e.c.id).where(e.c.customer_id == O.c.customer_id, e.c.status.in_(SPEND_STATUSES),
                                 e.c.ordered_at >= hi)
    statement = (
        select(O.c.customer_id, _raw(O.c.ordered_at).label("last_at"), C.c.assigned_member_id.label("assignee_id"))
        .join(C, C.c.id == O.c.customer_id)
        .where(O.c.status.in_(SPEND_STATUSES), O.c.ordered_at >= lo, O.c.ordered_at < hi, ~exists(later))
    )
    # The last order per customer in pandas: a GROUP BY here makes SQLite walk every order.
    df = _frame(conn, statement, ("last_at",))
    df = df.sort_values("last_at").drop_duplicates("customer_id", keep="last")
    lapse_day = _local_midnight(df["last_at"], w.zone) + days
    due = w.due_on(lapse_day)
    df, due, lapse_day = (x[_in_window(due, since, w.until)] for x in (df, due, lapse_day))
    keys = "wakeup:cust:" + df["customer_id"].astype(str) + ":" + lapse_day.dt.strftime("%Y-%m-%d")
    return _tasks(df, "wakeup", keys, due, coupon=rule.get("coupon") or None)


def birthday(conn: Connection, w: Window, rule: Rule) -> pd.DataFrame:
    """``days_before`` a birthday (29 Feb is kept on 28 Feb in common years) until the day."""
    before = int(rule["days_before"])
    # Birthdays celebrated from today to ``before`` days ahead: their month-days, with 29
    # February whenever a common year's 28 February is among them.
    days = [w.today + timedelta(days=n) for n in range(before + 1)]
    month_days = {d.month * 100 + d.day for d in days}
    if any(d.month == 2 and d.day == 28 and not calendar.isleap(d.year) for d in days):
        month_days.add(229)
    month_day = extract("month", C.c.birthday) * 100 + extract("day", C.c.birthday)
    df = _frame(conn, select(C.c.id.label("customer_id"), type_coerce(C.c.birthday, String).label("birthday"),
                             C.c.assigned_member_id.label("assignee_id"))
                .where(C.c.birthday.is_not(None), month_day.in_(sorted(month_days))))
    if df.empty:
        return _empty()
    born = pd.to_datetime(df["birthday"], format="ISO8601")
    month, day = born.dt.month.to_numpy(), born.dt.day.to_numpy()
    today = pd.Timestamp(w.today)
    parts = []
    # This year and next: the reminder for 2 January falls in late December.
    for year in (w.today.year, w.today.year + 1):
        kept_day = np.where((month == 2) & (day == 29) & (not calendar.isleap(year)), 28, day)
        party = pd.Series(pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": kept_day})),
                          index=df.index)
        due_day = party - pd.Timedelta(days=before)
        hit = (due_day <= today) & (party >= today)
        if hit.any():
            rows = df[hit]
            parts.append(_tasks(rows, "birthday", "birthday:cust:" + rows["customer_id"].astype(str) + f":{year}",
                                w.due_on(due_day[hit]), coupon=rule.get("coupon") or None))
    return pd.concat(parts, ignore_index=True) if parts else _empty()


def replenish(conn: Connection, w: Window, rule: Rule) -> pd.DataFrame:
    """The latest purchase of a product with a usage cycle runs out (cycle × quantity days).

    Candidates still need ``confirm_replenish`` (bought again later? whose assistant?).

    Purchases older than ``max_days`` are not reminded: a customer who has bought
    nothing for that long has had wake-ups instead.
    """
    since = w.since(rule["lookback_days"])
    before = timedelta(days=rule["days_before"])
    cycle = P.c.usage_cycle_days * case((I.c.quantity > 1, I.c.quantity), else_=1)
    runs_out = day_number(O.c.ordered_at) + cycle
    statement = (
        select(I.c.id.label("item_id"), O.c.id.label("order_id"), O.c.customer_id, I.c.product_id,
               I.c.product_name, _raw(O.c.ordered_at).label("ordered_at"), cycle.label("cycle"))
        .select_from(O.join(I, I.c.order_id == O.c.id).join(P, P.c.id == I.c.product_id))
        .where(P.c.usage_cycle_days.is_not(None), O.c.status.in_(SPEND_STATUSES),
               O.c.customer_id.is_not(None),  # nobody to remind until the order is attached
               O.c.ordered_at >= w.until - timedelta(days=rule["max_days"]), O.c.ordered_at < w.until,
               # A superset (a day either side), refined in local days below.
               runs_out >= _days_of(since + before - timedelta(days=1)),
               runs_out < _days_of(w.until + before + timedelta(days=1)))
    )
    df = _frame(conn, statement, ("ordered_at",))
    due = w.due_on(_local_midnight(df["ordered_at"], w.zone) + pd.to_timedelta(df["cycle"], unit="D") - before)
    keep = _in_window(due, since, w.until)
    df, due = df[keep], due[keep]
    # A re-purchase that runs out in the window too is in this frame already; later ones
    # are asked for in ``confirm_replenish``, once the generator has dropped known keys.
    again = df.sort_values(["ordered_at", "item_id"]).duplicated(["customer_id", "product_id"], keep="last")
    df, due = df[~again.reindex(df.index)], due[~again.reindex(df.index)]
    df = df.assign(assignee_id=None)
    return _tasks(df, "replenish", "replenish:item:" + df["item_id"].astype(str), due, note=df["product_name"])


def confirm_replenish(conn: Connection, tasks: pd.DataFrame) -> pd.DataFrame:
    """New replenishment candidates minus those bought again later, with their assignees.

    Run on candidates whose key is not known yet: the check costs a lookup per item.
    """
    item_ids = [replenish_item_id(key) for key in tasks["dedupe_key"]]
    stale, assignees = _latest_only(conn, item_ids)
    fresh = tasks[[item_id not in stale for item_id in item_ids]]
    return fresh.assign(assignee_id=fresh["customer_id"].map(assignees))


def _latest_only(conn: Connection, item_ids: list[int]) -> tuple[set[int], dict[int, int | None]]:
    """Which candidate items were bought again later by the same customer, and their assignees.

    Asked for the candidates only: as a condition of the main query SQLite would
    evaluate it (and join customers) for every recent sale before the run-out filter.
    """
    o2, i2 = O.alias("o2"), I.alias("i2")
    later = (
        select(o2.c.id).join(i2, i2.c.order_id == o2.c.id)
        # "+ 0": compared by value, so SQLite seeks the customer's later orders instead
        # of walking every sale of the product through the product_id index.
        .where(o2.c.customer_id == O.c.customer_id, o2.c.status.in_(SPEND_STATUSES),
               o2.c.ordered_at > O.c.ordered_at, i2.c.product_id + 0 == I.c.product_id)
    )
    stale: set[int] = set()
    assignees: dict[int, int | None] = {}
    adapter = adapter_for(conn)  # IN lists on SQLite, one array per statement on PostgreSQL
    for start in range(0, len(item_ids), adapter.IN_CHUNK):
        rows = conn.execute(
            select(I.c.id, O.c.customer_id, C.c.assigned_member_id, exists(later))
            .join(O, O.c.id == I.c.order_id).join(C, C.c.id == O.c.customer_id)
            .where(adapter.member_of(I.c.id, item_ids[start:start + adapter.IN_CHUNK]))
        )
        for item_id, customer_id, assignee, again in rows:
            assignees[customer_id] = assignee
            if again:
                stale.add(item_id)
    return stale, assignees


def vip_touch(conn: Connection, w: Window, rule: Rule) -> pd.DataFrame:
    """Each customer of a VIP tier, once per ISO week, on the rule's weekday (1 = Monday)."""
    iso = w.today.isocalendar()
    due_day = w.today + timedelta(days=int(rule["weekday"]) - iso.weekday)
    if due_day > w.today:
        return _empty()
    df = _frame(conn, select(C.c.id.label("customer_id"), C.c.assigned_member_id.label("assignee_id"))
                .where(C.c.tier.in_(list(rule["tiers"]))))
    due = w.due_on(pd.Series(pd.Timestamp(due_day), index=df.index))
    week = f"{iso.year}-W{iso.week:02d}"
    return _tasks(df, "vip_touch", "vip_touch:cust:" + df["customer_id"].astype(str) + f":{week}", due)


RULES: dict[str, Callable[[Connection, Window, Rule], pd.DataFrame]] = {
    "welcome": welcome, "thanks": thanks, "survey": survey, "callback": callback,
    "wakeup": wakeup, "birthday": birthday, "replenish": replenish, "vip_touch": vip_touch,
}
# Checks too costly for every candidate, run by the generator on the new ones only.
CONFIRM: dict[str, Callable[[Connection, pd.DataFrame], pd.DataFrame]] = {"replenish": confirm_replenish}
