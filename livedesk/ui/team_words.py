"""The team's words in the UI language: role names and why a team change or a sign-in was refused
(services/team raises TeamError codes; the 设置 › 团队 box and the sign-in dialog word them)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

_ROLES = {"owner": QT_TRANSLATE_NOOP("TeamBox", "Owner"), "host": QT_TRANSLATE_NOOP("TeamBox", "Host"),
          "assistant": QT_TRANSLATE_NOOP("TeamBox", "Assistant")}
_REFUSALS = {
    "name_taken": QT_TRANSLATE_NOOP("TeamBox", "Someone on the team already has that name."),
    "bad_name": QT_TRANSLATE_NOOP("TeamBox", "A name is needed (at most 50 characters)."),
    "bad_pin": QT_TRANSLATE_NOOP("TeamBox", "A PIN is 4 to 8 digits."),
    "last_owner": QT_TRANSLATE_NOOP("TeamBox", "The shop needs at least one owner."),
    "first_owner": QT_TRANSLATE_NOOP("TeamBox", "The team's first member is its owner: add the owner first."),
    "wrong_pin": QT_TRANSLATE_NOOP("TeamBox", "Wrong PIN."),
    "no_member": QT_TRANSLATE_NOOP("TeamBox", "This member has left the team or no longer exists."),
}


def role_name(role: str) -> str:
    words = _ROLES.get(role)
    return QCoreApplication.translate("TeamBox", words) if words else role


def refusal(exc: BaseException) -> str:
    """Words for a TeamError (its ``code``)."""
    words = _REFUSALS.get(getattr(exc, "code", ""))
    return QCoreApplication.translate("TeamBox", words or QT_TRANSLATE_NOOP("TeamBox", "That change could not be made."))
