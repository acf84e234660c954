"""``livedesk self-test`` and damaged stores, as a user (or a packaged build) runs them.

Each runs in its own process: the self-test installs translators and a Qt message
handler for the whole application, which must not leak into the other tests.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CHECKS = ["store and migrations", "service write and read", "pandas query", "encrypted store", "app modules import", "qt application",
          "zh_CN translations", "main window", "host panel", "pyqtgraph plot", "asyncio on qt"]


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TMPDIR": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run([sys.executable, *args], check=False, capture_output=True, text=True, timeout=180, env=env)


def test_self_test_reports_every_check_passed_and_cleans_up(tmp_path):
    out = tmp_path / "report.json"
    result = run(["-m", "livedesk", "self-test", "--out", str(out)], tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(report, ensure_ascii=False, indent=1)
    assert json.loads(out.read_text(encoding="utf-8")) == report
    assert report["ok"] is True and report["frozen"] is False
    assert report["version"] and report["python"] and report["qt"].startswith("Qt 6")
    assert [c["name"] for c in report["checks"]] == CHECKS
    for check in report["checks"]:
        assert check["ok"] and check["detail"] and check["ms"] >= 0, check
    assert not list(tmp_path.glob("livedesk-selftest-*")), "the temporary store was left behind"


def test_a_failing_check_fails_the_run_without_hiding_the_others(tmp_path):
    """A build without our .qm: the translations check names what is missing, the rest still run."""
    driver = (
        "import sys, pathlib\n"
        "import livedesk.ui.i18n as i18n\n"
        f"i18n.translations_file = lambda language: pathlib.Path({str(tmp_path / 'missing.qm')!r})\n"
        "from livedesk.checks.selftest import run_self_test\n"
        "sys.exit(run_self_test(None))\n"
    )
    result = run(["-c", driver], tmp_path)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    failed = {c["name"]: c["detail"] for c in report["checks"] if not c["ok"]}
    assert list(failed) == ["zh_CN translations"]
    assert "missing.qm" in failed["zh_CN translations"]
    assert report["ok"] is False and [c["name"] for c in report["checks"]] == CHECKS


def _damaged_stores(folder: Path) -> dict[str, Path]:
    """A real LiveDesk store, then two copies of it damaged the ways disks and copies damage files."""
    good = folder / "good.sqlite3"
    conn = sqlite3.connect(good)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("CREATE TABLE alembic_version (version_num TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, nickname TEXT)")
    conn.execute("INSERT INTO alembic_version VALUES ('0002')")
    conn.executemany("INSERT INTO customers (nickname) VALUES (?)", [(f"王姐{i}" * 5,) for i in range(2000)])
    conn.commit()
    conn.close()
    data = good.read_bytes()
    truncated, garbled = folder / "truncated.sqlite3", folder / "garbled.sqlite3"
    truncated.write_bytes(data[: len(data) // 3])  # a copy cut short
    garbled.write_bytes(data[:1024] + b"\xff" * 4096 + data[1024 + 4096:])  # pages 2-5 (schema version) overwritten
    good.unlink()
    return {"truncated": truncated, "garbled": garbled}


@pytest.mark.parametrize("damage", ["truncated", "garbled"])
def test_a_damaged_store_gets_a_one_line_message_and_stays_byte_identical(tmp_path, damage):
    bad = _damaged_stores(tmp_path)[damage]
    before = bad.read_bytes()
    result = run(["-m", "livedesk", "--db", str(bad), "lookup", "王"], tmp_path)
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith(f"livedesk: {bad}") and "\n" not in message, message
    assert "Traceback" not in message and "[SQL:" not in message
    assert bad.read_bytes() == before


def test_with_a_server_url_the_self_test_also_proves_it_reaches_the_server(pg_server, pg_url):
    from livedesk.services.store import open_store
    from livedesk.checks.selftest import _server_store

    detail = _server_store(pg_url)
    assert detail.startswith("postgresql 15") and "schema" in detail
    store = open_store(pg_url)
    try:
        with store.read() as s:  # its customer was rolled back: nothing is left on the team's server
            assert s.connection().exec_driver_sql("SELECT count(*) FROM customers").scalar() == 0
    finally:
        store.dispose()
    with pytest.raises(AssertionError, match="unreachable"):
        _server_store(pg_server.url("postgres").replace(str(pg_server.port), "1"))
