"""The refusal every loyalty service raises: a code the UI translates, a message a person reads."""

from __future__ import annotations

from typing import Any


class LoyaltyError(ValueError):
    """Something refused with nothing written; ``code`` names why, ``details`` carries the numbers."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


def acting_member(session: Any) -> tuple[int | None, str | None]:
    """(team member id, role) of whoever acts in this unit of work; (None, None) when nobody signed in.

    A shop that runs without team members (one laptop) has no roles to check: the person at
    the keyboard is the owner.
    """
    actor = session.info.get("actor")
    if actor is None:
        return None, None
    return getattr(actor, "member_id", None), getattr(actor, "role", None)


def require_owner(session: Any, what: str) -> int | None:
    member_id, role = acting_member(session)
    if role is not None and role != "owner":
        raise LoyaltyError("owner_only", f"only the shop owner can {what}; you are signed in as {role}")
    return member_id
