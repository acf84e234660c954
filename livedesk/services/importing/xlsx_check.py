"""Checking an XLSX workbook's first sheet before openpyxl reads it: real size, huge cells.

openpyxl's read-only mode loads the whole shared-strings table into memory and builds each
cell's text whole, so a 1 MB workbook whose zip holds one 100 MiB string (it compresses a
thousandfold) costs gigabytes before a single row is seen. Here the sheet's and the
strings' XML are streamed through zlib a block at a time and measured without being
parsed: a text longer than ``CELL_LIMIT`` characters is a problem naming the cell that
shows it (row and column), and a strings table past ``STRINGS_LIMIT`` bytes is refused
whole. The same pass counts the sheet's rows, since the ``<dimension ref>`` other tools
write is often stale (openpyxl trusts it; the reader resets it and reads to the end).
"""

from __future__ import annotations

import posixpath
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from livedesk.services.cells import short
from livedesk.services.importing.text_check import BLOCK, CELL_LIMIT, PROBLEMS_KEPT, Problem

STRINGS_LIMIT = 256 << 20  # bytes of shared-strings XML: ~2 GB of Python strings would not fit
_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"')
_ROW_REF = re.compile(rb'<row\b[^>]*?\br="(\d+)"')
_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


class WorkbookTooBig(ValueError):
    """The workbook's text cannot be read within the memory LiveDesk allows itself."""


@dataclass(frozen=True)
class XlsxCheck:
    rows: int  # <row> elements of the first sheet: its real length
    problems: tuple[Problem, ...] = field(default=())


def check_xlsx(path: Path) -> XlsxCheck:
    with zipfile.ZipFile(path) as book:
        sheet = _first_sheet(book)
        names = set(book.namelist())
        strings = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None
        if strings is not None and book.getinfo(strings).file_size > STRINGS_LIMIT:
            raise WorkbookTooBig(f"{book.getinfo(strings).file_size >> 20} MB")
        big_strings = _long_texts(book, strings) if strings else {}
        rows, problems = _scan_sheet(book, sheet, set(big_strings))
    shown = [Problem(p.row, p.column, big_strings.get(int(p.value or -1), p.value) if p.code == "shared" else p.value,
                     "cell_too_big") for p in problems]
    return XlsxCheck(rows, tuple(sorted(shown, key=lambda p: p.row)[:PROBLEMS_KEPT]))


