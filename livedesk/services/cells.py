"""Text written into a spreadsheet cell that a person will open (exports, import reports).

A bad value is echoed back (report, --json, the 导入 page) by its first ``VALUE_SHOWN``
characters only (``short``): a cell may hold 32,767 of them, and a row is found by its number.

Free text comes from buyers (nicknames, addresses) and from the files they sent. A cell
starting with one of ``FORMULA_STARTS`` is a formula to Excel when it opens a CSV ("CSV
injection": ``=HYPERLINK(...)``): it is written with a leading apostrophe, which Excel
shows as text and does not run.
"""

from __future__ import annotations

import re

FORMULA_STARTS = r"^[=+\-@\t\r]"
VALUE_SHOWN = 40  # characters of a bad value echoed back, at most
_FORMULA = re.compile(FORMULA_STARTS)


def literal(text: str) -> str:
    """``text`` as a cell Excel shows and never runs."""
    return "'" + text if _FORMULA.match(text) else text


def short(text: str) -> str:
    """At most VALUE_SHOWN characters of a value, marked when cut."""
    return text if len(text) <= VALUE_SHOWN else text[:VALUE_SHOWN] + "…"
