"""Replay of a recorded feed, for rehearsals, demos and tests.

A JSON-lines file, one frame per line: ``{"t": seconds_from_start, "format": "barragegrab",
"frame": <the raw frame>}``. ``format`` is any adapter's name, or ``livedesk`` for our
own event dict (``FeedEvent.to_dict``); ``frame`` may be the raw text the tool sent or
its decoded JSON. Lines play at ``t / speed`` seconds; ``speed`` 0 plays as fast as the
loop allows (still yielding to it). A bad line is counted as a skipped frame.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from livedesk.services.feeds.events import FrameError

if TYPE_CHECKING:
    from livedesk.services.feeds.source import FeedSource, Parser


class ReplayFile:
    finite = True

    def __init__(self, path: str | Path, parsers: Mapping[str, Parser], *, speed: float = 1.0,
                 default_format: str = "livedesk") -> None:
        from livedesk.services.feeds.source import FeedConfigError

        self.path = Path(path)
        if not self.path.is_file():
            raise FeedConfigError("no_file", f"no recorded feed at {self.path}", path=str(self.path))
        if speed < 0:
            raise FeedConfigError("bad_speed", "speed must be 0 (as fast as possible) or more")
        self.parsers = parsers
        self.speed = speed
        self.default_format = default_format
        self.endpoint = str(self.path)

    async def run(self, feed: FeedSource) -> None:
        loop = asyncio.get_running_loop()
        feed.set_connected(True)
        started = loop.time()
        with self.path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    offset, parse, frame = self._record(line)
                except FrameError as exc:
                    await feed.skip(f"line {number}: {exc}")
                    continue
                if self.speed:
                    delay = started + offset / self.speed - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await feed.frame(frame, parse)

    def _record(self, line: str) -> tuple[float, Parser, object]:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            raise FrameError("not JSON") from None
        if not isinstance(record, dict) or "frame" not in record:
            raise FrameError('a line needs {"t": ..., "format": ..., "frame": ...}')
        offset = record.get("t", 0)
        if isinstance(offset, bool) or not isinstance(offset, int | float) or offset < 0:
            raise FrameError(f"bad time offset {offset!r}"[:80])
        fmt = record.get("format", self.default_format)
        parse = self.parsers.get(fmt) if isinstance(fmt, str) else None
        if parse is None:
            raise FrameError(f"unknown format {fmt!r}"[:80])
        return float(offset), parse, record["frame"]

