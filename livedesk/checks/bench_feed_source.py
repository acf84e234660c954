"""``livedesk bench feed-source``: a local BarrageGrab-format server at ``--rate`` events/s, a fifth known.

The server runs on its own thread and event loop, as the capture tool is another
program; the source, the matching and a consumer that drains the buffer the way the
panel will run on this loop. Measured: frame-sent to event-in-consumer latency
(parse + match + queue + wake-up), the longest loop stall seen by a 5 ms ticker,
and whether every protected VIP event (entrance, comment, gift) arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
import time
from typing import Any

from sqlalchemy import select
from websockets.asyncio.server import serve

from livedesk.models import PlatformAccount
from livedesk.checks.bench import percentiles
from livedesk.checks.bench_stores import cached_demo_url
from livedesk.checks.bench_intents import sample_comments
from livedesk.services.feeds.formats import open_source
from livedesk.services.feeds.intents import shipped_tagger
from livedesk.services.feeds.matching import ViewerIndex
from livedesk.services.feeds.source import EventBuffer
from livedesk.services.store import open_store

TICK_S = 0.005
SEND_SLICE_S = 0.01  # the server sends in 10 ms slices: rate/100 frames each
KNOWN_SHARE = 0.2
KINDS = ((1, 0.4), (2, 0.25), (3, 0.25), (5, 0.05), (4, 0.03), (8, 0.02))  # BarrageGrab Type, share
PROTECTED_TYPES = {1, 3, 5}


def bench_feed(args: argparse.Namespace) -> dict[str, Any]:
    store = open_store(cached_demo_url(args, args.customers))
    try:
        started = time.perf_counter()
        with store.read() as session:
            index = ViewerIndex.load(session)
            accounts = session.execute(select(PlatformAccount.uid, PlatformAccount.handle, PlatformAccount.nickname)
                                       .where(PlatformAccount.platform == "douyin")).all()
        index_ms = (time.perf_counter() - started) * 1000
    finally:
        store.dispose()
    total = int(args.rate * args.seconds)
    frames, protected = _script(index, accounts, total, random.Random(7))
    result = asyncio.run(_run(index, frames, protected, args.rate))
    return {"customers": args.customers, "rate": args.rate, "seconds": args.seconds, "index_load_ms": round(index_ms),
            "index_accounts": len(index), **result}


def _script(index: ViewerIndex, accounts: list, total: int, rng: random.Random) -> tuple[list[str], set[int]]:
    """Every frame up front, so the server thread only sends; returns the protected VIP msg ids."""
    from livedesk.services.feeds.events import FeedEvent, Kind, Viewer, utc_now

    types, weights = zip(*KINDS)
    frames, protected = [], set()
    comments = sample_comments(total, rng)  # tagged with intents on the way in, as in the app
    for seq in range(total):
        kind = rng.choices(types, weights)[0]
        if rng.random() < KNOWN_SHARE:
            uid, handle, nickname = rng.choice(accounts)
            vip = index.match(FeedEvent(Kind.COMMENT, "douyin", Viewer(uid), utc_now())).vip
            if vip and kind in PROTECTED_TYPES:
                protected.add(seq)
        else:
            uid, handle, nickname = f"MS4wLjABAAAAbench{seq}", f"dy{seq}", f"路人{seq % 5000}"
        # MsgId 0 would read as "no id", as in protobuf-derived frames
        data = {"MsgId": seq + 1, "RoomId": 7391234567890123456, "Content": comments[seq], "GiftName": "玫瑰",
                "GiftCount": 1, "RepeatCount": 1, "DiamondCount": 1, "Count": 3,
                "User": {"Id": 10**15 + seq, "SecUid": uid, "DisplayId": handle, "Nickname": nickname}}
        frames.append(json.dumps({"Type": kind, "ProcessName": "bench",
                                  "Data": json.dumps(data, ensure_ascii=False)}, ensure_ascii=False))
    return frames, protected


def _serve_in_thread(frames: list[str], rate: int, sent_at: list[float], port_box: list[int],
                     ready: threading.Event, done: threading.Event) -> threading.Thread:
    per_slice = max(1, round(rate * SEND_SLICE_S))

    async def tool(ws) -> None:
        start = time.perf_counter()
        for first in range(0, len(frames), per_slice):
            delay = start + (first // per_slice) * SEND_SLICE_S - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            for seq in range(first, min(first + per_slice, len(frames))):
                sent_at[seq] = time.perf_counter()
                await ws.send(frames[seq])
        done.set()
        await ws.wait_closed()

    async def main() -> None:
        async with serve(tool, "127.0.0.1", 0) as server:
            port_box.append(server.sockets[0].getsockname()[1])
            ready.set()
            while not done.is_set():
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.0)  # let the client drain before closing

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="bench-feed-server", daemon=True)
    thread.start()
    return thread


async def _run(index: ViewerIndex, frames: list[str], protected: set[int], rate: int) -> dict[str, Any]:
    sent_at = [0.0] * len(frames)
    port_box: list[int] = []
    ready, done = threading.Event(), threading.Event()
    thread = _serve_in_thread(frames, rate, sent_at, port_box, ready, done)
    await asyncio.get_running_loop().run_in_executor(None, ready.wait, 10)
    source = open_source("barragegrab", f"ws://127.0.0.1:{port_box[0]}", index=index, buffer=EventBuffer(),
                         tagger=shipped_tagger())
    latencies: list[float] = []
    got_protected: set[int] = set()
    received = 0
    stalls = [0.0]

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK_S)
            stalls.append(time.perf_counter() - before - TICK_S)

    async def consume() -> None:
        nonlocal received
        while True:
            batch = await source.buffer.get_batch()
            now = time.perf_counter()
            for item in batch:
                seq = int(item.event.msg_id) - 1
                latencies.append((now - sent_at[seq]) * 1000)
                if item.match.vip:
                    got_protected.add(seq)
            received += len(batch)

    tasks = [asyncio.create_task(ticker()), asyncio.create_task(consume())]
    source.start()
    began = time.perf_counter()
    while not done.is_set() or (source.status().frames_ok + source.status().frames_skipped < len(frames)
                                and time.perf_counter() - began < len(frames) / rate + 10):
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.2)
    status = source.status()
    elapsed = time.perf_counter() - began
    for task in tasks:
        task.cancel()
    await source.stop()
    thread.join(5)
    return {
        "sent": len(frames), "received": received, "dropped": status.dropped, "skipped": status.frames_skipped,
        "events_per_s": round(status.frames_ok / elapsed, 1),
        "vip_events_sent": len(protected), "vip_events_lost": len(protected - got_protected),
        **percentiles(latencies, "latency_"),
        "longest_stall_ms": round(max(stalls) * 1000, 2),
    }
