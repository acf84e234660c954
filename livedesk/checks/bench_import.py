"""``livedesk bench import --rows N``: a realistic 抖店 export imported against a naive baseline.

Writes (or reuses from the bench cache) an N-row export shaped like 抖店's: orders of one
to three item rows, repeat buyers known by name + masked phone + city, times, ¥ amounts.
Then, in this run, imports it into a fresh store and loads the same file the naive way
(``pandas.read_csv`` + ``DataFrame.to_sql`` into a bare table), reporting both times,
their ratio, where the import's time went (``read_ms``: reading, parsing and checking;
``identity_ms``: loading the store's customers and matching buyers; ``write_ms``;
``recompute_ms``: growth points and tiers; ``commit_ms``) and the memory high-water mark
of the import alone (``peak_rss_mb``; the process's resident size before it in
``rss_before_mb``). ``--repeat N`` alternates import and baseline N times and reports the
medians: on a shared machine one pair of runs says little. The memory figures are the
first import's, made before any baseline: the baseline holds the whole file in one
DataFrame, and the process keeps that memory for the runs after it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from livedesk.checks.bench import cache_dir

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁")
GIVEN = "静 丽 敏 燕 艳 娟 霞 芳 婷 雪 慧 玲 萍 琳 欣怡 梓涵 诗涵 雨萱 思雨 佳怡 晓燕 海燕 丽华 秀英 桂英 淑珍".split()
CITIES = [("浙江省", "杭州市"), ("广东省", "深圳市"), ("广东省", "广州市"), ("江苏省", "南京市"), ("上海市", "上海市"),
          ("北京市", "北京市"), ("四川省", "成都市"), ("湖北省", "武汉市"), ("山东省", "青岛市"), ("福建省", "厦门市")]
PRODUCTS = [("玻尿酸精华液 30ml", 19900), ("洁面乳 120g", 7900), ("补水面膜 10片", 12900), ("防晒霜 SPF50", 8950),
            ("眼霜 15g", 25900), ("身体乳 400ml", 6900), ("卸妆油 200ml", 11900), ("口红 #21", 15900)]
STATUSES = ["已完成", "已完成", "已完成", "已发货", "待发货", "已关闭"]
HEADER = ["主订单编号", "子订单编号", "选购商品", "商品ID", "商品数量", "商品金额", "订单应付金额", "订单提交时间",
          "支付完成时间", "订单状态", "售后状态", "收件人", "收件人手机号", "省", "市", "详细地址"]


def make_export(path: Path, rows: int, seed: int = 3) -> None:
    """An N-row export: about rows/1.5 orders from rows/5 buyers."""
    rng = np.random.default_rng(seed)
    buyers = max(1, rows // 5)
    items = rng.choice([1, 2, 3], size=rows, p=[0.65, 0.25, 0.10])
    order_of_row = np.repeat(np.arange(rows), items)[:rows]
    orders = int(order_of_row[-1]) + 1
    buyer_of_order = rng.integers(0, buyers, orders)
    names = np.array([s + g for s in SURNAMES for g in GIVEN], dtype=object)
    buyer_name = names[rng.integers(0, len(names), buyers)]
    buyer_phone = np.char.add(np.char.add("1", rng.integers(30, 99, buyers).astype(str)),
                              np.char.add("****", np.char.zfill(rng.integers(0, 10_000, buyers).astype(str), 4)))
    buyer_city = rng.integers(0, len(CITIES), buyers)
    product = rng.integers(0, len(PRODUCTS), rows)
    qty = rng.choice([1, 1, 1, 2], size=rows)
    amount = np.array([p for _, p in PRODUCTS])[product] * qty
    order_total = np.bincount(order_of_row, weights=amount, minlength=orders).astype(np.int64)
    start = np.datetime64("2024-01-01T00:00:00")
    placed = start + rng.integers(0, 300 * 86_400, orders).astype("timedelta64[s]")
    status = np.array(STATUSES, dtype=object)[rng.integers(0, len(STATUSES), orders)]
    b = buyer_of_order[order_of_row]
    first_of_order = np.r_[0, np.flatnonzero(np.diff(order_of_row)) + 1]
    sub = np.arange(rows) - first_of_order[order_of_row] + 1
    order_ids = (6_900_000_000_000_000 + order_of_row).astype(str)

    def yuan(fen: np.ndarray) -> np.ndarray:
        return np.char.add("¥", np.char.add(np.char.add((fen // 100).astype(str), "."),
                                            np.char.zfill((fen % 100).astype(str), 2)))

    placed_text = np.datetime_as_string(placed, unit="s").astype(object)
    frame = pd.DataFrame({
        "主订单编号": order_ids, "子订单编号": np.char.add(np.char.add(order_ids, "-"), sub.astype(str)),
        "选购商品": np.array([n for n, _ in PRODUCTS], dtype=object)[product],
        "商品ID": (3_500_000 + product).astype(str), "商品数量": qty.astype(str), "商品金额": yuan(amount),
        "订单应付金额": yuan(order_total[order_of_row]),
        "订单提交时间": pd.Series(placed_text[order_of_row]).str.replace("T", " "),
        "支付完成时间": pd.Series((placed + np.timedelta64(30, "s")).astype(str)[order_of_row]).str.replace("T", " "),
        "订单状态": status[order_of_row], "售后状态": "-", "收件人": buyer_name[b], "收件人手机号": buyer_phone[b],
        "省": np.array([p for p, _ in CITIES], dtype=object)[buyer_city[b]],
        "市": np.array([c for _, c in CITIES], dtype=object)[buyer_city[b]],
        "详细地址": "某某路***号",
    })
    frame.to_csv(path, index=False, encoding="utf-8")


class PeakRss:
    """The resident memory high-water mark of a stretch of work, in MB.

    Linux: the kernel's own mark (VmHWM), reset when the stretch starts (``clear_refs``), so
    whatever the process did before (generating the export) does not count. Elsewhere, or
    where the reset is refused: a thread samples the resident size every 10 ms.
    """

    def __enter__(self) -> PeakRss:
        self.before_mb = _rss_mb()
        self.peak_mb = self.before_mb
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self._kernel = _status_mb("VmHWM") is not None
        except OSError:
            self._kernel = False
        if not self._kernel:
            self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak_mb = max(self.peak_mb, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        if self._kernel:
            self.peak_mb = _status_mb("VmHWM") or self.peak_mb
        else:
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
            self.peak_mb = max(self.peak_mb, _rss_mb())


def _status_mb(key: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_mb() -> float:
    now = _status_mb("VmRSS")
    if now is not None:
        return now
    try:
        import psutil  # not a dependency: used when present

        return psutil.Process().memory_info().rss / (1 << 20)
    except ImportError:  # the process's lifetime peak is all there is
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def bench_import(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import create_engine

    from livedesk.models.engine import normalize_url
    from livedesk.checks.bench_stores import scratch_store_url
    from livedesk.services.importing import ImportOptions, import_orders
    from livedesk.services.store import open_store

    rows = int(args.rows)
    export = cache_dir(args) / f"import-douyin-{rows}.csv"
    if not export.exists():
        make_export(export, rows)
    runs: list[dict[str, Any]] = []
    for _ in range(max(1, int(getattr(args, "repeat", 1) or 1))):
        # Both into the same kind of store: files here, or new databases on --db-url's server.
        with tempfile.TemporaryDirectory() as folder:
            with scratch_store_url(args, Path(folder), "import") as url:
                store = open_store(url)
                try:
                    with PeakRss() as memory:
                        started = time.perf_counter()
                        summary = import_orders(store.write_factory, export,
                                                ImportOptions(report_path=Path(folder)))
                        import_s = time.perf_counter() - started
                finally:
                    store.dispose()
            with scratch_store_url(args, Path(folder), "baseline") as url:
                engine = create_engine(normalize_url(url))
                try:
                    started = time.perf_counter()
                    frame = pd.read_csv(export, dtype=str)
                    read_s = time.perf_counter() - started
                    frame.to_sql("orders_raw", engine, index=False)
                    baseline_s = time.perf_counter() - started
                    del frame
                finally:
                    engine.dispose()
        runs.append({
            "import_ms": import_s * 1000, "baseline_ms": baseline_s * 1000,
            "import_to_baseline_ratio": import_s / baseline_s,
            **{f"{phase}_ms": ms for phase, ms in summary.phases_ms.items()},
            "baseline_read_ms": read_s * 1000, "baseline_write_ms": (baseline_s - read_s) * 1000,
            "peak_rss_mb": memory.peak_mb, "rss_before_mb": memory.before_mb,
        })
    medians = {key: statistics.median(run.get(key, 0) for run in runs) for key in runs[0]}
    medians["peak_rss_mb"], medians["rss_before_mb"] = runs[0]["peak_rss_mb"], runs[0]["rss_before_mb"]
    return {
        "rows": rows, "file_mb": round(export.stat().st_size / 1e6, 1), "runs": len(runs),
        "store": "postgresql" if getattr(args, "db_url", None) else "sqlite",
        **{key: round(value, 2) if key.endswith("_ratio") else round(value, 1 if key.endswith("_mb") else None)
           for key, value in medians.items()},
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "orders_created": summary.orders_created, "customers_created": summary.customers_created,
        "possible_duplicates": summary.possible_duplicates, "errors": len(summary.errors),
    }
