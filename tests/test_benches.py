"""Every ``livedesk bench`` runs end to end at a tiny size (the big runs are for the README figures).

Some benchmarks have their own test beside the feature they measure (their figures are asserted
there); this module runs the others through the command line, and checks none is left untested.
"""

from __future__ import annotations

import json

import pytest

from livedesk.cli import main
from livedesk.checks.bench import BENCHES

# name -> the test that runs it elsewhere
ELSEWHERE = {
    "dashboard": "test_dashboard_bench.py",
    "feed": "test_feed_bench.py",
    "feed-source": "test_feed_bench.py",
    "import": "test_import_run.py",
    "import-ui": "test_import_page.py",
    "intents": "test_intents.py",
    "team": "test_team_live.py",
}
TINY = {
    "startup": ["--customers", "60", "--runs", "1"],
    "lookup": ["--customers", "60"],
    "segments": ["--customers", "60", "--runs", "1"],
    "followups": ["--customers", "60", "--runs", "1"],
}


def test_every_benchmark_is_run_by_some_test():
    assert set(BENCHES) == set(ELSEWHERE) | set(TINY)


@pytest.mark.parametrize("name", sorted(TINY))
def test_the_benchmark_runs_at_a_tiny_size_and_prints_its_figures(name, tmp_path, capsys):
    assert main(["bench", name, *TINY[name], "--cache", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bench"] == name
    times = {k: v for k, v in result.items() if k.endswith("_ms") and not k.startswith("goal")}
    assert times and all(v >= 0 for v in times.values())
    assert any(v > 0 for v in times.values())
