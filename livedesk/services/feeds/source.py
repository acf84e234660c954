"""The runner every feed shares: transport, parsing, matching, a bounded buffer, status.

A ``FeedSource`` drives one transport (a WebSocket client, a loopback listener, a
replay file), hands each frame to its format's parser, matches the events against a
``ViewerIndex`` and puts them in an ``EventBuffer`` the UI drains in batches. Lost
connections are retried with exponential backoff and jitter; ``status()`` can be read
at any time; ``stop()`` cancels cleanly. Nothing here blocks the loop: parsing and
matching are microseconds per frame, and a long burst yields to the loop regularly.
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import itertools
import logging
import random
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any, Protocol

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException
from websockets.uri import parse_uri

from livedesk.services.feeds.events import FeedEvent, FrameError, Kind, utc_now
from livedesk.services.feeds.matching import NO_MATCH, Match, ViewerIndex
from livedesk.services.errors import Refused

log = logging.getLogger(__name__)

Parser = Callable[[Any, datetime], list[FeedEvent]]
MAX_FRAME = 1 << 20  # a chat frame is a few kB; a megabyte is already hostile
YIELD_EVERY = 200  # frames handled back to back before letting the UI paint
# websockets >= 15 would otherwise route even 127.0.0.1 through a system proxy.
NO_PROXY: dict[str, Any] = {"proxy": None} if "proxy" in inspect.signature(connect).parameters else {}

# Drop ranks, cheapest first. A full buffer evicts the oldest event of the lowest rank
# queued; a VIP's entrance, comment or gift (and the end of the stream) is never evicted.
RANK_LOW, RANK_VIEWER, RANK_KNOWN, PROTECTED = range(4)


def drop_rank(event: FeedEvent, match: Match) -> int:
    kind = event.kind
    if kind is Kind.STREAM_END:
        return PROTECTED
    if match.vip:
        return PROTECTED if kind in (Kind.VIEWER_ENTERED, Kind.COMMENT, Kind.GIFT) else RANK_KNOWN
    if kind is Kind.GIFT or match.certain:
        return RANK_KNOWN
    if kind in (Kind.VIEWER_ENTERED, Kind.COMMENT):
        return RANK_VIEWER
    return RANK_LOW


class FeedConfigError(Refused):
    """A source that can never work as configured (bad URL, a non-loopback listen address...)."""


@dataclass(frozen=True, slots=True)
class MatchedEvent:
    event: FeedEvent
    match: Match
    source: str
    arrived: float  # time.perf_counter() when the frame was read: where event-to-panel latency starts


class EventBuffer:
    """A bounded FIFO that, when full, evicts by value instead of refusing the newest event.

    Protected events may exceed ``maxsize`` (up to ``protected_max``), so a burst of
    likes can never push out a VIP; past that hard cap the newcomer is dropped and
    counted in ``dropped_protected``, which the benchmark requires to stay 0.
    """

    def __init__(self, maxsize: int = 2_000, protected_max: int | None = None) -> None:
        self.maxsize = maxsize
        self.protected_max = protected_max or 4 * maxsize
        self.dropped = 0
        self.dropped_protected = 0
        self._items: OrderedDict[int, tuple[int, MatchedEvent]] = OrderedDict()
        self._ranks: list[deque[int]] = [deque() for _ in range(PROTECTED + 1)]
        self._seq = itertools.count()
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: MatchedEvent, rank: int) -> bool:
        """Queue ``item``; False if it was the one dropped."""
        if len(self._items) >= self.maxsize:
            victim = next((r for r in range(PROTECTED) if self._ranks[r]), None)
            if victim is not None and victim <= rank:
                del self._items[self._ranks[victim].popleft()]
                self.dropped += 1
            elif rank < PROTECTED or len(self._items) >= self.protected_max:
                self.dropped += 1
                self.dropped_protected += rank == PROTECTED
                return False
        seq = next(self._seq)
        self._items[seq] = (rank, item)
        self._ranks[rank].append(seq)
        self._ready.set()
        return True

    def take(self, max_items: int = 500) -> list[MatchedEvent]:
        """Up to ``max_items`` oldest events, without waiting (for a timer-driven consumer)."""
        batch = []
        for _ in range(min(max_items, len(self._items))):
            _, (rank, item) = self._items.popitem(last=False)
            self._ranks[rank].popleft()  # the oldest overall is the oldest of its rank
            batch.append(item)
        return batch

    async def get_batch(self, max_items: int = 500) -> list[MatchedEvent]:
        """Wait for at least one event, then take what is there (one UI update per batch)."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self.take(max_items)


