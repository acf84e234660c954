"""The command line as a user runs it: separate processes, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import livedesk



def test_a_corrupt_db_file_gets_a_clear_message_and_is_not_modified(tmp_path):
    bad = tmp_path / "orders.xlsx.sqlite3"
    bad.write_bytes(b"PK\x03\x04 this is a spreadsheet, not a database" * 50)
    before = bad.read_bytes()
    result = livedesk("--db", str(bad), "lookup", "王")
    assert result.returncode == 1
    assert "not a LiveDesk database" in result.stderr and str(bad) in result.stderr
    assert bad.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [bad.name]  # no -wal, -shm or backup left


def test_demo_then_lookup_finds_customers_with_tier_and_level(tmp_path):
    db = str(tmp_path / "demo.sqlite3")
    made = livedesk("--db", db, "demo", "--customers", "300", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["customers"] == 300
    again = livedesk("--db", db, "demo", "--customers", "300")
    assert again.returncode == 1 and "already has customers" in again.stderr
    found = livedesk("--db", db, "lookup", "王", "--json")
    assert found.returncode == 0
    hits = json.loads(found.stdout)
    assert hits and {"tier", "level", "nickname"} <= set(hits[0])


def test_environment_variable_picks_the_store(tmp_path):
    db = tmp_path / "env.sqlite3"
    assert livedesk("init", str(db)).returncode == 0
    result = livedesk("lookup", "nobody", env={"LIVEDESK_DB": str(db)})
    assert result.returncode == 1 and result.stdout.strip() == "no match"
    missing = livedesk("lookup", "nobody", env={"LIVEDESK_DB": str(tmp_path / "typo.sqlite3")})
    assert missing.returncode == 2 and not (tmp_path / "typo.sqlite3").exists()


@pytest.mark.parametrize("argv", [["bench", "nosuchbench"], ["--page", "nowhere"], ["lookup"]])
def test_wrong_usage_exits_with_status_2(argv):
    assert livedesk(*argv).returncode == 2


def test_start_up_leaves_pandas_and_pyqtgraph_for_later(tmp_path):
    """They cost ~0.4 s to import: the pages that need them import them on first use."""
    assert livedesk("init", str(tmp_path / "s.sqlite3")).returncode == 0
    probe = (
        "import sys\n"
        "from livedesk.cli import main\n"
        f"main(['--db', {str(tmp_path / 's.sqlite3')!r}, '--startup-probe'])\n"
        "print('HEAVY', sorted(m for m in ('pandas', 'pyqtgraph') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
