"""The demo's last broadcasts as rooms: a run-of-show marked on air, an audience curve and the
intents of the comments, so the broadcast report reads like a real stream on the first day.

Deterministic from the demo's seed. The room moves as rooms do: it fills in the opening lucky
bag, rises again at each draw and flash deal, and drifts down through the long product
explanations; the assistant marks each line a little before or after its plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from livedesk.models import Appearance, Broadcast
from livedesk.services.room import audience, run_of_show
from livedesk.services.room.audience import AudienceBatch, IntentRow, Minute

ROOMS = 3  # the latest broadcasts get a room
PULL = {"draw": 0.035, "flash": 0.02, "product": -0.006}  # share of the room gained (lost) per minute
INTENT_MIX = {"product": ("buy", "price", "shade", "suitability", "link", "stock"), "flash": ("buy", "stock", "link"),
              "draw": ("buy", "shipping")}


def write_rooms(session: Session, rng: np.random.Generator, now: datetime) -> int:
    """Plan, mark and record the latest ``ROOMS`` ended broadcasts; returns how many."""
    shows = session.scalars(select(Broadcast).where(Broadcast.ended_at.is_not(None), Broadcast.started_at < now)
                            .order_by(Broadcast.started_at.desc()).limit(ROOMS)).all()
    for show in shows:
        _room(session, rng, show)
    return len(shows)


def _room(session: Session, rng: np.random.Generator, show: Broadcast) -> None:
    plan = run_of_show.example_plan(session, now=show.started_at)
    run_of_show.plan(session, show.id, plan)
    # Actual minutes: the plan, give or take a few (a product that sells well is kept on longer).
    actual = [max(2, int(i.planned_minutes + rng.integers(-3, 6))) for i in plan]
    moment = show.started_at + timedelta(minutes=2)
    starts = []
    for position, minutes in enumerate(actual, 1):
        run_of_show.mark_now(session, show.id, position, now=moment)
        starts.append(moment)
        moment += timedelta(minutes=minutes)
    show.ended_at = end = moment  # the stream ends with its last line
    viewers = session.execute(select(Appearance.viewer_key, Appearance.customer_id).where(
        Appearance.broadcast_id == show.id).limit(400)).all() or [(f"viewer-{n}", None) for n in range(50)]
    online = float(rng.integers(300, 900))
    minutes, intents = [], []
    t = audience.minute_of(show.started_at)
    while t < end:
        position = sum(1 for s in starts if s <= t)  # 0 before the first line
        kind = plan[position - 1].kind if position else "draw"
        online = max(50.0, online * (1 + PULL[kind] + rng.normal(0, 0.01)))
        comments = int(rng.poisson(online / 40))
        minutes.append(Minute(t, online=int(online), total_viewers=int(online * 3),
                              entries=int(rng.poisson(online / 15)), comments=comments, gifts=int(rng.poisson(1)),
                              likes=int(rng.poisson(online / 2))))
        mix = INTENT_MIX[kind]
        for _ in range(int(rng.poisson(comments / 6))):
            key, customer_id = viewers[int(rng.integers(len(viewers)))]
            intents.append(IntentRow(mix[int(rng.integers(len(mix)))], position or None, key, customer_id, t))
        t += timedelta(minutes=1)
    audience.record(session, show.id, AudienceBatch(minutes, intents))
