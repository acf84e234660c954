"""Strict, bounded imports: one encoding for the whole file, the sheet's real end, size limits,
reports that echo little, escape formulas and stay private."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from livedesk import cli
from livedesk.models import Customer, Order
from livedesk.services.importing import ImportOptions, ImportSetupError, import_orders, inspect_file
from livedesk.services.importing.text_check import CELL_LIMIT
from helpers import rewrite_xlsx

DATA = Path(__file__).parent / "data"
DOUYIN_HEAD = "主订单编号,子订单编号,选购商品,商品金额,订单提交时间,收件人,收件人手机号,省,市,详细地址\r\n"


def douyin_row(n: int, name: str = "王丽", address: str = "文三路***号") -> str:
    return (f"69230000{n:08d},69230000{n:08d}-1,洁面乳 120g,¥79.00,2024-05-01 20:15:03,{name},138****5678,"
            f"浙江省,杭州市,{address}\r\n")


def run(store, path: Path, tmp_path: Path, **options):
    return import_orders(store.write_factory, path, ImportOptions(report_path=tmp_path, **options))


def names(store) -> set[str]:
    with store.write() as s:
        return set(s.scalars(select(Customer.real_name)))


# --- one encoding for the whole file -----------------------------------------------------


def test_a_mostly_ascii_csv_with_one_gbk_row_is_read_as_gbk_not_as_a_code_page(store, tmp_path):
    summary = run(store, DATA / "orders_template_one_gbk_row.csv", tmp_path)
    assert summary.ok and summary.committed, summary.errors[:3]
    assert "张三丰" in names(store)  # not ХЕИэ·б (ptcp154) nor any other code page's reading
    with store.write() as s:
        assert s.scalar(select(Order.address).where(Order.platform_order_id == "LD-00040")) == "文三路 1 号"


def test_one_gbk_row_among_utf8_rows_is_refused_not_read_as_a_code_page(store, tmp_path):
    # charset-normalizer calls this file's sample ptcp154, which decodes anything: 张三丰 was
    # committed as ХЕИэ·б with exit 0 and no error.
    summary = run(store, DATA / "orders_template_one_gbk_row_among_utf8.csv", tmp_path)
    assert not summary.committed
    assert [(e.row, e.code) for e in summary.errors] == [(32, "mixed_gbk")]
    assert names(store) == set()


def test_utf8_and_gbk_rows_in_one_file_are_refused_naming_the_gbk_row(store, tmp_path):
    summary = run(store, DATA / "douyin_orders_mixed_encodings.csv", tmp_path)
    assert not summary.committed
    assert [(e.row, e.code, e.value) for e in summary.errors] == [(10, "mixed_gbk", "GBK/GB18030")]
    assert "UTF-8" in summary.errors[0].reason and "GBK" in summary.errors[0].reason
    assert names(store) == set()


def test_gbk_rows_past_the_detection_sample_are_named_by_their_own_row(store, tmp_path):
    big = tmp_path / "big.csv"
    rows = [douyin_row(n) for n in range(3000)]  # UTF-8 Chinese, ~400 KB: past any sample
    with big.open("wb") as fh:
        fh.write(DOUYIN_HEAD.encode())
        fh.write("".join(rows).encode("utf-8"))
        fh.write(douyin_row(5000, "张三丰").replace("¥", "￥").encode("gbk"))
    assert big.stat().st_size > 300_000
    summary = run(store, big, tmp_path, platform="douyin")
    assert [(e.row, e.code) for e in summary.errors] == [(3002, "mixed_gbk")]  # not row 2


def test_a_gbk_file_whose_first_256_kb_are_ascii_is_read_whole_as_gbk(store, tmp_path):
    path = tmp_path / "late.csv"
    head = "order_id,product_name,item_amount,ordered_at,recipient_name,phone,city\r\n"
    ascii_rows = "".join(f"LD-{n:06d},Serum,1.00,2024-05-01 10:00:00,Wang {n % 50},13800001111,Hangzhou\r\n"
                         for n in range(6000))
    path.write_bytes((head + ascii_rows).encode() + "LD-999999,面膜,2.00,2024-05-02 10:00:00,张三丰,13800002222,杭州\r\n"
                     .encode("gbk"))
    assert len(ascii_rows) > 256 * 1024
    summary = run(store, path, tmp_path, platform="douyin")
    assert summary.ok and summary.committed, summary.errors[:3]
    assert "张三丰" in names(store)


def test_the_preview_checks_the_start_and_the_import_checks_the_whole_file(store, tmp_path, monkeypatch):
    from livedesk.services.importing import reading

    monkeypatch.setattr(reading, "PREVIEW_CHECK_BYTES", 64 * 1024)  # the UI thread reads this much
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.write(DOUYIN_HEAD.encode())
        fh.write("".join(douyin_row(n) for n in range(3000)).encode("utf-8"))
        fh.write(douyin_row(5000, "张三丰").replace("¥", "￥").encode("gbk"))
    preview = inspect_file(big)
    assert preview.table.problems == () and 2700 < preview.table.total_rows < 3300
    assert [(e.row, e.code) for e in run(store, big, tmp_path, platform="douyin").errors] == [(3002, "mixed_gbk")]


def test_a_byte_that_is_not_text_is_an_error_naming_its_row_and_column(store, tmp_path):
    path = tmp_path / "broken.csv"
    body = DOUYIN_HEAD.encode() + "".join(douyin_row(n) for n in range(5)).encode()
    lines = body.split(b"\r\n")
    lines[3] = lines[3].replace("文三路".encode(), b"\xff\xfe\xfd")  # row 4, 详细地址
    path.write_bytes(b"\r\n".join(lines))
    summary = run(store, path, tmp_path, platform="douyin")
    assert not summary.committed
    assert [(e.row, e.column, e.code) for e in summary.errors] == [(4, "详细地址", "encoding")]
    assert "ff fe fd" in summary.errors[0].value


def test_a_given_encoding_holds_every_row_to_it(store, tmp_path):
    summary = run(store, DATA / "douyin_orders_gbk.csv", tmp_path, encoding="utf-8", platform="douyin")
    assert not summary.committed
    assert [e.row for e in summary.errors if e.code == "encoding"] == list(range(1, 10))  # the header is row 1
    assert run(store, DATA / "douyin_orders_gbk.csv", tmp_path, encoding="gbk").committed


def test_an_unknown_encoding_name_is_a_setup_error(store, tmp_path):
    with pytest.raises(ImportSetupError, match="klingon"):
        run(store, DATA / "douyin_orders.csv", tmp_path, encoding="klingon")


# --- XLSX to the real end ----------------------------------------------------------------


def test_an_xlsx_with_a_stale_dimension_is_read_to_its_last_row(store, tmp_path):
    summary = run(store, DATA / "douyin_orders_stale_dimension.xlsx", tmp_path)
    assert summary.ok and summary.committed
    assert (summary.rows_read, summary.orders_created) == (100, 100)
    preview = inspect_file(DATA / "douyin_orders_stale_dimension.xlsx")
    assert preview.table.total_rows == 100


# --- size limits -------------------------------------------------------------------------


def test_a_csv_cell_over_the_limit_is_a_row_error_not_a_csv_traceback(store, tmp_path):
    path = tmp_path / "long.csv"
    rows = [douyin_row(n) for n in range(4)]
    rows[1] = douyin_row(1, address="长" * 200_000)  # row 3: 600 KB in one cell, past the csv module's 128 KB
    path.write_text(DOUYIN_HEAD + "".join(rows), encoding="utf-8")
    summary = run(store, path, tmp_path, platform="douyin")
    assert [(e.row, e.column, e.code) for e in summary.errors] == [(3, "详细地址", "cell_too_big")]
    assert len(summary.errors[0].value) <= 41


def test_a_csv_cell_over_the_limit_inside_quotes_over_many_lines_is_found(store, tmp_path):
    path = tmp_path / "lines.csv"
    spread = '"' + "\n".join(["地址" * 10] * 3000) + '"'  # 63k characters in short lines
    path.write_text(DOUYIN_HEAD + douyin_row(0) + douyin_row(1, address=spread) + douyin_row(2), encoding="utf-8")
    summary = run(store, path, tmp_path, platform="douyin")
    assert [(e.row, e.column, e.code) for e in summary.errors] == [(3, "详细地址", "cell_too_big")]


@pytest.mark.parametrize("block", [1 << 20, 4096])
def test_a_long_quoted_cell_is_found_across_the_checks_reading_blocks(tmp_path, monkeypatch, block):
    from livedesk.services.importing import text_check

    monkeypatch.setattr(text_check, "BLOCK", block)  # the cell's lines fall in many blocks
    path = tmp_path / "spread.csv"
    spread = '"' + "\n".join(["a,b" * 10] * 2000) + '"'  # 62k characters, lines of 31
    path.write_text("h1,h2\n1,x\n2," + spread + "\n3,y\n", encoding="utf-8")
    check = text_check.check_csv(path)
    assert [(p.row, p.column, p.code) for p in check.problems] == [(3, 1, "cell_too_big")]


def test_a_csv_with_old_mac_line_ends_is_read_row_by_row(store, tmp_path):
    path = tmp_path / "mac.csv"
    rows = [douyin_row(n).replace("\r\n", "\r") for n in range(400)]  # 45 KB: past one line's limit
    path.write_bytes((DOUYIN_HEAD.replace("\r\n", "\r") + "".join(rows)).encode("utf-8"))
    summary = run(store, path, tmp_path, platform="douyin")
    assert summary.ok and summary.rows_read == 400, summary.errors[:3]


def test_a_header_past_the_column_limit_is_refused(store, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["主订单编号", *(f"c{i}" for i in range(1500))]) + "\n1\n", encoding="utf-8")
    with pytest.raises(ImportSetupError, match="1,501 columns"):
        run(store, path, tmp_path, platform="douyin")


def _xlsx_with_b2(tmp_path: Path, text: str, shared: bool) -> Path:
    """A small 抖店 workbook whose B2 (选购商品) holds ``text``, inline or in shared strings."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["主订单编号", "选购商品", "商品金额", "订单提交时间", "收件人", "收件人手机号"])
    for n in range(5):
        sheet.append([f"69240000{n:08d}", "PLACEHOLDER" if n == 0 else "洁面乳", "¥1.00", "2024-05-01 20:15:03",
                      "王丽", "138****5678"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    cell = re.compile(rb'<c r="B2" t="inlineStr"><is><t>PLACEHOLDER</t></is></c>')
    body = text.encode()

    def edit(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/"):
            return cell.sub(b'<c r="B2" t="s"><v>0</v></c>' if shared else
                            b'<c r="B2" t="inlineStr"><is><t>' + body + b"</t></is></c>", data)
        if name == "[Content_Types].xml" and shared:
            return data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>')
        return data

    strings = {"xl/sharedStrings.xml": b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                       b'count="1" uniqueCount="1"><si><t>' + body + b"</t></si></sst>"}
    return rewrite_xlsx(plain, tmp_path / ("shared.xlsx" if shared else "inline.xlsx"), edit,
                        strings if shared else None)


@pytest.mark.parametrize("shared", [False, True], ids=["inline", "shared-strings"])
def test_an_xlsx_cell_over_the_limit_is_a_row_error(store, tmp_path, shared):
    path = _xlsx_with_b2(tmp_path, "=HYPERLINK(" + "x" * (CELL_LIMIT + 10) + ")", shared)
    summary = run(store, path, tmp_path, platform="douyin")
    assert [(e.row, e.column, e.code) for e in summary.errors] == [(2, "选购商品", "cell_too_big")]
    assert summary.errors[0].value.startswith("=HYPERLINK(xxx") and len(summary.errors[0].value) <= 41


def test_an_xlsx_cell_at_the_limit_is_read(store, tmp_path):
    path = _xlsx_with_b2(tmp_path, "面" * CELL_LIMIT, shared=True)
    summary = run(store, path, tmp_path, platform="douyin")
    assert summary.ok and summary.committed


# VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec).
_PEAK = """
import sys
from pathlib import Path
from livedesk.services.importing import ImportOptions, import_orders
from livedesk.services.store import open_store, sqlite_url
store = open_store(sqlite_url(Path(sys.argv[2])))
summary = import_orders(store.write_factory, sys.argv[1], ImportOptions(platform="douyin", report_path=Path(sys.argv[3])))
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(len(summary.errors), int(hwm.split()[1]) // 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak from Linux's /proc")
@pytest.mark.parametrize("kind", ["xlsx-shared", "xlsx-inline", "csv"])
def test_a_huge_cell_keeps_the_import_small(tmp_path, kind):
    size = 200 << 20  # 200 MiB of one character: the zip holds it in ~200 KB
    if kind == "csv":
        path = tmp_path / "huge.csv"
        with path.open("w", encoding="utf-8") as fh:
            fh.write(DOUYIN_HEAD + douyin_row(0))
            fh.write("69230000000000009,69230000000000009-1,")
            for _ in range(size >> 20):
                fh.write("x" * (1 << 20))
            fh.write(",¥1.00,2024-05-01 20:15:03,王丽,138****5678,浙江省,杭州市,文三路\r\n")
    else:
        path = _xlsx_with_b2(tmp_path, "x" * size, shared=kind == "xlsx-shared")
        assert path.stat().st_size < 2 << 20
    done = subprocess.run([sys.executable, "-c", _PEAK, str(path), str(tmp_path / "s.sqlite3"), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    errors, peak_mb = map(int, done.stdout.split())
    assert errors == 1
    assert peak_mb < 400, f"peak RSS {peak_mb} MB for a {size >> 20} MiB cell"
    report = next(tmp_path.glob("*.import-report.csv"))
    assert report.stat().st_size < 4096  # the cell is not copied into the report


# --- reports -----------------------------------------------------------------------------


def test_the_report_echoes_a_short_prefix_escapes_formulas_and_is_private(store, tmp_path):
    path = tmp_path / "evil.csv"
    rows = [douyin_row(n) for n in range(3)]
    rows[0] = rows[0].replace("¥79.00", '"=HYPERLINK(""http://x.example/?"",""点我"")"')
    rows[1] = rows[1].replace("2024-05-01 20:15:03", "@SUM(1+1)" + "9" * 5000)
    path.write_text(DOUYIN_HEAD + "".join(rows), encoding="utf-8")
    summary = run(store, path, tmp_path, platform="douyin")
    report = Path(summary.report_path)
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    import csv

    with report.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))[1:]
    values = {int(row[0]): row[2] for row in lines}
    assert values[2].startswith("'=HYPERLINK(")  # Excel shows it as text, does not run it
    assert values[3].startswith("'@SUM(1+1)") and len(values[3]) <= 42
    as_json = summary.as_dict()["error_rows"]
    assert max(len(e["value"]) for e in as_json) <= 41


@pytest.mark.sqlite_only
def test_the_default_report_is_private_in_the_data_folder_and_the_cli_says_where(store, tmp_path, capsys):
    source = tmp_path / "user" / "bad.csv"
    source.parent.mkdir()
    source.write_bytes((DATA / "douyin_orders_bad_rows.csv").read_bytes())
    code = cli.main(["--db", str(store.path), "import", "orders", str(source), "--json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    report = Path(out["report_path"])
    assert report.is_file() and report.parent.name == "reports"
    assert stat.S_IMODE(report.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert list(source.parent.iterdir()) == [source]  # nothing written beside the user's file
