"""A complaint said in the live room by a known customer: recorded at once, with its call-back.

The comment becomes a complaint note (the host panel's open-complaint alert reads those)
and the 24 h call-back task is created now, with the same dedupe key the follow-up rules
give a complaint note (``callback:note:<id>``), so the next generation does not add a twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import Customer, FollowUpTask, MessageTemplate, Note
from livedesk.models.base import utcnow
from livedesk.services.customers import add_note
from livedesk.services.followups.config import rule_settings

NOTE_PREFIX = "直播间评论："


@dataclass(frozen=True)
class RecordedComplaint:
    customer_id: int
    note_id: int
    task_id: int
    sla_due_at: datetime


def record(session: Session, customer_id: int, text: str, *, broadcast_id: int | None = None,
           at: datetime | None = None) -> RecordedComplaint | None:
    """The note and the call-back task; None when the same words were already recorded in this broadcast."""
    at = at or utcnow()
    body = f"{NOTE_PREFIX}{text.strip()}"[:2000]
    if broadcast_id is not None and session.scalar(select(Note.id).where(
            Note.customer_id == customer_id, Note.broadcast_id == broadcast_id, Note.kind == "complaint",
            Note.body == body).limit(1)) is not None:
        return None
    note_id = add_note(session, customer_id, body, kind="complaint", broadcast_id=broadcast_id)
    note = session.get(Note, note_id)
    note.created_at = at
    rule = rule_settings(session)["callback"]
    template_id = session.scalar(select(MessageTemplate.id).where(MessageTemplate.key == "followup.callback",
                                                                  MessageTemplate.active))
    sla = at + timedelta(hours=rule["sla_hours"])
    task = FollowUpTask(customer_id=customer_id, kind="callback", dedupe_key=f"callback:note:{note_id}",
                        template_id=template_id, due_at=at, sla_due_at=sla, status="open", note=body[:500],
                        assignee_id=session.scalar(select(Customer.assigned_member_id)
                                                   .where(Customer.id == customer_id)))
    session.add(task)
    session.flush()
    return RecordedComplaint(customer_id, note_id, task.id, sla)
