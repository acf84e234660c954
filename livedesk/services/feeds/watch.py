"""``livedesk feed watch``: print a source's events, matched, one per line, until Ctrl-C.

How a user checks that their capture tool is connected: connection changes go to
stderr as they happen, events to stdout (text or JSON lines), and a status summary
to stderr on exit.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TextIO

from livedesk.services.feeds.events import Kind
from livedesk.services.feeds.intents import IntentTagger, tagger_for_shop
from livedesk.services.feeds.matching import ViewerIndex
from livedesk.services.feeds.source import FeedSource, FeedStatus, MatchedEvent

STATUS_POLL_S = 0.25


def event_line(item: MatchedEvent) -> str:
    event, match = item.event, item.match
    viewer = event.viewer
    who = (viewer.nickname or viewer.display_id or viewer.uid or "?") if viewer else "-"
    detail = {
        Kind.COMMENT: event.content or "",
        Kind.GIFT: f"{event.gift_name or 'gift'} x{event.gift_count} ({event.gift_value})",
        Kind.LIKE: f"x{event.like_count}",
        Kind.ROOM_STATS: f"online {event.online}, total {event.total_viewers}",
    }.get(event.kind, "")
    line = f"{event.received_at.astimezone():%H:%M:%S} {event.kind:<14} {who}"
    if detail:
        line += f": {detail}"
    if item.intents:
        line += f"  <{' '.join(item.intents)}>"
    if match.customer is not None:
        c = match.customer
        mark = "=" if match.certain else "?"
        line += f"  [{mark} #{c.id} {c.nickname} {c.tier}/{c.level}{' VIP' if c.vip else ''} by {match.how}]"
    return line


def event_json(item: MatchedEvent) -> str:
    match = item.match
    customer = match.customer
    data = item.event.to_dict()
    data["intents"] = list(item.intents)  # on every event, empty when none: one shape for scripts
    data["match"] = None if customer is None else {
        "customer_id": customer.id, "nickname": customer.nickname, "tier": customer.tier,
        "level": customer.level, "vip": customer.vip, "how": match.how, "certain": match.certain,
        "candidates": [c.id for c in match.candidates],
    }
    return json.dumps(data, ensure_ascii=False)


def summary_line(status: FeedStatus) -> str:
    text = (f"{status.name} {status.endpoint}: {status.state}; {status.events} events from {status.frames_ok} "
            f"frames, {status.frames_skipped} skipped, {status.dropped} dropped, {status.reconnects} reconnects")
    if status.last_error:
        text += f"; last error: {status.last_error}"
    if status.last_skipped:
        text += f"; last skipped frame: {status.last_skipped}"
    return text


async def watch(source: FeedSource, *, as_json: bool = False, limit: int | None = None,
                out: TextIO | None = None, err: TextIO | None = None) -> FeedStatus:
    """Print events until the source ends, ``limit`` events were printed, or the task is cancelled."""
    out, err = out or sys.stdout, err or sys.stderr  # looked up now: the streams may have been replaced
    task = source.start()
    reporter = asyncio.create_task(_report_changes(source, err))
    printed = 0
    try:
        while limit is None or printed < limit:
            getter = asyncio.ensure_future(source.buffer.get_batch())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                batch = source.buffer.take(len(source.buffer))  # the source ended: print what is left
            else:
                batch = getter.result()
            for item in batch[: None if limit is None else limit - printed]:
                print(event_json(item) if as_json else event_line(item), file=out, flush=False)
                printed += 1
            out.flush()
            if task.done():
                break
    except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels us; finish with the summary
        pass
    finally:
        reporter.cancel()
        await source.stop()
    status = source.status()
    print(summary_line(status), file=err)
    return status


async def _report_changes(source: FeedSource, err: TextIO) -> None:
    seen: tuple[str, str | None] | None = None
    while True:
        status = source.status()
        now = (status.state, status.last_error)
        if now != seen:
            seen = now
            text = f"[{status.name}] {status.state} {status.endpoint}"
            if status.state == "retrying" and status.last_error:
                text += f" ({status.last_error})"
            print(text, file=err, flush=True)
        await asyncio.sleep(STATUS_POLL_S)


def load_index(store) -> ViewerIndex:  # store: livedesk.services.store.Store
    with store.read() as session:
        return ViewerIndex.load(session)


def load_tagger(store) -> IntentTagger:  # the shop's word list, read once like the index
    with store.read() as session:
        return tagger_for_shop(session)
