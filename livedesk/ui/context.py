"""What every window and page is handed by the composition root: the store, the worker, the language."""

from __future__ import annotations

from dataclasses import dataclass

from livedesk.services.store import Store
from livedesk.ui.tasks import TaskRunner


@dataclass
class AppContext:
    store: Store
    tasks: TaskRunner
    language: str
    # The acting team member's role. Until team sign-in exists the person at the laptop is the
    # owner; services check it (erasure.check_may_erase), pages only hide what it may not do.
    acting_role: str = "owner"
