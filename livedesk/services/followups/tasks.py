"""The follow-up queue and what people do with a task: complete, snooze, skip, add by hand.

A task goes open -> done or open -> skipped, never back; snoozing keeps it open but
out of the queue until the chosen time. Each outcome is also written to the
customer's timeline as a ``Note`` of kind ``followup``: the customer card already
lists notes, so what was done shows wherever the customer is shown, and it stays
there if tasks are ever cleaned up. The task row keeps the outcome as a code for
counting. Refused actions raise ``TaskError`` (a ValueError) with a ``code`` the UI
can translate and a message that says what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from livedesk.models import Customer, FollowUpTask, MessageTemplate, Note, Order, OrderItem, TeamMember
from livedesk.services import settings, shop_words, team
from livedesk.services.customers import NotFound
from livedesk.services.errors import Refused
from livedesk.services.followups.clock import as_utc, local_day_start, local_today
from livedesk.services.followups.config import KINDS

OUTCOMES = ("replied", "bought", "no_answer", "wrong_contact")
TASK_KINDS = (*KINDS, "manual")
UNASSIGNED = 0  # as ``assignee_id`` filter: tasks nobody is assigned to (ids start at 1)
# The words written into the shop's own timeline notes are stored data, in the shop's language:
# services/shop_words.py (records, task_kinds, outcomes).
KIND_NAMES = shop_words.ZH.task_kinds
OUTCOME_NAMES = shop_words.ZH.outcomes


class TaskError(Refused):
    """An action that does not fit the task's state; ``code`` names the problem."""

    @property
    def details(self) -> dict[str, object]:
        return self.params  # e.g. not_open: status, by (who closed it first), at

@dataclass(slots=True)  # not frozen: its __init__ is 4x slower and the page builds 10k at once
class TaskView:
    id: int
    kind: str
    status: str  # open | done | skipped
    customer_id: int
    nickname: str
    tier: str
    level: str
    last_order_at: datetime | None
    last_product: str | None
    assignee_id: int | None
    assignee_name: str | None
    due_at: datetime  # when it should be done (a snoozed task: when it comes back)
    sla_due_at: datetime | None  # the promised answer time (call-backs)
    overdue: bool  # past its SLA if it has one, else past its due time
    sla_breached: bool
    order_id: int | None
    template_id: int | None
    coupon: str | None
    note: str | None
    outcome: str | None
    created_at: datetime


def _effective_due():
    t = FollowUpTask
    return case((t.snoozed_until > t.due_at, t.snoozed_until), else_=t.due_at)


def _select():
    t, c = FollowUpTask, Customer
    last_product = (
        select(OrderItem.product_name)
        .join(Order, Order.id == OrderItem.order_id)
        # The customer's cached last order time finds that order through its index.
        .where(Order.customer_id == c.id, Order.ordered_at == c.last_order_at)
        .order_by(OrderItem.id)
        .limit(1)
        .correlate(c)
        .scalar_subquery()
    )
    due = _effective_due()
    return (
        select(t.id, t.kind, t.status, t.customer_id, c.nickname, c.tier, c.level, c.last_order_at,
               last_product, t.assignee_id, TeamMember.name, due.label("due"), t.sla_due_at, t.order_id,
               t.template_id, t.coupon, t.note, t.outcome, t.created_at, t.done_at)
        .join(c, c.id == t.customer_id)
        .outerjoin(TeamMember, TeamMember.id == t.assignee_id)
    ), due


def _views(session: Session, statement, now: datetime) -> list[TaskView]:
    session.flush()  # read through the connection (no ORM row bookkeeping), so flush first
    views = []
    rows = session.connection().execute(statement)
    for (tid, kind, status, cid, nickname, tier, level, last_at, last_product, assignee, assignee_name, due,
         sla, order_id, template_id, coupon, note, outcome, created, done_at) in rows:
        # A finished task is judged at the time it was finished. A task with an SLA is
        # due at once (it sorts first) but overdue only when the SLA runs out.
        at = now if status == "open" else (done_at or now)
        deadline = sla or due
        views.append(TaskView(
            tid, kind, status, cid, nickname, tier, level, last_at, last_product, assignee, assignee_name,
            due, sla, deadline < at, sla is not None and sla < at, order_id, template_id, coupon, note, outcome,
            created,
        ))
    return views


def queue(
    session: Session, now: datetime | None = None, assignee_id: int | None = None, kind: str | None = None,
    *, until: datetime | None = None,
) -> list[TaskView]:
    """Open tasks due before ``until`` (default: the end of the shop's local day), soonest first.

    Snoozed tasks stay out until their time. ``assignee_id=UNASSIGNED`` lists the tasks
    nobody owns; ``None`` lists everyone's.
    """
    now = as_utc(now)
    zone = settings.shop_zone(session)
    until = until or local_day_start(local_today(now, zone) + timedelta(days=1), zone)
    t = FollowUpTask
    statement, due = _select()
    statement = statement.where(
        t.status == "open", or_(t.snoozed_until.is_(None), t.snoozed_until <= now), t.due_at < until,
    )
    if assignee_id == UNASSIGNED:
        statement = statement.where(t.assignee_id.is_(None))
    elif assignee_id is not None:
        statement = statement.where(t.assignee_id == assignee_id)
    if kind is not None:
        statement = statement.where(t.kind == kind)
    return _views(session, statement.order_by(due, t.id), now)


