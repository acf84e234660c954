"""设置 › 团队: members added and signed in from the page; a refusal is worded, never a traceback."""

from __future__ import annotations

import pytest

from livedesk.services import customers, team
from livedesk.services.customers import NewCustomer
from livedesk.ui.team_box import TeamBox


@pytest.fixture
def box(qtbot, ctx):
    widget = TeamBox(ctx)
    qtbot.addWidget(widget)
    return widget


def test_an_owner_signs_in_and_adds_an_assistant_whose_note_carries_their_name(qtbot, box, ctx, store):
    with store.write() as s:
        owner = team.add_member(s, "老板", "owner")
        cid = customers.create(s, NewCustomer(nickname="王姐"))
    box.reload()
    box.table.selectRow(0)
    box.sign_in_as()
    assert ctx.store.actor.member_id == owner and "老板" in box.acting.text()
    box._run(lambda s: team.add_member(s, "小周"), "added")
    qtbot.waitUntil(lambda: len(box.model.members) == 2)
    box.table.selectRow(1)
    box.sign_in_as()
    with store.write() as s:
        customers.add_note(s, cid, "记一笔")
        assert customers.card(s, cid).notes[0].author == "小周"


def test_an_assistant_trying_to_change_the_team_is_told_only_an_owner_can(qtbot, box, ctx, store):
    with store.write() as s:
        team.add_member(s, "老板", "owner")
        team.add_member(s, "小周")
    box.reload()
    box.table.selectRow(1)
    box.sign_in_as()
    box._run(lambda s: team.add_member(s, "新人"), "added")
    qtbot.waitUntil(lambda: box.feedback.text() == "Only an owner can change the team.")
    assert [m.name for m in box.model.members] == ["老板", "小周"]


def test_the_page_follows_a_member_added_elsewhere(qtbot, box, store):
    store.apply(team.add_member, "从另一台电脑添加", "owner")
    qtbot.waitUntil(lambda: [m.name for m in box.model.members] == ["从另一台电脑添加"])
