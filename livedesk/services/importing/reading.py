"""Opening an export file as a table: encoding, delimiter, the header row, chunks of rows.

CSV in UTF-8 (with or without BOM), GBK/GB18030 or whatever charset-normalizer finds
on a sample; XLSX read with openpyxl in read-only mode. Title and note rows above the
header are skipped by finding the first row that reads as import headers. Rows come in
chunks of strings (None for an empty cell) indexed by their row number as a spreadsheet
shows it, so memory stays flat on a million-row file and errors point at the right row.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import islice
from pathlib import Path

import pandas as pd

from livedesk.services.importing.columns import known_field_count

CHUNK_ROWS = 50_000
# Spare columns past the header: a row wider than its header is reported, not cut short
# (pandas drops the extra cells of a wide first row silently).
SPARE_COLUMNS = 1
SAMPLE_BYTES = 256 * 1024
HEADER_SEARCH_ROWS = 30
# GBK and GB2312 are subsets of GB18030: reading as GB18030 never loses a character.
_CHINESE = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "hz": "gb18030", "gb18030": "gb18030"}


class ReadError(ValueError):
    """The file cannot be read as a table; the message says why, for a person, and ``row``
    where, when the trouble is one row further down (a row wider than the header)."""

    def __init__(self, message: str, row: int | None = None, *, code: str = "unreadable") -> None:
        super().__init__(message)
        self.row = row
        self.code = code  # no_file | no_header | encoding | empty | bad_row | not_xlsx | unreadable: the UI words it


@dataclass(frozen=True)
class TableFile:
    path: Path
    kind: str  # csv | xlsx
    encoding: str | None
    delimiter: str | None
    header_row: int  # 1-based, as a spreadsheet numbers rows
    headers: list[str]
    total_rows: int | None  # data rows below the header (CSV: counted lines, so an estimate)

    def chunks(self, size: int = CHUNK_ROWS, columns: Sequence[str] | None = None,
               raw: bool = False) -> Iterator[pd.DataFrame]:
        """The data rows, ``size`` at a time: str cells, None when empty, index = row number.

        ``columns`` keeps only those headers;
        ``raw`` leaves an empty cell as the reader gives it (NaN or None), which saves a
        pass over every cell for a caller that treats both as empty.
        ``attrs["wide_rows"]`` lists the rows with more cells than the header."""
        wanted = list(self.headers if columns is None else columns)
        if self.kind == "xlsx":
            yield from _xlsx_chunks(self, size, wanted)
        else:
            yield from _csv_chunks(self, size, wanted, raw)

    def preview(self, rows: int = 20) -> pd.DataFrame:
        chunks = self.chunks(rows)
        try:
            return next(chunks, pd.DataFrame(columns=self.headers))
        finally:
            chunks.close()  # the reader's file with it


def open_table(path: str | Path) -> TableFile:
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: no such file", code="no_file")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):  # XLSX is a zip; anything else is read as text
        return _open_xlsx(path)
    return _open_csv(path)


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


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(sample) == SAMPLE_BYTES:
            return "utf-8"  # the sample cut a character in two: the rest decoded
    from charset_normalizer import from_bytes

    matches = list(from_bytes(sample))
    if not matches:
        raise ReadError("the file's text encoding cannot be recognised", code="encoding")
    # A Chinese shop's non-UTF-8 export is GBK/GB18030; prefer it among the plausible guesses.
    for match in matches:
        if match.encoding in _CHINESE:
            return _CHINESE[match.encoding]
    return matches[0].encoding


def _open_csv(path: Path) -> TableFile:
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    encoding = detect_encoding(sample)
    text = sample.decode(encoding, errors="replace")
    lines = text.splitlines()[: HEADER_SEARCH_ROWS]
    if not lines:
        raise ReadError("the file is empty", code="empty")
    delimiter = max(",\t;|", key=lambda d: sum(line.count(d) for line in lines))
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header_index = _find_header([[c.strip() for c in row] for row in rows])
    with path.open("rb") as fh:
        newlines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    return TableFile(
        path=path, kind="csv", encoding=encoding, delimiter=delimiter, header_row=header_index + 1,
        headers=_unique([c.strip() for c in rows[header_index]]),
        total_rows=max(0, newlines + (not sample.endswith(b"\n")) - header_index - 1),
    )


def _csv_chunks(table: TableFile, size: int, columns: list[str], raw: bool) -> Iterator[pd.DataFrame]:
    spare = [f"\x00spare{i}" for i in range(SPARE_COLUMNS)]
    reader = pd.read_csv(
        table.path, encoding=table.encoding, sep=table.delimiter, header=None, names=[*table.headers, *spare],
        skiprows=table.header_row, dtype=str, keep_default_na=False, na_values=[""],
        skip_blank_lines=False,  # a blank line still has its row number
        chunksize=size, engine="c", index_col=False,
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
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign zip
        raise ReadError(f"the file is not a readable XLSX workbook ({exc})", code="not_xlsx") from exc
    try:
        sheet = book.worksheets[0]
        rows = [[_cell_text(v) or "" for v in row]
                for row in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)]
        header_index = _find_header(rows)
        max_row = sheet.max_row
    finally:
        book.close()
    return TableFile(
        path=path, kind="xlsx", encoding=None, delimiter=None, header_row=header_index + 1,
        headers=_unique(rows[header_index]),
        total_rows=max(0, max_row - header_index - 1) if max_row else None,
    )


def _xlsx_chunks(table: TableFile, size: int, columns: list[str]) -> Iterator[pd.DataFrame]:
    from openpyxl import load_workbook

    book = load_workbook(table.path, read_only=True, data_only=True)
    try:
        width = len(table.headers)
        rows = book.worksheets[0].iter_rows(min_row=table.header_row + 1, values_only=True)
        first = table.header_row + 1
        while True:
            block = [[_cell_text(v) for v in (row + (None,) * width)[:width]] for row in islice(rows, size)]
            if not block:
                return
            frame = pd.DataFrame(block, columns=table.headers, index=pd.RangeIndex(first, first + len(block)),
                                 dtype=object)
            frame.attrs["wide_rows"] = []  # cells past the header's last column are not read
            yield frame if columns == table.headers else frame[columns]
            first += len(block)
    finally:
        book.close()
