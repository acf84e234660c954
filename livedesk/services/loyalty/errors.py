"""The refusal every loyalty service raises: a code the UI translates, a message a person reads.

Who may do what is not decided here: the owner's jobs (undo a redemption, the perk catalogue,
coupon batches, A/B tests) are permissions of services/team, checked with ``team.require``.
"""

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