def bounded_copy(path: Path, target: Path) -> Path:
    """A copy of the workbook in which every text over _CAP bytes is cut to its first
    characters, so that openpyxl can open it (read the header) without holding the text."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if not info.filename.endswith(".xml"):
                with src.open(info) as fh, dst.open(info.filename, "w", force_zip64=True) as out:
                    shutil.copyfileobj(fh, out, BLOCK)
                continue
            with src.open(info) as fh, dst.open(info.filename, "w", force_zip64=True) as out:
                for body, overflow in _blocks(fh):
                    if not overflow:
                        out.write(body)
                        continue
                    tag, _, text = body.partition(b">")
                    kept = text[:200].decode("utf-8", errors="ignore")
                    kept = kept[: kept.rfind("&")] if "&" in kept[-8:] and ";" not in kept[kept.rfind("&"):] else kept
                    out.write(tag + b">" + kept.encode() + "…".encode())
    return target


def _first_sheet(book: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    first = workbook.find("m:sheets/m:sheet", _NS)
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    if first is not None:
        rid = first.get(f"{{{_NS['r']}}}id")
        for rel in rels.findall("p:Relationship", _NS):
            if rel.get("Id") == rid:
                target = rel.get("Target", "")
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return "xl/worksheets/sheet1.xml"


_CAP = CELL_LIMIT * 4 + 4  # bytes: a text longer than this is over CELL_LIMIT characters for sure


def _blocks(fh: Any) -> Iterator[tuple[bytes, bool]]:
    """The XML a block at a time, each cut just before a '<' so that its pieces (split on
    '<': a tag and the text after it) are whole. A text too long to carry over (past _CAP
    bytes) comes alone as (its start, True), its rest skipped: it is never held whole."""
    tail = b""
    skipping = False
    for block in iter(lambda: fh.read(BLOCK), b""):
        if skipping:
            at = block.find(b"<")
            if at < 0:
                continue
            block, skipping = block[at:], False
        data = tail + block
        cut = data.rfind(b"<")
        if cut > 0:
            yield data[:cut], False
            data = data[cut:]
        if len(data) > _CAP:
            yield data[:_CAP], True
            tail, skipping = b"", True
        else:
            tail = data
    if tail:
        yield tail, False


def _long_pieces(body: bytes, overflow: bool) -> Iterator[tuple[int, str]]:
    """(offset in ``body``, first characters) of each text over CELL_LIMIT characters."""
    if overflow:
        yield 0, short(_text(body[1:].partition(b">")[2]))
        return
    import numpy as np

    starts = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 60)  # every '<'
    if int(np.diff(starts, prepend=0, append=len(body)).max(initial=len(body) if not len(starts) else 0)) < CELL_LIMIT:
        return  # no text between two tags is long enough (the common case: no split, no loop)
    pieces = body.split(b"<")
    offset = 0
    for n, piece in enumerate(pieces):
        if len(piece) >= CELL_LIMIT:
            text = _text(piece.partition(b">")[2] if n or body.startswith(b"<") else piece)
            if len(text) > CELL_LIMIT:
                yield offset, short(text)
        offset += len(piece) + 1


def _text(raw: bytes) -> str:
    from xml.sax.saxutils import unescape

    return unescape(raw.decode("utf-8", errors="replace"))


def _long_texts(book: zipfile.ZipFile, name: str) -> dict[int, str]:
    """Index of each shared string (``<si>``) over CELL_LIMIT characters -> its first characters."""
    found: dict[int, str] = {}
    index = -1
    size = 0  # as inflated: the size the zip declares may be a lie
    with book.open(name) as fh:
        for body, overflow in _blocks(fh):
            size += len(body)
            if size > STRINGS_LIMIT:
                raise WorkbookTooBig(f"over {STRINGS_LIMIT >> 20} MB")
            for offset, shown in _long_pieces(body, overflow):
                found[index + _count_si(body[:offset])] = shown
            if not overflow:
                index += _count_si(body)
            if len(found) >= PROBLEMS_KEPT:
                break
    return found


def _count_si(xml: bytes) -> int:
    return xml.count(b"<si>") + xml.count(b"<si ")


def _scan_sheet(book: zipfile.ZipFile, name: str, big: set[int]) -> tuple[int, list[Problem]]:
    """The sheet's rows counted; cells holding a long text (inline) or a long shared string."""
    rows = 0
    problems: list[Problem] = []
    context = b""  # the end of the XML before this block: enough to name a row and a cell
    shared_ref = re.compile(rb'<c\b([^>]*)>\s*<v>(\d+)</v>')
    with book.open(name) as fh:
        for body, overflow in _blocks(fh):
            if not overflow:
                rows += body.count(b"</row>")  # rows with cells (an empty <row/> adds nothing to read)
            for offset, shown in _long_pieces(body, overflow):
                row, column = _where(context + body[:offset], rows)
                problems.append(Problem(row, column, shown, "cell_too_big"))
            if big and not overflow:
                for match in shared_ref.finditer(body):
                    if b't="s"' in match.group(1) and int(match.group(2)) in big:
                        row, column = _where(context + body[: match.end()], rows)
                        problems.append(Problem(row, column, match.group(2).decode(), "shared"))
            if not overflow:
                context = (context + body)[-4096:]
            if len(problems) >= PROBLEMS_KEPT:
                break
    return rows, problems


def _where(xml: bytes, rows: int) -> tuple[int, int | None]:
    """Row and column (0-based) of the last cell started in ``xml``."""
    cells = list(_CELL_REF.finditer(xml[-4096:]))
    if cells:
        letters, number = cells[-1].group(1), cells[-1].group(2)
        column = 0
        for char in letters.decode():
            column = column * 26 + ord(char) - 64
        return int(number), column - 1
    found = list(_ROW_REF.finditer(xml[-4096:]))
    return (int(found[-1].group(1)) if found else rows), None
