"""What a new follow-up task gets from loyalty: its A/B variant (template or coupon) and a coupon code.

Called by follow-up generation after it inserted the day's tasks, inside the same unit
of work. A task whose rule issues coupons takes the next free code of the rule's batch
(or of its variant's batch) and keeps it in ``coupon``, which the message's {优惠券}
becomes. When the batch has no code left the task says so in its note: a person sees it
instead of a message promising a coupon that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from livedesk.models import CouponBatch, Experiment, FollowUpTask
from livedesk.services.loyalty import coupons, experiments
from livedesk.services.loyalty.errors import LoyaltyError

CHUNK = 500


@dataclass
class TaskExtras:
    coupons: int = 0  # codes issued
    coupons_short: int = 0  # tasks whose batch had no code to give (or had expired)
    assigned: int = 0  # tasks under an A/B test


def after_tasks_created(session: Session, dedupe_keys: list[str], now: datetime) -> TaskExtras:
    extras = TaskExtras()
    rules = dict(session.execute(select(CouponBatch.rule, CouponBatch.id).where(CouponBatch.rule.is_not(None))).all())
    tested = set(session.scalars(select(Experiment.running_rule).where(Experiment.running_rule.is_not(None))))
    # A task's key starts with its kind ("wakeup:cust:…"): only the kinds that get something are read back.
    dedupe_keys = [key for key in dedupe_keys if key.split(":", 1)[0] in rules.keys() | tested]
    tasks: list[tuple[int, int, str]] = []
    for start in range(0, len(dedupe_keys), CHUNK):
        tasks.extend(session.execute(select(FollowUpTask.id, FollowUpTask.customer_id, FollowUpTask.kind).where(
            FollowUpTask.dedupe_key.in_(dedupe_keys[start:start + CHUNK]))))
    arms = experiments.assign(session, tasks, now)
    extras.assigned = len(arms)
    for task_id, customer_id, kind in tasks:
        arm = arms.get(task_id)
        values = {}
        if arm is not None and arm.template_id is not None:
            values["template_id"] = arm.template_id
        batch_id = arm.coupon_batch_id if arm is not None and arm.coupon_batch_id else rules.get(kind)
        if batch_id is not None:
            try:
                values["coupon"] = coupons.issue(session, batch_id, customer_id, task_id=task_id, now=now)
                extras.coupons += 1
            except LoyaltyError as e:
                extras.coupons_short += 1
                values["coupon"] = None
                values["note"] = f"优惠券未发出：{e.details.get('batch', '')} " + (
                    "已过期" if e.code == "batch_expired" else "已发完")
        if values:
            session.execute(update(FollowUpTask).where(FollowUpTask.id == task_id).values(**values)
                            .execution_options(synchronize_session=False))
    return extras
