"""Generating follow-up tasks: run the enabled rules, keep the new reasons, insert them at once.

Idempotent: a task's ``dedupe_key`` names the fact behind it and is unique in the
table, so running again (on start-up, after an import, on the app's timer, from
``livedesk followups generate``) creates only what is new. Tasks are assigned to the
customer's dedicated assistant (``assigned_member_id``) and use the default template
of their kind (``followup.<kind>``) when it exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from livedesk.models import FollowUpTask, MessageTemplate
from livedesk.services import settings
from livedesk.services.followups.rules import KINDS, RULES, UTC, make_window, rule_settings
from livedesk.services.segments import as_utc

TASKS = FollowUpTask.__table__
KEY_CHUNK = 500  # bound parameters per IN (...): well under every driver's limit


@dataclass
class GenerateSummary:
    created: dict[str, int] = field(default_factory=dict)  # kind -> new tasks
    total_created: int = 0
    already_known: int = 0  # candidates whose reason already had a task
    until: datetime | None = None  # tasks due before this (the next local midnight) were considered
    elapsed_ms: float = 0.0


def generate(session: Session, now: datetime | None = None) -> GenerateSummary:
    """Create the tasks due by the end of the shop's local day; the caller commits."""
    started = time.perf_counter()
    now = as_utc(now)
    rules = rule_settings(session)
    stamp = settings.get(session, "followups.generated_at")
    window = make_window(now, rules, datetime.fromisoformat(stamp) if stamp else None)
    conn = session.connection()

    frames = [RULES[kind](conn, window, rules[kind]) for kind in KINDS if rules[kind].get("enabled")]
    frames = [f for f in frames if not f.empty]
    summary = GenerateSummary(created={kind: 0 for kind in KINDS}, until=window.until)
    if frames:
        candidates = pd.concat(frames, ignore_index=True).drop_duplicates("dedupe_key")
        known = _known_keys(conn, candidates["dedupe_key"].tolist())
        new = candidates[~candidates["dedupe_key"].isin(known)]
        _insert(session, new, now)
        summary.already_known = len(candidates) - len(new)
        summary.total_created = len(new)
        summary.created.update({str(k): int(v) for k, v in new["kind"].value_counts().items()})
    settings.set_value(session, "followups.generated_at", now.isoformat())
    summary.elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return summary


def _known_keys(conn: Connection, keys: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start:start + KEY_CHUNK]
        known.update(conn.scalars(select(TASKS.c.dedupe_key).where(TASKS.c.dedupe_key.in_(chunk))))
    return known


def _aware(column: pd.Series) -> list[datetime | None]:
    return [None if pd.isna(t) else t.to_pydatetime().replace(tzinfo=UTC) for t in column]


def _optional_int(column: pd.Series) -> list[int | None]:
    return [None if pd.isna(v) else int(v) for v in column]


def _insert(session: Session, new: pd.DataFrame, now: datetime) -> None:
    if new.empty:
        return
    templates = dict(session.execute(
        select(MessageTemplate.key, MessageTemplate.id).where(MessageTemplate.key.like("followup.%"),
                                                              MessageTemplate.active)
    ).all())
    template_ids = [templates.get(f"followup.{kind}") for kind in new["kind"]]
    rows = [
        {"customer_id": int(cid), "kind": kind, "dedupe_key": key, "order_id": order_id,
         "template_id": template_id, "assignee_id": assignee, "due_at": due, "sla_due_at": sla,
         "status": "open", "coupon": coupon, "note": note, "created_at": now}
        for cid, kind, key, order_id, template_id, assignee, due, sla, coupon, note in zip(
            new["customer_id"], new["kind"], new["dedupe_key"], _optional_int(new["order_id"]), template_ids,
            _optional_int(new["assignee_id"]), _aware(new["due_at"]), _aware(new["sla_due_at"]),
            [None if pd.isna(c) else str(c) for c in new["coupon"]],
            [None if pd.isna(n) else str(n) for n in new["note"]],
        )
    ]
    session.execute(insert(TASKS), rows)