class RateMeter:
    """Events per second over a sliding window of whole seconds."""

    def __init__(self, window: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._buckets: deque[list[int]] = deque()

    def add(self, n: int = 1) -> None:
        second = int(self._clock())
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1][1] += n
        else:
            self._buckets.append([second, n])
            self._trim(second)

    def rate(self) -> float:
        self._trim(int(self._clock()))
        return sum(n for _, n in self._buckets) / self.window

    def _trim(self, second: int) -> None:
        while self._buckets and self._buckets[0][0] <= second - self.window:
            self._buckets.popleft()


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    stable_after: float = 10.0  # a connection that lived this long starts the next retry from ``initial``

    def delay(self, attempt: int) -> float:
        base = min(self.maximum, self.initial * self.factor ** min(attempt, 32))
        return base / 2 + random.random() * base / 2  # jitter: tools restarted together don't retry in step


@dataclass(frozen=True)
class FeedStatus:
    name: str
    endpoint: str
    state: str  # idle | connecting | connected | listening | retrying | finished | failed | stopped
    connected: bool
    events_per_s: float
    frames_ok: int
    frames_skipped: int
    events: int
    dropped: int
    queued: int
    reconnects: int
    last_error: str | None
    last_error_at: datetime | None
    last_skipped: str | None  # why the latest malformed frame was skipped
    # What went wrong last, for the UI to word: refused | timeout | closed | network | protocol | config
    last_error_code: str | None = None


class Transport(Protocol):
    endpoint: str
    finite: bool  # a replay ends; sockets are retried when they close

    async def run(self, feed: FeedSource) -> None: ...


