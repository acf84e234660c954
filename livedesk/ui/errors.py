"""Words for what services refuse, in the UI's language.

Services raise ``Refused`` subclasses with a ``code`` and the values the words need
(``livedesk/services/errors.py``); their English message is for the CLI and the log.
This is the one place the UI turns a refusal into a sentence. Anything it does not
know (a bug, an OS error) is logged with its traceback and shown as a plain sentence,
never as a Python exception's text.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

from livedesk.services.broadcasts import BroadcastError
from livedesk.services.errors import Refused
from livedesk.services.feeds.matching import LinkError
from livedesk.services.feeds.source import FeedConfigError
from livedesk.services.followups.tasks import TaskError
from livedesk.services.importing.orders_import import ImportSetupError
from livedesk.services.store import StoreError
from livedesk.services.templates import TemplateError
from livedesk.services.vip_sessions import InvitationError
from livedesk.ui import labels

log = logging.getLogger(__name__)


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate("Errors", text, None, n)


def _fill(text: str, *values: object) -> str:
    for i, value in enumerate(values, 1):
        text = text.replace(f"%{i}", str(value))
    return text


def describe(exc: BaseException) -> str:
    """One sentence for the person at the screen, in the UI's language."""
    words = _refused(exc) if isinstance(exc, Refused) else None
    if words:
        return words
    if isinstance(exc, StoreError):
        return _tr("The database cannot be used: %1").replace("%1", str(exc))
    if isinstance(exc, LookupError):
        # NotFound: another screen merged or removed what this one still shows.
        return _tr("That record no longer exists: another screen may have merged or removed it. The list is refreshed.")
    if isinstance(exc, ConnectionRefusedError):
        return _tr("Nothing answers at that address: is the capture tool running?")
    if isinstance(exc, PermissionError):
        return _tr("LiveDesk may not use that file or folder: %1").replace("%1", str(exc.filename or ""))
    if isinstance(exc, FileNotFoundError):
        return _tr("No such file: %1").replace("%1", str(exc.filename or ""))
    if isinstance(exc, OSError):
        return _tr("The computer refused: %1").replace("%1", exc.strerror or type(exc).__name__)
    log.error("unexpected error shown to the user", exc_info=exc)
    return _tr("Something went wrong; it is in the log. Your data is safe.")


