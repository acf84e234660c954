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
