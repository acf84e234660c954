"""Checking a CSV file's text as a whole before any row is read: its encoding, and its size limits.

The whole file is decoded strictly in one encoding: the one given, the one its BOM names,
UTF-8 if every byte of it is UTF-8, else GB18030 (a superset of GBK and GB2312, what a
Chinese shop's non-UTF-8 export is) if every byte of it is that. A guess from a sample
is never taken: charset-normalizer answers ``ptcp154`` for a UTF-8 file with one GBK row,
and a single-byte code page decodes anything, garbling every Chinese name. What
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
from typing import Any

from livedesk.services.cells import short

BLOCK = 1 << 20
CELL_LIMIT = 32_767  # characters in one cell: Excel's limit, far above any real export's cell
ROW_LIMIT = 4 << 20  # bytes of one row: past this it is not read at all
CHUNK_BYTES = 64 << 20  # raw bytes the reader takes at once, at most (see chunk_rows)
PROBLEMS_KEPT = 1_000  # a broken file gets this many row problems reported, not millions
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


def check_csv(path: Path, encoding: str | None = None, delimiter: str = ",", sample: int | None = None
              ) -> TextCheck:
    """The file's encoding (``encoding`` when given) and what in it cannot be read; see the module.

    ``sample``: check only the file's first bytes (whole lines): for a preview on the UI
    thread, its ``lines`` then an estimate; the import itself checks the whole file."""
    source = _Source(path, sample)
    with source.open() as fh:
        head = fh.read(BLOCK)
    # Lines end in LF (or CR LF); a file with no LF but CRs is an old Mac "CSV (Macintosh)".
    nl = b"\r" if b"\n" not in head and b"\r" in head else b"\n"
    source.cut_at(nl)
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
        return source.scaled(_check_wide(source, chosen))
    fast = _fast_pass(source, chosen, nl)
    if fast is not None:
        return source.scaled(fast)
    return source.scaled(_record_pass(source, chosen if fixed else None, delimiter, nl))


class _Source:
    """The file, or its first ``sample`` bytes cut after a line end (then held in memory)."""

    def __init__(self, path: Path, sample: int | None) -> None:
        self.path, self.data, self.size = path, None, path.stat().st_size
        if sample is not None and self.size > sample:
            with path.open("rb") as fh:
                self.data = fh.read(sample)

    def cut_at(self, nl: bytes) -> None:
        if self.data is not None and nl in self.data:
            self.data = self.data[: self.data.rfind(nl) + 1]

    def open(self) -> Any:
        return io.BytesIO(self.data) if self.data is not None else self.path.open("rb")

    def last_byte(self) -> bytes:
        if self.data is not None:
            return self.data[-1:]
        with self.path.open("rb") as fh:
            fh.seek(max(0, self.size - 1))
            return fh.read(1)

    def scaled(self, check: TextCheck) -> TextCheck:
        """A sample's line count as an estimate of the whole file's."""
        if self.data is None or not self.data:
            return check
        from dataclasses import replace

        return replace(check, lines=round(check.lines * self.size / len(self.data)), ends_with_newline=True)


def _fast_pass(path: _Source, encoding: str, nl: bytes) -> TextCheck | None:
    """One pass at C speed: the whole file decodes, no line is long enough to hold a cell
    over the limit, and no quoted cell runs over lines long enough to. None otherwise."""
    import numpy as np

    lines = longest = 0
    in_quotes = False  # inside a quoted cell that spans lines
    spanned = 0  # bytes of the record spanning lines so far
    carry = b""
    last = b""
    skip_bom = encoding == "utf-8-sig"
    decode = codecs.getdecoder("utf-8" if skip_bom else encoding)
    with path.open() as fh:
        if skip_bom:
            fh.read(3)
        for block in iter(lambda: fh.read(BLOCK), b""):
            last = block
            data = carry + block if carry else block
            cut = data.rfind(nl) + 1
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
            raw = np.frombuffer(piece, dtype=np.uint8)
            ends = np.flatnonzero(raw == nl[0])  # every line's end; the piece ends with one
            widths = np.diff(ends, prepend=-1)  # each line's bytes, its end included
            lines += len(ends)
            longest = max(longest, int(widths.max()))
            if longest > CELL_LIMIT:
                return None
            if in_quotes or b'"' in piece:
                in_quotes, spanned, record = _spans(raw, ends, widths, in_quotes, spanned)
                if record >= CELL_LIMIT:
                    return None
        if carry:
            try:
                decode(carry)
            except UnicodeDecodeError:
                return None
            if len(carry) >= CELL_LIMIT:
                return None
            longest = max(longest, len(carry))
    return TextCheck(encoding, lines, last.endswith(nl), longest)


def _spans(raw: Any, ends: Any, widths: Any, in_quotes: bool, spanned: int) -> tuple[bool, int, int]:
    """Records that run over several lines (a quoted cell with line breaks) in a piece of the
    file: whether one is still open at its end, its bytes so far, and the longest record's."""
    import numpy as np

    quotes = np.concatenate(([0], np.searchsorted(np.flatnonzero(raw == 34), ends)))  # quotes before each line end
    odd = np.flatnonzero(np.diff(quotes) & 1)  # lines where a quoted cell opens or closes
    before = np.concatenate(([0], np.cumsum(widths)))  # bytes before each line
    longest = 0
    at = 0  # where the open record started in this piece (line index), if one is open
    for line in odd.tolist():
        if in_quotes:
            longest = max(longest, spanned + int(before[line + 1] - before[at]))
            in_quotes, spanned = False, 0
        else:
            in_quotes, at = True, line
    if in_quotes:
        spanned += int(before[-1] - before[at])
        longest = max(longest, spanned)
    return in_quotes, spanned, longest