class FeedSource:
    def __init__(self, name: str, transport: Transport, *, index: ViewerIndex | None = None,
                 buffer: EventBuffer | None = None, backoff: Backoff = Backoff()) -> None:
        self.name = name
        self.transport = transport
        self.index = index  # swap in a freshly loaded index at any time; matching reads this attribute
        self.buffer = buffer or EventBuffer()
        self.backoff = backoff
        self.ready = asyncio.Event()  # set once connected or listening
        self._listeners: list[Callable[[MatchedEvent], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._rate = RateMeter()
        self._state = "idle"
        self._connected = False
        self._frames_ok = self._frames_skipped = self._events = self._reconnects = 0
        self._since_yield = 0
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._last_skipped: str | None = None
        self._last_error_code: str | None = None

    # --- control ----------------------------------------------------------------------

    def add_listener(self, listener: Callable[[MatchedEvent], None]) -> None:
        """Called synchronously with every event, even those the buffer later drops (keep it cheap)."""
        self._listeners.append(listener)

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(), name=f"feed:{self.name}")
        return self._task

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    def status(self) -> FeedStatus:
        return FeedStatus(
            self.name, self.transport.endpoint, self._state, self._connected, round(self._rate.rate(), 1),
            self._frames_ok, self._frames_skipped, self._events, self.buffer.dropped, len(self.buffer),
            self._reconnects, self._last_error, self._last_error_at, self._last_skipped, self._last_error_code,
        )

    async def run(self) -> None:
        attempt = 0
        try:
            while True:
                self._state = "connecting"
                started, frames_before = time.monotonic(), self._frames_ok
                try:
                    await self.transport.run(self)
                except FeedConfigError as exc:
                    self._error(str(exc), "config")
                    self._state = "failed"
                    return
                except (OSError, TimeoutError, WebSocketException) as exc:
                    self._error(f"{type(exc).__name__}: {exc}", error_code(exc))
                else:
                    if self.transport.finite:
                        self._state = "finished"
                        return
                    self._error("the capture tool closed the connection", "closed")
                finally:
                    self._set_connected(False)
                if time.monotonic() - started >= self.backoff.stable_after or self._frames_ok > frames_before:
                    attempt = 0
                delay = self.backoff.delay(attempt)
                attempt += 1
                self._reconnects += 1
                self._state = "retrying"
                log.info("feed %s: retrying %s in %.1f s", self.name, self.transport.endpoint, delay)
                await asyncio.sleep(delay)
        finally:
            self._set_connected(False)
            if self._state not in ("finished", "failed"):
                self._state = "stopped"

    # --- called by transports ---------------------------------------------------------

    def set_connected(self, connected: bool, state: str = "connected") -> None:
        self._set_connected(connected)
        if connected or state == "listening":
            self._state = state
            self.ready.set()

    async def frame(self, raw: Any, parse: Parser) -> None:
        """One frame in: parse, match, queue. Malformed frames are counted, never raised."""
        arrived = time.perf_counter()
        try:
            events = parse(raw, utc_now())
        except FrameError as exc:
            self._skip(str(exc))
            events = exc.events
        except Exception as exc:  # an adapter bug must not drop the connection; it is logged
            log.exception("feed %s: adapter failed on a frame", self.name)
            self._skip(f"{type(exc).__name__}: {exc}")
            events = []
        else:
            self._frames_ok += 1
        for event in events:
            self._deliver(event, arrived)
        await self._pace()

    async def skip(self, reason: str) -> None:
        """A frame the transport itself could not read (a bad replay line)."""
        self._skip(reason)
        await self._pace()

    # --- internals --------------------------------------------------------------------

    def _deliver(self, event: FeedEvent, arrived: float) -> None:
        index = self.index
        match = index.match(event) if index is not None else NO_MATCH
        item = MatchedEvent(event, match, self.name, arrived)
        for listener in self._listeners:
            listener(item)
        self.buffer.put(item, drop_rank(event, match))
        self._events += 1
        self._rate.add()

    async def _pace(self) -> None:
        self._since_yield += 1
        if self._since_yield >= YIELD_EVERY:
            self._since_yield = 0
            await asyncio.sleep(0)

    def _skip(self, reason: str) -> None:
        self._frames_skipped += 1
        self._last_skipped = reason[:200]

    def _set_connected(self, connected: bool) -> None:
        self._connected = connected

    def _error(self, message: str, code: str) -> None:
        self._last_error = message[:300]
        self._last_error_code = code
        self._last_error_at = utc_now()


def error_code(exc: BaseException) -> str:
    """A connection failure as a code the UI words (the exception's text stays in the log)."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"  # nothing listens there: the capture tool is not running
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionClosed):
        return "closed"
    if isinstance(exc, WebSocketException):
        return "protocol"
    return "network"


class WebSocketClient:
    """LiveDesk connects to the capture tool (BarrageGrab, douyinLive)."""

    finite = False

    def __init__(self, url: str, parse: Parser, *, open_timeout: float = 5.0) -> None:
        try:
            parse_uri(url)
        except InvalidURI as exc:
            raise FeedConfigError("bad_url", f"not a WebSocket address: {url}", url=url) from exc
        self.endpoint = url
        self.parse = parse
        self.open_timeout = open_timeout

    async def run(self, feed: FeedSource) -> None:
        async with connect(self.endpoint, open_timeout=self.open_timeout, max_size=MAX_FRAME,
                           **NO_PROXY) as ws:
            feed.set_connected(True)
            async for message in ws:  # ends on a clean close; raises on a broken one
                await feed.frame(message, self.parse)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebSocketListener:
    """The capture tool connects to LiveDesk (dycast). Loopback only unless ``allow_remote``.

    A feed is untrusted input that reaches the host's screen: anyone who can connect
    can put words there, so listening beyond this computer must be asked for. Even on
    loopback, any web page open in the host's browser can open a WebSocket to
    127.0.0.1; with ``secret`` only ``ws://host:port/<secret>`` is accepted (the
    address the live console shows for pasting into dycast), other paths get 403.
    """

    finite = False

    def __init__(self, parse: Parser, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False,
                 max_clients: int = 4, secret: str | None = None) -> None:
        if not allow_remote and not is_loopback(host):
            raise FeedConfigError("not_loopback", f"refusing to listen on {host!r}: only loopback addresses unless allowed",
                                  host=host)
        self.parse = parse
        self.host = host
        self.port = port  # 0 picks a free port; the bound one is set once listening
        self.max_clients = max_clients
        self.secret = secret
        self.clients = 0
        self.refused = 0  # handshakes to a wrong path
        self.endpoint = self._address()

    def _address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}" + (f"/{self.secret}" if self.secret else "")

    def _check_path(self, connection: ServerConnection, request: Any) -> Any:
        if self.secret and request.path.split("?", 1)[0].rstrip("/") != f"/{self.secret}":
            self.refused += 1
            log.warning("feed listener: refused a connection to %s (not the shown address)", request.path)
            return connection.respond(HTTPStatus.FORBIDDEN, "not the address LiveDesk shows\n")
        return None

    async def run(self, feed: FeedSource) -> None:
        async def handle(ws: ServerConnection) -> None:
            if self.clients >= self.max_clients:
                await ws.close(1013, "too many feed connections")
                return
            self.clients += 1
            feed.set_connected(True)
            try:
                async for message in ws:
                    await feed.frame(message, self.parse)
            except ConnectionClosed:  # the tool went away mid-frame: it will reconnect
                pass
            finally:
                self.clients -= 1
                if self.clients == 0:
                    feed.set_connected(False, "listening")

        async with serve(handle, self.host, self.port, max_size=MAX_FRAME,
                         process_request=self._check_path) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self.endpoint = self._address()
            feed.set_connected(False, "listening")
            await server.serve_forever()
