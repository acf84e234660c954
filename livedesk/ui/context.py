"""What every window and page is handed by the composition root: the store, the worker,
the language, the change sets pages refresh from, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from livedesk.services import settings

from livedesk.services.store import Store
from livedesk.ui.change_hub import ChangeHub
from livedesk.ui.tasks import TaskRunner


@dataclass
class AppContext:
    store: Store
    tasks: TaskRunner
    language: str
    changes: ChangeHub = field(default=None)  # type: ignore[assignment]  # made from the store when not given
    actor: Any = None  # the team member this instance opened as (services.team.Actor)

    _zone: timezone | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.changes is None:
            self.changes = ChangeHub(self.store)
        self.changes.changed.connect(self._settings_changed)

    def may(self, permission: str) -> bool:
        """Whether to offer an action (the service decides): nobody signed in is a shop without a team."""
        from livedesk.services import team

        return self.actor is None or team.allowed(self.actor.role, permission)

    def shop_zone(self) -> timezone:
        """The shop's clock (``shop.utc_offset_hours``), read once and again after settings change."""
        if self._zone is None:
            with self.store.read() as session:
                self._zone = settings.shop_zone(session)
        return self._zone

    def local(self, moment: datetime) -> datetime:
        """A stored UTC time on the shop's clock: every screen and every copied text agree."""
        return moment.astimezone(self.shop_zone())

    def _settings_changed(self, change_set: Any) -> None:
        if change_set.touches_any("settings"):
            self._zone = None
