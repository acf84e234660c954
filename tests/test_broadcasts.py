"""Broadcast start/end, greetings, and the after-stream summary."""

from __future__ import annotations

import pytest

from livedesk.models import Appearance, Customer
from livedesk.services import broadcasts, customers
from livedesk.services.broadcasts import BroadcastError
from livedesk.services.customers import NewCustomer


@pytest.fixture
def people(store):
    with store.write() as s:
        vip = customers.create(s, NewCustomer(nickname="王姐"))
        other_vip = customers.create(s, NewCustomer(nickname="李姐"))
        regular = customers.create(s, NewCustomer(nickname="小鹿"))
        for cid in (vip, other_vip):
            s.get(Customer, cid).tier = "vip"
    return vip, other_vip, regular


def test_only_one_broadcast_can_be_live(store):
    with store.write() as s:
        live = broadcasts.start(s, "周二美妆专场", "douyin", "7311")
        with pytest.raises(BroadcastError, match="still live"):
            broadcasts.start(s, "another", "douyin")
        assert broadcasts.current(s).id == live.id
        broadcasts.end(s, live.id)
        assert broadcasts.current(s) is None
        with pytest.raises(BroadcastError, match="already ended"):
            broadcasts.end(s, live.id)


def test_a_broadcast_needs_a_title_and_a_known_platform(store):
    with store.write() as s:
        with pytest.raises(BroadcastError, match="title"):
            broadcasts.start(s, "  ", "douyin")
        with pytest.raises(BroadcastError, match="unknown platform"):
            broadcasts.start(s, "x", "myspace")


def test_summary_lists_vips_present_and_who_was_not_greeted(store, people):
    vip, other_vip, regular = people
    with store.write() as s:
        b = broadcasts.start(s, "周二美妆专场", "douyin")
        broadcasts.mark_greeted(s, b.id, vip)
        broadcasts.mark_greeted(s, b.id, vip)  # twice is one greeting
        s.add(Appearance(broadcast_id=b.id, customer_id=other_vip, platform="douyin", viewer_key="uid-2",
                         nickname="李姐", entered=True))
        s.add(Appearance(broadcast_id=b.id, customer_id=None, platform="douyin", viewer_key="uid-9",
                         nickname="路人甲", comment_count=3))
        s.add(Appearance(broadcast_id=b.id, customer_id=regular, match="possible", platform="douyin",
                         viewer_key="nick:小鹿", nickname="小鹿"))
        customers.add_note(s, regular, "问了粉底色号", broadcast_id=b.id)
    with store.write() as s:
        result = broadcasts.summary(s, b.id)
        assert broadcasts.greeted_ids(s, b.id) == {vip}
    assert {p.customer_id for p in result.vips} == {vip, other_vip}
    assert regular not in {p.customer_id for p in result.known}  # a nickname-only guess is not presence
    assert [p.customer_id for p in result.not_greeted_vips] == [other_vip]
    assert result.notes_logged == 1
    assert result.new_viewers == ["路人甲"]


def test_greetings_are_refused_outside_a_live_broadcast(store, people):
    vip = people[0]
    with store.write() as s:
        b = broadcasts.start(s, "x", "douyin")
        broadcasts.end(s, b.id)
        with pytest.raises(BroadcastError, match="during a live broadcast"):
            broadcasts.mark_greeted(s, b.id, vip)
