"""Text written into a spreadsheet cell that a person will open (exports, import reports).

Free text comes from buyers (nicknames, addresses) and from the files they sent. A cell
starting with one of ``FORMULA_STARTS`` is a formula to Excel when it opens a CSV ("CSV
injection": ``=HYPERLINK(...)``): it is written with a leading apostrophe, which Excel
shows as text and does not run.
"""

from __future__ import annotations

import re

FORMULA_STARTS = r"^[=+\-@\t\r]"
_FORMULA = re.compile(FORMULA_STARTS)


def literal(text: str) -> str:
    """``text`` as a cell Excel shows and never runs."""
    return "'" + text if _FORMULA.match(text) else text
