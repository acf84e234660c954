"""Who is acting: the shop's team members, their roles and what each role may do.

Every app instance opens as a member (the host's PC as the host, an assistant's laptop as
that assistant); the CLI takes ``--as NAME``. The store hands the member to every writing unit
of work (``session.info["actor"]``), so notes, task outcomes, pushes and audit entries carry the
member, not the OS user, and ``require`` checks the role in the service itself: a hidden button
is a convenience, not the guard.

A store without members is a one-person shop whose user may do everything. Once the shop has a
team, nobody acts as the owner by default: a unit of work with no member signed in is refused
whatever needs a permission (the app asks who is at the keyboard, the CLI wants ``--as``). The
team that counts is the one the unit began with, so the owner who sets up the team (or the demo
that writes a made-up one) may finish that unit.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
from dataclasses import dataclass

from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from livedesk.models import AuditEntry, Note, TeamMember

ROLES = ("owner", "host", "assistant")
TEAM_AT_START = "team_at_start"  # session.info: did the shop have a team when the unit began
# What only some roles may do; anything not listed here every member may do.
PERMISSIONS: dict[str, frozenset[str]] = {
    "export_all": frozenset({"owner"}),  # every customer at once: the whole list leaves the shop
    "erase": frozenset({"owner"}),
    "merge": frozenset({"owner"}),
    "revert_import": frozenset({"owner"}),
    "change_rules": frozenset({"owner"}),  # tiers, levels, follow-up rules, compliance and intent words
    "manage_team": frozenset({"owner"}),
    "restore": frozenset({"owner"}),  # replaces the whole store with a backup
    # Loyalty: points and coupons are the shop's money. Redeeming and issuing a code stay open to all.
    "undo_redemption": frozenset({"owner"}),
    "manage_perks": frozenset({"owner"}),  # the perk catalogue: what points buy, at what cost
    "manage_coupons": frozenset({"owner"}),  # coupon batches, their codes and the rule issuing them
    "run_experiments": frozenset({"owner"}),  # start, stop and choose the winner of an A/B test
    "decrypt_recipients": frozenset({"owner"}),  # the platform's metered decryption of buyers' names and phones
    "encrypt_store": frozenset({"owner"}),  # turn encryption at rest on or off, change its passphrase
}
# What each permission lets a member do, for messages on the command line and in the log.
DOING: dict[str, str] = {
    "export_all": "export all customers",
    "erase": "erase a customer",
    "merge": "merge customers",
    "revert_import": "revert an import",
    "change_rules": "change the shop's rules",
    "manage_team": "change the team",
    "restore": "restore a backup",
    "undo_redemption": "undo a redemption",
    "manage_perks": "change the perk catalogue",
    "manage_coupons": "change coupon batches",
    "run_experiments": "start or end an A/B test",
    "decrypt_recipients": "decrypt buyers' names and phones",
    "encrypt_store": "encrypt or decrypt the store",
}


@dataclass(frozen=True)
class Actor:
    member_id: int
    name: str
    role: str

    def may(self, permission: str) -> bool:
        return allowed(self.role, permission)


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, frozenset(ROLES))


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
    """The acting member's role may not do this (not an OSError: no file was refused).

    ``actor`` is None when the shop has a team and nobody signed in: the caller asks who acts.
    """

    def __init__(self, permission: str, actor: Actor | None) -> None:
        doing = DOING.get(permission, permission.replace("_", " "))
        if actor is None:
            message = f"nobody is signed in and this shop has a team: only an owner may {doing}"
        else:
            message = f"{getattr(actor, 'name', '?')} ({actor.role}) may not {doing}: only an owner may"
        super().__init__(message)
        self.permission, self.actor = permission, actor

    @property
    def signed_in(self) -> bool:
        return self.actor is not None


def acting(session: Session) -> Actor | None:
    return session.info.get("actor")


def actor_name(session: Session) -> str:
    """For audit entries: the member, or the OS user when nobody signed in (a one-person shop)."""
    actor = acting(session)
    return actor.name if actor is not None else getpass.getuser()


def require(session: Session, permission: str) -> None:
    """Refuse (PermissionDenied) unless the acting member's role may; nobody acting may only
    where the shop had no team when this unit of work began."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")  # a typo must not open the door
    actor = acting(session)
    if actor is None:
        if _had_team(session):
            raise PermissionDenied(permission, None)
        return
    if not allowed(actor.role, permission):
        raise PermissionDenied(permission, actor)


def has_team(session: Session) -> bool:
    """Whether the shop has any active member (then every instance acts as one of them)."""
    return session.scalar(select(TeamMember.id).where(TeamMember.active).limit(1)) is not None


def _had_team(session: Session) -> bool:
    if TEAM_AT_START not in session.info:  # a reading unit, or a session made outside the store
        session.info[TEAM_AT_START] = has_team(session)
    return session.info[TEAM_AT_START]


def install(factory: sessionmaker[Session]) -> None:
    """New notes and audit entries of a writing unit carry its member, wherever they are made;
    a unit with nobody acting notes whether the shop had a team when it began (``require``)."""

    @event.listens_for(factory, "after_begin")
    def _note_team(session: Session, _transaction: object, connection: Connection) -> None:
        if acting(session) is None and TEAM_AT_START not in session.info:
            found = connection.execute(select(TeamMember.id).where(TeamMember.active).limit(1)).first()
            session.info[TEAM_AT_START] = found is not None

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
    if role != "owner" and not _owners(session):
        # A team without an owner could never be changed again: nobody would be allowed to.
        raise TeamError("first_owner", "the team's first member is its owner: add the owner first")
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


def _owners(session: Session, but: int | None = None) -> int:
    statement = select(func.count()).select_from(TeamMember).where(TeamMember.role == "owner", TeamMember.active)
    if but is not None:
        statement = statement.where(TeamMember.id != but)
    return session.scalar(statement) or 0


def _keep_an_owner(session: Session, leaving: int) -> None:
    if not _owners(session, but=leaving):
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
