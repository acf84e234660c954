"""Every permission of services/team, role by role: an assistant, a host and nobody signed in (in a
shop with a team) are refused in words with nothing changed; the owner may. The same through the
command line, whose refusals say how to act (``--as``).

A table row per permission: a new permission without a row here fails
``test_every_permission_has_a_row_in_the_table``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers import db_args, state
from livedesk.services import backups, customers, encryption, erasure, export, importing, merge, settings, team
from livedesk.services.customers import NewCustomer
from livedesk.services.loyalty import coupons, experiments, perks
from livedesk.services.sync import douyin_decrypt


def _actor(store, member_id: int) -> team.Actor:
    with store.read() as s:
        return team.sign_in(s, member_id)


def _read(store, action):
    with store.read() as s:
        return action(s)


def _write(store, action):
    with store.write() as s:
        return action(s)


# permission -> what it guards, done through the service as whoever the store acts as
SERVICE = {
    "export_all": lambda st, d, tmp: _read(st, lambda s: export.export_customers(s, tmp / "all.csv")),
    "erase": lambda st, d, tmp: _write(st, lambda s: erasure.erase(s, d["c"])),
    "merge": lambda st, d, tmp: _write(st, lambda s: merge.merge(s, d["a"], d["b"])),
    "revert_import": lambda st, d, tmp: _write(st, lambda s: importing.revert_batch(s, d["batch"])),
    "change_rules": lambda st, d, tmp: _write(st, lambda s: settings.set_value(s, "shop.name", "改了名的店")),
    "manage_team": lambda st, d, tmp: _write(st, lambda s: team.add_member(s, "新人")),
    "restore": lambda st, d, tmp: backups.restore_as_member(st, d["backup"]),
    "undo_redemption": lambda st, d, tmp: _write(st, lambda s: perks.undo(s, d["entry"])),
    "manage_perks": lambda st, d, tmp: _write(st, lambda s: perks.save_perk(s, "tea", "花茶", 50)),
    "manage_coupons": lambda st, d, tmp: _write(st, lambda s: coupons.add_codes(s, d["coupons"], ["NEW-0001"])),
    "run_experiments": lambda st, d, tmp: _write(st, lambda s: experiments.stop(s, d["experiment"])),
    # refused before the platform is asked anything (no api); the owner's run finds no such order
    "decrypt_recipients": lambda st, d, tmp: douyin_decrypt.decrypt_orders(st, None, ["NO-SUCH-ORDER"]),
    # checked (and audited) before a conversion touches the file
    "encrypt_store": lambda st, d, tmp: _write(st, lambda s: encryption.authorize(s, "encrypt")),
}


def test_every_permission_has_a_row_in_the_table():
    assert set(SERVICE) == set(team.PERMISSIONS) == set(team.DOING)


@pytest.mark.parametrize("permission", sorted(team.PERMISSIONS))
def test_each_permission_is_checked_in_its_service(permission):
    """The guard is in services (the CLI and every page call them), not in a button."""
    sources = "\n".join(p.read_text(encoding="utf-8") for p in Path(team.__file__).parent.rglob("*.py"))
    assert re.search(rf'\brequire\(session, "{permission}"\)', sources)


def _on_files(permissions):
    """Each permission as a test parameter; restoring a backup over the store is about the SQLite file."""
    return [pytest.param(p, marks=pytest.mark.sqlite_only) if p == "restore" else p for p in sorted(permissions)]


@pytest.mark.parametrize("permission", _on_files(team.PERMISSIONS))
def test_only_the_owner_may_and_the_others_are_refused_in_words_with_nothing_changed(
        store, team_shop, tmp_path, permission):
    act = SERVICE[permission]
    before = state(store)
    for who, words in ((team_shop["assistant"], f"小周 (assistant) may not {team.DOING[permission]}"),
                       (team_shop["host"], f"小美 (host) may not {team.DOING[permission]}"),
                       (None, f"nobody is signed in and this shop has a team: only an owner may "
                              f"{team.DOING[permission]}")):
        store.actor = _actor(store, who) if who else None
        with pytest.raises(team.PermissionDenied) as refused:
            act(store, team_shop, tmp_path)
        assert str(refused.value).startswith(words) and refused.value.permission == permission
        assert state(store) == before
    store.actor = _actor(store, team_shop["owner"])
    act(store, team_shop, tmp_path)
    if permission not in ("export_all", "restore", "decrypt_recipients"):  # reads; the same contents; no order
        assert state(store) != before


def test_every_shop_rule_is_an_owners_change(store, team_shop):
    assert settings.RULES <= set(settings.DEFAULTS)
    assert {"intents.extra_terms", "intents.ignore_terms", "compliance.extra_terms", "tiers.rules"} <= settings.RULES
    store.actor = _actor(store, team_shop["assistant"])
    for key in sorted(settings.RULES):
        with pytest.raises(team.PermissionDenied), store.write() as s:
            settings.set_value(s, key, settings.get(s, key))
    with store.write() as s:  # the app's own bookkeeping is not a rule
        settings.set_value(s, "followups.generated_at", None)


def test_a_shop_without_a_team_is_its_one_users_to_run(store, tmp_path):
    with store.write() as s:
        cid = customers.create(s, NewCustomer(nickname="王姐"))
        settings.set_value(s, "shop.name", "一个人的店")
    with store.read() as s:
        export.export_customers(s, tmp_path / "all.csv")
    with store.write() as s:
        erasure.erase(s, cid)


def test_an_unknown_permission_is_a_mistake_not_an_open_door(store):
    with store.read() as s, pytest.raises(KeyError):
        team.require(s, "export_everything")


# permission -> the command that needs it ({name} from the shop fixture)
COMMANDS = {
    "export_all": ["export", "customers", "{tmp}/all.csv"],
    "erase": ["customers", "erase", "{c}", "--yes"],
    "merge": ["duplicates", "merge", "{a}", "{b}"],
    "revert_import": ["import", "revert", "{batch}"],
    "restore": ["restore", "{backup}"],
    "manage_team": ["team", "add", "新人"],
    "undo_redemption": ["points", "undo", "{entry}"],
    "manage_coupons": ["coupons", "add-codes", "{coupons}", "{codes}"],
}


@pytest.mark.parametrize("permission", _on_files(COMMANDS))
def test_the_command_line_wants_to_know_who_acts_and_obeys_their_role(store, team_shop, tmp_path, capsys,
                                                                       monkeypatch, permission):
    from livedesk.cli import main

    monkeypatch.delenv("LIVEDESK_MEMBER", raising=False)
    command = [part.format(tmp=tmp_path, **team_shop) for part in COMMANDS[permission]]
    db = db_args(store)
    before = state(store)
    assert main([*db, *command]) == 1
    said = capsys.readouterr().err
    assert "nobody is signed in" in said and "--as NAME" in said and "LIVEDESK_MEMBER" in said
    assert main([*db, "--as", "小周", *command]) == 1
    assert f"小周 (assistant) may not {team.DOING[permission]}" in capsys.readouterr().err
    assert state(store) == before and not (tmp_path / "all.csv").exists()
    monkeypatch.setenv("LIVEDESK_MEMBER", "老板")
    assert main([*db, *command]) == 0, capsys.readouterr().err


def test_a_refused_loyalty_command_answers_in_json_too(store, team_shop, capsys):
    import json

    from livedesk.cli import main

    assert main([*db_args(store), "--as", "小周", "points", "undo", str(team_shop["entry"]), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "not_allowed"
    assert main([*db_args(store), "points", "undo", str(team_shop["entry"]), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "sign_in"


def test_an_assistant_erasing_at_a_terminal_is_refused_before_the_plan_and_the_question(store, team_shop, capsys,
                                                                                        monkeypatch):
    import io

    from livedesk import cli

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(cli.sys, "stdin", Terminal())
    monkeypatch.setattr(cli, "_ask", lambda _question: pytest.fail("asked to confirm an erasure it may not do"))
    assert cli.main([*db_args(store), "--as", "小周", "customers", "erase", str(team_shop["c"])]) == 1
    out = capsys.readouterr()
    assert "小周 (assistant) may not erase a customer" in out.err and "路人" not in out.out
