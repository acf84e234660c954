"""Opening an export file as a table: encoding, delimiter, the header row, chunks of rows.

CSV in UTF-8 (with or without BOM), GBK/GB18030, UTF-16 with a BOM, or the encoding the
user gives, decoded strictly as a whole (``text_check``: a byte that does not decode, rows
in two encodings, a cell or row over the size limits are ``problems`` with their row);
XLSX read with openpyxl in read-only mode to the sheet's real end, after ``xlsx_check``
measured it without parsing. Title and note rows above the header are skipped by finding
the first row that reads as import headers. Rows come in chunks of strings (None for an
empty cell) indexed by their row number as a spreadsheet shows it, so memory stays flat
on a million-row file and errors point at the right row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from livedesk.services.importing.columns import known_field_count
from livedesk.services.importing.text_check import CELL_LIMIT, CHUNK_BYTES, EncodingUnknown, Problem, check_csv

CHUNK_ROWS = 50_000
# Spare columns past the header: a row wider than its header is reported, not cut short
# (pandas drops the extra cells of a wide first row silently).
SPARE_COLUMNS = 1
SAMPLE_BYTES = 256 * 1024
HEADER_SEARCH_ROWS = 30
COLUMN_LIMIT = 1_000  # columns of a header: the platforms' exports have at most ~80
# Problems after which no row is read at all (the row would not fit, or is not whole).
SIZE_PROBLEMS = ("cell_too_big", "row_too_big")


# What the report file says about the reading problems (see text_check, xlsx_check).
REASONS = {
    "encoding": "文字编码错误：这些字节不是文件所用的编码，请用 UTF-8 或 GBK 重新保存 (bytes that are not "
                "text in the file's encoding)",
    "mixed_gbk": "此行是 GBK 编码，文件其余各行是 UTF-8：请整体另存为一种编码 (this row is GBK, the rest of the "
                 "file UTF-8)",
    "mixed_utf8": "此行是 UTF-8 编码，文件其余各行是 GBK：请整体另存为一种编码 (this row is UTF-8, the rest of the "
                  "file GBK)",
    "cell_too_big": "单元格超过 32767 个字符（Excel 的上限）(a cell over 32,767 characters)",
    "row_too_big": "此行超过 4 MB，未读取 (a row over 4 MB: not read)",
}


class ReadError(ValueError):
    """The file cannot be read as a table; the message says why, for a person, and ``row``
    where, when the trouble is one row further down (a row wider than the header).
    ``code`` and ``detail`` say it for a UI to word in its language: no_file, empty,
    no_header, too_many_columns (detail: how many), unknown_encoding (its name),
    not_a_table, workbook_too_big (MB), not_xlsx, unreadable (the row)."""

    def __init__(self, message: str, row: int | None = None, code: str = "unreadable",
                 detail: object = None) -> None:
        super().__init__(message)
        self.row, self.detail = row, detail
        self.code = code  # the UI words it: see reading.REASONS and ui/errors.py


@dataclass(frozen=True)
class TableFile:
    path: Path
    kind: str  # csv | xlsx
    encoding: str | None
    delimiter: str | None
    header_row: int  # 1-based, as a spreadsheet numbers rows
    headers: list[str]
    total_rows: int | None  # data rows below the header (CSV: counted lines, so an estimate)
    problems: tuple[Problem, ...] = ()  # rows the file's check refuses (encoding, size)
    chunk_limit: int | None = None  # rows per chunk at most, so that a chunk stays under CHUNK_BYTES

    def problem_column(self, problem: Problem) -> str | None:
        """The header of the column a problem is in, if it is one of the header's."""
        if problem.column is None or not 0 <= problem.column < len(self.headers):
            return None
        return self.headers[problem.column]

    def chunks(self, size: int = CHUNK_ROWS, columns: Sequence[str] | None = None,
               raw: bool = False) -> Iterator[pd.DataFrame]:
        """The data rows, ``size`` at a time: str cells, None when empty, index = row number.

        ``columns`` keeps only those headers;
        ``raw`` leaves an empty cell as the reader gives it (NaN or None), which saves a
        pass over every cell for a caller that treats both as empty.
        ``attrs["wide_rows"]`` lists the rows with more cells than the header."""
        wanted = list(self.headers if columns is None else columns)
        if self.chunk_limit is not None:
            size = max(1, min(size, self.chunk_limit))
        if self.kind == "xlsx":
            yield from _xlsx_chunks(self, size, wanted)
        else:
            yield from _csv_chunks(self, size, wanted, raw)

    def preview(self, rows: int = 20) -> pd.DataFrame:
        chunks = self.chunks(rows)
        try:
            return next(chunks, pd.DataFrame(columns=self.headers))
        except ReadError:  # a row among the first that cannot be read: the check names it
            return pd.DataFrame(columns=self.headers)
        finally:
            chunks.close()  # the reader's file with it


