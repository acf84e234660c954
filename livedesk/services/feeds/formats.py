"""The feed formats LiveDesk reads, and ``open_source``: one call from a format to a source.

This is where the UI and the CLI start: ``open_source("barragegrab", "ws://127.0.0.1:8888",
index=index)`` returns a ``FeedSource`` ready for ``start()``.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from livedesk.services import settings
from livedesk.services.feeds import barragegrab, douyinlive, dycast
from livedesk.services.feeds.events import FeedEvent, load_json
from livedesk.services.feeds.matching import ViewerIndex
from livedesk.services.feeds.replay import ReplayFile
from livedesk.services.feeds.source import (
    Backoff,
    EventBuffer,
    FeedConfigError,
    FeedSource,
    Parser,
    Transport,
    WebSocketClient,
    WebSocketListener,
)


def _own(frame: Any, received_at: datetime) -> list[FeedEvent]:
    return [FeedEvent.from_dict(load_json(frame), received_at)]


PARSERS: dict[str, Parser] = {
    "barragegrab": barragegrab.parse,
    "douyinlive": douyinlive.parse,
    "dycast": dycast.parse,
    "livedesk": _own,
}
FORMATS = ("barragegrab", "douyinlive", "dycast", "replay")


def listener_secret(session: Session) -> str:
    """The path dycast pushes to (``ws://127.0.0.1:PORT/<secret>``), made once and kept so the
    address pasted into dycast stays valid; web pages the host visits cannot guess it."""
    secret = settings.get(session, "feeds.listener_secret")
    if not secret:
        secret = secrets.token_urlsafe(9)
        settings.set_value(session, "feeds.listener_secret", secret)
    return secret


def demo_feed() -> Path:
    """The recorded demo broadcast shipped with the app."""
    from livedesk.resources_path import resource_path

    return resource_path("feeds", "demo_broadcast.jsonl")


def open_source(fmt: str, target: str | None = None, *, index: ViewerIndex | None = None,
                buffer: EventBuffer | None = None, speed: float = 1.0, host: str = "127.0.0.1",
                port: int | None = None, allow_remote: bool = False, backoff: Backoff = Backoff(),
                name: str | None = None, secret: str | None = None) -> FeedSource:
    """A source for ``fmt``; ``target`` is the URL (clients), ``host:port[/secret]`` (dycast) or file (replay).

    ``secret``: the path a dycast listener accepts when ``target`` names none.

    Raises ``FeedConfigError`` for a configuration that can never work.
    """
    transport: Transport
    if fmt == "barragegrab":
        transport = WebSocketClient(target or barragegrab.DEFAULT_URL, barragegrab.parse)
    elif fmt == "douyinlive":
        if not target:
            raise FeedConfigError("room_required", "douyinLive needs a room id or a ws:// address")
        transport = WebSocketClient(douyinlive.url_for(target), douyinlive.parse)
    elif fmt == "dycast":
        if target:
            address, _, path = target.removeprefix("ws://").partition("/")
            host, _, given_port = address.rpartition(":")
            if not given_port.isdigit():
                raise FeedConfigError("bad_listen_address", f"dycast listens on HOST:PORT[/SECRET], not {target!r}",
                                      target=target)
            port = int(given_port)
            host = host.strip("[]") or "127.0.0.1"
            secret = path.strip("/") or secret
        transport = WebSocketListener(dycast.parse, host, dycast.DEFAULT_PORT if port is None else port,
                                      allow_remote=allow_remote, secret=secret)
    elif fmt == "replay":
        transport = ReplayFile(target or demo_feed(), PARSERS, speed=speed)
    else:
        raise FeedConfigError("unknown_format", f"unknown feed format {fmt!r}; choose one of {', '.join(FORMATS)}",
                              format=fmt)
    return FeedSource(name or fmt, transport, index=index, buffer=buffer, backoff=backoff)
