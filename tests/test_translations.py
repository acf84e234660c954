"""Chinese first: every UI string has a zh_CN translation, and the shipped .qm matches the .ts."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator

from livedesk.ui.i18n import install_translators, translations_file

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("update_translations", ROOT / "scripts" / "update_translations.py")
tr_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tr_tool)


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    ts = tmp_path / "livedesk_zh_CN.ts"
    shutil.copy(ROOT / "resources" / "i18n" / "livedesk_zh_CN.ts", ts)
    tr_tool.lupdate(ts)
    missing = tr_tool.unfinished(ts)
    assert missing == [], "untranslated (run scripts/update_translations.py and translate): " + "; ".join(missing)


def test_shipped_qm_is_compiled_from_the_current_ts(tmp_path):
    qm = tmp_path / "out.qm"
    tr_tool.lrelease(ROOT / "resources" / "i18n" / "livedesk_zh_CN.ts", qm)
    assert qm.read_bytes() == translations_file("zh_CN").read_bytes(), "run scripts/update_translations.py"


@pytest.fixture
def app(qapp):
    yield qapp
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.deleteLater()


def test_chinese_is_loaded_for_livedesk_and_for_qt_itself(app):
    loaded = install_translators(app, "zh_CN")
    assert "livedesk_zh_CN" in loaded
    assert any(name.startswith(("qt_zh_CN", "qtbase_zh_CN")) for name in loaded)
    assert QCoreApplication.translate("Labels", "Gold Diamond member") == "金钻会员"
    qt_context, qt_text = "QPlatformTheme", "Cancel"  # variables: keep lupdate from collecting Qt's string
    assert QCoreApplication.translate(qt_context, qt_text) == "取消"


def test_english_loads_only_its_plural_forms(app):
    assert install_translators(app, "en") == ["livedesk_en"]
    assert QCoreApplication.translate("Labels", "Gold Diamond member") == "Gold Diamond member"
    # "5000 customer(s)" no more: the source is the plural, the catalogue the singular.
    assert QCoreApplication.translate("CustomersPage", "%n customers", "", 1) == "1 customer"
    assert QCoreApplication.translate("CustomersPage", "%n customers", "", 5000) == "5000 customers"


def test_every_plural_has_its_english_singular_and_the_qm_matches(tmp_path):
    ts = tmp_path / "livedesk_en.ts"
    shutil.copy(ROOT / "resources" / "i18n" / "livedesk_en.ts", ts)
    tr_tool.lupdate(ts)
    assert tr_tool.unfinished(ts) == []
    qm = tmp_path / "en.qm"
    tr_tool.lrelease(ROOT / "resources" / "i18n" / "livedesk_en.ts", qm)
    assert qm.read_bytes() == translations_file("en").read_bytes(), "run scripts/update_translations.py"


def test_an_unknown_language_is_refused(app):
    with pytest.raises(ValueError, match="unknown language"):
        install_translators(app, "xx")
