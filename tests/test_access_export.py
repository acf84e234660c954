"""The access export (PIPL): one person's every table to XLSX or JSON, audited; and consent."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from livedesk.models import AuditEntry, Base
from livedesk.services import access_export, customers
from livedesk.services.customers import ConsentError, NotFound
from helpers import PERSON

EVERY_TABLE = ("customers", "platform_accounts", "orders", "order_items", "notes", "profile_values",
               "customer_tags", "followup_tasks", "survey_responses", "points_ledger", "appearances",
               "invitations", "audit_log")


def test_the_json_access_export_holds_every_table_about_the_person_and_nobody_else(store, person, tmp_path):
    pid, other = person
    with store.write() as s:
        summary = access_export.access_export(s, pid, tmp_path / "person.json", actor="owner")
    document = json.loads((tmp_path / "person.json").read_text(encoding="utf-8"))
    tables = document["tables"]
    empty = [t for t in EVERY_TABLE if not tables[t]]
    assert not empty, empty
    assert tables["customers"][0]["phone"] == PERSON["phone"] and "search_text" not in tables["customers"][0]
    assert {o["platform_order_id"] for o in tables["orders"]} == {"P1", "P2"}  # not the bystander's X1
    assert len(tables["order_items"]) == 2
    assert tables["notes"][0]["body"].startswith(PERSON["real_name"])
    assert {p["field"] for p in tables["profile_values"]} == {"skin_type", "allergies"}
    assert [t["tag"] for t in tables["customer_tags"]] == ["回头客"]
    assert tables["invitations"][0]["session_title"] == "会员私享会"
    assert {a["action"] for a in tables["audit_log"]} >= {"merge", "export"}  # the merge into them, the export
    assert all(i["customer_id"] == pid for i in tables["invitations"])
    assert summary.rows == {name: len(rows) for name, rows in tables.items()}
    assert stat.S_IMODE((tmp_path / "person.json").stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*part"))


def test_the_xlsx_access_export_has_one_sheet_per_table_and_formulas_stay_text(store, person, tmp_path):
    pid, _other = person
    with store.write() as s:
        customers.add_note(s, pid, '=HYPERLINK("http://evil","点我")')
    with store.write() as s:
        access_export.access_export(s, pid, tmp_path / "person.xlsx")
    book = load_workbook(tmp_path / "person.xlsx")
    assert set(EVERY_TABLE) <= set(book.sheetnames)
    notes = book["notes"]
    header = [c.value for c in notes[1]]
    bodies = [row[header.index("body")] for row in notes.iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://evil","点我")' in bodies
    cells = [c for row in notes.iter_rows(min_row=2) for c in row if c.value == '=HYPERLINK("http://evil","点我")']
    assert cells and all(c.data_type == "s" for c in cells)
    phones = [row for row in book["customers"].iter_rows(values_only=True)]
    assert PERSON["phone"] in phones[1]


def test_the_access_export_is_audited_without_the_file_name(store, person, tmp_path):
    pid, _other = person
    with store.write() as s:
        summary = access_export.access_export(s, pid, tmp_path / f"{PERSON['real_name']}.json", actor="owner")
    with store.write() as s:
        entry = s.get(AuditEntry, summary.audit_id)
        assert (entry.action, entry.entity_id, entry.actor) == ("access_export", str(pid), "owner")
        assert PERSON["real_name"] not in json.dumps(entry.detail, ensure_ascii=False)
        assert entry.detail["rows"]["orders"] == 2


def test_the_access_export_refuses_a_wrong_target_or_customer_and_writes_nothing(store, person, tmp_path):
    pid, _other = person
    with store.write() as s:
        for bad in (tmp_path / "x.csv", tmp_path / "missing" / "x.json", tmp_path):
            with pytest.raises(access_export.AccessExportError):
                access_export.access_export(s, pid, bad)
        with pytest.raises(NotFound):
            access_export.access_export(s, 999_999, tmp_path / "x.json")
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "access_export")) is None
    assert not (tmp_path / "x.json").exists()


def test_every_table_that_points_at_a_customer_is_in_the_access_export():
    tables = {t.name for t in Base.metadata.tables.values() for fk in t.foreign_keys
              if fk.column.table.name == "customers"}
    assert tables <= set(access_export.SECTIONS)


def test_consent_is_recorded_with_date_channel_and_note_and_shown_on_the_card(store, person):
    pid, _other = person
    at = datetime(2026, 5, 1, 2, 0, tzinfo=timezone.utc)
    with store.write() as s:
        customers.set_consent(s, pid, at, "wechat", "  微信里同意保存收货信息 ")
    with store.write() as s:
        consent = customers.card(s, pid).consent
    assert (consent.at, consent.channel, consent.note) == (at, "wechat", "微信里同意保存收货信息")
    with store.write() as s:
        customers.set_consent(s, pid, None, None, None)  # withdrawn
    with store.write() as s:
        assert customers.card(s, pid).consent == customers.Consent(None, None, None)


@pytest.mark.parametrize(("at", "channel", "note", "code"), [
    (datetime(2026, 5, 1, tzinfo=timezone.utc), "carrier_pigeon", None, "unknown_channel"),
    (datetime(2026, 5, 1, tzinfo=timezone.utc), "phone", "长" * 201, "note_too_long"),
    (None, "phone", None, "needs_date"),
    (datetime.now(timezone.utc) + timedelta(days=2), "phone", None, "in_the_future"),
])
def test_bad_consent_is_refused_with_a_reason_and_nothing_changes(store, person, at, channel, note, code):
    pid, _other = person
    with pytest.raises(ConsentError) as caught, store.write() as s:
        customers.set_consent(s, pid, at, channel, note)
    assert caught.value.code == code
    with store.write() as s:
        assert customers.card(s, pid).consent.channel is None
