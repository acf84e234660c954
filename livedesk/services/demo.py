"""Demo data: a realistic, deterministic shop to try LiveDesk on, from 300 to 200,000 customers.

Owns the vocabularies (nicknames, names, cities, products...) and the generator. The
whole shop is first drawn as numpy arrays from one seeded generator, so a seed and a
reference time always give the same rows; then each table is written with Core
``insert()`` executemany in chunks, all in one transaction, and the segments
service sets tiers and levels at the end.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, bindparam, column, func, insert, select, table, update
from sqlalchemy.orm import Session

from livedesk.models.adapters import adapter_for
from livedesk.models import (
    Base,
    Appearance,
    Broadcast,
    Customer,
    CustomerTag,
    FollowUpTask,
    LevelChange,
    Note,
    Order,
    OrderItem,
    PlatformAccount,
    PointsEntry,
    Product,
    ProfileValue,
    Tag,
    TeamMember,
)
from livedesk.services import demo_room, followups, presets, segments, settings, shop_words
from livedesk.services.followups.clock import local_day_start, local_today
from livedesk.services.identity_text import mask_phone, pinyin_keys, search_text
from livedesk.services.store import Store

Progress = Callable[[int, int, str], None]
UTC = timezone.utc
CHUNK = 20_000
HISTORY_DAYS = 548  # 18 months of orders and broadcasts
OPEN_TASKS = 36  # the queue a shop's first day opens with: a few dozen, not every reason of the last weeks
OPEN_CALLBACKS = 4
LEFT_FROM_YESTERDAY = 6

# --- vocabularies ---------------------------------------------------------------------
# Nicknames and names come from small vocabularies on purpose: pinyin_keys is cached,
# so 200,000 customers cost a few thousand pinyin conversions, not 400,000.

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
    "单乐查解区仇"  # heteronym surnames: 单 shan, 乐 yue, 查 zha, 解 xie, 区 ou, 仇 qiu
)
# Common surnames first: the draw weights fall off along the string.
FEMALE_GIVEN = (
    "静 丽 敏 燕 艳 娟 霞 芳 婷 雪 慧 玲 萍 琳 欣怡 梓涵 诗涵 雨萱 思雨 佳怡 晓燕 海燕 丽华 秀英 桂英 淑珍 美玲 "
    "婉清 子涵 若曦 可欣 雅婷 晓雯 梦洁 嘉怡"
).split()
MALE_GIVEN = "伟 强 磊 军 洋 勇 杰 涛 明 超 浩 宇 鹏 志强 建华 俊杰 子轩 浩然 文博 家豪".split()
NICK_BASES = (
    "小鹿爱买买 可乐不加冰 奶茶续命 今天也要开心 爱吃草莓的猫 减肥从明天开始 人间水蜜桃 躺平的咸鱼 熬夜冠军 "
    "一只胖橘 追光的人 岁月静好 风吹麦浪 向日葵 柠檬精 晚风 星河 半夏 南风知我意 小太阳 小橘子 小仙女 小笼包 "
    "快乐小狗 momo酱 阿May Lily Coco酱 Amy妈妈 Vivian 宝妈Kiki Jenny Sunny Cici 乐乐妈 果果妈妈 大宝妈 "
    "二胎宝妈 豆豆麻麻 杭州吃货 成都辣妹子 东北大妞 广州靓仔 佛系买家 剁手党 精致猪猪女孩 养生达人 "
    "护肤小白 穿搭博主 厨房小能手 程序员老张 退休教师 海边的云 清风徐来 微微一笑 慢半拍 知足常乐"
).split()
NICK_KIN_F = ("姐", "阿姨", "妹妹", "姐姐")
NICK_KIN_M = ("哥", "大哥", "叔")
NICK_TAILS = ("", "", "", "", "_88", "520", "1998", "ya", "~", "呀")
PLACES = (  # province, city, weight
    ("广东", "广州", 6), ("广东", "深圳", 6), ("广东", "东莞", 3), ("广东", "佛山", 3), ("浙江", "杭州", 6),
    ("浙江", "宁波", 3), ("浙江", "温州", 2), ("江苏", "南京", 4), ("江苏", "苏州", 4), ("江苏", "无锡", 2),
    ("上海", "上海", 7), ("北京", "北京", 6), ("四川", "成都", 5), ("湖北", "武汉", 4), ("湖南", "长沙", 3),
    ("山东", "济南", 2), ("山东", "青岛", 3), ("河南", "郑州", 3), ("福建", "福州", 2), ("福建", "厦门", 2),
    ("陕西", "西安", 3), ("重庆", "重庆", 4), ("天津", "天津", 2), ("辽宁", "沈阳", 2), ("辽宁", "大连", 2),
    ("黑龙江", "哈尔滨", 2), ("云南", "昆明", 2), ("广西", "南宁", 1), ("安徽", "合肥", 2), ("江西", "南昌", 1),
    ("河北", "石家庄", 1), ("山西", "太原", 1), ("贵州", "贵阳", 1), ("吉林", "长春", 1), ("新疆", "乌鲁木齐", 1),
    ("海南", "海口", 1), ("内蒙古", "呼和浩特", 1), ("甘肃", "兰州", 1),
)
ROADS = ("人民路", "解放路", "中山路", "建设路", "文化路", "和平路", "新华路", "幸福路", "滨江大道", "科技园路")
PHONE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
PLATFORMS = ("douyin", "taobao", "kuaishou", "channels")
PLATFORM_WEIGHTS = (0.55, 0.2, 0.15, 0.1)
# Order ids look like each platform's: a fixed lead and random digits, as TEXT.
ORDER_ID_SHAPE = {"douyin": ("69", 17), "taobao": ("3", 17), "kuaishou": ("2", 15), "channels": ("37", 15)}
DOUBLED = "乐果豆糖朵米安多妞宝"  # 乐乐妈, 果果妈...
# One industry, as a real shop on its first day: a beauty shop (the ``beauty`` preset's fields),
# its product lines as categories.
SHOP_PRESET = "beauty"
CATEGORIES = ("skincare", "makeup", "bodycare", "haircare")
CATEGORY_WEIGHTS = (0.5, 0.25, 0.15, 0.1)
MULTI_BUY = "bodycare"  # bought two or three at a time
PRODUCTS = {  # price in fen, usage cycle days (consumables), popularity; names: services/shop_words.py
    "skincare": (
        (19_900, 45, 10), (12_900, 20, 9), (8_900, 60, 8), (15_900, 60, 7), (23_900, 60, 6),
        (13_900, 50, 5), (16_900, 45, 5), (299_900, None, 3), (168_000, 90, 3), (129_900, None, 4),
    ),
    "makeup": (
        (19_900, None, 6), (25_900, 90, 5), (16_900, 120, 4), (7_900, 90, 5), (18_900, None, 4),
        (9_900, 90, 5), (12_900, None, 4), (11_900, 120, 3), (13_900, 60, 3), (10_900, None, 3),
    ),
    "bodycare": (
        (6_900, 40, 8), (9_900, 45, 7), (5_900, 30, 6), (8_900, 60, 4), (4_900, 45, 4),
        (5_900, 40, 3), (9_900, 30, 4), (4_900, 60, 2), (16_900, 45, 3), (6_900, 30, 2),
    ),
    "haircare": (
        (8_900, 45, 7), (9_900, 40, 5), (12_900, 60, 5), (7_900, 45, 5), (10_900, 60, 3),
        (8_900, 45, 4), (13_900, 45, 3), (7_900, 45, 4), (11_900, 45, 2), (9_900, 60, 2),
    ),
}
# The last three skincare lines (a device, a luxury cream, a gift set) are what the best customers buy.
TAG_COLORS = {"repeat": "#2e7d32", "sensitive": "#c2185b", "oily": "#6a1b9a", "gift": "#ef6c00", "leader": "#1565c0",
              "night_owl": "#455a64"}
SENSITIVE, OILY = 4, 1  # the beauty preset's skin types (in its choices' order) that earn a tag


class NotEmpty(Exception):
    """The store already has customers: demo data would mix with real ones."""


@dataclass
class DemoSummary:
    customers: int
    accounts: int
    orders: int
    items: int
    notes: int
    products: int
    broadcasts: int
    appearances: int
    points_entries: int
    seed: int
    elapsed_s: float


def is_empty(store: Store) -> bool:
    with store.read() as session:
        return session.scalar(select(Customer.id).limit(1)) is None


def describe(summary: DemoSummary, language: str = shop_words.DEFAULT_LANGUAGE) -> str:
    if language.startswith("en"):
        return (f"Demo data made: {summary.customers:,} customers, {summary.accounts:,} platform accounts, "
                f"{summary.orders:,} orders ({summary.items:,} items), {summary.products} products, "
                f"{summary.broadcasts} broadcasts, {summary.notes:,} notes in {summary.elapsed_s:.1f} s "
                f"(seed {summary.seed})")
    return (
        f"演示数据已生成：{summary.customers:,} 位客户、{summary.accounts:,} 个平台账号、{summary.orders:,} 笔订单"
        f"（{summary.items:,} 件商品）、{summary.products} 个商品、{summary.broadcasts} 场直播、"
        f"{summary.notes:,} 条备注，用时 {summary.elapsed_s:.1f} 秒（种子 {summary.seed}）"
    )


def reference_now() -> datetime:
    """Today's midnight UTC: a stable 'now' so one day's demo stores all match."""
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


def generate(
    store: Store, customers: int, seed: int = 7, progress: Progress | None = None, now: datetime | None = None,
    language: str = shop_words.DEFAULT_LANGUAGE,
) -> DemoSummary:
    """Fill an empty store with ``customers`` demo customers and their history; the shop's own
    data (products, broadcasts, tags, notes, templates, coupons, perks) in ``language``."""
    if customers < 1:
        raise ValueError("the demo needs at least one customer")
    started = time.perf_counter()
    now = segments.as_utc(now or reference_now())
    report = progress or (lambda done, total, what: None)
    shop = _Shop(np.random.default_rng(seed), customers, now, shop_words.for_language(language))

    # One transaction: a demo that fails half-way leaves the store empty, not half-filled.
    with store.write() as session:
        conn = session.connection()
        if session.scalar(select(Customer.id).limit(1)) is not None:
            raise NotEmpty("the store already has customers; demo data goes into an empty store only")
        shop_words.seed(session, language)  # settings, perks and templates in the demo's language
        shop.write_catalogue(conn)
        shop.write_customers(conn, report)
        shop.write_orders(conn, report)
        shop.write_extras(conn, report)
        # Rows went in with explicit ids: a server's sequences must move past them, or the
        # next customer, order, broadcast… created in the app would collide.
        adapter_for(conn).sync_sequences(conn)
        adapter_for(conn).analyze(conn, list(Base.metadata.sorted_tables))  # planner statistics for the new rows
        report(0, 1, "segments")
        segments.recompute(session, now)
        shop.spread_level_changes(conn)
        report(1, 1, "segments")
        settings.set_value(session, "shop.preset", SHOP_PRESET)  # the profile fields of the shop's one industry
        shop.settle_followups(session)
        demo_room.write_rooms(session, np.random.default_rng(seed + 1), now)  # the latest streams' reports
    return DemoSummary(
        customers=customers, accounts=shop.account_count, orders=shop.order_count, items=shop.item_count,
        notes=shop.note_count, products=len(shop.product_ids), broadcasts=len(shop.broadcast_ids),
        appearances=shop.appearance_count, points_entries=shop.points_count, seed=seed,
        elapsed_s=round(time.perf_counter() - started, 2),
    )


# --- helpers --------------------------------------------------------------------------


def _next_id(conn: Connection, table: Table) -> int:
    return (conn.scalar(select(func.max(table.c.id))) or 0) + 1


def _write(conn: Connection, model: type, rows: Iterator[dict[str, Any]], total: int, what: str,
           report: Progress) -> int:
    """executemany in chunks (memory stays flat), through the model's table without types.

    Type processing (aware datetime -> naive UTC -> text) costs more than SQLite's own
    insert, so rows carry values already in storage form: ints, text, ISO dates and
    naive-UTC 'YYYY-MM-DD HH:MM:SS.ffffff' stamps, which SQLite and PostgreSQL both read.
    Scalar column defaults are filled in here, since an untyped table knows none.
    """
    source: Table = model.__table__  # type: ignore[attr-defined]
    target = table(source.name, *(column(c.name) for c in source.columns))
    defaults = {c.name: c.default.arg for c in source.columns if c.default is not None and c.default.is_scalar}
    done = 0
    report(0, total, what)
    while True:
        chunk = [{**defaults, **row} for _, row in zip(range(CHUNK), rows)]
        if not chunk:
            break
        # Compiled once per chunk for this dialect's paramstyle, then handed to the driver's
        # executemany: SQLAlchemy's per-row parameter building would double the time.
        compiled = insert(target).compile(dialect=conn.dialect, column_keys=list(chunk[0]))
        if compiled.positional:
            order = compiled.positiontup or []
            conn.exec_driver_sql(compiled.string, [tuple(row[k] for k in order) for row in chunk])
        else:
            conn.exec_driver_sql(compiled.string, chunk)
        done += len(chunk)
        report(min(done, total), total, what)
    if done < total:
        report(total, total, what)
    return done


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _stamps(base: datetime, seconds: np.ndarray) -> list[str]:
    """Naive-UTC storage text for ``base`` + offsets in seconds, formatted by numpy at once."""
    stamps = np.datetime64(base.astimezone(UTC).replace(tzinfo=None), "us") + (seconds * 1e6).astype("timedelta64[us]")
    return np.char.replace(np.datetime_as_string(stamps, unit="us"), "T", " ").tolist()


def _pick(rng: np.random.Generator, choices: Sequence[Any], size: int, weights: Sequence[float] | None = None
          ) -> np.ndarray:
    p = None if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    return rng.choice(len(choices), size=size, p=p)


def _unique_digits(rng: np.random.Generator, lead: str, digits: int, size: int) -> list[str]:
    """``size`` distinct ids: ``lead`` then ``digits`` random digits."""
    return [f"{lead}{v:0{digits}d}" for v in rng.choice(10**digits, size=size, replace=False).tolist()]


class _Shop:
    """The drawn shop: arrays first (cheap, deterministic), rows only while writing."""

    def __init__(self, rng: np.random.Generator, n: int, now: datetime, words: shop_words.ShopWords) -> None:
        self.rng, self.n, self.now = rng, n, now
        self.words = words.demo  # the shop's own data, in the language the demo is made in
        self.separator = words.separator
        self.start = now - timedelta(days=HISTORY_DAYS)
        self.account_count = self.order_count = self.item_count = 0
        self.note_count = self.appearance_count = self.points_count = 0
        self.product_ids: list[int] = []
        self.broadcast_ids: list[int] = []

    # catalogue: team, products, broadcasts, tags, templates ----------------------------

    def write_catalogue(self, conn: Connection) -> None:
        rng, now = self.rng, self.now
        first = _next_id(conn, TeamMember.__table__)
        team = self.words.team
        self.team_ids = list(range(first, first + len(team)))
        conn.execute(insert(TeamMember.__table__), [
            {"id": i, "name": name, "role": role, "active": True, "created_at": self.start}
            for i, (name, role) in zip(self.team_ids, team)
        ])
        self.hosts = [i for i, (_, role) in zip(self.team_ids, team) if role == "host"]
        self.assistants = [i for i, (_, role) in zip(self.team_ids, team) if role == "assistant"]

        first = _next_id(conn, Product.__table__)
        rows, self.product_category, self.product_price, self.product_weight = [], [], [], []
        for category_index, category in enumerate(CATEGORIES):
            for name, (price, cycle, weight) in zip(self.words.products[category], PRODUCTS[category], strict=True):
                rows.append({
                    "id": first + len(rows), "name": name, "category": category, "price_fen": price,
                    "usage_cycle_days": cycle, "active": True,
                    "stock": int(rng.integers(0, 500)) if rng.random() < 0.6 else None,
                })
                self.product_category.append(category_index)
                self.product_price.append(price)
                self.product_weight.append(weight)
        conn.execute(insert(Product.__table__), rows)
        self.product_ids = [r["id"] for r in rows]
        self.product_names = [r["name"] for r in rows]

        # 3 a week at 20:00 Beijing (12:00 UTC): Tuesday and Saturday on Douyin, Thursday
        # rotating over the other platforms.
        rows = []
        titles = self.words.broadcast_titles
        first = _next_id(conn, Broadcast.__table__)
        for day in range(HISTORY_DAYS, 0, -1):
            start = (now - timedelta(days=day)).replace(hour=12, minute=0, second=0, microsecond=0)
            weekday = start.weekday()
            if weekday in (1, 5):
                platform = "douyin"
            elif weekday == 3:
                platform = PLATFORMS[1 + (day // 7) % 3]
            else:
                continue
            rows.append({
                "id": first + len(rows), "title": titles[int(rng.integers(len(titles)))],
                "platform": platform, "room_id": str(7_300_000_000_000_000_000 + int(rng.integers(10**15))),
                "host_member_id": self.hosts[len(rows) % len(self.hosts)],
                "started_at": start, "ended_at": start + timedelta(hours=3, minutes=int(rng.integers(0, 60))),
            })
        conn.execute(insert(Broadcast.__table__), rows)
        self.broadcast_ids = [r["id"] for r in rows]
        self.broadcast_platform = np.array([PLATFORMS.index(r["platform"]) for r in rows])
        self.broadcast_start = np.array([(r["started_at"] - self.start).total_seconds() for r in rows])
        self.broadcast_length = np.array([(r["ended_at"] - r["started_at"]).total_seconds() for r in rows])

        existing = dict(conn.execute(select(Tag.name, Tag.id)).all())
        missing = [{"name": name, "color": TAG_COLORS[code]} for code, name in self.words.tags.items()
                   if name not in existing]
        if missing:
            conn.execute(insert(Tag.__table__), missing)
        names = dict(conn.execute(select(Tag.name, Tag.id)).all())
        self.tag_ids = {code: names[name] for code, name in self.words.tags.items()}

    # customers, accounts, profile values -----------------------------------------------

    def write_customers(self, conn: Connection, report: Progress) -> None:
        n = self.n
        self._draw_customers()
        first = _next_id(conn, Customer.__table__)
        self.customer_ids = np.arange(first, first + n)
        self._draw_accounts()
        self._place_orders()

        def customers() -> Iterator[dict[str, Any]]:
            created = _stamps(self.start, self.created_s)
            for i in range(n):
                nickname, real_name = self.nicknames[i], self.real_names[i]
                phone, masked = self.phones[i], self.phones_masked[i]
                keys = [v for a in self.accounts_of[i] for v in (a[2], a[1])] + [nickname]
                yield {
                    "id": int(self.customer_ids[i]), "nickname": nickname, "real_name": real_name,
                    "phone": phone, "phone_masked": masked, "gender": self.genders[i],
                    "birthday": self.birthdays[i] and self.birthdays[i].isoformat(), "province": self.provinces[i], "city": self.cities[i],
                    "address": self.addresses[i], "assigned_member_id": self.assigned[i],
                    "consent_at": created[i] if self.consented[i] else None,
                    "consent_note": self.words.consent_note if self.consented[i] else None,
                    "search_text": search_text(nickname, real_name, phone or masked, keys),
                    "created_at": created[i], "updated_at": created[i],
                }

        _write(conn, Customer, customers(), n, "customers", report)

        def accounts() -> Iterator[dict[str, Any]]:
            created = _stamps(self.start, self.created_s)
            for i in range(n):
                for platform, uid, handle in self.accounts_of[i]:
                    yield {"customer_id": int(self.customer_ids[i]), "platform": platform, "uid": uid,
                           "handle": handle, "nickname": self.nicknames[i], "first_seen_at": created[i],
                           "last_seen_at": None}

        self.account_count = _write(conn, PlatformAccount, accounts(),
                                    sum(len(a) for a in self.accounts_of), "accounts", report)
        rows = self._profile_rows()
        _write(conn, ProfileValue, iter(rows), len(rows), "profiles", report)

    def _draw_customers(self) -> None:
        rng, n = self.rng, self.n
        surname_weights = 1 / np.arange(1, len(SURNAMES) + 1) ** 0.7
        female = rng.random(n) < 0.78
        self.genders = np.where(female, "F", "M").astype(object)
        self.genders[rng.random(n) < 0.03] = None
        surnames = _pick(rng, SURNAMES, n, surname_weights)
        given_f = _pick(rng, FEMALE_GIVEN, n)
        given_m = _pick(rng, MALE_GIVEN, n)
        has_name = rng.random(n) < 0.7
        self.real_names = [
            (SURNAMES[s] + (FEMALE_GIVEN[f] if fem else MALE_GIVEN[m])) if named else None
            for s, f, m, fem, named in zip(surnames, given_f, given_m, female, has_name)
        ]

        # Nicknames: a shared base ("可乐不加冰"), their surname with kinship ("王姐"), or
        # a "<叠字>妈" mum name; with a tail now and then ("Jenny_88").
        style = rng.random(n)
        bases = _pick(rng, NICK_BASES, n)
        kin = rng.integers(0, 12, n)
        tails = _pick(rng, NICK_TAILS, n)
        doubles = _pick(rng, DOUBLED, n)
        self.nicknames = [
            (NICK_BASES[b] if st < 0.6
             else SURNAMES[s] + (NICK_KIN_F[k % 4] if fem else NICK_KIN_M[k % 3]) if st < 0.9
             else DOUBLED[d] * 2 + ("妈" if fem else "爸"))
            + NICK_TAILS[t]
            for st, b, s, k, fem, d, t in zip(style, bases, surnames, kin, female, doubles, tails)
        ]

        # Phones: most full and unique, some only masked (a platform export), some none.
        kind = rng.random(n)
        prefixes = _pick(rng, PHONE_PREFIXES, n)
        tails8 = rng.choice(10**8, size=n, replace=False)
        full = [f"{PHONE_PREFIXES[p]}{t:08d}" for p, t in zip(prefixes, tails8)]
        self.phones = [p if k < 0.8 else None for p, k in zip(full, kind)]
        self.phones_masked = [mask_phone(p) if 0.8 <= k < 0.9 else None for p, k in zip(full, kind)]

        # Birthdays: some on 29 February, some around New Year (both trip date logic).
        born = rng.random(n)
        years = rng.integers(1965, 2005, n)
        day_of_year = rng.integers(0, 365, n)
        self.birthdays: list[date | None] = []
        for b, y, d in zip(born, years, day_of_year):
            if b >= 0.6:
                self.birthdays.append(None)
            elif b < 0.01:
                self.birthdays.append(date(int(y) - int(y) % 4, 2, 29))  # a leap year: divisible by 4 here
            elif b < 0.04:
                self.birthdays.append(date(int(y), 12, 31) - timedelta(days=int(d) % 7))
            else:
                self.birthdays.append(date(int(y), 1, 1) + timedelta(days=int(d)))

        places = _pick(rng, PLACES, n, [w for _, _, w in PLACES])
        self.provinces = [PLACES[p][0] for p in places]
        self.cities = [PLACES[p][1] for p in places]
        roads = _pick(rng, ROADS, n)
        numbers = rng.integers(1, 999, n)
        with_address = rng.random(n) < 0.4
        self.addresses = [
            f"{PLACES[p][1]}市{ROADS[r]}{num}号" if a else None
            for p, r, num, a in zip(places, roads, numbers, with_address)
        ]
        members = np.array(self.hosts + self.assistants * 3)  # assistants carry most customers
        chosen = members[rng.integers(0, len(members), n)]
        self.assigned = [int(m) if a else None for m, a in zip(chosen, rng.random(n) < 0.6)]
        self.consented = rng.random(n) < 0.7
        self.favourite = _pick(rng, CATEGORIES, n, CATEGORY_WEIGHTS)
        self._draw_order_plan()

    def _draw_accounts(self) -> None:
        """One account each, two for ~10%; uids are TEXT in each platform's own shape."""
        rng, n = self.rng, self.n
        primary = _pick(rng, PLATFORMS, n, PLATFORM_WEIGHTS)
        second = (primary + rng.integers(1, len(PLATFORMS), n)) % len(PLATFORMS)
        has_second = rng.random(n) < 0.1
        platforms = [(int(p),) + ((int(s),) if two else ()) for p, s, two in zip(primary, second, has_second)]
        total = sum(len(p) for p in platforms)
        secret = rng.integers(0, 256, (total, 33), dtype=np.uint8)
        numbers = {
            "taobao": iter(_unique_digits(rng, "22", 10, total)),
            "kuaishou": iter(_unique_digits(rng, "1", 9, total)),
            "channels": iter(_unique_digits(rng, "sph", 14, total)),
        }
        handle_numbers = rng.integers(10, 10_000, total)
        self.accounts_of: list[list[tuple[str, str, str]]] = []
        self.platforms_of = platforms
        k = 0
        for i in range(n):
            spelled = pinyin_keys(self.nicknames[i])
            stem = spelled[0] if spelled else self.nicknames[i].lower()
            mine = []
            for p in platforms[i]:
                platform = PLATFORMS[p]
                if platform == "douyin":  # SecUid: a fixed prefix and a url-safe base64 body
                    uid = "MS4wLjABAAAA" + base64.urlsafe_b64encode(secret[k].tobytes()).decode()
                    handle = f"{stem[:12]}{handle_numbers[k]}"
                elif platform == "channels":
                    uid = next(numbers[platform])
                    handle = None
                else:
                    uid = next(numbers[platform])
                    handle = f"{'tb' if platform == 'taobao' else 'ks'}{stem[:10]}{handle_numbers[k]}"
                mine.append((platform, uid, handle))
                k += 1
            self.accounts_of.append(mine)

    def _profile_rows(self) -> list[dict[str, Any]]:
        rng, n = self.rng, self.n
        r = rng.random((n, 9))
        picks = rng.integers(0, 1000, (n, 6))
        rows: list[dict[str, Any]] = []
        now = _stamp(self.now)
        self.tagged: dict[str, list[int]] = {code: [] for code in self.words.tags}
        fields = presets.preset(SHOP_PRESET)
        skin_types = fields.field("skin_type").choices_in(self.words.language)
        concerns = fields.field("skin_concerns").choices_in(self.words.language)
        allergies, shades = self.words.allergies, self.words.shades
        for i in range(n):
            cid, female, values = int(self.customer_ids[i]), self.genders[i] == "F", {}
            if r[i, 0] < (0.55 if female else 0.2):
                values["skin_type"] = skin_types[picks[i, 0] % len(skin_types)]
                if r[i, 1] < 0.4:
                    values["skin_concerns"] = self.separator.join(dict.fromkeys(
                        concerns[(picks[i, 1] + j * 3) % len(concerns)] for j in range(1 + picks[i, 1] % 2)))
            if r[i, 2] < 0.04:
                values["allergies"] = allergies[picks[i, 2] % len(allergies)]
            if female and r[i, 3] < 0.15:
                values["shade"] = shades[picks[i, 3] % len(shades)]
            if self.real_names[i] and picks[i, 5] % 10 < 4:  # on WeChat, with the remark a shop gives: 王姐 杭州
                values["wechat"] = f"{self.real_names[i][0]}{'姐' if female else '哥'} {self.cities[i]}"
            if values.get("skin_type") == skin_types[SENSITIVE]:
                self.tagged["sensitive"].append(cid)
            elif values.get("skin_type") == skin_types[OILY]:
                self.tagged["oily"].append(cid)
            rows.extend({"customer_id": cid, "field": key, "value": value, "updated_at": now}
                        for key, value in values.items())
        return rows

    # orders, items, points ----------------------------------------------------------------

    def _draw_order_plan(self) -> None:
        """How many orders each customer places and when: Pareto counts over 18 months."""
        rng, n = self.rng, self.n
        span = HISTORY_DAYS * 86_400.0
        buys = rng.random(n) < 0.7  # the rest only watch
        counts = np.where(buys, 1 + np.minimum(np.floor(rng.pareto(1.3, n) * 3.0), 150), 0).astype(np.int64)
        first = rng.random(n) * span
        # Heavy buyers stay for most of their time with the shop; light ones drift off.
        stay = (span - first) * (1 - np.exp(-counts / 4.0) * rng.random(n))
        owner = np.repeat(np.arange(n), counts)
        offset = rng.random(len(owner)) * stay[owner]
        offset[np.r_[0, np.cumsum(counts)[:-1]][counts > 0]] = 0.0  # each buyer's first order at ``first``
        self.order_owner, self.order_seconds = owner, first[owner] + offset

    def _place_orders(self) -> None:
        """Each order's platform and show, then when each customer first came."""
        rng, now_s = self.rng, (self.now - self.start).total_seconds()
        owner, seconds = self.order_owner, self.order_seconds.copy()
        m = len(owner)
        # Platform: the customer's first account, or now and then their second.
        platforms = np.array([p[0] for p in self.platforms_of])[owner]
        second = np.array([p[-1] for p in self.platforms_of])[owner]
        platforms = np.where(rng.random(m) < 0.3, second, platforms)
        # Three orders in four are placed during the latest show on that platform.
        broadcast = np.full(m, -1)
        live = rng.random(m) < 0.75
        for p in range(len(PLATFORMS)):
            shows = np.flatnonzero(self.broadcast_platform == p)
            mine = np.flatnonzero(live & (platforms == p))
            slot = np.searchsorted(self.broadcast_start[shows], seconds[mine], side="right") - 1
            ok = slot >= 0
            chosen = shows[slot[ok]]
            broadcast[mine[ok]] = chosen
            seconds[mine[ok]] = self.broadcast_start[chosen] + rng.random(ok.sum()) * self.broadcast_length[chosen]
        seconds = np.minimum(seconds, now_s - 60)
        order = np.argsort(seconds, kind="stable")  # ids follow time, like a real shop's
        self.order_owner, self.order_seconds = owner[order], seconds[order]
        self.order_platform, self.order_broadcast = platforms[order], broadcast[order]

        first_order = np.full(self.n, np.inf)
        np.minimum.at(first_order, self.order_owner, self.order_seconds)
        joined = np.where(np.isfinite(first_order), first_order - rng.random(self.n) * 30 * 86_400,
                          rng.random(self.n) * now_s)  # viewers only: any time
        self.created_s = np.maximum(joined, 0.0)

    def write_orders(self, conn: Connection, report: Progress) -> None:
        rng, now_s = self.rng, (self.now - self.start).total_seconds()
        owner, seconds = self.order_owner, self.order_seconds
        platforms, broadcast = self.order_platform, self.order_broadcast
        m = len(owner)

        age_days = (now_s - seconds) / 86_400
        roll = rng.random(m)
        status = np.where(age_days > 10, "completed", "paid").astype(object)
        status[roll < 0.04] = "cancelled"
        status[(roll >= 0.04) & (roll < 0.10)] = "refunded"
        status[(roll >= 0.10) & (roll < 0.12) & (age_days < 1)] = "pending"
        paid = (status != "cancelled") & (status != "pending")

        items_per_order = _pick(rng, (1, 2, 3), m, (0.72, 0.2, 0.08)) + 1
        item_order = np.repeat(np.arange(m), items_per_order)
        k = len(item_order)
        category = np.where(rng.random(k) < 0.7, self.favourite[owner[item_order]],
                            _pick(rng, CATEGORIES, k, CATEGORY_WEIGHTS))
        product = np.zeros(k, dtype=np.int64)
        product_category = np.array(self.product_category)
        for c in range(len(CATEGORIES)):
            in_c = np.flatnonzero(product_category == c)
            weights = np.array(self.product_weight)[in_c]
            mask = category == c
            product[mask] = in_c[_pick(rng, in_c, int(mask.sum()), weights)]
        quantity = np.where(product_category[product] == CATEGORIES.index(MULTI_BUY), rng.integers(1, 4, k),
                            np.where(rng.random(k) < 0.9, 1, 2))
        unit = np.array(self.product_price)[product]
        discount = np.where(rng.random(k) < 0.2, 0.9, 1.0)  # 直播间专享 10% off now and then
        amount = np.round(unit * quantity * discount).astype(np.int64)
        totals = np.bincount(item_order, weights=amount, minlength=m).astype(np.int64)

        first_id = _next_id(conn, Order.__table__)
        ids = np.arange(first_id, first_id + m)
        platform_ids = np.empty(m, dtype=object)
        for p, name in enumerate(PLATFORMS):
            mask = platforms == p
            platform_ids[mask] = _unique_digits(rng, *ORDER_ID_SHAPE[name], int(mask.sum()))
        pay_delay = rng.integers(5, 600, m)

        def orders() -> Iterator[dict[str, Any]]:
            for a in range(0, m, CHUNK):
                b = min(m, a + CHUNK)
                ordered = _stamps(self.start, seconds[a:b])
                paid_at = _stamps(self.start, seconds[a:b] + pay_delay[a:b])
                for j, i in enumerate(range(a, b)):
                    c = owner[i]
                    yield {
                        "id": int(ids[i]), "platform": PLATFORMS[platforms[i]], "platform_order_id": platform_ids[i],
                        "customer_id": int(self.customer_ids[c]), "status": status[i],
                        "after_sale": "refund_done" if status[i] == "refunded" else None,
                        "total_fen": int(totals[i]), "ordered_at": ordered[j],
                        "paid_at": paid_at[j] if paid[i] else None,
                        "broadcast_id": self.broadcast_ids[broadcast[i]] if broadcast[i] >= 0 else None,
                        "import_batch_id": None,
                        "recipient_name": self.real_names[c] or self.nicknames[c],
                        "recipient_phone": self.phones[c] or self.phones_masked[c],
                        "city": self.cities[c], "address": self.addresses[c],
                        "created_at": ordered[j], "updated_at": ordered[j],
                    }

        self.order_count = _write(conn, Order, orders(), m, "orders", report)

        sub = np.arange(k) - np.r_[0, np.cumsum(items_per_order)[:-1]][item_order] + 1

        def items() -> Iterator[dict[str, Any]]:
            for i in range(k):
                o = item_order[i]
                yield {
                    "order_id": int(ids[o]), "sub_order_id": f"{platform_ids[o]}-{sub[i]}",
                    "product_id": self.product_ids[product[i]], "product_name": self.product_names[product[i]],
                    "quantity": int(quantity[i]), "unit_price_fen": int(unit[i]), "amount_fen": int(amount[i]),
                    "status": status[o],
                }

        self.item_count = _write(conn, OrderItem, items(), k, "order items", report)

        # Growth value: one point per whole yuan of every order the shop kept.
        spent = np.flatnonzero((status == "paid") | (status == "completed"))
        points = totals[spent] // 100
        self.spend_points = np.bincount(owner[spent], weights=points, minlength=self.n).astype(np.int64)
        self.repeat = np.bincount(owner[spent], minlength=self.n)

        def spend() -> Iterator[dict[str, Any]]:
            for a in range(0, len(spent), CHUNK):
                chunk = spent[a:a + CHUNK]
                at = _stamps(self.start, seconds[chunk] + pay_delay[chunk])
                for j, i in enumerate(chunk):
                    yield {"customer_id": int(self.customer_ids[owner[i]]), "delta": int(totals[i] // 100),
                           "reason": "spend", "ref": str(ids[i]), "note": None, "occurred_at": at[j]}

        self.points_count = _write(conn, PointsEntry, spend(), len(spent), "points", report)

    # appearances, interaction points, notes, tags ------------------------------------------

    def spread_level_changes(self, conn: Connection) -> None:
        """The first recompute dates every member's level today ("upgraded today" for all);
        a real shop's members reached theirs over time: somewhere between their first and
        their last order, so only a handful have fresh news for the panel."""
        rows = conn.execute(select(Customer.id, Customer.first_order_at, Customer.last_order_at)
                            .where(Customer.level != "none", Customer.first_order_at.is_not(None))
                            .order_by(Customer.id)).all()
        if not rows:
            return
        share = self.rng.random(len(rows))
        moments = [first + (last - first) * float(f) for (_cid, first, last), f in zip(rows, share)]
        conn.execute(update(Customer).where(Customer.id == bindparam("cid")).values(level_since=bindparam("at"), updated_at=Customer.updated_at),
                     [{"cid": cid, "at": at} for (cid, _f, _l), at in zip(rows, moments)])
        conn.execute(update(LevelChange).where(LevelChange.customer_id == bindparam("cid"))
                     .values(changed_at=bindparam("at")),
                     [{"cid": cid, "at": at} for (cid, _f, _l), at in zip(rows, moments)])

    def settle_followups(self, session: Session) -> None:
        """The team has worked its queue until today: the demo opens with a few dozen open tasks
        (today's, some from yesterday, the open complaint call-backs), the rest done with an
        outcome, instead of every reason of the last weeks overdue in red (red would mean nothing)."""
        followups.generate(session, self.now)
        zone = settings.shop_zone(session)
        today = local_day_start(local_today(self.now, zone), zone)
        yesterday = today - timedelta(days=1)
        rows = session.execute(select(FollowUpTask.id, FollowUpTask.kind, FollowUpTask.due_at)
                               .where(FollowUpTask.status == "open").order_by(FollowUpTask.id)).all()
        # A few complaints wait for an answer (the newest: the SLA of older ones has passed).
        callbacks = sorted((r for r in rows if r.kind == "callback" and segments.as_utc(r.due_at) >= yesterday),
                           key=lambda r: r.due_at, reverse=True)
        keep = {r.id for r in callbacks[:OPEN_CALLBACKS]}
        # Mostly today's work; a few left over from yesterday are the overdue ones (red means late).
        for since, until, most in ((today, None, OPEN_TASKS), (yesterday, today, LEFT_FROM_YESTERDAY)):
            pool = [r.id for r in rows if r.id not in keep and segments.as_utc(r.due_at) >= since
                    and (until is None or segments.as_utc(r.due_at) < until)]
            room = min(most, OPEN_TASKS - len(keep))
            if pool and room:
                keep.update(int(i) for i in self.rng.choice(pool, size=min(room, len(pool)), replace=False))
        done = [r for r in rows if r.id not in keep]
        words = ("replied", "bought", "no_answer")
        outcomes = [words[i] for i in _pick(self.rng, words, len(done), (5, 2, 3))]
        hours = self.rng.integers(1, 20, len(done))
        if done:
            session.execute(update(FollowUpTask), [
                {"id": r.id, "status": "done", "outcome": str(o),
                 "done_at": min(self.now, segments.as_utc(r.due_at) + timedelta(hours=int(h)))}
                for r, o, h in zip(done, outcomes, hours)])

    def write_extras(self, conn: Connection, report: Progress) -> None:
        rng, n = self.rng, self.n
        # Who was in the last ten shows: that show's buyers plus some who only watched.
        first_platform = np.array([p[0] for p in self.platforms_of])
        appearances, interactions = [], []
        for b in range(max(0, len(self.broadcast_ids) - 10), len(self.broadcast_ids)):
            platform = self.broadcast_platform[b]
            buyers = self.order_owner[self.order_broadcast == b]
            watchers = np.flatnonzero(first_platform == platform)
            watchers = rng.choice(watchers, size=min(len(watchers), max(1, n // 40)), replace=False)
            viewers = np.unique(np.concatenate([buyers, watchers]))
            viewers = viewers[first_platform[viewers] == platform]  # the uid must be on this platform
            start = self.start + timedelta(seconds=float(self.broadcast_start[b]))
            enter = rng.random(len(viewers)) * self.broadcast_length[b] * 0.8
            stay = rng.random(len(viewers)) * 3_600
            comments = rng.poisson(1.5, len(viewers))
            gifts = np.where(rng.random(len(viewers)) < 0.05, rng.integers(1, 20, len(viewers)), 0)
            for v, e, s, cm, g in zip(viewers, enter, stay, comments, gifts):
                seen = start + timedelta(seconds=float(e))
                cid = int(self.customer_ids[v])
                appearances.append({
                    "broadcast_id": self.broadcast_ids[b], "customer_id": cid, "match": "uid",
                    "platform": PLATFORMS[platform], "viewer_key": self.accounts_of[v][0][1],
                    "nickname": self.nicknames[v], "first_seen_at": _stamp(seen),
                    "last_seen_at": _stamp(seen + timedelta(seconds=float(s))), "entered": True,
                    "comment_count": int(cm), "gift_count": int(g), "gift_value": int(g) * 10, "greeted_at": None,
                })
                if cm:
                    interactions.append({"customer_id": cid, "delta": int(min(cm, 5)), "reason": "comment",
                                         "ref": f"broadcast:{self.broadcast_ids[b]}", "note": None,
                                         "occurred_at": _stamp(seen)})
        self.appearance_count = _write(conn, Appearance, iter(appearances), len(appearances),
                                       "appearances", report)

        # Some redeem perks from what they earned.
        redeem = np.flatnonzero((self.spend_points >= 2_000) & (rng.random(n) < 0.2))
        interactions += [
            {"customer_id": int(self.customer_ids[i]), "delta": -1_000, "reason": "redeem", "ref": "perk:shipping",
             "note": self.words.redeem_note, "occurred_at": _stamp(self.now - timedelta(days=int(d)))}
            for i, d in zip(redeem, rng.integers(1, 60, len(redeem)))
        ]
        self.points_count += _write(conn, PointsEntry, iter(interactions), len(interactions),
                                    "interaction points", report)

        notes = []
        roll = rng.random(n)
        picks = rng.integers(0, 1000, n)
        days_ago = rng.integers(0, 120, n)
        for i in np.flatnonzero(roll < 0.15):
            complaint = roll[i] < 0.01 and self.repeat[i] > 0
            at = self.now - timedelta(days=int(days_ago[i] // 2 if complaint else days_ago[i]), hours=3)
            # A third are logged during a show: the latest one before the note.
            show = np.searchsorted(self.broadcast_start, (at - self.start).total_seconds()) - 1
            notes.append({
                "customer_id": int(self.customer_ids[i]),
                "author_id": self.assigned[i] or self.assistants[picks[i] % len(self.assistants)],
                "broadcast_id": self.broadcast_ids[show] if picks[i] % 3 == 0 and show >= 0 else None,
                "kind": "complaint" if complaint else "note",
                "body": (self.words.complaints[picks[i] % len(self.words.complaints)] if complaint
                         else self.words.notes[picks[i] % len(self.words.notes)]),
                "pinned": bool(complaint or picks[i] % 10 < 3), "created_at": _stamp(at), "updated_at": _stamp(at),
            })
        self.note_count = _write(conn, Note, iter(notes), len(notes), "notes", report)

        roll = rng.random((n, 3))
        self.tagged["repeat"] = self.customer_ids[self.repeat >= 3].tolist()
        self.tagged["gift"] = self.customer_ids[roll[:, 0] < 0.03].tolist()
        self.tagged["leader"] = self.customer_ids[roll[:, 1] < 0.01].tolist()
        self.tagged["night_owl"] = self.customer_ids[roll[:, 2] < 0.05].tolist()
        links = [{"customer_id": int(c), "tag_id": self.tag_ids[code]} for code, ids in self.tagged.items()
                 for c in ids]
        _write(conn, CustomerTag, iter(links), len(links), "tags", report)
