"""The 跟进 tools around the queue: template editor, script check, follow-up rule and word-list
settings, manual tasks from wherever a customer is shown, survey answers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from livedesk.models import FollowUpTask, MessageTemplate, SurveyResponse
from livedesk.services import customers, followups, team, templates
from livedesk.services.customers import NewCustomer
from livedesk.services.followups.config import rule_settings
from livedesk.ui.compliance_view import ScriptCheckPage, utf16_spans
from livedesk.ui.manual_task_dialog import ManualTaskDialog
from livedesk.ui.settings_page import ComplianceTermsBox, FollowupRulesBox
from livedesk.ui.templates_page import TemplatesPage


@pytest.fixture
def customer(store):
    with store.write() as s:
        return customers.create(s, NewCustomer(nickname="王姐"))


def _select_template(page: TemplatesPage, key: str) -> None:
    page.select([v.key for v in page.views].index(key))


def test_the_template_preview_fills_placeholders_for_the_chosen_customer(qtbot, ctx, customer):
    page = TemplatesPage(ctx)
    qtbot.addWidget(page)
    _select_template(page, "followup.wakeup")
    page.customer.setText("王姐")
    page._pick_customer()
    page.body.set_text("{称呼}，好久不见")
    page.update_preview()
    assert page.preview.text() == "王姐，好久不见"
    assert page.customer_found.text().startswith("王姐")
    assert page.save_button.isEnabled()


def test_an_unknown_placeholder_is_named_and_cannot_be_saved(qtbot, ctx, customer, store):
    page = TemplatesPage(ctx)
    qtbot.addWidget(page)
    _select_template(page, "followup.wakeup")
    page.body.set_text("{称呼}，送您{优惠卷}")
    qtbot.waitUntil(lambda: "{优惠卷}" in page.problem.text())
    assert not page.save_button.isEnabled()
    page.save()  # refused by the service too, with the same words
    with store.write() as s:
        body = s.scalar(select(MessageTemplate.body).where(MessageTemplate.key == "followup.wakeup"))
    assert "优惠卷" not in body


def test_a_flagged_template_waits_for_an_acknowledgement_before_it_is_used(qtbot, ctx, customer, store):
    page = TemplatesPage(ctx)
    qtbot.addWidget(page)
    _select_template(page, "followup.wakeup")
    page.body.set_text("{称呼}，全网最低价等您回来")
    assert [f.term for f in page.body.findings] == ["全网最低价"]
    page.save()
    assert page.current().pending == ["全网最低价"]
    assert page.list.currentItem().text().startswith("⚠")
    assert page.acknowledge_button.isVisibleTo(page)
    with store.write() as s, pytest.raises(templates.TemplateNotAcknowledged):
        templates.usable_body(s, s.scalar(select(MessageTemplate).where(MessageTemplate.key == "followup.wakeup")))

    page.acknowledge()
    assert page.current().pending == []
    assert not page.acknowledge_button.isVisibleTo(page)
    assert page.current().acknowledged_by
    with store.write() as s:
        template = s.scalar(select(MessageTemplate).where(MessageTemplate.key == "followup.wakeup"))
        assert templates.usable_body(s, template) == "{称呼}，全网最低价等您回来"


def test_the_script_check_marks_each_risky_word_with_its_reason(qtbot, ctx):
    page = ScriptCheckPage(ctx)
    qtbot.addWidget(page)
    script = "🔥家人们，国家级配方，三天祛斑，效果第一"
    page.checker.set_text(script)
    terms = [f.term for f in page.checker.findings]
    assert terms == ["国家级", "祛斑", "第一"]
    assert page.checker.list.count() == 3 and "Advertising Law" in page.checker.list.item(0).text()  # the reason in the UI language
    # The mark sits on the word even after an emoji (two UTF-16 units in the document).
    block = page.checker.editor.document().firstBlock()
    start = utf16_spans(script, page.checker.findings)[0][0]
    marks = {(r.start, r.length): r.format.underlineStyle() for r in block.layout().formats()}
    assert marks[(start, 3)] == QTextCharFormat.UnderlineStyle.WaveUnderline
    page.checker.list.itemClicked.emit(page.checker.list.item(2))
    assert page.checker.editor.textCursor().selectedText() == "第一"


def test_a_word_the_owner_adds_in_settings_is_flagged_and_an_exempt_one_is_not(qtbot, ctx):
    box = ComplianceTermsBox(ctx)
    qtbot.addWidget(box)
    box.extra.setPlainText("秒杀：平台不允许\n")
    box.exempt.setPlainText("最美小店")
    box.save()
    page = ScriptCheckPage(ctx)
    qtbot.addWidget(page)
    page.checker.load_terms()
    page.checker.set_text("最美小店今晚秒杀")
    assert [(f.term, f.reason) for f in page.checker.findings] == [("秒杀", "平台不允许")]
    box.load()
    assert box.extra.toPlainText() == "秒杀：平台不允许"


def test_follow_up_rules_are_switched_and_timed_in_settings(qtbot, ctx, store):
    box = FollowupRulesBox(ctx)
    qtbot.addWidget(box)
    box.enabled["birthday"].setChecked(False)
    assert not box.fields[("birthday", "days_before")].isEnabled()
    box.fields[("wakeup", "inactive_days")].setValue(45)
    box.fields[("wakeup", "coupon")].setText("满199减50")
    box.fields[("vip_touch", "weekday")].setCurrentIndex(4)
    box.save()
    with store.write() as s:
        rules = rule_settings(s)
    assert rules["birthday"]["enabled"] is False
    assert (rules["wakeup"]["inactive_days"], rules["wakeup"]["coupon"]) == (45, "满199减50")
    assert rules["vip_touch"]["weekday"] == 5
    assert rules["wakeup"]["lookback_days"] == 7  # what the form does not show is kept


def test_a_manual_task_is_added_for_the_customer_with_its_message_and_assignee(qtbot, ctx, customer, store):
    with store.write() as s:
        templates.ensure_default_templates(s)
        team.add_member(s, "老板", "owner")  # a team starts with its owner
        member_id = team.add_member(s, "小周")
    dialog = ManualTaskDialog(ctx, customer)
    qtbot.addWidget(dialog)
    assert dialog.kind.currentData() == "manual"
    dialog.template.setCurrentIndex(dialog.template.findText("Wake-up"))  # the shipped name in the UI language
    dialog.assignee.setCurrentIndex(dialog.assignee.findData(member_id))
    dialog.note.setPlainText("问问上次的色号")
    dialog.accept()
    assert dialog.task_id is not None and dialog.result() == ManualTaskDialog.DialogCode.Accepted
    with store.write() as s:
        task = s.get(FollowUpTask, dialog.task_id)
        assert (task.customer_id, task.kind, task.note, task.assignee_id) == (customer, "manual", "问问上次的色号",
                                                                                member_id)
        assert task.due_at > datetime.now(timezone.utc)
        assert "好久没见到您" in templates.task_message(s, task.id)


@pytest.fixture
def survey_task(qtbot, ctx, customer, store):
    """The 跟进 page showing a survey task due an hour ago: (page, task id)."""
    from livedesk.ui.followups_page import FollowupsPage

    with store.write() as s:
        templates.ensure_default_templates(s)
        task_id = followups.create_manual(s, customer, "survey", datetime.now(timezone.utc) - timedelta(hours=1))
    page = FollowupsPage(ctx)
    qtbot.addWidget(page)
    page.reload()
    qtbot.waitUntil(lambda: page.current() is not None and page.current().id == task_id)
    return page, task_id


def test_a_survey_answer_is_recorded_and_closes_the_survey_task(qtbot, survey_task, customer, store):
    page, task_id = survey_task
    assert page.survey_row.isVisibleTo(page)
    page.survey_score.setValue(4)
    page.survey_comment.setText("发货太慢")
    page.record_survey()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    with store.write() as s:
        answer = s.scalar(select(SurveyResponse))
        assert (answer.customer_id, answer.score, answer.comment) == (customer, 4, "发货太慢")
        assert s.get(FollowUpTask, task_id).outcome == "replied"


def test_a_survey_answer_being_typed_survives_the_queue_refreshing_in_the_background(qtbot, survey_task):
    page, task_id = survey_task
    page.survey_score.setValue(3)
    page.survey_comment.setText("客服回复太慢")
    with qtbot.waitSignal(page.model.modelReset):
        page.reload()  # what the ten-minute timer (and the first generation) does
    assert page.current().id == task_id
    assert (page.survey_score.value(), page.survey_comment.text()) == (3, "客服回复太慢")


def _merge_away(store, keep: int, drop: int) -> None:
    from livedesk.services import merge

    with store.write() as s:
        merge.merge(s, keep, drop, actor="test")


def test_the_template_preview_falls_back_to_the_latest_buyer_when_its_customer_was_merged_away(qtbot, ctx, store,
                                                                                              customer):
    with store.write() as s:
        other = customers.create(s, NewCustomer(nickname="王姐姐"))
    page = TemplatesPage(ctx)
    qtbot.addWidget(page)
    page.customer.setText("王姐姐")
    page._pick_customer()
    assert page.preview_customer == other
    _merge_away(store, customer, other)  # from the 查重合并 dialog, while this page keeps the id
    page.body.set_text("{称呼}，好久不见")
    page.update_preview()  # raised NotFound from a timer slot
    assert page.preview.text() == "王姐，好久不见"
    assert page.preview_customer is None


def test_a_manual_task_for_a_customer_merged_away_meanwhile_is_refused_without_a_crash(qtbot, ctx, store, customer,
                                                                                      monkeypatch):
    from livedesk.ui import manual_task_dialog

    with store.write() as s:
        other = customers.create(s, NewCustomer(nickname="王姐姐"))
    _merge_away(store, customer, other)  # the live console or the queue still shows the old id
    said = []
    monkeypatch.setattr(manual_task_dialog.QMessageBox, "information", lambda *args: said.append(args))
    monkeypatch.setattr(manual_task_dialog.ManualTaskDialog, "exec", lambda self: pytest.fail("dialog opened"))
    parent = QWidget()
    qtbot.addWidget(parent)
    assert manual_task_dialog.add_manual_task(ctx, other, parent) is None  # raised KeyError
    assert len(said) == 1


def test_the_queue_shows_a_task_whose_customer_was_merged_away_under_the_customer_kept(qtbot, ctx, store, customer):
    from livedesk.ui.followups_page import FollowupsPage

    with store.write() as s:
        templates.ensure_default_templates(s)
        other = customers.create(s, NewCustomer(nickname="王姐姐"))
        first = followups.create_manual(s, customer, "manual", datetime.now(timezone.utc) - timedelta(hours=2))
        second = followups.create_manual(s, other, "manual", datetime.now(timezone.utc) - timedelta(hours=1))
    page = FollowupsPage(ctx)
    qtbot.addWidget(page)
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and page.current() is not None)
    _merge_away(store, customer, other)  # in 查重合并, while the queue still lists 王姐姐
    page.table.selectRow(1)  # raised NotFound from the selection slot
    qtbot.waitUntil(lambda: page.current() is not None and page.current().id == second
                    and page.current().customer_id == customer)
    assert "王姐" in page.message.toPlainText()
    assert first in [t.id for t in page.model.tasks]


def test_a_word_added_to_the_list_marks_an_old_template_when_the_editor_is_shown_again(qtbot, ctx, store):
    page = TemplatesPage(ctx)
    qtbot.addWidget(page)
    page.show()
    _select_template(page, "followup.thanks")
    assert not page.list.currentItem().text().startswith("⚠")
    page.body.editor.setPlainText("还没保存的改动")
    with store.write() as s:
        from livedesk.services import settings

        settings.set_value(s, "compliance.extra_terms", [{"term": "在路上", "reason": "店铺禁用"}])
    page.hide()
    page.show()
    assert page.list.currentItem().text().startswith("⚠")
    assert page.body.text() == "还没保存的改动"  # unsaved edits survive the re-check


def test_two_new_templates_never_share_a_key(qtbot, ctx, store, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    page = TemplatesPage(ctx)
    qtbot.addWidget(page)
    names = iter(["开播提醒", "返场提醒"])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (next(names), True))
    page.new_template()
    page.new_template()
    custom = [v for v in page.views if v.key.startswith("custom.")]
    assert sorted(v.name for v in custom) == ["开播提醒", "返场提醒"] and len({v.key for v in custom}) == 2


def test_a_manual_task_is_timed_in_the_shops_clock_whatever_the_laptops(qtbot, ctx, customer, store):
    from PySide6.QtCore import QDate, QDateTime, QTime

    with store.write() as s:
        from livedesk.services import settings

        settings.set_value(s, "shop.utc_offset_hours", -5)
    dialog = ManualTaskDialog(ctx, customer)
    qtbot.addWidget(dialog)
    dialog.due.setDateTime(QDateTime(QDate(2026, 12, 1), QTime(10, 0)))
    dialog.accept()
    with store.write() as s:
        assert s.get(FollowUpTask, dialog.task_id).due_at == datetime(2026, 12, 1, 15, tzinfo=timezone.utc)