def _refused(exc: Refused) -> str | None:
    code, p = exc.code, exc.params
    if isinstance(exc, BroadcastError):
        return {
            "title_required": lambda: _tr("Give the broadcast a title"),
            "unknown_platform": lambda: _fill(_tr("Unknown platform %1"), p.get("platform")),
            "still_live": lambda: _fill(_tr("“%1” is still on air: end it before starting another"), p.get("title")),
            "room_live": lambda: _fill(_tr("“%1” is already on air in this room"), p.get("title")),
            "not_found": lambda: _tr("That broadcast no longer exists"),
            "ended": lambda: _fill(_tr("“%1” has already ended"), p.get("title")),
            "not_live": lambda: _tr("The feed is recorded during a live broadcast: start one first"),
            "not_live_greeting": lambda: _tr("Start a broadcast to record greetings"),
            "customer_not_found": lambda: _tr("That customer no longer exists"),
            "recorder_taken": lambda: _fill(_tr("%1 is already recording this broadcast's feed"),
                                            p.get("member") or _tr("Another computer")),
        }.get(code, lambda: None)()
    if isinstance(exc, TaskError):
        return {
            "not_open": lambda: _tr("This task was already handled (perhaps on another screen)"),
            "bad_outcome": lambda: _tr("Unknown outcome"),
            "naive_time": lambda: _tr("Pick a time"),
            "snooze_in_past": lambda: _tr("Snooze to a time in the future"),
            "reason_required": lambda: _tr("Type why you skip this task (a reason is required)"),
            "bad_kind": lambda: _tr("Unknown kind of task"),
        }.get(code, lambda: None)()
    if isinstance(exc, InvitationError):
        return {
            "title_required": lambda: _tr("Give the session a title"),
            "capacity": lambda: _tr("A session needs at least one seat"),
            "answered": lambda: _fill(_tr("They already answered (%1): record a decline instead"),
                                      labels.rsvp(p.get("status", ""))),
            "bad_status": lambda: _tr("Unknown answer"),
            "transition": lambda: _fill(_tr("An invitation that is “%1” cannot become “%2”"),
                                        labels.rsvp(p.get("status", "")), labels.rsvp(p.get("to", ""))),
            "full": lambda: _tr("No seat is free: the session is full"),
            "no_broadcast": lambda: _tr("No broadcast is linked to this session: pick the broadcast it ran as"),
            "broadcast_not_found": lambda: _tr("That broadcast no longer exists"),
            "session_not_found": lambda: _tr("That session no longer exists"),
            "not_invited": lambda: _tr("That customer is not on this session's list"),
            "no_match": lambda: _fill(_tr("No customer matches “%1”"), p.get("query")),
        }.get(code, lambda: None)()
    if isinstance(exc, TemplateError):
        return {
            "unknown_placeholder": lambda: _fill(_tr("The template has placeholders LiveDesk does not know: %1. "
                                                     "Known: %2"),
                                                 " ".join(f"{{{n}}}" for n in p.get("names", [])),
                                                 " ".join(f"{{{n}}}" for n in p.get("available", []))),
            "not_acknowledged": lambda: _fill(_tr("The template has Advertising Law risk terms (%1): the owner must "
                                                  "acknowledge them in 消息模板 before it is used"),
                                              "、".join(p.get("terms", []))),
            "no_template": lambda: _fill(_tr("There is no template for “%1” follow-ups: add one under Message "
                                             "templates"), labels.task_kind(p.get("kind", ""))),
        }.get(code, lambda: None)()
    if isinstance(exc, FeedConfigError):
        return {
            "bad_url": lambda: _fill(_tr("“%1” is not a WebSocket address (ws://host:port)"), p.get("url")),
            "not_loopback": lambda: _tr("LiveDesk only listens on this computer (127.0.0.1)"),
            "room_required": lambda: _tr("douyinLive needs the room id or its ws:// address"),
            "bad_listen_address": lambda: _tr("dycast needs an address like 127.0.0.1:8899"),
            "unknown_format": lambda: _tr("Unknown feed format"),
            "no_file": lambda: _tr("The recorded feed file is missing"),
            "bad_speed": lambda: _tr("The replay speed cannot be negative"),
        }.get(code, lambda: None)()
    if isinstance(exc, LinkError):
        return {
            "nickname_only": lambda: _tr("This viewer has only a nickname: it changes and is shared, so it "
                                         "cannot be linked"),
            "customer_not_found": lambda: _tr("That customer no longer exists"),
            "already_linked": lambda: _tr("This account is already linked to another customer: merge the two "
                                          "in 查重合并 if they are one person"),
        }.get(code, lambda: None)()
    if isinstance(exc, ImportSetupError):
        return import_setup(exc)
    return None


def import_setup(exc: ImportSetupError) -> str:
    p = exc.params
    words = {
        "no_file": lambda: _tr("The file is not there any more"),
        "no_header": lambda: _tr("The file has no header row"),
        "encoding": lambda: _tr("The file's text encoding cannot be recognised: save it as UTF-8 or GBK"),
        "empty": lambda: _tr("The file is empty"),
        "bad_row": lambda: _fill(_tr("The file cannot be read past row %1"), p.get("row")),
        "not_xlsx": lambda: _tr("The file is not a readable Excel workbook"),
        "unreadable": lambda: _tr("The file cannot be read as a table"),
        "unknown_platform": lambda: _fill(_tr("Unknown platform %1"), p.get("platform")),
        "bad_mapping": lambda: _tr("A column choice does not fit this file: choose the columns again"),
        "no_platform": lambda: _tr("Which platform is this export from? Choose it above"),
    }.get(exc.code)
    return words() if words else _tr("The file cannot be imported")


def feed_error(code: str | None) -> str:
    """Why a live feed is not connected, from its status's ``last_error_code``."""
    return {
        "refused": lambda: _tr("nothing answers at that address: is the capture tool running?"),
        "timeout": lambda: _tr("the capture tool does not answer"),
        "closed": lambda: _tr("the capture tool closed the connection"),
        "network": lambda: _tr("the connection failed"),
        "protocol": lambda: _tr("the capture tool's answer is not a WebSocket feed"),
        "config": lambda: _tr("the feed is not set up right"),
    }.get(code or "", lambda: _tr("the connection failed"))()
