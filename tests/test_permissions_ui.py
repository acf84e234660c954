"""Every page that does an owner's job, with an assistant signed in: the service refuses and the
page says so in words (never a traceback), with nothing changed. The table of what each page does
is here; the guard itself is the service's (test_permissions.py)."""

from __future__ import annotations

import pytest

from helpers import state
from livedesk.services import team

OWNER_WORDS = "Only an owner may do this (you act as 小周)"
LOYALTY_WORDS = "Only the shop owner can do this"


def _customers_export(qtbot, ctx, shop, tmp_path):
    from livedesk.ui.customers_page import CustomersPage

    page = CustomersPage(ctx)
    page.export_to("customers", str(tmp_path / "all.xlsx"))
    return page, lambda: page.notice.text()


def _duplicates_merge(qtbot, ctx, shop, tmp_path):
    from livedesk.ui.duplicates_dialog import DuplicatesDialog

    dialog = DuplicatesDialog(ctx)
    dialog.pair = (shop["a"], shop["b"])
    dialog.merge()
    return dialog, lambda: dialog.feedback.text()


def _import_revert(qtbot, ctx, shop, tmp_path):
    from livedesk.ui.import_page import ImportPage

    page = ImportPage(ctx)
    page.revert(shop["batch"])
    return page, lambda: page.summary.text()


def _backups_restore(qtbot, ctx, shop, tmp_path):
    from livedesk.ui.backups_page import BackupsPage

    page = BackupsPage(ctx)
    page._restore(shop["backup"])
    return page, lambda: page.status.text()


def _settings_save(qtbot, ctx, shop, tmp_path):
    from livedesk.ui.settings_page import SettingsPage

    page = SettingsPage(ctx)
    page.shop_name.setText("改了名的店")
    page.save()
    return page, lambda: page.state.text()


def _perk_save(qtbot, ctx, shop, tmp_path):
    from livedesk.ui.loyalty.perks_box import PerkCatalogueBox

    box = PerkCatalogueBox(ctx)
    box.code.setText("tea")
    box.name.setText("花茶")
    box.save()
    return box, lambda: box.feedback.text()


def _coupon_batch(qtbot, ctx, shop, tmp_path):
    from livedesk.ui.loyalty.coupons_box import CouponBatchesBox

    box = CouponBatchesBox(ctx)
    box.name.setText("新券")
    box.create()
    return box, lambda: box.feedback.text()


def _experiment_stop(qtbot, ctx, shop, tmp_path):
    from livedesk.ui.loyalty.experiments_dialog import ExperimentsDialog

    dialog = ExperimentsDialog(ctx)
    assert not dialog.stop_button.isEnabled()  # not offered to an assistant; the service refuses anyway
    dialog.stop()
    return dialog, lambda: dialog.verdict.text()


PAGES = {
    "export_all": (_customers_export, OWNER_WORDS),
    "merge": (_duplicates_merge, OWNER_WORDS),
    "revert_import": (_import_revert, OWNER_WORDS),
    "restore": (_backups_restore, OWNER_WORDS),
    "change_rules": (_settings_save, OWNER_WORDS),
    "manage_perks": (_perk_save, LOYALTY_WORDS),
    "manage_coupons": (_coupon_batch, LOYALTY_WORDS),
    "run_experiments": (_experiment_stop, LOYALTY_WORDS),
}
# Pages of the other permissions have tests of their own: erase (test_privacy_ui), manage_team
# (test_team_box), undo_redemption (test_loyalty_ui).


@pytest.mark.parametrize("permission", sorted(PAGES))
def test_an_assistant_is_refused_in_words_on_every_page(qtbot, ctx, team_shop, tmp_path, permission):
    with ctx.store.read() as s:
        ctx.store.actor = ctx.actor = team.sign_in(s, team_shop["assistant"])
    before = state(ctx.store)
    build, words = PAGES[permission]
    widget, said = build(qtbot, ctx, team_shop, tmp_path)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: words in said(), timeout=10_000)
    assert state(ctx.store) == before and not (tmp_path / "all.xlsx").exists()
