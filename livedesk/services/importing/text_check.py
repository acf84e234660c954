"""Checking a CSV file's text as a whole before any row is read: its encoding, and its size limits.

The whole file is decoded strictly in one encoding: the one given, the one its BOM names,
UTF-8 if every byte of it is UTF-8, else GB18030 (a superset of GBK and GB2312, what a
Chinese shop's non-UTF-8 export is) if every byte of it is that. A guess from a sample
is never taken: charset-normalizer answers ``ptcp154`` for a mostly-ASCII file with one
GBK row, and a single-byte code page decodes anything, garbling every Chinese name. What
does not decode is a ``Problem`` naming its row and column; a file whose rows are in two
encodings (some UTF-8, some GBK: rows pasted together from two exports) is refused,
naming the rows of the smaller part.

Sizes are bounded at the same time, so no later step holds an unbounded value: a cell
over ``CELL_LIMIT`` characters (Excel's own limit) and a row over ``ROW_LIMIT`` bytes
are problems with their row (the row is never decoded as a whole), and the pandas reader
is given chunks whose raw size stays under ``CHUNK_BYTES``.

The common case costs one pass over the bytes at C speed (decode, count newlines, find the
longest line); only a file that fails it is walked record by record in Python to find
where, and why.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BLOCK = 1 << 20
CELL_LIMIT = 32_767  # characters in one cell: Excel's limit, far above any real export's cell
ROW_LIMIT = 4 << 20  # bytes of one row: past this it is not read at all
CHUNK_BYTES = 64 << 20  # raw bytes the reader takes at once, at most (see chunk_rows)
PROBLEMS_KEPT = 1_000  # a broken file gets this many row problems reported, not millions
VALUE_SHOWN = 40  # characters of a bad value echoed back, at most
# GBK and GB2312 are subsets of GB18030: reading as GB18030 never loses a character.
_CHINESE = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "hz": "gb18030", "gb18030": "gb18030"}
_LABEL = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030", "utf-16": "UTF-16"}


class EncodingUnknown(ValueError):
    """An encoding name Python does not know (given by the user)."""


@dataclass(frozen=True)
class Problem:
    """A row the file's text check refuses. ``column`` is the cell's position in the row
    (0-based) when known; ``value`` a short, printable prefix of what is there."""

    row: int  # 1-based record number, as a spreadsheet numbers the rows
    column: int | None
    value: str | None
    code: str  # encoding | mixed_gbk | mixed_utf8 | cell_too_big | row_too_big


@dataclass(frozen=True)
class TextCheck:
    encoding: str
    lines: int  # newlines in the file (an estimate of its rows)
    ends_with_newline: bool
    longest_line: int  # bytes
    problems: tuple[Problem, ...] = field(default=())

    def chunk_rows(self, wanted: int) -> int:
        """Rows per read so that one chunk's raw text stays under CHUNK_BYTES."""
        return max(1, min(wanted, CHUNK_BYTES // max(1, self.longest_line)))


def label(encoding: str) -> str:
    """The encoding as people call it (GBK, UTF-8)."""
    return _LABEL.get(encoding, encoding.upper())


def normalise(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise EncodingUnknown(encoding) from exc
    return _CHINESE.get(name, name)


def short(text: str) -> str:
    """At most VALUE_SHOWN characters of a value, marked when cut."""
    return text if len(text) <= VALUE_SHOWN else text[:VALUE_SHOWN] + "…"


def check_csv(path: Path, encoding: str | None = None, delimiter: str = ",") -> TextCheck:
    """The file's encoding (``encoding`` when given) and what in it cannot be read; see the module."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if encoding is not None:
        chosen, fixed = normalise(encoding), True
        if chosen == "utf-8" and head.startswith(codecs.BOM_UTF8):
            chosen = "utf-8-sig"
    elif head.startswith(codecs.BOM_UTF8):
        chosen, fixed = "utf-8-sig", True
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        chosen, fixed = "utf-16", True
    else:
        chosen, fixed = "utf-8", False
    if chosen.startswith(("utf-16", "utf-32")):
        return _check_wide(path, chosen)
    fast = _fast_pass(path, chosen)
    if fast is not None:
        return fast
    return _record_pass(path, chosen if fixed else None, delimiter)


def _fast_pass(path: Path, encoding: str) -> TextCheck | None:
    """One pass at C speed: the whole file decodes, no line is long enough to hold a cell
    over the limit, and no quoted cell runs over lines long enough to. None otherwise."""
    lines = longest = 0
    in_quotes = False  # inside a quoted cell that spans lines
    spanned = 0  # bytes of the record spanning lines so far
    carry = b""
    last = b""
    skip_bom = encoding == "utf-8-sig"
    decode = codecs.getdecoder("utf-8" if skip_bom else encoding)
    with path.open("rb") as fh:
        if skip_bom:
            fh.read(3)
        for block in iter(lambda: fh.read(BLOCK), b""):
            last = block
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # no line ends in this block: a very long line
                carry = data
                if len(carry) >= CELL_LIMIT:
                    return None
                continue
            piece, carry = data[:cut], data[cut:]
            try:
                decode(piece)  # strict: a line end never falls inside a character here
            except UnicodeDecodeError:
                return None
            parts = piece.split(b"\n")
            parts.pop()  # after the last line end: empty
            lines += len(parts)
            longest = max(longest, max(map(len, parts)))  # the first part holds the carry
            if longest >= CELL_LIMIT:
                return None
            if in_quotes or b'"' in piece:
                for part in parts:  # a record over lines: where its quotes do not pair up
                    odd = part.count(b'"') & 1
                    if in_quotes:
                        spanned += len(part) + 1
                        if spanned >= CELL_LIMIT:
                            return None
                    if odd:
                        in_quotes, spanned = not in_quotes, len(part) + 1
        if carry:
            try:
                decode(carry)
            except UnicodeDecodeError:
                return None
            if len(carry) >= CELL_LIMIT:
                return None
            longest = max(longest, len(carry))
    return TextCheck(encoding, lines, last.endswith(b"\n"), longest)


def _records(path: Path, skip: int) -> Iterator[tuple[int, list[bytes], bool]]:
    """The file's records as (row, lines, too_big): lines joined while a quoted cell is open.

    A record over ROW_LIMIT bytes comes with too_big and without its lines (never held whole)."""
    row = 0
    record: list[bytes] = []
    size = 0
    in_quotes = False
    too_big = False
    carry = b""
    with path.open("rb") as fh:
        fh.read(skip)
        while True:
            block = fh.read(BLOCK)
            data = carry + block
            if not block:
                parts = [data] if data else []
                carry = b""
            else:
                parts = data.split(b"\n")
                carry = parts.pop()
                if len(carry) > ROW_LIMIT:  # an endless line: count it, keep none of it
                    too_big, record, size = True, [], size + len(carry)
                    carry = b""
            for part in parts:
                size += len(part) + 1
                if not too_big:
                    record.append(part)
                    if size > ROW_LIMIT:
                        too_big, record = True, []
                if part.count(b'"') & 1:
                    in_quotes = not in_quotes
                if not in_quotes:
                    row += 1
                    yield row, record, too_big
                    record, size, too_big = [], 0, False
            if not block:
                break
    if record or too_big:
        yield row + 1, record, too_big


def _record_pass(path: Path, fixed: str | None, delimiter: str) -> TextCheck:
    """Record by record: which encoding each row is in, which bytes do not decode, which cells
    are too long. ``fixed``: the encoding to hold every row to; None: UTF-8 or GB18030, chosen
    by the rows themselves."""
    skip = 3 if fixed == "utf-8-sig" else 0
    codec = "utf-8" if fixed == "utf-8-sig" else fixed
    lines = longest = 0
    ends_with_newline = False
    utf8_rows: list[int] = []  # rows with non-ASCII text that is UTF-8
    gbk_rows: list[int] = []  # rows with non-ASCII text that is GB18030 but not UTF-8
    utf8_count = gbk_count = 0
    undecodable: list[tuple[int, bytes]] = []  # (row, raw record) neither reads
    problems: list[Problem] = []
    for row, record, too_big in _records(path, skip):
        lines += len(record) if record else 1
        if too_big:
            problems.append(Problem(row, None, None, "row_too_big"))
            continue
        raw = b"\n".join(record)
        longest = max(longest, max(map(len, record)) if record else 0)
        if raw.isascii():
            text = raw.decode("ascii")
        elif codec is not None:
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError as exc:
                problems.append(_bad_bytes(row, raw, exc, codec, delimiter))
                continue
        else:
            try:
                text = raw.decode("utf-8")
                utf8_count += 1
                if len(utf8_rows) < PROBLEMS_KEPT:
                    utf8_rows.append(row)
            except UnicodeDecodeError:
                try:
                    text = raw.decode("gb18030")
                    gbk_count += 1
                    if len(gbk_rows) < PROBLEMS_KEPT:
                        gbk_rows.append(row)
                except UnicodeDecodeError:
                    undecodable.append((row, raw))
                    continue
        if len(raw) >= CELL_LIMIT:
            problems.extend(_long_cells(row, text, delimiter))
        if len(problems) >= PROBLEMS_KEPT:
            break
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 1))
        ends_with_newline = fh.read(1) == b"\n"
    if codec is None:
        # UTF-8 when no row needs more (an ASCII file is UTF-8 too), else GB18030.
        codec = "gb18030" if gbk_count > utf8_count else "utf-8"
        if utf8_count and gbk_count:
            minority, code = (utf8_rows, "mixed_utf8") if codec == "gb18030" else (gbk_rows, "mixed_gbk")
            problems.extend(Problem(r, None, label("utf-8" if code == "mixed_utf8" else "gb18030"), code)
                            for r in minority)
        for row, raw in undecodable:
            try:
                raw.decode(codec)
            except UnicodeDecodeError as exc:
                problems.append(_bad_bytes(row, raw, exc, codec, delimiter))
    problems.sort(key=lambda p: p.row)
    return TextCheck(codec, lines, ends_with_newline, longest, tuple(problems[:PROBLEMS_KEPT]))


def _bad_bytes(row: int, raw: bytes, exc: UnicodeDecodeError, codec: str, delimiter: str) -> Problem:
    """Where in the row the bytes that do not decode are, and what they are (in hex)."""
    before = raw[: exc.start].decode(codec, errors="replace")
    column = _cell_at(before, delimiter)
    shown = raw[exc.start: exc.start + 4].hex(" ")
    return Problem(row, column, f"{label(codec)}: {shown}", "encoding")


def _cell_at(before: str, delimiter: str) -> int:
    """Which cell of a row a position is in, given the row's text before it (quotes honoured)."""
    column, quoted = 0, False
    for char in before:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            column += 1
    return column


def _long_cells(row: int, text: str, delimiter: str) -> list[Problem]:
    """The row's cells over CELL_LIMIT characters (the pandas parser: no field size limit)."""
    import pandas as pd

    cells = pd.read_csv(io.StringIO(text), header=None, sep=delimiter, dtype=str, keep_default_na=False,
                        engine="c", skip_blank_lines=False).iloc[0].tolist() if text.strip() else []
    return [Problem(row, i, short(cell), "cell_too_big") for i, cell in enumerate(cells)
            if isinstance(cell, str) and len(cell) > CELL_LIMIT]


def _check_wide(path: Path, encoding: str) -> TextCheck:
    """UTF-16/32 (a BOM says so: Excel's "Unicode text"): decoded whole, strictly."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = longest = current = 0
    with path.open("rb") as fh:
        try:
            for block in iter(lambda: fh.read(BLOCK), b""):
                text = decoder.decode(block)
                parts = text.split("\n")
                longest = max(longest, current + len(parts[0]) * 2, *(len(p) * 2 for p in parts[1:]))
                current = len(parts[-1]) * 2 if len(parts) > 1 else current + len(parts[0]) * 2
                lines += len(parts) - 1
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return TextCheck(encoding, lines, False, longest,
                             (Problem(lines + 1, None, f"{label(encoding)}: {exc.object[exc.start:exc.start + 4].hex(' ')}",
                                      "encoding"),))
    return TextCheck(encoding, lines, current == 0, longest)
