"""Follow-ups: the rules that decide who is owed a message, the queue people work, surveys.

The 跟进 page and the CLI use the names below; the modules behind them: ``rules``
(the eight rules and their time window, pandas), ``generation`` (idempotent task
creation), ``tasks`` (queue, complete, snooze, skip, manual tasks), ``surveys``
(answers and NPS), ``clock`` and ``config`` (light helpers). Message text comes from
services/templates.py.

Names are imported on first use (PEP 562): pages that only read the queue, and the
app's start-up, do not pay for pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "KINDS": "config",
    "GenerateSummary": "generation",
    "generate": "generation",
    "NpsSummary": "surveys",
    "nps": "surveys",
    "record_survey": "surveys",
    "OUTCOMES": "tasks",
    "TASK_KINDS": "tasks",
    "UNASSIGNED": "tasks",
    "TaskError": "tasks",
    "TaskView": "tasks",
    "complete": "tasks",
    "create_manual": "tasks",
    "get": "tasks",
    "queue": "tasks",
    "skip": "tasks",
    "snooze": "tasks",
}
__all__ = [  # noqa: RUF022 - grouped as in _WHERE
    "KINDS", "GenerateSummary", "generate", "NpsSummary", "nps", "record_survey", "OUTCOMES",
    "TASK_KINDS", "UNASSIGNED", "TaskError", "TaskView", "complete", "create_manual", "get", "queue", "skip",
    "snooze",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
