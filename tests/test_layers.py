"""Three layers, one direction: ui → services → models, and what measures the product
(livedesk.checks) above them all. models and services never import Qt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "livedesk"
QT = ("PySide6", "qasync", "pyqtgraph", "shiboken6")
FORBIDDEN = {
    "models": (*QT, "livedesk.services", "livedesk.ui", "livedesk.checks"),
    "services": (*QT, "livedesk.ui", "livedesk.checks"),
    "ui": ("livedesk.checks",),
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    wrong = sorted(f"{path.relative_to(PACKAGE)}: {name}"
                   for path in (PACKAGE / layer).rglob("*.py")
                   for name in imports(path)
                   if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]))
    assert wrong == []
