"""pyproject's package list names every folder that ships, so setuptools warns about none."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _folders(top: Path, package: str) -> set[str]:
    names = {package}
    for folder in top.rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.iterdir()):
            names.add(".".join([package, *folder.relative_to(top).parts]))
    return names


def test_every_shipped_folder_is_a_listed_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    shipped = _folders(ROOT / "livedesk", "livedesk") | _folders(ROOT / "resources", "livedesk.resources")
    assert shipped - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - shipped == set(), "these are listed but do not exist"
