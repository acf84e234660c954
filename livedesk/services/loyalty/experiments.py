"""A/B tests of a follow-up rule: which message template (or which coupon) works better.

A test has two or more variants; the first is the control. A customer is assigned when
their first task under the running test is created, by a hash of (the test's seed,
the customer id): reproducible, independent of the order tasks are made in, and
weighted by the variants' weights. Later tasks of the same customer get the same
variant and are not counted again.

Outcomes per assigned customer: replied (the task's outcome is replied or bought),
bought (the outcome is bought, or an imported paid order within ``window_days`` of the
assignment) and GMV (those orders' totals). The report gives each variant's rates and
GMV per customer with 95 % intervals, the purchase rate's two-proportion test against
the control, and the customers still needed when the difference is not significant.
"""

from __future__ import annotations

import hashlib
import secrets
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from livedesk.models import (
    CouponBatch,
    Experiment,
    ExperimentAssignment,
    ExperimentVariant,
    FollowUpTask,
    MessageTemplate,
    Order,
)
from livedesk.models.base import utcnow
from livedesk.models.orders import SPEND_STATUSES
from livedesk.services import team
from livedesk.services.customers import NotFound
from livedesk.services.loyalty import stats
from livedesk.services.loyalty.errors import LoyaltyError
from livedesk.services.loyalty.stats import Estimate

TARGETS = ("template", "coupon")
MAX_VARIANTS = 6
CHUNK = 500


@dataclass(frozen=True)
class VariantSpec:
    label: str
    template_id: int | None = None
    coupon_batch_id: int | None = None
    weight: int = 1


@dataclass(frozen=True)
class Arm:
    """A variant as task creation needs it."""

    id: int
    template_id: int | None
    coupon_batch_id: int | None


@dataclass(frozen=True)
class VariantReport:
    id: int
    label: str
    detail: str  # the template's name or the coupon batch's name
    n: int
    replied: Estimate
    bought: Estimate
    gmv_per_customer_fen: Estimate
    p_value: float | None  # purchase rate against the control; None for the control itself
    significant: bool
    needs_more: int | None  # customers more (both groups together) to tell the difference; None: nothing to tell


@dataclass(frozen=True)
class ExperimentReport:
    id: int
    name: str
    rule: str
    target: str
    status: str
    window_days: int
    seed: str
    winner_id: int | None
    created_at: datetime
    variants: list[VariantReport] = field(default_factory=list)


@dataclass(frozen=True)
class ExperimentRow:
    id: int
    name: str
    rule: str
    target: str
    status: str
    customers: int
    created_at: datetime


