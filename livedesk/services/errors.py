"""What a service says when it refuses: a code the UI words, the values those words need,
and an English sentence for the command line and the log.

Services never word a refusal for a person reading the UI (STYLE rule 11): the UI turns
``code`` and ``params`` into its own language (``livedesk/ui/errors.py``). The English
message stays, because the CLI prints it and the log keeps it.
"""

from __future__ import annotations

from typing import Any


class Refused(ValueError):
    """A refused action: ``code`` names the problem, ``params`` hold what the words need."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params
