"""VIP private sessions: rule selection, capacity and waitlist, RSVP rules, attendance, the report."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from livedesk.models import (
    Appearance,
    Broadcast,
    Customer,
    FollowUpTask,
    Invitation,
    MessageTemplate,
    Order,
    PlatformAccount,
    PrivateSession,
)
from livedesk.services import customers, vip_sessions
from livedesk.services.customers import NewCustomer
from livedesk.services.vip_sessions import InvitationError, InviteRule

UTC = timezone.utc
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
SESSION_AT = datetime(2026, 11, 28, 12, tzinfo=UTC)


def buy(s, cid, n, at, fen, status="completed"):
    s.execute(insert(Order).values(platform="douyin", platform_order_id=f"V{cid}-{n}", customer_id=cid,
                                   status=status, total_fen=fen, ordered_at=at))


@pytest.fixture
def shop(store):
    """Five VIPs spending 50k, 40k, 30k, 20k, 10k in the last year, one regular."""
    with store.write() as s:
        ids = []
        for n, fen in enumerate((5_000_000, 4_000_000, 3_000_000, 2_000_000, 1_000_000)):
            cid = customers.create(s, NewCustomer(nickname=f"VIP{n}", birthday=date(1990, 12 if n == 0 else 6, 1)))
            buy(s, cid, 0, NOW - timedelta(days=30 + n), fen)
            c = s.get(Customer, cid)
            c.tier, c.last_order_at = "vip", NOW - timedelta(days=30 + n)
            ids.append(cid)
        regular = customers.create(s, NewCustomer(nickname="普通"))
        buy(s, regular, 0, NOW - timedelta(days=400), 99_00)  # outside the year
        sid = vip_sessions.create_session(s, "12月私享会", SESSION_AT, capacity=3)
    return {"vips": ids, "regular": regular, "session": sid}


def test_rules_pick_by_tier_spend_and_birthday_month_best_first(store, shop):
    with store.write() as s:
        picked = vip_sessions.candidates(s, InviteRule(tiers=("vip",)), NOW)
        assert [c.customer_id for c in picked] == shop["vips"]
        rich = vip_sessions.candidates(s, InviteRule(min_spend_fen=3_000_000), NOW)
        assert [c.customer_id for c in rich] == shop["vips"][:3]  # exactly ¥30,000 is in
        assert [c.customer_id for c in vip_sessions.candidates(s, InviteRule(birthday_month=12), NOW)] \
            == [shop["vips"][0]]
        assert [c.customer_id for c in vip_sessions.candidates(s, InviteRule(bought_within_days=31), NOW)] \
            == shop["vips"][:2]


def test_beyond_capacity_people_wait_in_priority_order_and_a_decline_promotes_the_next(store, shop):
    sid = shop["session"]
    with store.write() as s:
        assert vip_sessions.invite(s, sid, shop["vips"], NOW) == (3, 2)
        assert vip_sessions.invite(s, sid, shop["vips"], NOW) == (0, 0)  # nobody twice
        vip_sessions.set_rsvp(s, sid, shop["vips"][1], "declined", NOW)
        states = dict(s.execute(select(Invitation.customer_id, Invitation.status)).all())
    assert states[shop["vips"][3]] == "invited"  # first on the waitlist got the seat
    assert states[shop["vips"][4]] == "waitlisted"


def test_rsvp_changes_that_make_no_sense_are_refused_with_the_reason(store, shop):
    sid, vip = shop["session"], shop["vips"][0]
    with store.write() as s:
        vip_sessions.invite(s, sid, [vip], NOW)
        vip_sessions.set_rsvp(s, sid, vip, "declined", NOW)
        with pytest.raises(InvitationError, match="declined cannot become attended"):
            vip_sessions.set_rsvp(s, sid, vip, "attended", NOW)
        with pytest.raises(InvitationError, match="not on this session's list"):
            vip_sessions.set_rsvp(s, sid, shop["regular"], "accepted", NOW)
        with pytest.raises(InvitationError, match="unknown RSVP state"):
            vip_sessions.set_rsvp(s, sid, vip, "maybe", NOW)


def test_accepting_creates_the_two_reminders_once(store, shop):
    sid, vip = shop["session"], shop["vips"][0]
    with store.write() as s:
        vip_sessions.invite(s, sid, [vip], NOW)
        vip_sessions.set_rsvp(s, sid, vip, "accepted", NOW)
        due = sorted(s.scalars(select(FollowUpTask.due_at).where(FollowUpTask.kind == "vip_reminder")))
    assert due == [SESSION_AT - timedelta(days=1), SESSION_AT - timedelta(hours=1)]


def test_attendance_comes_from_the_broadcast_and_the_report_compares_with_absentees(store, shop):
    sid, (a, b, c, *_rest) = shop["session"], shop["vips"]
    with store.write() as s:
        vip_sessions.invite(s, sid, [a, b, c], NOW)
        for cid in (a, b, c):
            vip_sessions.set_rsvp(s, sid, cid, "accepted", NOW)
        broadcast = Broadcast(title="私享会直播", platform="douyin", started_at=SESSION_AT)
        s.add(broadcast)
        s.flush()
        s.get(PrivateSession, sid).broadcast_id = broadcast.id
        s.add(Appearance(broadcast_id=broadcast.id, customer_id=a, match="uid", platform="douyin", viewer_key="ua"))
        s.add(Appearance(broadcast_id=broadcast.id, customer_id=b, match="possible", platform="douyin",
                         viewer_key="nick:VIP1"))  # a nickname guess does not count
        assert vip_sessions.take_attendance(s, sid) == 1
        vip_sessions.set_rsvp(s, sid, b, "no_show", NOW)
        buy(s, a, 1, SESSION_AT + timedelta(minutes=30), 120_000)
        buy(s, a, 2, SESSION_AT + timedelta(days=3), 30_000)
        buy(s, a, 3, SESSION_AT + timedelta(days=9), 99_999)  # after the 7-day window
        buy(s, b, 1, SESSION_AT + timedelta(days=1), 10_000)
        result = vip_sessions.report(s, sid, days_after=7)
    assert (result.invited, result.attended, result.absent) == (3, 1, 2)
    assert (result.attendee_orders, result.attendee_gmv_fen, result.attendee_conversion) == (2, 150_000, 1.0)
    assert (result.absent_orders, result.absent_gmv_fen, result.absent_conversion) == (1, 10_000, 0.5)


def test_a_session_needs_a_title_and_a_seat(store):
    with store.write() as s:
        with pytest.raises(InvitationError, match="title"):
            vip_sessions.create_session(s, " ", SESSION_AT, 10)
        with pytest.raises(InvitationError, match="capacity"):
            vip_sessions.create_session(s, "x", SESSION_AT, 0)


def test_the_page_lists_sessions_invitations_and_a_personal_invitation(store, shop):
    sid = shop["session"]
    with store.write() as s:
        vip_sessions.invite(s, sid, shop["vips"], NOW)
        view = vip_sessions.sessions(s)[0]
        rows = vip_sessions.invitation_rows(s, sid)
        text = vip_sessions.invitation_text(s, sid, shop["vips"][0])
    assert (view.seats_taken, view.waitlisted, view.capacity) == (3, 2, 3)
    assert [r.status for r in rows] == ["invited"] * 3 + ["waitlisted"] * 2
    assert text.startswith("VIP0您好") and "12月私享会" in text and "11月28日 20:00" in text


def test_the_dashboard_lists_each_session_with_its_report(store, shop):
    from livedesk.services import dashboard
    from livedesk.services.periods import Period

    sid, vip = shop["session"], shop["vips"][0]
    with store.write() as s:
        vip_sessions.invite(s, sid, [vip], NOW)
        vip_sessions.set_rsvp(s, sid, vip, "accepted", NOW)
        vip_sessions.set_rsvp(s, sid, vip, "attended", NOW)
        buy(s, vip, 9, SESSION_AT + timedelta(hours=1), 88_800)
        frame = dashboard.private_sessions(s, Period(date(2026, 11, 1), date(2026, 11, 30)))
    assert frame.to_dict("records")[0] == {
        "session": "12月私享会", "invited": 1, "attended": 1, "attendee_gmv_fen": 88_800, "absent_gmv_fen": 0,
        "attendee_conversion_ratio": 1.0, "absent_conversion_ratio": 0.0}


def test_attendance_from_a_replayed_broadcast_feed(store, shop, tmp_path):
    """Viewers recognised in a recorded feed of the session's stream are marked attended."""
    import asyncio
    import json

    from livedesk.services.feeds.formats import open_source
    from livedesk.services.feeds.matching import ViewerIndex
    from livedesk.services.feeds.recording import AppearanceTally, record_appearances

    sid, (a, b, *_rest) = shop["session"], shop["vips"]
    with store.write() as s:
        for cid, uid in ((a, "MS4wVIP0"), (b, "MS4wVIP1")):
            s.add(PlatformAccount(customer_id=cid, platform="douyin", uid=uid, nickname=f"VIP{cid}"))
        vip_sessions.invite(s, sid, [a, b], NOW)
        broadcast = Broadcast(title="私享会直播", platform="douyin", started_at=SESSION_AT)
        s.add(broadcast)
        s.flush()
        broadcast_id = broadcast.id
        index = ViewerIndex.load(s)

    def frame(uid, nickname):
        data = {"MsgId": 1, "RoomId": 1, "Content": "", "User": {"Id": 1, "SecUid": uid, "Nickname": nickname}}
        return {"Type": 3, "ProcessName": "douyin", "Data": json.dumps(data, ensure_ascii=False)}

    recording = tmp_path / "session.jsonl"
    recording.write_text("\n".join(json.dumps({"t": t, "format": "barragegrab", "frame": f}) for t, f in [
        (0.0, frame("MS4wVIP0", "VIP0")), (0.1, frame("MS4wSTRANGER", "路人"))]), encoding="utf-8")
    tally = AppearanceTally()

    async def play() -> None:
        source = open_source("replay", str(recording), index=index, speed=0)
        source.add_listener(tally.add)
        await asyncio.wait_for(source.start(), 5)

    asyncio.run(play())
    with store.write() as s:
        record_appearances(s, broadcast_id, tally.take())
        vip_sessions.link_broadcast(s, sid, broadcast_id)
        assert vip_sessions.take_attendance(s, sid) == 1
        states = dict(s.execute(select(Invitation.customer_id, Invitation.status)).all())
    assert states == {a: "attended", b: "invited"}


def test_an_invitation_template_with_absolute_terms_is_refused_until_acknowledged(store, shop):
    from livedesk.services import templates

    sid, vip = shop["session"], shop["vips"][0]
    with store.write() as s:
        vip_sessions.invite(s, sid, [vip], NOW)
        templates.ensure_default_templates(s)
        templates.save(s, "invitation.vip_session", "{称呼}，全网最低价的{私享会}（{时间}）等你！", kind="invitation")
        with pytest.raises(templates.TemplateNotAcknowledged):
            vip_sessions.invitation_text(s, sid, vip)
        template_id = s.scalar(select(MessageTemplate.id).where(MessageTemplate.key == "invitation.vip_session"))
        templates.acknowledge(s, template_id, by="店长")
        assert vip_sessions.invitation_text(s, sid, vip).startswith("VIP0，全网最低价的12月私享会")
