"""Generating follow-up tasks: run the enabled rules, keep the new reasons, insert them at once.

Idempotent: a task's ``dedupe_key`` names the fact behind it and is unique in the
table, so running again (on start-up, after an import, on the app's timer, from
``livedesk followups generate``) creates only what is new. Tasks are assigned to the
customer's dedicated assistant (``assigned_member_id``) and use the default template
of their kind (``followup.<kind>``) when it exists; then services/loyalty gives the new
tasks their A/B variant and coupon code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, column, insert, select, table
from sqlalchemy.orm import Session

from livedesk.models import FollowUpTask, MessageTemplate
from livedesk.models.adapters import adapter_for
from livedesk.models.engine import serialize
from livedesk.services import changes, settings
from livedesk.services.followups.clock import as_utc
from livedesk.services.followups.config import KINDS, rule_settings
from livedesk.services.followups.rules import CONFIRM, RULES, make_window
from livedesk.services.loyalty.task_hooks import after_tasks_created

TASKS = FollowUpTask.__table__
ANALYZE_ROWS = 5_000  # tasks created at once from which the planner's statistics are refreshed


@dataclass
class GenerateSummary:
    created: dict[str, int] = field(default_factory=dict)  # kind -> new tasks
    total_created: int = 0
    already_known: int = 0  # reasons that already had a task
    coupons: int = 0  # coupon codes the new tasks carry (services/loyalty)
    coupons_short: int = 0  # new tasks whose rule's coupon batch had no code left
    until: datetime | None = None  # tasks due before this (the next local midnight) were considered
    elapsed_ms: float = 0.0


def generate(session: Session, now: datetime | None = None) -> GenerateSummary:
    """Create the tasks due by the end of the shop's local day; the caller commits."""
    started = time.perf_counter()
    now = as_utc(now)
    rules = rule_settings(session)
    stamp = settings.get(session, "followups.generated_at")
    window = make_window(now, rules, datetime.fromisoformat(stamp) if stamp else None, settings.shop_zone(session))
    serialize(session, "followups.generate")  # two machines at once: the second sees the first's tasks
    conn = session.connection()

    frames = [RULES[kind](conn, window, rules[kind]) for kind in KINDS if rules[kind].get("enabled")]
    frames = [f for f in frames if not f.empty]
    summary = GenerateSummary(created={kind: 0 for kind in KINDS}, until=window.until)
    if frames:
        candidates = pd.concat(frames, ignore_index=True).drop_duplicates("dedupe_key")
        known = _known_keys(conn, candidates["dedupe_key"].tolist())
        new = candidates[~candidates["dedupe_key"].isin(known)]
        for kind, confirm in CONFIRM.items():
            mine = new["kind"] == kind
            if mine.any():
                new = pd.concat([new[~mine], confirm(conn, new[mine])], ignore_index=True)
        _insert(session, new, now)
        extras = after_tasks_created(session, new["dedupe_key"].tolist(), now)
        summary.coupons, summary.coupons_short = extras.coupons, extras.coupons_short
        summary.already_known = len(known)
        summary.total_created = len(new)
        summary.created.update({str(k): int(v) for k, v in new["kind"].value_counts().items()})
    settings.set_value(session, "followups.generated_at", now.isoformat())
    summary.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return summary


def _known_keys(conn: Connection, keys: list[str]) -> set[str]:
    adapter = adapter_for(conn)  # IN lists on SQLite, one array per statement on PostgreSQL
    known: set[str] = set()
    for start in range(0, len(keys), adapter.IN_CHUNK):
        chunk = keys[start:start + adapter.IN_CHUNK]
        known.update(conn.scalars(select(TASKS.c.dedupe_key).where(adapter.member_of(TASKS.c.dedupe_key, chunk))))
    return known


def _stamps(column: pd.Series) -> list[str | None]:
    """Naive-UTC text, the storage form of ``UTCDateTime`` (what its bind processing would write)."""
    text = pd.to_datetime(column).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    return text.astype(object).where(text.notna(), None).tolist()


def _optional_int(column: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in column]


def _optional_text(column: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in column]


def _insert(session: Session, new: pd.DataFrame, now: datetime) -> None:
    if new.empty:
        return
    templates = dict(session.execute(
        select(MessageTemplate.key, MessageTemplate.id).where(MessageTemplate.key.like("followup.%"),
                                                              MessageTemplate.active)
    ).all())
    columns = {
        "customer_id": new["customer_id"].astype("int64").tolist(),
        "kind": new["kind"].tolist(),
        "dedupe_key": new["dedupe_key"].tolist(),
        "order_id": _optional_int(new["order_id"]),
        "template_id": [templates.get(f"followup.{kind}") for kind in new["kind"]],
        "assignee_id": _optional_int(new["assignee_id"]),
        "due_at": _stamps(new["due_at"]),
        "sla_due_at": _stamps(new["sla_due_at"]),
        "status": ["open"] * len(new),
        "coupon": _optional_text(new["coupon"]),
        "note": _optional_text(new["note"]),
        "created_at": _stamps(pd.Series([now.replace(tzinfo=None)] * len(new))),
    }
    # Values are already in storage form, so the adapter's bulk writer takes them as they are
    # (per-row type processing would cost more than the insert itself): multi-row INSERTs
    # on SQLite, COPY on PostgreSQL (executemany there is a statement per task: 3 s for 22k).
    target = table(TASKS.name, *(column(name) for name in columns))
    conn = session.connection()
    adapter_for(conn).BulkWriter(conn, insert(target), list(columns), table=TASKS).run(list(zip(*columns.values())))
    changes.touch(session, TASKS.name)
    if len(new) >= ANALYZE_ROWS:
        # The next run's rules read these tasks: on PostgreSQL they plan on fresh statistics,
        # not on the empty table autovacuum last saw (a rerun at 200k took minutes).
        adapter_for(conn).analyze(conn, [TASKS])
