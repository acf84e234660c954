"""Two real app processes on one store, as the host's PC and an assistant's laptop work live.

Each is the app's main window offscreen in a process of its own (livedesk/checks/team_client.py),
following the change feed as the app does; the test drives both and asks what they show.
"""

from __future__ import annotations

import json
import time

import pytest

from livedesk.models import Customer
from livedesk.checks import bench
from livedesk.services import broadcasts, customers
from livedesk.services.customers import NewCustomer
from livedesk.checks.bench_team import clients

WAIT_S = 20.0  # a shared two-core machine under a full test run


def frame(kind: int, uid: str, nickname: str, content: str = "", msg: int = 0) -> dict:
    data = {"MsgId": msg or abs(hash((kind, uid, content))) % 10**12 + 1, "RoomId": 1, "Content": content,
            "User": {"Id": 1, "ShortId": 2, "DisplayId": "", "SecUid": uid, "Nickname": nickname}}
    return {"Type": kind, "ProcessName": "douyin", "Data": json.dumps(data, ensure_ascii=False)}


@pytest.fixture
def shop(store, tmp_path):
    with store.write() as s:
        wang = customers.create(s, NewCustomer(nickname="王姐", accounts=[("douyin", "uid-wang", "wangjie")]))
        li = customers.create(s, NewCustomer(nickname="李姐", accounts=[("douyin", "uid-li", None)]))
        s.get(Customer, wang).tier = "vip"
        live = broadcasts.start(s, "周二美妆专场", "douyin", "7311")
    recording = tmp_path / "show.jsonl"
    lines = [frame(3, "uid-wang", "王姐"), frame(1, "uid-li", "李姐", "有敏感肌套装吗"), frame(3, "uid-new", "路人甲")]
    recording.write_text("\n".join(json.dumps({"t": 0.05 * i, "format": "barragegrab", "frame": f},
                                              ensure_ascii=False) for i, f in enumerate(lines)), encoding="utf-8")
    return {"wang": wang, "li": li, "broadcast": live.id, "recording": recording}


def see(watcher, actor, tag, watch, action):
    """``watcher`` watches, ``actor`` acts; True once the watcher's window shows it."""
    watcher.send(("watch", tag, *watch))
    assert watcher.expect("watching", tag, WAIT_S) is not None
    actor.send((action[0], tag, *action[1:]))
    assert actor.expect("did", tag, WAIT_S) is not None, f"{action[0]} not done"
    return watcher.expect("seen", tag, WAIT_S) is not None


def test_two_app_processes_share_notes_pushes_arrivals_greetings_and_one_recorder(store, shop):
    with clients(store.url, 2) as (host_pc, laptop):
        # A note saved on the laptop appears on the host PC's open customer page.
        assert see(host_pc, laptop, "note", ("note", shop["li"], "过敏：酒精，别推荐含酒精的爽肤水"),
                   ("note", shop["li"], "过敏：酒精，别推荐含酒精的爽肤水"))
        # A card pushed from the laptop reaches the host panel on the host PC.
        assert see(host_pc, laptop, "push", ("card", shop["wang"]), ("push", shop["wang"]))
        assert host_pc.state()["card"] == shop["wang"]

        # The host PC records the feed; the laptop's queue follows it.
        assert see(laptop, host_pc, "feed", ("arrival", shop["li"]), ("feed", str(shop["recording"])))
        laptop.send(("watch", "wang-arrived", "arrival", shop["wang"]))
        assert laptop.expect("seen", "wang-arrived", WAIT_S) is not None
        queued = laptop.state()["queue"]
        assert [cid for cid, _greeted in queued][:1] == [shop["wang"]]  # the VIP first, as on the recorder
        assert sorted(cid for cid, _g in queued if cid) == sorted([shop["wang"], shop["li"]])
        recorder = host_pc.state()
        assert recorder["recording"] == shop["broadcast"] and "This computer records" in recorder["recorder_status"]

        # The laptop cannot start a second recorder: it is told the host PC records.
        laptop.send(("feed", "second", str(shop["recording"])))
        assert laptop.expect("did", "second", WAIT_S) is not None
        deadline = time.monotonic() + WAIT_S  # the refusal comes back from the laptop's worker
        while "is recording" not in (told := laptop.state())["feedback"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert told["recording"] is None and "is recording this broadcast's feed on" in told["feedback"]
        assert told["recorder_status"].startswith("Recorded by")

        # Greeted on the laptop: the host PC's queue and card drop "not greeted" at once.
        assert "not_greeted" in host_pc.state()["card_alerts"]
        assert see(host_pc, laptop, "greet", ("greeted", shop["wang"]), ("greet", shop["wang"]))
        assert dict(host_pc.state()["queue"])[shop["wang"]] is True

    with store.read() as s:  # both closed: the recorder released its claim
        assert broadcasts.recorder(s, shop["broadcast"]) is None


def test_bench_team_times_notes_and_pushes_between_two_processes(tmp_path, request):
    import argparse
    import os

    backends = os.environ.get("LIVEDESK_TEST_BACKENDS", "sqlite,postgresql")
    # PostgreSQL on the tests' own server (the bench makes a scratch database on it and drops it).
    server = request.getfixturevalue("pg_server").url() if "postgresql" in backends else None
    args = argparse.Namespace(events=5, backends=backends, db_url=server, cache=str(tmp_path))
    result = bench.run("team", args)
    assert result["sqlite_notes_lost"] == 0 and result["sqlite_pushes_lost"] == 0
    assert 0 < result["sqlite_note_seen_p50_ms"] <= result["sqlite_note_seen_p95_ms"] < 5000
    assert 0 < result["sqlite_push_seen_p95_ms"] < 5000
    if server is not None:
        assert "postgresql_skipped" not in result
        assert result["postgresql_notes_lost"] == 0 and result["postgresql_pushes_lost"] == 0
        assert 0 < result["postgresql_note_seen_p95_ms"] < 5000 and 0 < result["postgresql_push_seen_p95_ms"] < 5000
    assert result["goal_push_seen_p95_ms"] == 100 and result["goal_note_seen_p95_ms"] == 250