def _pieces(path: _Source, skip: int, nl: bytes) -> Iterator[bytes | None]:
    """The file in pieces of whole lines, about BLOCK bytes each; None stands for one line over
    ROW_LIMIT bytes (never held: skipped to its end)."""
    carry = b""
    skipping = False
    with path.open() as fh:
        fh.read(skip)
        for block in iter(lambda: fh.read(BLOCK), b""):
            if skipping:
                at = block.find(nl)
                if at < 0:
                    continue
                block, skipping = block[at + 1:], False
                yield None
            data = carry + block if carry else block
            cut = data.rfind(nl) + 1
            if cut:
                yield data[:cut]
                data = data[cut:]
            if len(data) > ROW_LIMIT:
                carry, skipping = b"", True
            else:
                carry = data
    if skipping:
        yield None
    elif carry:
        yield carry + nl


class _Rows:
    """The rows' encodings, bad bytes and long cells, gathered piece by piece (see _record_pass)."""

    def __init__(self, codec: str | None, delimiter: str, nl: bytes) -> None:
        self.codec, self.delimiter, self.nl = codec, delimiter, nl
        self.row = 0  # records started so far
        self.in_quotes = False
        self.open: list[bytes] = []  # lines of the record still open (a quoted cell over lines)
        self.open_size = 0
        self.utf8: list[int] = []  # rows with non-ASCII text that is UTF-8
        self.gbk: list[int] = []  # rows with non-ASCII text that is GB18030 and not UTF-8
        self.undecodable: list[tuple[int, bytes, bool]] = []  # (row, line, line starts the row)
        self.problems: list[Problem] = []
        self.lines = self.longest = 0

    def huge_line(self) -> None:
        self.row += 0 if self.in_quotes else 1
        self.problems.append(Problem(self.row, None, None, "row_too_big"))
        self.lines += 1

    def piece(self, piece: bytes) -> None:
        import numpy as np

        raw = np.frombuffer(piece, dtype=np.uint8)
        ends = np.flatnonzero(raw == self.nl[0])
        widths = np.diff(ends, prepend=-1)
        self.lines += len(ends)
        self.longest = max(self.longest, int(widths.max()))
        quotes = np.concatenate(([0], np.searchsorted(np.flatnonzero(raw == 34), ends)))  # quotes before each line end
        odd = (np.diff(quotes) & 1).astype(bool)
        toggled = np.cumsum(odd) - odd  # toggles before each line
        starts = ((toggled + self.in_quotes) & 1) == 0  # the line begins a row
        rows = (self.row + np.cumsum(starts)).tolist()
        starts_list = starts.tolist()
        self.row = rows[-1]
        self.in_quotes = bool((int(odd.sum()) + self.in_quotes) & 1)
        lines = piece.split(self.nl)
        lines.pop()
        self._encodings(piece, lines, rows, starts_list)
        if self.longest >= CELL_LIMIT or self.open or (odd.any() and self._spans_long(widths, starts)):
            self._long_rows(lines, rows, starts_list)
        elif self.in_quotes:  # a row goes on in the next piece: keep its lines to measure it whole
            last = len(starts_list) - 1 - starts_list[::-1].index(True) if True in starts_list else 0
            self.open = lines[last:]
            self.open_size = sum(map(len, self.open)) + len(self.open)

    def _encodings(self, piece: bytes, lines: list[bytes], rows: list[int], starts: list[bool]) -> None:
        codec = self.codec
        try:  # the common case: the whole piece decodes in one call
            piece.decode(codec or "gb18030")
        except UnicodeDecodeError:
            pass
        else:
            if codec is None:  # GB18030 reads nearly any bytes: which lines are UTF-8 too?
                text = piece.decode("utf-8", errors="replace").split(self.nl.decode())  # U+FFFD: not UTF-8
                kinds = [0 if line.isascii() else 2 if "\ufffd" in t else 1 for line, t in zip(lines, text)]
                self.utf8.extend(r for r, k in zip(rows, kinds) if k == 1)
                self.gbk.extend(r for r, k in zip(rows, kinds) if k == 2)
            return
        for i, line in enumerate(lines):  # line by line, to find the rows
            if line.isascii():
                continue
            if codec is not None:
                try:
                    line.decode(codec)
                except UnicodeDecodeError:
                    self.undecodable.append((rows[i], line, starts[i]))
                continue
            try:
                line.decode("utf-8")
                self.utf8.append(rows[i])
            except UnicodeDecodeError:
                try:
                    line.decode("gb18030")
                    self.gbk.append(rows[i])
                except UnicodeDecodeError:
                    self.undecodable.append((rows[i], line, starts[i]))

    def _spans_long(self, widths: Any, starts: Any) -> bool:
        """Whether a row over lines in this piece reaches CELL_LIMIT bytes."""
        import numpy as np

        first = np.flatnonzero(starts)
        sizes = np.add.reduceat(widths, first) if len(first) else np.array([], dtype=widths.dtype)
        return bool(len(sizes) and sizes.max() >= CELL_LIMIT) or (not len(first) and widths.sum() >= CELL_LIMIT)

    def _long_rows(self, lines: list[bytes], rows: list[int], starts: list[bool]) -> None:
        """Rows of the piece (and the one carried over) long enough to hold a long cell: parsed."""
        for i, line in enumerate(lines):
            if starts[i] and self.open:
                self._finish(rows[i] - 1)
            if starts[i] or self.open or self.open_size:
                if self.open_size + len(line) > ROW_LIMIT:
                    self.open, self.open_size = [], ROW_LIMIT + 1  # too long to hold: counted only
                    continue
                self.open.append(line)
                self.open_size += len(line) + 1
        if not self.in_quotes and self.open:
            self._finish(rows[-1])

    def _finish(self, row: int) -> None:
        raw, size = self.nl.join(self.open), self.open_size
        self.open, self.open_size = [], 0
        if size > ROW_LIMIT:
            self.problems.append(Problem(row, None, None, "row_too_big"))
        elif size >= CELL_LIMIT:
            text = raw.decode(self.codec or ("utf-8" if raw.isascii() else "gb18030"), errors="replace")
            self.problems.extend(_long_cells(row, text, self.delimiter))


