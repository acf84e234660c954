"""Team members, their roles and who is acting: enforced in the services, whatever the caller."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from livedesk.models import AuditEntry, Note
from livedesk.services import customers, export, merge, segments, settings, team
from livedesk.services.customers import CustomerFilter, NewCustomer
from livedesk.services.team import PermissionDenied, TeamError


@pytest.fixture
def crew(store):
    with store.write() as s:
        ids = {role: team.add_member(s, name, role) for name, role in
               (("老板", "owner"), ("小美", "host"), ("小周", "assistant"))}
        team.set_pin(s, ids["assistant"], "2468")
        a = customers.create(s, NewCustomer(nickname="王姐", phone="13800000001"))
        b = customers.create(s, NewCustomer(nickname="王姐2", phone="13800000001"))
    return {**ids, "a": a, "b": b}


def _sign_in(store, member_id, pin=None):
    with store.read() as s:
        store.actor = team.sign_in(s, member_id, pin)


def test_an_assistant_may_not_export_everyone_merge_or_change_rules_but_may_export_a_tier(store, crew, tmp_path):
    _sign_in(store, crew["assistant"], "2468")
    with store.read() as s, pytest.raises(PermissionDenied):
        export.export_customers(s, tmp_path / "all.csv")
    with store.read() as s:
        export.export_customers(s, tmp_path / "vip.csv", CustomerFilter(tier="vip"))
    with pytest.raises(PermissionDenied), store.write() as s:
        merge.merge(s, crew["a"], crew["b"])
    with pytest.raises(PermissionDenied), store.write() as s:
        settings.set_value(s, "levels", settings.get(s, "levels"))
    with store.write() as s:  # the app's own bookkeeping is not a rule
        segments.recompute_if_stale(s, date.today())


def test_the_owner_may_do_everything_and_the_audit_names_the_member_not_the_os_user(store, crew):
    _sign_in(store, crew["owner"])
    with store.write() as s:
        merge.merge(s, crew["a"], crew["b"])
    with store.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "merge"))
    assert (entry.actor, entry.member_id) == ("老板", crew["owner"])


def test_notes_carry_their_author(store, crew):
    _sign_in(store, crew["host"])
    with store.write() as s:
        note_id = customers.add_note(s, crew["a"], "在直播间说过敏")
    with store.read() as s:
        assert s.get(Note, note_id).author_id == crew["host"]
        assert customers.card(s, crew["a"]).notes[0].author == "小美"


def test_a_wrong_pin_or_a_deactivated_member_cannot_sign_in(store, crew):
    with store.read() as s, pytest.raises(TeamError) as wrong:
        team.sign_in(s, crew["assistant"], "0000")
    assert wrong.value.code == "wrong_pin"
    _sign_in(store, crew["owner"])
    with store.write() as s:
        team.deactivate(s, crew["assistant"])
    with store.read() as s, pytest.raises(TeamError) as gone:
        team.sign_in(s, crew["assistant"], "2468")
    assert gone.value.code == "no_member"


def test_the_last_owner_cannot_be_demoted_or_deactivated(store, crew):
    _sign_in(store, crew["owner"])
    for change in (lambda s: team.set_role(s, crew["owner"], "host"), lambda s: team.deactivate(s, crew["owner"])):
        with pytest.raises(TeamError) as refused, store.write() as s:
            change(s)
        assert refused.value.code == "last_owner"


def test_only_an_owner_manages_the_team(store, crew):
    _sign_in(store, crew["host"])
    with pytest.raises(PermissionDenied), store.write() as s:
        team.add_member(s, "新人")
    with store.write() as s:  # but a member changes their own PIN
        team.set_pin(s, crew["host"], "1357")


@pytest.mark.sqlite_only
def test_the_command_line_acts_as_a_member_and_obeys_their_role(store, tmp_path, capsys):
    from livedesk.cli import main

    db = ["--db", str(store.path)]
    assert main([*db, "team", "add", "老板", "--role", "owner"]) == 0
    assert main([*db, "--as", "老板", "team", "add", "小周", "--new-pin", "2468"]) == 0
    assert main([*db, "--as", "小周", "--pin", "2468", "export", "customers", str(tmp_path / "all.csv")]) == 1
    assert "may not export all" in capsys.readouterr().err
    assert not (tmp_path / "all.csv").exists()
    assert main([*db, "--as", "小周", "--pin", "1111", "team", "list"]) == 1
    assert "wrong PIN" in capsys.readouterr().err
    assert main([*db, "--as", "老板", "export", "customers", str(tmp_path / "all.csv")]) == 0


@pytest.mark.sqlite_only
def test_an_import_whose_follow_ups_meet_a_busy_store_still_exits_0_and_says_so(store, tmp_path, capsys,
                                                                                  monkeypatch):
    import json
    from pathlib import Path

    from livedesk import cli
    from livedesk.services.store import StoreBusy

    monkeypatch.setattr("livedesk.services.followups.generate", lambda _s: (_ for _ in ()).throw(StoreBusy(120)))
    code = cli.main(["--db", str(store.path), "import", "orders",
                     str(Path(__file__).parent / "data" / "douyin_orders.csv"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["committed"] and "busy" in out["followups"]
