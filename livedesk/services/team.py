"""Who is acting: the shop's team members, their roles and what each role may do.

Every app instance opens as a member (the host's PC as the host, an assistant's laptop as
that assistant); the CLI takes ``--as NAME``. The store hands the member to every writing unit
of work (``session.info["actor"]``), so notes, task outcomes, pushes and audit entries carry the
member, not the OS user, and ``require`` checks the role in the service itself: a hidden button
is a convenience, not the guard. A store without members is a one-person shop whose user may do
everything; so is a unit of work without an actor (the owner at the command line).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
from dataclasses import dataclass

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models import AuditEntry, Note, TeamMember

ROLES = ("owner", "host", "assistant")
# What only some roles may do; anything not listed here every member may do.
PERMISSIONS: dict[str, frozenset[str]] = {
    "export_all": frozenset({"owner"}),  # every customer at once: the whole list leaves the shop
    "erase": frozenset({"owner"}),
    "merge": frozenset({"owner"}),
    "revert_import": frozenset({"owner"}),
    "change_rules": frozenset({"owner"}),  # tiers, levels, follow-up rules, compliance words
    "manage_team": frozenset({"owner"}),
    "restore": frozenset({"owner"}),
    "decrypt_recipients": frozenset({"owner"}),  # the platform's metered decryption of buyers' names and phones
    "encrypt_store": frozenset({"owner"}),  # turn encryption at rest on or off, change its passphrase
}


@dataclass(frozen=True)
class Actor:
    member_id: int
    name: str
    role: str

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS.get(permission, frozenset(ROLES))


@dataclass(frozen=True)
class MemberView:
    id: int
    name: str
    role: str
    active: bool
    has_pin: bool


class TeamError(ValueError):
    """A team change that cannot be made; ``code`` says which, for the UI to word."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PermissionDenied(Exception):
    """The acting member's role may not do this (not an OSError: no file was refused)."""

    def __init__(self, permission: str, actor: Actor) -> None:
        super().__init__(f"{actor.name} ({actor.role}) may not {permission.replace('_', ' ')}")
        self.permission, self.actor = permission, actor


def acting(session: Session) -> Actor | None:
    return session.info.get("actor")


def actor_name(session: Session) -> str:
    """For audit entries: the member, or the OS user when nobody signed in (a one-person shop)."""
    actor = acting(session)
    return actor.name if actor is not None else getpass.getuser()


def require(session: Session, permission: str) -> None:
    actor = acting(session)
    if actor is not None and not actor.may(permission):
        raise PermissionDenied(permission, actor)


def install(factory: sessionmaker[Session]) -> None:
    """New notes and audit entries of a writing unit carry its member, wherever they are made."""

    @event.listens_for(factory, "before_flush")
    def _sign(session: Session, _context: object, _instances: object) -> None:
        actor = acting(session)
        if actor is None:
            return
        for obj in session.new:
            if isinstance(obj, Note) and obj.author_id is None:
                obj.author_id = actor.member_id
            elif isinstance(obj, AuditEntry) and obj.member_id is None:
                obj.member_id, obj.actor = actor.member_id, actor.name


# -- members -------------------------------------------------------------------------------

def members(session: Session, *, include_inactive: bool = False) -> list[MemberView]:
    statement = select(TeamMember).order_by(TeamMember.id)
    if not include_inactive:
        statement = statement.where(TeamMember.active)
    return [MemberView(m.id, m.name, m.role, m.active, m.pin_hash is not None) for m in session.scalars(statement)]


def names(session: Session) -> list[tuple[int, str]]:
    """Active members as (id, name), for assignee pickers."""
    return [(m.id, m.name) for m in members(session)]


def add_member(session: Session, name: str, role: str = "assistant", pin: str | None = None) -> int:
    require(session, "manage_team")
    name = _name(session, name)
    _role(role)
    member = TeamMember(name=name, role=role, pin_hash=_hash_pin(pin) if pin else None)
    session.add(member)
    session.flush()
    return member.id


def rename(session: Session, member_id: int, name: str) -> None:
    require(session, "manage_team")
    member = _member(session, member_id)
    member.name = _name(session, name, but=member_id)


def set_role(session: Session, member_id: int, role: str) -> None:
    require(session, "manage_team")
    _role(role)
    member = _member(session, member_id)
    if member.role == "owner" and role != "owner":
        _keep_an_owner(session, member_id)
    member.role = role


def deactivate(session: Session, member_id: int) -> None:
    """The member can no longer sign in; their notes and outcomes keep their name."""
    require(session, "manage_team")
    member = _member(session, member_id)
    if member.role == "owner":
        _keep_an_owner(session, member_id)
    member.active = False


def set_pin(session: Session, member_id: int, pin: str | None) -> None:
    actor = acting(session)
    if actor is None or actor.member_id != member_id:  # your own PIN is yours to change
        require(session, "manage_team")
    if pin is not None and not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise TeamError("bad_pin", "a PIN is 4 to 8 digits")
    _member(session, member_id).pin_hash = _hash_pin(pin) if pin else None


def sign_in(session: Session, member_id: int, pin: str | None = None) -> Actor:
    """The member this instance acts as; refused for an inactive member or a wrong PIN."""
    member = session.get(TeamMember, member_id)
    if member is None or not member.active:
        raise TeamError("no_member", f"team member {member_id} does not exist or was deactivated")
    if member.pin_hash is not None and not _pin_matches(member.pin_hash, pin or ""):
        raise TeamError("wrong_pin", f"wrong PIN for {member.name}")
    return Actor(member.id, member.name, member.role)


def find(session: Session, name: str) -> MemberView:
    found = [m for m in members(session) if m.name == name.strip()]
    if not found:
        raise TeamError("no_member", f"no active team member is called {name!r}")
    return found[0]


def _member(session: Session, member_id: int) -> TeamMember:
    member = session.get(TeamMember, member_id, with_for_update=True)
    if member is None:
        raise TeamError("no_member", f"team member {member_id} does not exist")
    return member


def _name(session: Session, name: str, but: int | None = None) -> str:
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise TeamError("bad_name", "a team member needs a name of at most 50 characters")
    taken = select(TeamMember.id).where(TeamMember.name == name, TeamMember.active)
    if but is not None:
        taken = taken.where(TeamMember.id != but)
    if session.scalar(taken) is not None:
        raise TeamError("name_taken", f"{name} is already on the team")
    return name


def _role(role: str) -> None:
    if role not in ROLES:
        raise TeamError("bad_role", f"unknown role {role!r}: owner, host or assistant")


def _keep_an_owner(session: Session, leaving: int) -> None:
    others = session.scalar(select(func.count()).select_from(TeamMember).where(
        TeamMember.role == "owner", TeamMember.active, TeamMember.id != leaving)) or 0
    if not others:
        raise TeamError("last_owner", "the shop needs at least one active owner")


def _hash_pin(pin: str) -> str:
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise TeamError("bad_pin", "a PIN is 4 to 8 digits")
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _pin_matches(stored: str, pin: str) -> bool:
    _scheme, salt, digest = stored.split("$")
    given = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return hmac.compare_digest(given.hex(), digest)