def _record_pass(path: _Source, fixed: str | None, delimiter: str, nl: bytes) -> TextCheck:
    """Row by row: which encoding each row is in, which bytes do not decode, which cells are
    too long. ``fixed``: the encoding to hold every row to; None: UTF-8 or GB18030, chosen by
    the rows themselves. Lines are decoded one by one (a line end never falls inside a
    character in these encodings); rows over several lines are told by their quotes."""
    skip = 3 if fixed == "utf-8-sig" else 0
    seen = _Rows("utf-8" if fixed == "utf-8-sig" else fixed, delimiter, nl)
    for piece in _pieces(path, skip, nl):
        if piece is None:
            seen.huge_line()
        else:
            seen.piece(piece)
        if len(seen.problems) + len(seen.undecodable) >= PROBLEMS_KEPT:
            break
    if seen.open:
        seen._finish(seen.row)
    ends_with_newline = path.last_byte() == nl
    problems = seen.problems
    codec = seen.codec
    if codec is None:
        utf8, gbk = sorted(set(seen.utf8)), sorted(set(seen.gbk))
        # UTF-8 when no row needs more (an ASCII file is UTF-8 too), else GB18030.
        codec = "gb18030" if len(gbk) > len(utf8) else "utf-8"
        if utf8 and gbk:
            minority, code = (utf8, "mixed_utf8") if codec == "gb18030" else (gbk, "mixed_gbk")
            shown = label("utf-8" if code == "mixed_utf8" else "gb18030")
            problems.extend(Problem(r, None, shown, code) for r in minority[:PROBLEMS_KEPT])
    for row, line, whole in seen.undecodable:
        try:
            line.decode(codec)
        except UnicodeDecodeError as exc:
            problem = _bad_bytes(row, line, exc, codec, delimiter)
            problems.append(problem if whole else Problem(row, None, problem.value, problem.code))
    problems.sort(key=lambda p: p.row)
    kept: dict[tuple[int, str], Problem] = {}
    for p in problems:  # one problem of a kind per row (a row over lines: its first)
        kept.setdefault((p.row, p.code), p)
    return TextCheck(codec, seen.lines, ends_with_newline, seen.longest, tuple(list(kept.values())[:PROBLEMS_KEPT]))


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


def _check_wide(path: _Source, encoding: str) -> TextCheck:
    """UTF-16/32 (a BOM says so: Excel's "Unicode text"): decoded whole, strictly."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = longest = current = 0
    with path.open() as fh:
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