PREVIEW_CHECK_BYTES = 4 << 20  # a preview checks the text of the file's first 4 MB only


def open_table(path: str | Path, encoding: str | None = None, preview: bool = False) -> TableFile:
    """The file as a table; ``encoding`` (CSV) holds every row to that encoding instead of
    detecting it. ``preview``: a CSV's text is checked in its first PREVIEW_CHECK_BYTES only
    (quick enough for the UI thread; its rows count is then an estimate): an import opens
    the file again and checks all of it."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: no such file", code="no_file")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):  # XLSX is a zip; anything else is read as text
        return _open_xlsx(path)
    return _open_csv(path, encoding, PREVIEW_CHECK_BYTES if preview else None)


def _checked_header(headers: list[str], row: int) -> list[str]:
    if len(headers) > COLUMN_LIMIT:
        raise ReadError(f"the header (row {row}) has {len(headers):,} columns; at most {COLUMN_LIMIT:,} are read",
                        row, "too_many_columns", len(headers))
    return _unique(headers)


def _rows_before(problems: tuple[Problem, ...]) -> int | None:
    """The first row no reader may reach (a cell or row too big to hold), if any."""
    rows = [p.row for p in problems if p.code in SIZE_PROBLEMS]
    return min(rows) if rows else None


def _unique(names: list[str]) -> list[str]:
    """Blank headers get a name and repeated ones a suffix, as pandas would name them."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _find_header(rows: list[list[str]]) -> int:
    """Index of the header among the first rows: the first that reads as import headers,
    else the first as wide as the widest (title rows are one merged cell)."""
    for i, row in enumerate(rows):
        if known_field_count(c for c in row if c) >= 2:
            return i
    widths = [sum(1 for c in row if c) for row in rows]
    if not widths or max(widths) == 0:
        raise ReadError("the file has no header row", code="no_header")
    return widths.index(max(widths))


# --- CSV ---------------------------------------------------------------------------------


def _open_csv(path: Path, encoding: str | None, check_bytes: int | None) -> TableFile:
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    # The delimiter and quotes are ASCII in every encoding read here but UTF-16: bytes will do.
    ascii_lines = sample.decode("latin-1").splitlines()[:HEADER_SEARCH_ROWS]
    if not ascii_lines:
        raise ReadError("the file is empty", code="empty")
    delimiter = max(",\t;|", key=lambda d: sum(line.count(d) for line in ascii_lines))
    try:
        check = check_csv(path, encoding, delimiter, check_bytes)
    except EncodingUnknown as exc:
        raise ReadError(f"unknown text encoding {exc}", code="unknown_encoding", detail=str(exc)) from exc
    text = sample.decode(check.encoding, errors="replace")
    lines = []
    for line in text.splitlines()[:HEADER_SEARCH_ROWS]:
        if len(line) > CELL_LIMIT:  # no header is that long; the csv module would refuse it
            break
        lines.append(line)
    if check.encoding == "utf-16":
        delimiter = max(",\t;|", key=lambda d: sum(line.count(d) for line in lines))
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    except csv.Error as exc:
        raise ReadError(f"the first rows cannot be read as a table ({exc})", code="not_a_table") from exc
    header_index = _find_header([[c.strip() for c in row] for row in rows])
    return TableFile(
        path=path, kind="csv", encoding=check.encoding, delimiter=delimiter, header_row=header_index + 1,
        headers=_checked_header([c.strip() for c in rows[header_index]], header_index + 1),
        total_rows=max(0, check.lines + (not check.ends_with_newline) - header_index - 1),
        problems=check.problems, chunk_limit=check.chunk_rows(CHUNK_ROWS),
    )


