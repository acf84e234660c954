"""A broadcast report as an Excel workbook: summary, curve (with the item on air), run-of-show,
intents by item, and the last broadcasts side by side. Times in the shop's clock are left to
the reader's Excel: cells hold UTC, the header says so."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from livedesk.services.room.report import Compared, Report
from livedesk.services.room.run_of_show import position_at

KIND_WORDS = {"product": "商品", "draw": "抽奖", "flash": "秒杀"}  # the workbook's headers are Chinese


def write_xlsx(r: Report, compared: list[Compared], path: str | Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "概览"
    for row in [("直播", r.title), ("开始 (UTC)", r.started_at.replace(tzinfo=None)),
                ("最高在线", r.peak_viewers), ("平均在线", r.average_viewers), ("到场老客", r.known_viewers),
                ("到场VIP", r.vips_present), ("已欢迎VIP", r.vips_greeted), ("24小时内下单老客", r.buyers),
                ("成交金额 (元)", r.gmv_fen / 100), ("评论过的新买家", r.new_buyers_who_commented)]:
        ws.append(row)
    for tier, n in sorted(r.known_by_tier.items()):
        ws.append((f"老客 · {tier}", n))
    curve = wb.create_sheet("在线曲线")
    curve.append(("分钟 (UTC)", "在线", "进场/分", "评论/分", "礼物", "点赞", "排品"))
    for p in r.curve:
        curve.append((p.minute.replace(tzinfo=None), p.online, p.entries, p.comments, p.gifts, p.likes,
                      position_at(r.segments, p.minute, r.ended_at)))
    plan = wb.create_sheet("排品")
    plan.append(("序号", "类型", "名称", "商品编号", "计划分钟", "实际分钟", "开始 (UTC)", "结束 (UTC)", "开始时在线",
                 "结束时在线", "在线变化"))
    for i, f in zip(r.segments, r.figures or [None] * len(r.segments)):
        plan.append((i.position, KIND_WORDS.get(i.kind, i.kind), i.title, i.product_id, i.planned_minutes,
                     f.actual_minutes if f else None,
                     i.started_at.replace(tzinfo=None) if i.started_at else None,
                     i.ended_at.replace(tzinfo=None) if i.ended_at else None,
                     f.viewers_start if f else None, f.viewers_end if f else None, f.viewers_change if f else None))
    intents = wb.create_sheet("评论意图")
    intents.append(("排品序号", "意图", "评论数"))
    for position, counts in sorted(r.intents_by_item.items()):
        for intent, n in sorted(counts.items()):
            intents.append((position, intent, n))
    waiting = wb.create_sheet("补货等待")
    waiting.append(("观众", "客户编号", "排品序号", "首次询问 (UTC)", "询问次数"))
    for w in r.waitlist:
        waiting.append((w.nickname or w.viewer_key, w.customer_id, w.position, w.first_at.replace(tzinfo=None),
                        w.asks))
    side = wb.create_sheet("最近直播")
    side.append(("直播", "名称", "开始 (UTC)", "最高在线", "VIP欢迎率", "转化率", "成交金额 (元)"))
    for c in compared:
        side.append((c.broadcast_id, c.title, c.started_at.replace(tzinfo=None), c.peak_viewers, c.greeted_ratio,
                     c.conversion_ratio, c.gmv_fen / 100))
    path = Path(path)
    wb.save(path)
    return path
