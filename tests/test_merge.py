"""Duplicate customers: the finder's reasons and dismissals, the merge preview, and a merge that
keeps every row of the dropped customer (orders, notes, tags, points, accounts, tasks, invitations,
appearances, level history, surveys, evidence), recomputes the kept one and is audited."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import ForeignKey, func, select

from livedesk.cli import main
from livedesk.models import (
    Appearance,
    AuditEntry,
    Base,
    Customer,
    CustomerTag,
    FollowUpTask,
    Invitation,
    LevelChange,
    Note,
    Order,
    PlatformAccount,
    PointsEntry,
    PossibleDuplicate,
    ProfileValue,
    SurveyResponse,
)
from livedesk.services import broadcasts, customers, importing, merge, points, segments, vip_sessions
from livedesk.services.customers import NewCustomer
from livedesk.services.followups import create_manual, record_survey
from livedesk.services.importing.identity import PHONE_FITS_MASK
from helpers import db_args

NOW = datetime.now(timezone.utc).replace(microsecond=0)
HEADER = ("order_id,product_name,quantity,unit_price,order_total,ordered_at,paid_at,status,buyer_id,buyer_handle,"
          "recipient_name,phone,city,platform")


def _import(store, tmp_path: Path, rows: list[str], name: str = "orders.csv") -> importing.ImportSummary:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    summary = importing.import_orders(store.write_factory, path)
    assert not summary.errors, summary.errors
    return summary


def _order(order_id: str, yuan: int, days_ago: int, buyer: str, platform: str, status: str = "completed",
           handle: str = "", name: str = "", phone: str = "", city: str = "") -> str:
    at = (NOW - timedelta(days=days_ago)).astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    return f"{order_id},精华液,1,{yuan},{yuan},{at},{at},{status},{buyer},{handle},{name},{phone},{city},{platform}"


@pytest.fixture
def pair(store, tmp_path):
    """Two records of one buyer, each with a bit of everything the store can hold about a person."""
    with store.write() as s:
        keep = customers.create(s, NewCustomer(
            nickname="王姐", real_name="王丽华", phone="13812345678", city="杭州",
            accounts=[("douyin", "MS4wKEEP", "wangjie888")], profile={"skin_type": "敏感肌"}))
        drop = customers.create(s, NewCustomer(
            nickname="王姐~", phone="13812345678", city="杭州", birthday=date(1985, 11, 25), address="文三路1号",
            accounts=[("taobao", "2200001", "tbwang")], profile={"skin_type": "油性", "allergies": "酒精过敏"}))
        third = customers.create(s, NewCustomer(nickname="小鹿", phone="13900001111", city="上海"))
    # Orders through the importer: keep ¥20,000, drop ¥15,000 and a refund; together they pass 金钻 (¥30,000).
    _import(store, tmp_path, [
        _order("K1", 12000, 40, "MS4wKEEP", "douyin"), _order("K2", 8000, 20, "MS4wKEEP", "douyin"),
        _order("D1", 15000, 10, "2200001", "taobao"), _order("D2", 300, 5, "2200001", "taobao", status="refunded"),
    ])
    with store.write() as s:
        for who in (keep, drop):
            customers.add_note(s, who, f"note of {who}")
            customers.tag_customer(s, who, "回头客")
        customers.tag_customer(s, drop, "送礼")
        customers.add_note(s, drop, "只用无香型", pinned=True)
        points.award_interaction(s, keep, "comment", "msg-1", NOW - timedelta(days=1))
        points.award_interaction(s, drop, "comment", "msg-1", NOW - timedelta(days=1))  # same ref: must survive
        points.award_interaction(s, drop, "share", "msg-2", NOW - timedelta(days=1))
        create_manual(s, drop, "manual", NOW + timedelta(days=1), "回访")
        record_survey(s, drop, 9, "很好")
        both = vip_sessions.create_session(s, "会员私享会", NOW + timedelta(days=7), 10)
        only_drop = vip_sessions.create_session(s, "新品私享会", NOW + timedelta(days=14), 10)
        vip_sessions.invite(s, both, [keep, drop])
        vip_sessions.invite(s, only_drop, [drop])
        vip_sessions.set_rsvp(s, both, drop, "accepted")
        live = broadcasts.start(s, "美妆专场", "douyin", now=NOW - timedelta(hours=1))
        broadcasts.mark_greeted(s, live.id, drop, now=NOW - timedelta(minutes=30))
        s.add_all([PossibleDuplicate(customer_id=min(keep, drop), other_id=max(keep, drop), reason=PHONE_FITS_MASK),
                   PossibleDuplicate(customer_id=min(drop, third), other_id=max(drop, third), reason="same_handle")])
        points.settle_orders(s)
        segments.recompute(s, NOW)
    return keep, drop, third


def _rows(s, model, customer_id: int) -> int:
    return s.scalar(select(func.count()).select_from(model).where(model.customer_id == customer_id)) or 0


OWNED = (Order, Note, PlatformAccount, PointsEntry, FollowUpTask, SurveyResponse, Invitation, Appearance,
         LevelChange, ProfileValue, CustomerTag)


def test_merge_keeps_every_order_note_tag_point_account_task_and_invitation(store, pair):
    keep, drop, _third = pair
    with store.write() as s:
        before = {m.__name__: (_rows(s, m, keep), _rows(s, m, drop)) for m in OWNED}
        points_before = points.balance(s, keep) + points.balance(s, drop)
        assert all(d > 0 for _k, d in before.values()), before  # the fixture gives the dropped one everything
    with store.write() as s:
        result = merge.merge(s, keep, drop, actor="tester", now=NOW)
    with store.write() as s:
        assert s.get(Customer, drop) is None
        after = {m.__name__: _rows(s, m, keep) for m in OWNED}
        gone = {m.__name__: _rows(s, m, drop) for m in OWNED}
        assert not any(gone.values())
        for name in ("Order", "Note", "PlatformAccount", "PointsEntry", "FollowUpTask", "SurveyResponse",
                     "Appearance"):
            assert after[name] == sum(before[name]), name
        assert after["LevelChange"] >= sum(before["LevelChange"])  # the history moves, and the merge adds a step
        assert after["CustomerTag"] == 2 and after["ProfileValue"] == 2  # 回头客 once; skin_type once, allergies
        assert after["Invitation"] == 2  # the shared session once, and the other session
        assert points.balance(s, keep) == points_before
        refs = sorted(s.scalars(select(PointsEntry.ref).where(PointsEntry.customer_id == keep,
                                                              PointsEntry.reason == "comment")))
        assert refs == ["msg-1", f"msg-1~m{drop}"]
        assert result.moves["orders"] == 2 and result.moves["platform_accounts"] == 1


def test_the_merged_customer_counts_both_in_orders_spend_points_tier_and_level(store, pair):
    keep, drop, _third = pair
    with store.write() as s:
        assert s.get(Customer, keep).level == "silver" and s.get(Customer, drop).level == "silver"
        merge.merge(s, keep, drop, now=NOW)
    with store.write() as s:
        kept = s.get(Customer, keep)
        assert (kept.order_count, kept.total_spent_fen) == (3, 3_500_000)  # the refund does not count
        assert kept.level == "gold" and kept.points_balance == points.balance(s, keep)
        assert s.scalar(select(LevelChange.to_level).where(LevelChange.customer_id == keep)
                        .order_by(LevelChange.id.desc()).limit(1)) == "gold"
        cached = {c: getattr(kept, c) for c in segments.DERIVED}
        segments.recompute(s, NOW)  # a full recompute agrees with the merge's own
        s.expire_all()
        assert {c: getattr(s.get(Customer, keep), c) for c in segments.DERIVED} == cached


def test_the_kept_values_win_and_empty_ones_are_filled_from_the_other(store, pair):
    keep, drop, _third = pair
    with store.write() as s:
        result = merge.merge(s, keep, drop, now=NOW)
    with store.write() as s:
        kept = s.get(Customer, keep)
        assert (kept.nickname, kept.real_name, kept.birthday, kept.address) == ("王姐", "王丽华", date(1985, 11, 25),
                                                                                "文三路1号")
        profile = dict(s.execute(select(ProfileValue.field, ProfileValue.value)
                                 .where(ProfileValue.customer_id == keep)).all())
        assert profile == {"skin_type": "敏感肌", "allergies": "酒精过敏"}
        assert "tbwang" in kept.search_text  # found by the dropped customer's handle from now on
    assert result.filled == {"birthday": date(1985, 11, 25), "address": "文三路1号"}
    assert result.overridden == {"nickname": "王姐~", "profile.skin_type": "油性"}


def test_an_invitation_to_the_same_session_keeps_the_more_informative_answer(store, pair):
    keep, drop, _third = pair
    with store.write() as s:
        merge.merge(s, keep, drop, now=NOW)
    with store.write() as s:
        statuses = sorted(s.scalars(select(Invitation.status).where(Invitation.customer_id == keep)))
    assert statuses == ["accepted", "invited"]  # 会员私享会: drop had accepted; 新品私享会: drop's invitation


def test_the_merge_is_audited_with_both_ids_and_what_moved(store, pair):
    keep, drop, _third = pair
    with store.write() as s:
        result = merge.merge(s, keep, drop, actor="小周", now=NOW)
    with store.write() as s:
        entry = s.get(AuditEntry, result.audit_id)
        assert (entry.action, entry.actor, entry.entity_id) == ("merge", "小周", str(keep))
        detail = entry.detail
    assert (detail["kept"], detail["dropped"]) == (keep, drop)
    assert detail["moved"]["orders"] == 2 and detail["moved"]["notes"] == 2
    assert detail["reasons"] == [PHONE_FITS_MASK]
    assert detail["before"]["drop"]["orders"] == 2 and detail["after"]["orders"] == 4
    json.dumps(detail)  # plain JSON: dates were written as text


def test_the_merge_audit_entry_names_the_fields_but_keeps_no_value_of_the_dropped_customer(store, pair):
    keep, drop, _third = pair
    with store.write() as s:
        dropped = s.get(Customer, drop)
        values = [v for v in (dropped.nickname, dropped.real_name, dropped.phone, dropped.address,
                              str(dropped.birthday) if dropped.birthday else None) if v]
        result = merge.merge(s, keep, drop, actor="小周", now=NOW)
    with store.write() as s:
        detail = s.get(AuditEntry, result.audit_id).detail
    text = json.dumps(detail, ensure_ascii=False)
    assert values and not [v for v in values if v in text], text
    assert detail["filled"] == ["address", "birthday"] and detail["overridden"] == ["nickname", "profile.skin_type"]


def test_the_pairs_evidence_is_resolved_and_a_third_customers_evidence_moves_to_the_kept_one(store, pair):
    keep, drop, third = pair
    with store.write() as s:
        merge.merge(s, keep, drop, now=NOW)
    with store.write() as s:
        rows = s.execute(select(PossibleDuplicate.customer_id, PossibleDuplicate.other_id, PossibleDuplicate.reason,
                                PossibleDuplicate.status)).all()
    assert rows == [(min(keep, third), max(keep, third), "same_handle", "open")]


def test_the_preview_shows_both_sides_and_the_merged_customer_and_changes_nothing(store, pair):
    keep, drop, _third = pair
    with store.write() as s:
        shown = merge.preview(s, keep, drop, now=NOW)
    with store.write() as s:
        assert s.get(Customer, drop) is not None and _rows(s, Order, drop) == 2
        assert s.get(Customer, keep).level == "silver"
    assert (shown.keep.id, shown.drop.id, shown.merged.id) == (keep, drop, keep)
    assert (shown.keep.order_count, shown.drop.order_count, shown.merged.order_count) == (2, 2, 4)
    assert (shown.keep.gmv_fen, shown.drop.gmv_fen, shown.merged.gmv_fen) == (2_000_000, 1_500_000, 3_500_000)
    assert shown.merged.level == "gold" and shown.merged.points_balance == (shown.keep.points_balance
                                                                             + shown.drop.points_balance)
    assert sorted(shown.merged.tags) == ["回头客", "送礼"] and len(shown.merged.accounts) == 2
    assert shown.merged.notes[0] == "只用无香型"  # pinned first
    choices = {c.field: (c.merged, c.source) for c in shown.fields}
    assert choices["real_name"] == ("王丽华", "keep") and choices["address"] == ("文三路1号", "drop")
    assert choices["phone"] == ("13812345678", "same") and choices["profile.skin_type"] == ("敏感肌", "keep")
    assert choices["profile.allergies"] == ("酒精过敏", "drop") and choices["created_at"][1] in ("same", "earliest")
    assert shown.moves["orders"] == 2 and shown.reasons == [PHONE_FITS_MASK]


def test_merging_a_customer_into_itself_or_a_missing_one_is_refused(store, pair):
    keep, _drop, _third = pair
    with store.write() as s:
        with pytest.raises(merge.MergeError):
            merge.merge(s, keep, keep)
        with pytest.raises(customers.NotFound):
            merge.merge(s, keep, 999_999)


def test_every_foreign_key_to_customers_has_a_merge_handler():
    # A new table pointing at customers must say what a merge does with its rows; without
    # it the dropped customer's rows would vanish with the customer (or block the delete).
    assert merge.customer_references() == merge.handled_references()
    assert ("orders", "customer_id") in merge.customer_references()


def test_merge_refuses_to_run_when_a_foreign_key_has_no_handler(store, pair, monkeypatch):
    keep, drop, _third = pair
    from sqlalchemy import Column, Integer, Table

    extra = Table("merge_test_loyalty_cards", Base.metadata, Column("id", Integer, primary_key=True),
                  Column("customer_id", Integer, ForeignKey("customers.id")))
    try:
        assert ("merge_test_loyalty_cards", "customer_id") in merge.customer_references()
        with store.write() as s, pytest.raises(merge.MergeError, match="merge_test_loyalty_cards.customer_id"):
            merge.merge(s, keep, drop)
    finally:
        Base.metadata.remove(extra)


# --- the finder --------------------------------------------------------------------------------


def _found(s) -> dict[tuple[int, int], tuple[str, ...]]:
    return {(c.customer_id, c.other_id): c.reasons for c in merge.find_duplicates(s).candidates}


def test_the_finder_finds_a_shared_phone_whatever_its_formatting(store):
    with store.write() as s:
        a = customers.create(s, NewCustomer(nickname="阿May", phone="13812345678"))
        b = customers.create(s, NewCustomer(nickname="May妈妈", phone="+86 138-1234-5678"))
        customers.create(s, NewCustomer(nickname="别人", phone="138****5678"))  # masked: not a full phone
        assert _found(s) == {(a, b): ("same_phone",)}


def test_the_finder_finds_one_platform_account_id_on_two_customers(store):
    with store.write() as s:
        a = customers.create(s, NewCustomer(nickname="Coco", accounts=[("douyin", "MS4wABC", "coco1")]))
        b = customers.create(s, NewCustomer(nickname="可可", accounts=[("douyin", "MS4wABC ", None)]))
        c = customers.create(s, NewCustomer(nickname="cc", accounts=[("douyin", None, "MS4wABC")]))
        customers.create(s, NewCustomer(nickname="淘宝的", accounts=[("taobao", "MS4wABC", None)]))  # other platform
        found = _found(s)
    assert found == {(a, b): ("same_account_id",), (a, c): ("same_account_id",)}


def test_the_finder_finds_one_handle_on_one_platform(store):
    with store.write() as s:
        a = customers.create(s, NewCustomer(nickname="小美", accounts=[("douyin", "u1", "XiaoMei88")]))
        b = customers.create(s, NewCustomer(nickname="美美", accounts=[("douyin", "u2", "@xiaomei88")]))
        customers.create(s, NewCustomer(nickname="美", accounts=[("kuaishou", "u3", "xiaomei88")]))
        assert _found(s) == {(a, b): ("same_handle",)}


def test_the_finder_finds_similar_nicknames_in_one_city_but_not_common_or_distant_ones(store):
    with store.write() as s:
        a = customers.create(s, NewCustomer(nickname="可乐不加冰", city="杭州"))
        b = customers.create(s, NewCustomer(nickname="可乐不加冰呀~", city="杭州市"))
        c = customers.create(s, NewCustomer(nickname="ｊｅｎｎｙ　８８", city="成都"))
        d = customers.create(s, NewCustomer(nickname="Jenny88", city="成都"))
        customers.create(s, NewCustomer(nickname="可乐不加冰", city="上海"))  # another city
        for _ in range(merge.MAX_NAMESAKES + 1):  # so many 王姐 in 杭州 that the name says nothing
            customers.create(s, NewCustomer(nickname="王姐", city="杭州"))
        customers.create(s, NewCustomer(nickname="王哥", city="北京"))
        customers.create(s, NewCustomer(nickname="王姐", city="北京"))  # short and different: two people
        findings = merge.find_duplicates(s)
    found = {(x.customer_id, x.other_id): x for x in findings.candidates}
    assert set(found) == {(a, b), (c, d)}
    assert found[(c, d)].similarity == 100 and 85 <= found[(a, b)].similarity < 100
    assert found[(a, b)].reasons == ("same_nickname_city",) and findings.by_reason == {"same_nickname_city": 2}


def test_the_finder_adds_the_importers_evidence_and_ranks_stronger_reasons_first(store, tmp_path):
    with store.write() as s:
        masked = customers.create(s, NewCustomer(nickname="王丽", real_name="王丽", phone=None, city="杭州"))
        s.get(Customer, masked).phone_masked = "138****5678"
        both = customers.create(s, NewCustomer(nickname="Lily", phone="13900001111",
                                                accounts=[("douyin", "MS4wLILY", "lily")]))
        twin = customers.create(s, NewCustomer(nickname="Lily", phone="13900001111",
                                                accounts=[("douyin", "MS4wLILY2", "lily")]))
    # A full phone that fits the masked one under the same name: the importer records it.
    summary = _import(store, tmp_path, [_order("T1", 99, 3, "2209999", "taobao", name="王丽", phone="13812345678",
                                               city="宁波")])
    assert summary.possible_duplicates == 1
    with store.write() as s:
        findings = merge.find_duplicates(s)
    first = findings.candidates[0]
    assert (first.customer_id, first.other_id) == (both, twin) and first.reasons == ("same_phone", "same_handle")
    assert first.score > findings.candidates[1].score
    assert findings.candidates[1].reasons == (PHONE_FITS_MASK,) and masked in (findings.candidates[1].customer_id,
                                                                                findings.candidates[1].other_id)


def test_a_dismissed_pair_is_never_proposed_again(store):
    with store.write() as s:
        a = customers.create(s, NewCustomer(nickname="阿May", phone="13812345678"))
        b = customers.create(s, NewCustomer(nickname="May", phone="13812345678"))
        c = customers.create(s, NewCustomer(nickname="五月", phone="13812345678"))
        s.add(PossibleDuplicate(customer_id=a, other_id=b, reason=PHONE_FITS_MASK))
    with store.write() as s:
        merge.dismiss(s, b, a, actor="小周")
    with store.write() as s:
        findings = merge.find_duplicates(s)
        assert {(x.customer_id, x.other_id) for x in findings.candidates} == {(a, c), (b, c)}
        assert findings.dismissed_skipped == 1
        assert set(s.scalars(select(PossibleDuplicate.status))) == {"dismissed"}
        merge.dismiss(s, a, c)  # a pair the table did not know: remembered all the same
    with store.write() as s:
        assert {(x.customer_id, x.other_id) for x in merge.find_duplicates(s).candidates} == {(b, c)}
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "duplicate_dismiss")) == 2


def test_a_dismissal_survives_a_merge_with_a_third_customer(store):
    with store.write() as s:
        a = customers.create(s, NewCustomer(nickname="阿May", phone="13812345678"))
        b = customers.create(s, NewCustomer(nickname="May", phone="13812345678"))
        c = customers.create(s, NewCustomer(nickname="五月", phone="13800000000"))
        merge.dismiss(s, b, c)
    with store.write() as s:
        merge.merge(s, a, b)
    with store.write() as s:
        # b was "not c"; a now holds b, so a and c stay apart
        assert s.execute(select(PossibleDuplicate.customer_id, PossibleDuplicate.other_id,
                                PossibleDuplicate.status)).all() == [(min(a, c), max(a, c), "dismissed")]


def test_a_placeholder_phone_on_many_customers_pairs_each_with_the_first_only(store):
    with store.write() as s:
        ids = [customers.create(s, NewCustomer(nickname=f"客人{i}", phone="13800000000")) for i in range(10)]
        pairs = set(_found(s))
    assert pairs == {(ids[0], other) for other in ids[1:]}


# --- the command line --------------------------------------------------------------------------


def test_cli_find_preview_merge_and_dismiss(store, pair, capsys):
    keep, drop, third = pair
    db = db_args(store)
    store.dispose()
    assert main([*db, "duplicates", "find", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [min(keep, drop), max(keep, drop)] in [[c["customer_id"], c["other_id"]] for c in found["candidates"]]
    assert main([*db, "duplicates", "merge", str(keep), str(drop), "--dry-run", "--json"]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert preview["merged"]["order_count"] == 4 and preview["drop"]["id"] == drop
    assert main([*db, "duplicates", "merge", str(keep), str(drop), "--dry-run"]) == 0
    assert "dry run: nothing was changed" in capsys.readouterr().out
    assert main([*db, "duplicates", "merge", str(keep), str(drop)]) == 0
    assert f"customer {drop} merged into {keep}" in capsys.readouterr().out
    assert main([*db, "duplicates", "merge", str(keep), str(drop)]) == 1  # already gone
    assert "does not exist" in capsys.readouterr().err
    assert main([*db, "duplicates", "merge", str(keep), str(keep)]) == 2
    assert main([*db, "duplicates", "dismiss", str(keep), str(third)]) == 0
    assert main([*db, "duplicates", "find", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["total"] == 0


def test_the_merged_address_comes_whole_from_one_customer(store):
    with store.write() as s:
        keep = customers.create(s, NewCustomer(nickname="王姐", city="杭州"))  # a city, no street
        drop = customers.create(s, NewCustomer(nickname="王姐", province="江苏省", city="苏州",
                                               address="观前街 8 号"))
        shown = {c.field: c for c in merge.preview(s, keep, drop).fields}
        assert (shown["city"].merged, shown["address"].merged) == ("杭州", None)
        result = merge.merge(s, keep, drop)
        kept = s.get(Customer, keep)
        assert (kept.province, kept.city, kept.address) == (None, "杭州", None)  # not 杭州 with 苏州's street
        assert result.overridden["address"] == "观前街 8 号"  # the other address is in the audit log
    with store.write() as s:
        keep = customers.create(s, NewCustomer(nickname="李姐"))
        drop = customers.create(s, NewCustomer(nickname="李姐", city="苏州", address="观前街 8 号"))
        merge.merge(s, keep, drop)
        kept = s.get(Customer, keep)
        assert (kept.city, kept.address) == ("苏州", "观前街 8 号")


def test_an_account_both_customers_have_is_listed_once_after_the_merge(store):
    with store.write() as s:
        keep = customers.create(s, NewCustomer(nickname="王姐", accounts=[("douyin", None, "wangjie88")]))
        drop = customers.create(s, NewCustomer(nickname="王姐", accounts=[("douyin", "SEC-1", "wangjie88"),
                                                                         ("taobao", None, "wj_tb")]))
        merge.merge(s, keep, drop)
        accounts = s.execute(select(PlatformAccount.platform, PlatformAccount.uid, PlatformAccount.handle)
                             .where(PlatformAccount.customer_id == keep).order_by(PlatformAccount.platform)).all()
    assert [tuple(a) for a in accounts] == [("douyin", "SEC-1", "wangjie88"), ("taobao", None, "wj_tb")]
