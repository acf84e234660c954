"""Words for what services refuse, in the UI's language.

Services raise ``Refused`` subclasses with a ``code`` and the values the words need
(``livedesk/services/errors.py``); their English message is for the CLI and the log.
This is the one place the UI turns a refusal into a sentence. Anything it does not
know (a bug, an OS error) is logged with its traceback and shown as a plain sentence,
never as a Python exception's text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from livedesk.services.errors import Refused
from livedesk.services.store import StoreError
from livedesk.ui import labels

log = logging.getLogger(__name__)

Values = Callable[[dict[str, Any]], tuple[object, ...]]


def _no_values(_p: dict[str, Any]) -> tuple[object, ...]:
    return ()


def _title(p: dict[str, Any]) -> tuple[object, ...]:
    return (p.get("title", ""),)


def _braces(names: list[str]) -> str:
    return " ".join(f"{{{n}}}" for n in names)


# (kind of refusal, code) -> English source (%1, %2... filled from the refusal's params). Kinds by
# class name: importing the services that raise them would load pandas when the window opens.
_WORDS: dict[tuple[str, str], tuple[str, Values]] = {
    ("BroadcastError", "title_required"): (QT_TRANSLATE_NOOP("Errors", "Give the broadcast a title"), _no_values),
    ("BroadcastError", "unknown_platform"): (QT_TRANSLATE_NOOP("Errors", "Unknown platform %1"),
                                           lambda p: (p.get("platform"),)),
    ("BroadcastError", "still_live"): (QT_TRANSLATE_NOOP("Errors", "“%1” is still on air: end it before starting "
                                                                 "another"), _title),
    ("BroadcastError", "room_live"): (QT_TRANSLATE_NOOP("Errors", "“%1” is already on air in this room"), _title),
    ("BroadcastError", "not_found"): (QT_TRANSLATE_NOOP("Errors", "That broadcast no longer exists"), _no_values),
    ("BroadcastError", "ended"): (QT_TRANSLATE_NOOP("Errors", "“%1” has already ended"), _title),
    ("BroadcastError", "not_live"): (QT_TRANSLATE_NOOP("Errors", "The feed is recorded during a live broadcast: "
                                                               "start one first"), _no_values),
    ("BroadcastError", "not_live_greeting"): (QT_TRANSLATE_NOOP("Errors", "Start a broadcast to record greetings"),
                                            _no_values),
    ("BroadcastError", "customer_not_found"): (QT_TRANSLATE_NOOP("Errors", "That customer no longer exists"),
                                             _no_values),
    ("BroadcastError", "recorder_taken"): (QT_TRANSLATE_NOOP("Errors", "%1 is already recording this broadcast's "
                                                                     "feed"),
                                         lambda p: (p.get("member") or QCoreApplication.translate(
                                             "Errors", "Another computer"),)),
    ("TaskError", "not_open"): (QT_TRANSLATE_NOOP("Errors", "This task was already handled (perhaps on another "
                                                          "screen)"), _no_values),
    ("TaskError", "bad_outcome"): (QT_TRANSLATE_NOOP("Errors", "Unknown outcome"), _no_values),
    ("TaskError", "naive_time"): (QT_TRANSLATE_NOOP("Errors", "Pick a time"), _no_values),
    ("TaskError", "snooze_in_past"): (QT_TRANSLATE_NOOP("Errors", "Snooze to a time in the future"), _no_values),
    ("TaskError", "reason_required"): (QT_TRANSLATE_NOOP("Errors", "Type why you skip this task: a reason is "
                                                                 "required"), _no_values),
    ("TaskError", "bad_kind"): (QT_TRANSLATE_NOOP("Errors", "Unknown kind of task"), _no_values),
    ("InvitationError", "title_required"): (QT_TRANSLATE_NOOP("Errors", "Give the session a title"), _no_values),
    ("InvitationError", "capacity"): (QT_TRANSLATE_NOOP("Errors", "A session needs at least one seat"), _no_values),
    ("InvitationError", "answered"): (QT_TRANSLATE_NOOP("Errors", "They already answered (%1): record a decline "
                                                                "instead"),
                                    lambda p: (labels.rsvp(p.get("status", "")),)),
    ("InvitationError", "bad_status"): (QT_TRANSLATE_NOOP("Errors", "Unknown answer"), _no_values),
    ("InvitationError", "transition"): (QT_TRANSLATE_NOOP("Errors", "An invitation that is “%1” cannot become “%2”"),
                                      lambda p: (labels.rsvp(p.get("status", "")), labels.rsvp(p.get("to", "")))),
    ("InvitationError", "full"): (QT_TRANSLATE_NOOP("Errors", "No seat is free: the session is full"), _no_values),
    ("InvitationError", "no_broadcast"): (QT_TRANSLATE_NOOP("Errors", "No broadcast is linked to this session: pick "
                                                                    "the broadcast it ran as"), _no_values),
    ("InvitationError", "broadcast_not_found"): (QT_TRANSLATE_NOOP("Errors", "That broadcast no longer exists"),
                                               _no_values),
    ("InvitationError", "session_not_found"): (QT_TRANSLATE_NOOP("Errors", "That session no longer exists"),
                                             _no_values),
    ("InvitationError", "not_invited"): (QT_TRANSLATE_NOOP("Errors", "That customer is not on this session's list"),
                                       _no_values),
    ("TemplateError", "unknown_placeholder"): (
        QT_TRANSLATE_NOOP("Errors", "The template has placeholders LiveDesk does not know: %1. Known: %2"),
        lambda p: (_braces(p.get("names", [])), _braces(p.get("available", [])))),
    ("TemplateError", "not_acknowledged"): (
        QT_TRANSLATE_NOOP("Errors", "The template has Advertising Law risk terms (%1): the owner must accept them "
                                    "under Message templates before it is used"),
        lambda p: (labels.listing(p.get("terms", [])),)),
    ("TemplateError", "no_template"): (
        QT_TRANSLATE_NOOP("Errors", "There is no template for “%1” follow-ups: add one under Message templates"),
        lambda p: (labels.task_kind(p.get("kind", "")),)),
    ("RunOfShowError", "not_found"): (QT_TRANSLATE_NOOP("Errors", "That broadcast no longer exists"), _no_values),
    ("RunOfShowError", "unknown_kind"): (QT_TRANSLATE_NOOP("Errors", "Line %1: “%2” is not a kind; choose product, "
                                                                     "lucky draw or flash deal"),
                                         lambda p: (p["line"], p["kind"])),
    ("RunOfShowError", "title_required"): (QT_TRANSLATE_NOOP("Errors", "Line %1: give the item a title or pick a "
                                                                       "product"), lambda p: (p["line"],)),
    ("RunOfShowError", "bad_minutes"): (QT_TRANSLATE_NOOP("Errors", "Line %1: planned minutes must be between 0 and "
                                                                    "%2"), lambda p: (p["line"], p["most"])),
    ("RunOfShowError", "no_product"): (QT_TRANSLATE_NOOP("Errors", "Line %1: that product is no longer in the "
                                                                   "catalogue; pick another"), lambda p: (p["line"],)),
    ("RunOfShowError", "no_item"): (QT_TRANSLATE_NOOP("Errors", "The run-of-show has no item %1"),
                                    lambda p: (p["position"],)),
    ("FeedConfigError", "bad_url"): (QT_TRANSLATE_NOOP("Errors", "“%1” is not a WebSocket address (ws://host:port)"),
                                   lambda p: (p.get("url"),)),
    ("FeedConfigError", "not_loopback"): (QT_TRANSLATE_NOOP("Errors", "LiveDesk only listens on this computer "
                                                                    "(127.0.0.1)"), _no_values),
    ("FeedConfigError", "room_required"): (QT_TRANSLATE_NOOP("Errors", "douyinLive needs the room id or its ws:// "
                                                                     "address"), _no_values),
    ("FeedConfigError", "bad_listen_address"): (QT_TRANSLATE_NOOP("Errors", "dycast needs an address like "
                                                                          "127.0.0.1:8899"), _no_values),
    ("FeedConfigError", "unknown_format"): (QT_TRANSLATE_NOOP("Errors", "Unknown feed format"), _no_values),
    ("FeedConfigError", "no_file"): (QT_TRANSLATE_NOOP("Errors", "The recorded feed file is missing"), _no_values),
    ("FeedConfigError", "bad_speed"): (QT_TRANSLATE_NOOP("Errors", "The replay speed cannot be negative"), _no_values),
    ("LinkError", "nickname_only"): (QT_TRANSLATE_NOOP("Errors", "This viewer has only a nickname: it changes and is "
                                                               "shared, so it cannot be linked"), _no_values),
    ("LinkError", "customer_not_found"): (QT_TRANSLATE_NOOP("Errors", "That customer no longer exists"), _no_values),
    ("LinkError", "already_linked"): (QT_TRANSLATE_NOOP("Errors", "This account is already linked to another "
                                                                "customer: merge the two if they are one person"),
                                    _no_values),
    ("ImportSetupError", "no_file"): (QT_TRANSLATE_NOOP("Errors", "The file is not there any more"), _no_values),
    ("ImportSetupError", "no_header"): (QT_TRANSLATE_NOOP("Errors", "The file has no header row"), _no_values),
    ("ImportSetupError", "encoding"): (QT_TRANSLATE_NOOP("Errors", "The file's text encoding cannot be recognised: "
                                                                 "save it as UTF-8 or GBK"), _no_values),
    ("ImportSetupError", "empty"): (QT_TRANSLATE_NOOP("Errors", "The file is empty"), _no_values),
    ("ImportSetupError", "bad_row"): (QT_TRANSLATE_NOOP("Errors", "The file cannot be read past row %1"),
                                    lambda p: (p.get("row"),)),
    ("ImportSetupError", "not_xlsx"): (QT_TRANSLATE_NOOP("Errors", "The file is not a readable Excel workbook"),
                                     _no_values),
    ("ImportSetupError", "unreadable"): (QT_TRANSLATE_NOOP("Errors", "The file cannot be read as a table"),
                                       _no_values),
    ("ImportSetupError", "unknown_platform"): (QT_TRANSLATE_NOOP("Errors", "Unknown platform %1"),
                                             lambda p: (p.get("platform"),)),
    ("ImportSetupError", "bad_mapping"): (QT_TRANSLATE_NOOP("Errors", "A column choice does not fit this file: "
                                                                    "choose the columns again"), _no_values),
    ("ImportSetupError", "no_platform"): (QT_TRANSLATE_NOOP("Errors", "Which platform is this export from? Choose it "
                                                                    "above"), _no_values),
    ("RulesError", "vip_share"): (QT_TRANSLATE_NOOP("Errors", "The VIP share must be more than 0 % and at most "
                                                            "100 %"), _no_values),
    ("RulesError", "minimums"): (QT_TRANSLATE_NOOP("Errors", "The minimum spend cannot be negative and potential "
                                                           "buyers need at least one order"), _no_values),
    ("RulesError", "active_lost"): (QT_TRANSLATE_NOOP("Errors", "“Active if they bought within” must be shorter "
                                                              "than “Lost after nothing for”"), _no_values),
    ("RulesError", "levels"): (QT_TRANSLATE_NOOP("Errors", "Each membership level needs its own spend threshold "
                                                         "above zero"), _no_values),
    ("ExportError", "format"): (QT_TRANSLATE_NOOP("Errors", "The file name must end in .xlsx or .csv"), _no_values),
    ("ExportError", "folder"): (QT_TRANSLATE_NOOP("Errors", "That is a folder: give a file name ending in .xlsx or "
                                                          ".csv"), _no_values),
    ("ExportError", "no_folder"): (QT_TRANSLATE_NOOP("Errors", "The folder %1 does not exist"),
                                 lambda p: (p.get("path"),)),
    ("ExportError", "read_only"): (QT_TRANSLATE_NOOP("Errors", "LiveDesk may not write in the folder %1"),
                                 lambda p: (p.get("path"),)),
    ("ExportError", "tier"): (QT_TRANSLATE_NOOP("Errors", "Unknown tier"), _no_values),
}
_FEED_ERRORS = {
    "refused": QT_TRANSLATE_NOOP("Errors", "nothing answers at that address: is the capture tool running?"),
    "timeout": QT_TRANSLATE_NOOP("Errors", "the capture tool does not answer"),
    "closed": QT_TRANSLATE_NOOP("Errors", "the capture tool closed the connection"),
    "network": QT_TRANSLATE_NOOP("Errors", "the connection failed"),
    "protocol": QT_TRANSLATE_NOOP("Errors", "the capture tool's answer is not a live feed"),
    "config": QT_TRANSLATE_NOOP("Errors", "the feed is not set up right"),
}


def _fill(source: str, values: tuple[object, ...]) -> str:
    text = QCoreApplication.translate("Errors", source)
    for i, value in enumerate(values, 1):
        text = text.replace(f"%{i}", str(value))
    return text


def refused(exc: Refused) -> str | None:
    """The words for a known refusal, or None."""
    for kind in type(exc).__mro__:
        entry = _WORDS.get((kind.__name__, exc.code))
        if entry is not None:
            return _fill(entry[0], entry[1](exc.params))
    return None


def describe(exc: BaseException) -> str:
    """One sentence for the person at the screen, in the UI's language."""
    from livedesk.services import failures

    if failures.kind(exc):  # a full disk, a locked store, a read-only folder
        from livedesk.ui import labels

        return labels.failure(exc)
    words = refused(exc) if isinstance(exc, Refused) else None
    if words:
        return words
    if type(exc).__name__ == "ImportSetupError":
        return QCoreApplication.translate("Errors", "The file cannot be imported")
    if isinstance(exc, StoreError):
        return QCoreApplication.translate("Errors", "The database cannot be used: %1").replace("%1", str(exc))
    if isinstance(exc, LookupError):
        # NotFound: another screen merged or removed what this one still shows.
        return QCoreApplication.translate("Errors", "That record no longer exists: another screen may have merged "
                                                    "or removed it")
    if type(exc).__name__ == "PermissionDenied":  # services/team: the acting member's role may not do this
        actor = getattr(exc, "actor", None)
        return QCoreApplication.translate("Errors", "Only an owner may do this (you act as %1)").replace(
            "%1", getattr(actor, "name", "") or "?")
    if isinstance(exc, ConnectionRefusedError):
        return QCoreApplication.translate("Errors", "Nothing answers at that address: is the capture tool running?")
    if isinstance(exc, PermissionError):
        return QCoreApplication.translate("Errors", "LiveDesk may not use that file or folder: %1").replace(
            "%1", str(exc.filename or ""))
    if isinstance(exc, FileNotFoundError):
        return QCoreApplication.translate("Errors", "No such file: %1").replace("%1", str(exc.filename or ""))
    if isinstance(exc, OSError):
        return QCoreApplication.translate("Errors", "The computer refused: %1").replace(
            "%1", exc.strerror or type(exc).__name__)
    log.error("unexpected error shown to the user", exc_info=exc)
    return QCoreApplication.translate("Errors", "Something went wrong; it is in the log. Your data is safe.")


def feed_error(code: str | None) -> str:
    """Why a live feed is not connected, from its status's ``last_error_code``."""
    return QCoreApplication.translate("Errors", _FEED_ERRORS.get(code or "", _FEED_ERRORS["network"]))