def pick(seed: str, customer_id: int, weights: Sequence[int]) -> int:
    """The variant index for a customer: a uniform number from SHA-256 of seed and id, cut by weight."""
    digest = hashlib.sha256(f"{seed}:{customer_id}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    bounds = list(accumulate(weights))
    return bisect_right(bounds, u * bounds[-1])


def create(session: Session, name: str, rule: str, target: str, variants: Sequence[VariantSpec], *,
           window_days: int = 14, seed: str | None = None, now: datetime | None = None) -> int:
    """Start a test on a follow-up rule; one running test per rule. The owner's job."""
    from livedesk.services.followups.config import KINDS

    team.require(session, "run_experiments")
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise LoyaltyError("bad_name", "an A/B test needs a name (up to 64 characters)")
    if rule not in KINDS:
        raise LoyaltyError("bad_rule", f"unknown follow-up rule {rule!r}: use one of {', '.join(KINDS)}")
    if target not in TARGETS:
        raise LoyaltyError("bad_target", f"a test compares a template or a coupon, not {target!r}")
    if not 2 <= len(variants) <= MAX_VARIANTS:
        raise LoyaltyError("bad_variants", f"a test needs 2 to {MAX_VARIANTS} variants, not {len(variants)}")
    labels = [v.label.strip() for v in variants]
    if any(not label or len(label) > 32 for label in labels) or len(set(labels)) != len(labels):
        raise LoyaltyError("bad_variants", "each variant needs its own label (up to 32 characters)")
    for v in variants:
        if v.weight <= 0:
            raise LoyaltyError("bad_variants", f"variant {v.label}: a weight must be more than 0")
        if target == "template":
            template = session.get(MessageTemplate, v.template_id) if v.template_id else None
            if template is None or template.kind != "followup":
                raise LoyaltyError("bad_variants", f"variant {v.label}: choose a follow-up message template")
        elif v.coupon_batch_id is None or session.get(CouponBatch, v.coupon_batch_id) is None:
            raise LoyaltyError("bad_variants", f"variant {v.label}: choose a coupon batch")
    if not 1 <= window_days <= 90:
        raise LoyaltyError("bad_window", f"count orders within 1 to 90 days, not {window_days}")
    running = session.scalar(select(Experiment.name).where(Experiment.running_rule == rule))
    if running is not None:
        raise LoyaltyError("already_running", f"the {rule} rule is already being tested by {running!r}: "
                           "finish that test first", running=running)
    experiment = Experiment(name=name, rule=rule, target=target, window_days=window_days,
                            seed=seed or secrets.token_hex(8), status="running", running_rule=rule,
                            created_at=now or utcnow())
    session.add(experiment)
    session.flush()
    session.add_all(ExperimentVariant(experiment_id=experiment.id, label=label, position=i, weight=v.weight,
                                      template_id=v.template_id if target == "template" else None,
                                      coupon_batch_id=v.coupon_batch_id if target == "coupon" else None)
                    for i, (label, v) in enumerate(zip(labels, variants)))
    session.flush()
    return experiment.id


def assign(session: Session, tasks: Sequence[tuple[int, int, str]], now: datetime) -> dict[int, Arm]:
    """Variants for new tasks ``(task id, customer id, kind)`` under running tests; records first assignments."""
    kinds = {kind for _t, _c, kind in tasks}
    running = session.scalars(select(Experiment).where(Experiment.running_rule.in_(kinds))).all()
    out: dict[int, Arm] = {}
    for experiment in running:
        arms = [Arm(v.id, v.template_id, v.coupon_batch_id) for v in session.scalars(
            select(ExperimentVariant).where(ExperimentVariant.experiment_id == experiment.id)
            .order_by(ExperimentVariant.position))]
        weights = session.scalars(select(ExperimentVariant.weight).where(
            ExperimentVariant.experiment_id == experiment.id).order_by(ExperimentVariant.position)).all()
        by_id = {arm.id: arm for arm in arms}
        mine = [(t, c) for t, c, kind in tasks if kind == experiment.rule]
        people = list({c for _t, c in mine})
        known: dict[int, int] = {}
        for start in range(0, len(people), CHUNK):
            known.update(session.execute(select(ExperimentAssignment.customer_id, ExperimentAssignment.variant_id)
                                         .where(ExperimentAssignment.experiment_id == experiment.id,
                                                ExperimentAssignment.customer_id.in_(people[start:start + CHUNK]))
                                         ).all())
        rows = []
        for task_id, customer_id in mine:
            if customer_id not in known:
                known[customer_id] = arms[pick(experiment.seed, customer_id, weights)].id
                rows.append({"experiment_id": experiment.id, "variant_id": known[customer_id],
                             "customer_id": customer_id, "task_id": task_id, "assigned_at": now})
            out[task_id] = by_id[known[customer_id]]
        if rows:
            session.execute(ExperimentAssignment.__table__.insert(), rows)
            from livedesk.services import changes

            changes.touch(session, "experiment_assignments")
    return out


def report(session: Session, experiment_id: int) -> ExperimentReport:
    experiment = _experiment(session, experiment_id)
    variants = session.scalars(select(ExperimentVariant).where(ExperimentVariant.experiment_id == experiment_id)
                               .order_by(ExperimentVariant.position)).all()
    a, t = ExperimentAssignment, FollowUpTask
    assigned = session.execute(select(a.id, a.variant_id, a.customer_id, a.assigned_at, t.outcome)
                               .outerjoin(t, t.id == a.task_id).where(a.experiment_id == experiment_id)).all()
    window = timedelta(days=experiment.window_days)
    orders: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    people = list({row.customer_id for row in assigned})
    earliest = min((row.assigned_at for row in assigned), default=None)
    for start in range(0, len(people), CHUNK):
        for customer_id, at, total in session.execute(
                select(Order.customer_id, Order.ordered_at, Order.total_fen).where(
                    Order.customer_id.in_(people[start:start + CHUNK]), Order.status.in_(SPEND_STATUSES),
                    Order.ordered_at >= earliest)):
            orders[customer_id].append((at, total))
    outcomes: dict[int, list[tuple[bool, bool, int]]] = defaultdict(list)
    for row in assigned:
        gmv = sum(total for at, total in orders.get(row.customer_id, ())
                  if row.assigned_at <= at < row.assigned_at + window)
        replied = row.outcome in ("replied", "bought")
        bought = row.outcome == "bought" or gmv > 0
        outcomes[row.variant_id].append((replied, bought, gmv))
    names = _details(session, variants)
    reports: list[VariantReport] = []
    control = outcomes.get(variants[0].id, []) if variants else []
    k0, n0 = sum(b for _r, b, _g in control), len(control)
    for i, v in enumerate(variants):
        mine = outcomes.get(v.id, [])
        n, k = len(mine), sum(b for _r, b, _g in mine)
        p_value, needs = None, None
        if i > 0:
            p_value = stats.two_proportion_p(k0, n0, k, n)
            if n0 and n:
                per_group = stats.sample_size_per_group(k0 / n0, k / n)
                if per_group is not None:
                    needs = max(0, per_group - n0) + max(0, per_group - n)
        significant = p_value is not None and p_value < stats.ALPHA
        reports.append(VariantReport(
            v.id, v.label, names.get(v.id, ""), n, stats.proportion(sum(r for r, _b, _g in mine), n),
            stats.proportion(k, n), stats.mean([g for _r, _b, g in mine], floor=0.0), p_value, significant,
            0 if significant else needs))
    return ExperimentReport(experiment.id, experiment.name, experiment.rule, experiment.target, experiment.status,
                            experiment.window_days, experiment.seed, experiment.winner_id, experiment.created_at,
                            reports)


def _details(session: Session, variants: Sequence[ExperimentVariant]) -> dict[int, str]:
    out = {}
    for v in variants:
        if v.template_id is not None:
            out[v.id] = session.scalar(select(MessageTemplate.name).where(MessageTemplate.id == v.template_id)) or ""
        elif v.coupon_batch_id is not None:
            out[v.id] = session.scalar(select(CouponBatch.name).where(CouponBatch.id == v.coupon_batch_id)) or ""
    return out


def make_default(session: Session, experiment_id: int, variant_id: int, now: datetime | None = None) -> None:
    """The owner keeps a variant: its template becomes the rule's message (or its batch the rule's
    coupon) and the test ends."""
    from livedesk.services import templates
    from livedesk.services.loyalty import coupons

    team.require(session, "run_experiments")
    experiment = _experiment(session, experiment_id)
    variant = session.get(ExperimentVariant, variant_id)
    if variant is None or variant.experiment_id != experiment_id:
        raise LoyaltyError("bad_variant", f"variant {variant_id} is not part of test {experiment.name!r}")
    if experiment.target == "template":
        winner = session.get(MessageTemplate, variant.template_id) if variant.template_id else None
        if winner is None:
            raise LoyaltyError("bad_variant", f"variant {variant.label}'s template was deleted")
        key = f"followup.{experiment.rule}"
        if winner.key != key:
            templates.save(session, key, winner.body)
    else:
        if variant.coupon_batch_id is None:
            raise LoyaltyError("bad_variant", f"variant {variant.label}'s coupon batch was deleted")
        coupons.set_rule(session, variant.coupon_batch_id, experiment.rule)
    _finish(experiment, now, winner_id=variant.id)


def stop(session: Session, experiment_id: int, now: datetime | None = None) -> None:
    """End a test without a winner: the rule goes back to its own template and coupon."""
    team.require(session, "run_experiments")
    _finish(_experiment(session, experiment_id), now, winner_id=None)


def _finish(experiment: Experiment, now: datetime | None, winner_id: int | None) -> None:
    if experiment.status != "running":
        raise LoyaltyError("not_running", f"test {experiment.name!r} has already finished")
    experiment.status, experiment.running_rule = "finished", None
    experiment.winner_id, experiment.ended_at = winner_id, now or utcnow()


def listing(session: Session) -> list[ExperimentRow]:
    counts = (select(ExperimentAssignment.experiment_id, func.count().label("n"))
              .group_by(ExperimentAssignment.experiment_id).subquery())
    e = Experiment
    rows = session.execute(select(e.id, e.name, e.rule, e.target, e.status, func.coalesce(counts.c.n, 0),
                                  e.created_at).outerjoin(counts, counts.c.experiment_id == e.id)
                           .order_by(e.status.desc(), e.created_at.desc(), e.id.desc()))
    return [ExperimentRow(*row) for row in rows]


def _experiment(session: Session, experiment_id: int) -> Experiment:
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise NotFound(f"A/B test {experiment_id} does not exist")
    return experiment
