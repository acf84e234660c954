"""Where the shipped data (resources/) is: a source checkout, an installed wheel, or a frozen build."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def resources_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if checkout.is_dir():
        return checkout
    import livedesk.resources  # installed as a package by pyproject's package-dir mapping

    return Path(livedesk.resources.__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    return resources_root().joinpath(*parts)