def get(session: Session, task_id: int, now: datetime | None = None) -> TaskView:
    statement, _ = _select()
    views = _views(session, statement.where(FollowUpTask.id == task_id), as_utc(now))
    if not views:
        raise NotFound(f"follow-up task {task_id} does not exist")
    return views[0]


def _open_task(session: Session, task_id: int, action: str) -> FollowUpTask:
    """The task, locked for this unit of work (a row lock on PostgreSQL; SQLite's writer is alone).

    Two people closing one task at once: the second finds it closed and is told who did it.
    """
    task = session.get(FollowUpTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound(f"follow-up task {task_id} does not exist")
    if task.status != "open":
        who = session.scalar(select(TeamMember.name).where(TeamMember.id == task.done_by_id)) \
            if task.done_by_id else None
        raise TaskError("not_open", f"task {task_id} is already {task.status}"
                        + (f" by {who}" if who else "") + f": only an open task can be {action}",
                        status=task.status, by=who, at=task.done_at)
    return task


def _by(session: Session, by: int | None) -> int | None:
    actor = team.acting(session)
    return by if by is not None else (actor.member_id if actor is not None else None)


def _timeline(session: Session, task: FollowUpTask, text: str, by: int | None, now: datetime) -> None:
    words = shop_words.shop_words(session)
    body = words.records["timeline"].format(kind=words.task_kinds.get(task.kind, task.kind), text=text)
    session.add(Note(customer_id=task.customer_id, author_id=by, kind="followup", body=body, created_at=now,
                     updated_at=now))


def complete(
    session: Session, task_id: int, outcome: str, note: str = "", *, by: int | None = None,
    now: datetime | None = None,
) -> None:
    """Mark a task done with one of ``OUTCOMES``; the outcome goes on the customer's timeline."""
    now = as_utc(now)
    if outcome not in OUTCOMES:
        raise TaskError("bad_outcome", f"unknown outcome {outcome!r}: use one of {', '.join(OUTCOMES)}")
    task = _open_task(session, task_id, "completed")
    by = _by(session, by)
    note = (note or "").strip()
    task.status, task.outcome, task.done_at, task.snoozed_until = "done", outcome, now, None
    task.done_by_id = by
    if note:
        task.note = f"{task.note}\n{note}" if task.note else note
    words = shop_words.shop_words(session)
    said = words.outcomes[outcome]
    _timeline(session, task, words.records["outcome_note"].format(outcome=said, note=note) if note else said, by, now)


def snooze(session: Session, task_id: int, until: datetime, *, now: datetime | None = None) -> None:
    """Hide an open task until ``until`` (a later, aware time)."""
    now = as_utc(now)
    if until.tzinfo is None:
        raise TaskError("naive_time", f"snooze time {until!r} has no time zone: pass an aware time")
    if until <= now:
        raise TaskError("snooze_in_past", f"cannot snooze task {task_id} until {until.isoformat()}: "
                                          "that is not in the future")
    task = _open_task(session, task_id, "snoozed")
    task.snoozed_until, task.done_by_id = until, _by(session, None)


def skip(
    session: Session, task_id: int, reason: str, *, by: int | None = None, now: datetime | None = None,
) -> None:
    """Close a task without doing it; the reason is required and kept on the timeline."""
    now = as_utc(now)
    reason = (reason or "").strip()
    if not reason:
        raise TaskError("reason_required", f"skipping task {task_id} needs a reason")
    task = _open_task(session, task_id, "skipped")
    by = _by(session, by)
    task.status, task.done_at, task.snoozed_until, task.done_by_id = "skipped", now, None, by
    task.note = f"{task.note}\n{reason}" if task.note else reason
    _timeline(session, task, shop_words.shop_words(session).records["skipped"].format(reason=reason), by, now)


def create_manual(
    session: Session, customer_id: int, kind: str, due_at: datetime, note: str = "",
    assignee_id: int | None = None, *, sla_hours: float | None = None, template_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """A task someone adds by hand from wherever the customer is shown; never deduplicated.

    ``template_id`` picks the message; without it the kind's default template is used.
    """
    now = as_utc(now)
    if kind not in TASK_KINDS:
        raise TaskError("bad_kind", f"unknown task kind {kind!r}: use one of {', '.join(TASK_KINDS)}")
    if due_at.tzinfo is None:
        raise TaskError("naive_time", f"due time {due_at!r} has no time zone: pass an aware time")
    if session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} does not exist")
    if assignee_id is not None and session.get(TeamMember, assignee_id) is None:
        raise NotFound(f"team member {assignee_id} does not exist")
    if template_id is not None and session.get(MessageTemplate, template_id) is None:
        raise NotFound(f"message template {template_id} does not exist")
    task = FollowUpTask(
        customer_id=customer_id, kind=kind, due_at=due_at, assignee_id=assignee_id, note=(note or "").strip() or None,
        template_id=template_id,
        sla_due_at=due_at + timedelta(hours=sla_hours) if sla_hours else None, status="open", created_at=now,
    )
    session.add(task)
    session.flush()
    return task.id
