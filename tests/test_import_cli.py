"""``livedesk import orders|revert``: exit statuses, JSON summary, dry run and report."""

from __future__ import annotations

import json
from pathlib import Path

from livedesk.cli import main

DATA = Path(__file__).parent / "data"


def test_import_then_reimport_then_revert(tmp_path, capsys):
    db = str(tmp_path / "s.sqlite3")
    assert main(["init", db]) == 0  # other commands never create a store
    capsys.readouterr()
    assert main(["--db", db, "import", "orders", str(DATA / "douyin_orders_title_rows.xlsx"), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["rows_read"], first["orders_created"], first["customers_created"], first["errors"]) == (8, 7, 4, 0)
    assert main(["--db", db, "import", "orders", str(DATA / "douyin_orders_bom.csv"), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["orders_created"], again["orders_unchanged"], again["customers_matched"]) == (0, 7, 4)
    assert main(["--db", db, "import", "revert", str(first["batch_id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["orders_removed"] == 7
    assert main(["--db", db, "import", "revert", str(first["batch_id"])]) == 1


def test_invalid_rows_exit_1_with_a_report_and_nothing_written(tmp_path, capsys):
    db = str(tmp_path / "s.sqlite3")
    assert main(["init", db]) == 0  # other commands never create a store
    capsys.readouterr()
    code = main(["--db", db, "import", "orders", str(DATA / "douyin_orders_bad_rows.csv"), "--json",
                 "--report", str(tmp_path)])
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["errors"] == 3 and summary["batch_id"] is None
    assert [(e["row"], e["column"]) for e in summary["error_rows"]] == [(3, "商品金额"), (4, "订单提交时间"),
                                                                        (5, "主订单编号")]
    assert Path(summary["report_path"]).parent == tmp_path
    assert main(["--db", db, "import", "orders", str(DATA / "douyin_orders.csv"), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["orders_created"] == 7
    assert main(["--db", db, "import", "orders", str(DATA / "douyin_orders.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["orders_created"] == 7  # the dry run wrote nothing


def test_usage_problems_exit_2(tmp_path, capsys):
    db = str(tmp_path / "s.sqlite3")
    assert main(["init", db]) == 0  # other commands never create a store
    capsys.readouterr()
    csv = str(DATA / "douyin_orders.csv")
    assert main(["--db", db, "import", "orders", csv, "--map", "nonsense=x"]) == 2
    assert main(["--db", db, "import", "orders", csv, "--map", "order_id=没有这列"]) == 2
    assert main(["--db", db, "import", "orders", str(tmp_path / "missing.csv")]) == 2
    assert "livedesk:" in capsys.readouterr().err


def test_an_import_of_fresh_orders_leaves_their_follow_ups_in_the_queue(tmp_path, capsys):
    from datetime import datetime, timedelta

    db = str(tmp_path / "s.sqlite3")
    assert main(["init", db]) == 0  # other commands never create a store
    capsys.readouterr()
    placed = (datetime.now() - timedelta(hours=30)).strftime("%Y-%m-%d %H:%M:%S")  # shop time: +8 by default
    export = tmp_path / "today.csv"
    export.write_text(
        "order_id,product_name,quantity,item_amount,order_total,ordered_at,status,buyer_id,buyer_handle,platform\n"
        f"LD-1,洁面乳 120g,1,79.00,79.00,{placed},paid,U1,小美,douyin\n", encoding="utf-8")
    assert main(["--db", db, "import", "orders", str(export), "--json"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "followups", "list", "--json"]) == 0
    kinds = {task["kind"] for task in json.loads(capsys.readouterr().out)}
    assert "welcome" in kinds or "thanks" in kinds
