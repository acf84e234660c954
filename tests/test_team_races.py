"""Two people at once, in two processes released together, 20 rounds each: every write happens
exactly once, the loser is told who won, and nobody's write is dropped. On an SQLite file (two
programs on one machine) and on a PostgreSQL server (two machines)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from livedesk.models import FollowUpTask, Note
from livedesk.models.base import utcnow
from livedesk.services import broadcasts, customers, followups, team
from livedesk.services.customers import NewCustomer
from races import race

ROUNDS = 20


@pytest.fixture
def shop(store):
    with store.write() as s:
        owner = team.add_member(s, "老板", "owner")
        assistants = [team.add_member(s, name) for name in ("小周", "小吴")]
        cid = customers.create(s, NewCustomer(nickname="王姐"))
    return {"owner": owner, "assistants": assistants, "customer": cid}


def _as(store, worker):
    with store.read() as s:
        names = [m for m in team.members(s) if m.role == "assistant"]
        store.actor = team.sign_in(s, names[worker].id)


def complete_task(store, round_, worker):
    _as(store, worker)
    with store.read() as s:
        task_id = s.scalar(select(func.max(FollowUpTask.id)))
    with store.write() as s:
        followups.complete(s, task_id, "replied", f"worker {worker}")
    return store.actor.name


def test_a_task_completed_by_two_people_at_once_is_done_once_and_the_second_hears_who(store, shop):
    def new_task(_round):
        with store.write() as s:
            followups.create_manual(s, shop["customer"], "manual", utcnow() + timedelta(hours=1))

    outcomes = race(store.url, complete_task, ROUNDS, new_task)
    for both in outcomes:
        winners = [o[1] for o in both if o[0] == "ok"]
        losers = [o for o in both if o[0] != "ok"]
        assert len(winners) == 1 and len(losers) == 1, both
        assert losers[0][0] == "TaskError" and losers[0][2] == "not_open"
        assert f"by {winners[0]}" in losers[0][1]  # the second is told who did it first
    with store.read() as s:
        done = list(s.scalars(select(FollowUpTask).where(FollowUpTask.status == "done")))
        outcome_notes = s.scalar(select(func.count(Note.id)).where(Note.kind == "followup"))
    assert len(done) == ROUNDS and outcome_notes == ROUNDS  # one outcome each, never two


def start_broadcast(store, round_, worker):
    with store.write() as s:
        return broadcasts.start(s, f"第{round_}场 by {worker}", "douyin", "room-1").id


def test_two_machines_starting_the_room_at_once_make_one_broadcast(store, shop):
    def end_live(_round):
        with store.write() as s:
            live = broadcasts.current(s)
            if live is not None:
                broadcasts.end(s, live.id)

    outcomes = race(store.url, start_broadcast, ROUNDS, end_live)
    for both in outcomes:
        assert sorted(o[0] for o in both) == ["BroadcastError", "ok"], both


def add_note(store, round_, worker):
    _as(store, worker)
    with store.read() as s:
        cid = s.scalar(select(func.min(Note.customer_id))) or 1
    with store.write() as s:
        return customers.add_note(s, cid, f"round {round_} worker {worker}")


def test_notes_saved_at_once_are_both_kept_with_their_authors(store, shop):
    with store.write() as s:
        customers.add_note(s, shop["customer"], "first")
    outcomes = race(store.url, add_note, ROUNDS)
    assert all(o[0] == "ok" for both in outcomes for o in both), outcomes
    with store.read() as s:
        authors = s.execute(select(Note.author_id, func.count()).where(Note.body.like("round %"))
                            .group_by(Note.author_id)).all()
    assert sorted(n for _a, n in authors) == [ROUNDS, ROUNDS]
    assert {a for a, _n in authors} == set(shop["assistants"])


def edit_note(store, round_, worker):
    _as(store, worker)
    with store.read() as s:
        note_id = s.scalar(select(func.max(Note.id)))
    with store.write() as s:  # both opened the note when it was new: version 1
        return customers.edit_note(s, note_id, f"edited by {worker}", expected_version=1)


def test_a_note_edited_by_two_people_at_once_keeps_one_and_asks_the_other(store, shop):
    def fresh_note(round_):
        with store.write() as s:
            customers.add_note(s, shop["customer"], f"note {round_}")

    outcomes = race(store.url, edit_note, ROUNDS, fresh_note)
    for both in outcomes:
        assert sorted(o[0] for o in both) == ["NoteConflict", "ok"], both


AFTER_THE_ORDERS = datetime(2024, 5, 3, 2, 0, tzinfo=timezone.utc)  # the file's buyers are two days old


def generate(store, round_, worker):
    with store.write() as s:
        return followups.generate(s, now=AFTER_THE_ORDERS).total_created


def test_follow_ups_generated_on_two_machines_at_once_are_created_once(store, shop):
    from pathlib import Path

    from livedesk.services import importing, settings

    importing.import_orders(store.write_factory, Path(__file__).parent / "data" / "douyin_orders.csv")
    with store.write() as s:
        expected = followups.generate(s, now=AFTER_THE_ORDERS).total_created

    def reset(_round):
        with store.write() as s:
            s.execute(FollowUpTask.__table__.delete())
            settings.set_value(s, "followups.generated_at", None)

    assert expected > 0
    outcomes = race(store.url, generate, 5, reset)
    for both in outcomes:
        assert sorted(o[1] for o in both) == [0, expected], both
