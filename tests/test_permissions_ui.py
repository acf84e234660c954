"""Every page that does an owner's job, with an assistant signed in: the service refuses and the
page says so in words (never a traceback), with nothing changed. The table of what each page does
is here; the guard itself is the service's (test_permissions.py)."""

from __future__ import annotations

import importlib

import pytest

from helpers import state
from livedesk.services import team

OWNER_WORDS = "Only an owner may do this (you act as 小周)"
LOYALTY_WORDS = "Only the shop owner can do this"

# permission -> (the page: module.Class under livedesk.ui, fields typed in, what the person does,
#               the label that answers, its words, a button not offered to an assistant or None)
PAGES = {
    "export_all": ("customers_page.CustomersPage", {}, lambda w, d, tmp: w.export_to("customers", str(tmp / "all.xlsx")),
                   "notice", OWNER_WORDS, None),
    "merge": ("duplicates_dialog.DuplicatesDialog", {},
              lambda w, d, tmp: (setattr(w, "pair", (d["a"], d["b"])), w.merge()), "feedback", OWNER_WORDS, None),
    "revert_import": ("import_page.ImportPage", {}, lambda w, d, tmp: w.revert(d["batch"]), "summary", OWNER_WORDS,
                      None),
    "restore": ("backups_page.BackupsPage", {}, lambda w, d, tmp: w._restore(d["backup"]), "status", OWNER_WORDS,
                None),
    "change_rules": ("settings_page.SettingsPage", {"shop_name": "改了名的店"}, lambda w, d, tmp: w.save(), "state",
                     OWNER_WORDS, None),
    "manage_perks": ("loyalty.perks_box.PerkCatalogueBox", {"code": "tea", "name": "花茶"},
                     lambda w, d, tmp: w.save(), "feedback", LOYALTY_WORDS, None),
    "manage_coupons": ("loyalty.coupons_box.CouponBatchesBox", {"name": "新券"}, lambda w, d, tmp: w.create(),
                       "feedback", LOYALTY_WORDS, None),
    "run_experiments": ("loyalty.experiments_dialog.ExperimentsDialog", {}, lambda w, d, tmp: w.stop(), "verdict",
                        LOYALTY_WORDS, "stop_button"),
}
# Pages of the other permissions have tests of their own: erase (test_privacy_ui), manage_team
# (test_team_box), undo_redemption (test_loyalty_ui).


@pytest.mark.parametrize("permission", [pytest.param(p, marks=pytest.mark.sqlite_only) if p == "restore" else p
                                        for p in sorted(PAGES)])
def test_an_assistant_is_refused_in_words_on_every_page(qtbot, ctx, team_shop, tmp_path, permission):
    where, typed, act, answer, words, hidden = PAGES[permission]
    with ctx.store.read() as s:
        ctx.store.actor = ctx.actor = team.sign_in(s, team_shop["assistant"])
    before = state(ctx.store)
    module, name = where.rsplit(".", 1)
    widget = getattr(importlib.import_module(f"livedesk.ui.{module}"), name)(ctx)
    qtbot.addWidget(widget)
    for field, text in typed.items():
        getattr(widget, field).setText(text)
    if hidden:  # a convenience: the service refuses whatever the page offers
        assert not getattr(widget, hidden).isEnabled()
    act(widget, team_shop, tmp_path)
    qtbot.waitUntil(lambda: words in getattr(widget, answer).text(), timeout=10_000)
    assert state(ctx.store) == before and not (tmp_path / "all.xlsx").exists()
