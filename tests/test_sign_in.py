"""The app opens as a team member: remembered per computer, asked (with the PIN) otherwise; a shop
without a team opens as its one user."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from livedesk.services import team
from livedesk.ui.sign_in_dialog import MEMBER_KEY, SignInDialog, sign_in_at_start


@pytest.fixture(autouse=True)
def fresh_computer(qapp):
    QSettings().remove(MEMBER_KEY)
    yield
    QSettings().remove(MEMBER_KEY)


@pytest.fixture
def crew(store):
    with store.write() as s:
        owner = team.add_member(s, "老板", "owner")
        host = team.add_member(s, "小美", "host")
        assistant = team.add_member(s, "小周", "assistant", pin="2468")
    return {"owner": owner, "host": host, "assistant": assistant}


def _never(_dialog: SignInDialog) -> bool:
    raise AssertionError("nobody should have been asked")


def test_a_shop_without_a_team_opens_as_its_one_user_without_asking(ctx):
    assert sign_in_at_start(ctx, ask=_never) and ctx.actor is None


def test_a_remembered_member_without_a_pin_goes_straight_in(ctx, crew):
    QSettings().setValue(MEMBER_KEY, crew["host"])
    assert sign_in_at_start(ctx, ask=_never)
    assert (ctx.actor.name, ctx.store.actor.role) == ("小美", "host")


def test_nobody_remembered_is_asked_and_quitting_does_not_open_the_app(qtbot, ctx, crew):
    asked = []

    def quit_(dialog: SignInDialog) -> bool:
        qtbot.addWidget(dialog)
        asked.append([dialog.member.itemText(i) for i in range(dialog.member.count())])
        dialog.reject()
        return False

    assert not sign_in_at_start(ctx, ask=quit_)
    assert asked == [["老板 · Owner", "小美 · Host", "小周 · Assistant"]] and ctx.actor is None


def test_a_remembered_member_with_a_pin_is_asked_for_it_and_a_wrong_pin_keeps_the_dialog_open(qtbot, ctx, crew):
    QSettings().setValue(MEMBER_KEY, crew["assistant"])

    def answer(dialog: SignInDialog) -> bool:
        qtbot.addWidget(dialog)
        assert dialog.chosen().name == "小周" and dialog.form.isRowVisible(dialog.pin)
        dialog.pin.setText("1111")
        dialog.accept()
        assert dialog.error.text() == "Wrong PIN." and ctx.actor is None
        dialog.pin.setText("2468")
        dialog.accept()
        return dialog.result() == SignInDialog.DialogCode.Accepted

    assert sign_in_at_start(ctx, ask=answer)
    assert ctx.actor.name == "小周" and int(QSettings().value(MEMBER_KEY)) == crew["assistant"]


def test_choosing_a_member_without_a_pin_hides_the_pin(qtbot, ctx, crew):
    with ctx.store.read() as s:
        dialog = SignInDialog(ctx, team.members(s), crew["assistant"])
    qtbot.addWidget(dialog)
    dialog.member.setCurrentIndex(dialog.member.findData(crew["owner"]))
    assert not dialog.form.isRowVisible(dialog.pin)
    dialog.accept()
    assert ctx.actor.member_id == crew["owner"] and int(QSettings().value(MEMBER_KEY)) == crew["owner"]


def test_a_member_who_left_the_team_since_is_asked_again(qtbot, ctx, crew):
    QSettings().setValue(MEMBER_KEY, crew["host"])
    with ctx.store.write(team.Actor(crew["owner"], "老板", "owner")) as s:
        team.deactivate(s, crew["host"])
    offered = []

    def look(dialog: SignInDialog) -> bool:
        qtbot.addWidget(dialog)
        offered.extend(m.name for m in dialog.members)
        return False

    assert not sign_in_at_start(ctx, ask=look) and offered == ["老板", "小周"]


def test_the_owner_adding_the_first_member_acts_as_them_from_then_on(qtbot, ctx):
    from livedesk.ui.team_box import MemberDialog, TeamBox

    box = TeamBox(ctx)
    qtbot.addWidget(box)
    box.add()
    dialog = box.findChild(MemberDialog)
    assert dialog.role.currentData() == "owner"  # a team starts with its owner
    dialog.name.setText("老板")
    dialog.accept()
    qtbot.waitUntil(lambda: ctx.actor is not None)
    assert (ctx.actor.name, ctx.actor.role) == ("老板", "owner") and "老板" in box.acting.text()
