"""What every window and page is handed by the composition root: the store, the worker,
the language, the change sets pages refresh from, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

    def __post_init__(self) -> None:
        if self.changes is None:
            self.changes = ChangeHub(self.store)
