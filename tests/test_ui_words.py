"""Service refusals reach the UI as words in its language, never as a service's English or an exception's text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator

from livedesk.services import broadcasts, export, segments, templates, vip_sessions
from livedesk.services.errors import Refused
from livedesk.services.feeds import matching, source
from livedesk.services.followups import tasks
from livedesk.services.importing import orders_import
from livedesk.ui import errors, labels
from livedesk.ui.i18n import install_translators

ROOT = Path(__file__).resolve().parent.parent
RAISING = {  # class name in the services -> the class
    "BroadcastError": broadcasts.BroadcastError, "InvitationError": vip_sessions.InvitationError,
    "TaskError": tasks.TaskError, "TemplateError": templates.TemplateError, "FeedConfigError": source.FeedConfigError,
    "LinkError": matching.LinkError, "ImportSetupError": orders_import.ImportSetupError,
    "RulesError": segments.RulesError, "ExportError": export.ExportError,
}


@pytest.fixture
def chinese(qapp):
    install_translators(qapp, "zh_CN")
    yield qapp
    for translator in qapp.findChildren(QTranslator):
        QCoreApplication.removeTranslator(translator)
        translator.deleteLater()


def test_every_code_a_service_raises_has_words_in_the_ui(qapp):
    raised = set()
    for path in (ROOT / "livedesk" / "services").rglob("*.py"):
        for name, code in re.findall(r"raise (\w+Error)\(\s*\"(\w+)\"", path.read_text(encoding="utf-8")):
            if name in RAISING:
                raised.add((name, code))
    assert len(raised) > 40
    missing = [(name, code) for name, code in sorted(raised)
               if errors.refused(RAISING[name](code, "english for the log")) is None]
    assert missing == []


def test_a_refusal_is_worded_in_chinese_with_its_values(chinese):
    exc = broadcasts.BroadcastError("still_live", "“早场” is still live: end it before starting another", title="早场")
    assert errors.describe(exc) == "“早场”还在直播中：先结束它再开新的一场"
    skip = tasks.TaskError("reason_required", "skipping task 785 needs a reason")
    assert "785" not in errors.describe(skip) and "原因" in errors.describe(skip)


def test_an_os_error_or_a_bug_never_shows_its_text(chinese):
    refused = errors.describe(ConnectionRefusedError(111, "Connection refused"))
    assert "Errno" not in refused and "抓取工具" in refused
    assert errors.describe(RuntimeError("boom: internal detail")) == "出了点问题，已记录在日志里。数据是安全的。"
    assert errors.feed_error("refused") == "这个地址没有回应：弹幕抓取工具开着吗？"


def test_shipped_names_and_reasons_follow_the_ui_language_and_the_shops_own_stay(qapp):
    assert labels.template_name("greeting.gold", "金钻会员进场") == "Gold Diamond member arrives"
    assert labels.template_name("greeting.gold", "我们的金钻欢迎") == "我们的金钻欢迎"  # renamed by the shop
    assert labels.placeholder_meaning("称呼") == "The customer's nickname"
    from livedesk.services import compliance

    shipped = compliance.wordlist()["categories"]["superlative"]["reason"]
    assert labels.compliance_reason("superlative", shipped).startswith("A 最-type absolute term")
    assert labels.compliance_reason("shop", "平台不允许") == "平台不允许"


def test_refusals_keep_an_english_sentence_for_the_command_line():
    exc = vip_sessions.InvitationError("full", "no seat is free: the session is at capacity")
    assert isinstance(exc, Refused) and isinstance(exc, ValueError) and str(exc).startswith("no seat")