def _csv_chunks(table: TableFile, size: int, columns: list[str], raw: bool) -> Iterator[pd.DataFrame]:
    spare = [f"\x00spare{i}" for i in range(SPARE_COLUMNS)]
    if _rows_before(table.problems) is not None:
        # A cell or row too big to hold: no row is read (the parser would hold that one whole
        # on its way to the rows before it); the run reports the problems and stops there.
        return
    reader = pd.read_csv(
        table.path, encoding=table.encoding, sep=table.delimiter, header=None, names=[*table.headers, *spare],
        skiprows=table.header_row, dtype=str, keep_default_na=False, na_values=[""],
        skip_blank_lines=False,  # a blank line still has its row number
        chunksize=size, engine="c", index_col=False,
        # Strict, unless the check found bytes that do not decode: they are its problems, and
        # the rows around them can still be shown (a preview) with U+FFFD in their place.
        encoding_errors="replace" if table.problems else "strict",
    )
    first = table.header_row + 1
    try:
        for chunk in reader:
            chunk.index = pd.RangeIndex(first, first + len(chunk))
            first += len(chunk)
            wide = chunk.index[chunk[spare].notna().any(axis=1).to_numpy()].tolist()
            chunk = chunk[columns]
            if not raw:
                chunk = chunk.astype(object).where(chunk.notna(), None)
            chunk.attrs["wide_rows"] = wide
            yield chunk
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        # The C parser names the file's line: with one record per line, the spreadsheet's row.
        line = re.search(r"line (\d+)", str(exc))
        raise ReadError(f"the file cannot be read past row {first}: {exc}",
                        int(line.group(1)) if line else first, code="bad_row") from exc
    finally:
        reader.close()  # also when the caller stops early


# --- XLSX --------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # 13812345678.0 is a phone typed as a number; repr is the shortest exact spelling.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _open_xlsx(path: Path) -> TableFile:
    from livedesk.services.importing.xlsx_check import WorkbookTooBig, bounded_copy, check_xlsx

    try:
        check = check_xlsx(path)  # before openpyxl holds anything: see xlsx_check
    except WorkbookTooBig as exc:
        raise ReadError(f"the workbook's text table is {exc}: too big to read safely", code="workbook_too_big",
                        detail=str(exc)) from exc
    except Exception as exc:  # zipfile raises many kinds for a damaged or foreign zip
        raise ReadError(f"the file is not a readable XLSX workbook ({exc})", code="not_xlsx") from exc
    stop = _rows_before(check.problems)
    if stop is None:
        rows = _first_rows(path, HEADER_SEARCH_ROWS)
    else:  # a cell too big to hold: the header is read from a copy with such texts cut short
        from livedesk.services import private

        copy = private.private_file(".xlsx", prefix="bounded-")
        try:
            rows = _first_rows(bounded_copy(path, copy), min(HEADER_SEARCH_ROWS, stop - 1))
        finally:
            copy.unlink(missing_ok=True)
    header_index = _find_header(rows)
    headers = list(rows[header_index])
    while headers and not headers[-1]:  # a row read to its last cell: blank cells after the header's
        headers.pop()
    return TableFile(
        path=path, kind="xlsx", encoding=None, delimiter=None, header_row=header_index + 1,
        headers=_checked_header(headers, header_index + 1),
        total_rows=max(0, check.rows - header_index - 1), problems=check.problems,
    )


def _first_rows(path: Path, count: int) -> list[list[str]]:
    from openpyxl import load_workbook

    if count <= 0:
        return []
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign zip
        raise ReadError(f"the file is not a readable XLSX workbook ({exc})", code="not_xlsx") from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the <dimension ref> of other tools' files is often stale
        return [[_cell_text(v) or "" for v in row][:COLUMN_LIMIT + 1]
                for row in sheet.iter_rows(max_row=count, values_only=True)]
    finally:
        book.close()


def _xlsx_chunks(table: TableFile, size: int, columns: list[str]) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    if _rows_before(table.problems) is not None:  # see _csv_chunks
        return
    book = load_workbook(table.path, read_only=True, data_only=True)
    try:
        width = len(table.headers)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read to the sheet's real end, whatever <dimension ref> says
        rows = sheet.iter_rows(min_row=table.header_row + 1, max_col=width, values_only=True)
        first = table.header_row + 1
        while True:
            block = []
            chars = 0
            for row in rows:  # a chunk ends at ``size`` rows or CHUNK_BYTES of text
                cells = [_cell_text(v) for v in (row + (None,) * width)[:width]]
                block.append(cells)
                chars += sum(len(c) for c in cells if c)
                if len(block) >= size or chars >= CHUNK_BYTES:
                    break
            if not block:
                return
            frame = pd.DataFrame(block, columns=table.headers, index=pd.RangeIndex(first, first + len(block)),
                                 dtype=object)
            frame.attrs["wide_rows"] = []  # cells past the header's last column are not read
            yield frame if columns == table.headers else frame[columns]
            first += len(block)
    finally:
        book.close()
