"""Generates resources/feeds/demo_broadcast.jsonl (BarrageGrab frames, ~3 minutes)."""
import json, random, sqlite3, sys

rng = random.Random(20240601)
db = sqlite3.connect(sys.argv[1])
def known(where, limit):
    return db.execute(f"""select c.nickname,a.uid,a.handle from customers c join platform_accounts a on a.customer_id=c.id
        where a.platform='douyin' and {where} order by c.total_spent_fen desc limit {limit}""").fetchall()
vips = known("c.tier='vip'", 8)
regulars = known("c.tier='potential'", 4)
by_handle = known("c.tier='new'", 1)  # recognised by 抖音号 only: this frame has no SecUid
possible_nick = db.execute("select nickname from customers where nickname='Jenny呀'").fetchone()[0]

ADJ = "小 阿 大 甜 萌 酷 暖 乖".split()
BASE = ("桃子 柚子 芒果 橙子 樱桃 葡萄 西瓜 奶糖 布丁 饼干 团子 糯米 汤圆 月亮 星星 云朵 小鹿 兔兔 猫咪 考拉 "
        "鲸鱼 海豚 向日葵 栀子花 茉莉 薄荷 咖啡 拿铁 抹茶 可可").split()
TAIL = ["", "", "酱", "呀", "~", "姐", "宝宝", "_520", "1995", "不加糖"]
strangers = []
for i in range(130):
    nick = rng.choice(ADJ) + rng.choice(BASE) + rng.choice(TAIL)
    uid = "MS4wLjABAAAA" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") for _ in range(44))
    strangers.append((nick, uid, f"dy{rng.randint(10**8, 10**9)}"))

def user(nick, secuid, handle, numeric=None):
    return {"Id": numeric or rng.randint(10**15, 10**17), "ShortId": rng.randint(10**8, 10**10), "DisplayId": handle,
            "SecUid": secuid, "Nickname": nick, "Gender": 2, "PayLevel": rng.randint(0, 20),
            "FansClub": {"ClubName": "小美家", "Level": rng.randint(0, 12)}, "HeadImgUrl": ""}

ROOM = 7391234567890123456
msg = [7391000000000000000]
lines = []
def frame(t, typ, u, **data):
    msg[0] += rng.randint(1, 999)
    d = {"MsgId": msg[0], "RoomId": ROOM, "WebRoomId": "80017709309", "Content": data.pop("Content", ""), "User": u, **data}
    f = {"Type": typ, "ProcessName": "douyin", "Data": json.dumps(d, ensure_ascii=False)}
    lines.append((round(t, 2), f))

COMMENTS = ("主播皮肤好好啊", "敏感肌能用吗", "这个色号黄皮适合吗", "上链接上链接", "已拍", "还有优惠券吗", "能便宜点吗",
            "油皮可以用吗", "孕妇能用吗", "精华早上用还是晚上用", "回购第三次了，真的好用", "已下单，什么时候发货",
            "防晒会不会搓泥", "求讲解一下面霜", "主播声音好好听", "3号链接还有吗", "有小样送吗", "混油皮用哪个好",
            "口红试一下316", "包邮吗", "面膜一盒几片", "眼霜适合30岁吗", "卸妆油会闷痘吗", "刚来，现在讲的是哪个",
            "气垫有02色号吗", "可以和精华一起用吗", "昨天买的到了，很好用", "主播几点下播", "拍了两单", "冲冲冲")
VIP_COMMENTS = ("来啦来啦", "上次的精华用完了，再来两瓶", "今天有会员福利吗", "给我留一套面霜", "主播好，老粉报到")
GIFTS = (("小心心", 1), ("玫瑰", 1), ("为你闪耀", 9), ("加油鸭", 15), ("爱的纸鹤", 99), ("礼花筒", 199))

audience = [(n, u, h, "vip") for n, u, h in vips] + [(n, u, h, "known") for n, u, h in regulars] + \
           [(n, u, h, "stranger") for n, u, h in strangers]
t = 0.5
entered = []
order = audience[:]
rng.shuffle(order)
special = [(by_handle[0][0], "", by_handle[0][2], "handle"), (possible_nick, "MS4wLjABAAAAnotInTheStoreJennyYa0000000000000000000", "jenny_not_ours", "possible")]
order[10:10] = [special[0]]
order[25:25] = [special[1]]
for person in order:
    t += rng.expovariate(1 / 0.75)
    nick, secuid, handle, kind = person
    u = user(nick, secuid, handle)
    entered.append((person, u))
    frame(t, 3, u, Content=f"{nick} 来了")
    burst = rng.random()
    for _ in range(rng.choice([0, 0, 1, 1, 2]) if kind != "vip" else 2):
        t += rng.uniform(0.1, 0.8)
        frame(t, 1, u, Content=rng.choice(VIP_COMMENTS if kind == "vip" and rng.random() < .6 else COMMENTS))
    if burst < 0.35:
        t += rng.uniform(0.05, 0.3)
        frame(t, 2, u, Count=rng.randint(1, 30), Total=0, Content=f"{nick} 为主播点赞了")
    if burst > 0.9 or (kind == "vip" and burst > 0.5):
        name, price = rng.choice(GIFTS)
        repeat = rng.choice([1, 1, 1, 3, 5, 10])
        t += rng.uniform(0.1, 0.5)
        frame(t, 5, u, GiftId=rng.randint(100, 999), GiftName=name, GiftCount=1, RepeatCount=repeat, DiamondCount=price,
              Content=f"{nick} 送出了 {name} x{repeat}")
    if 0.6 < burst < 0.68:
        t += rng.uniform(0.1, 0.5)
        frame(t, 4, u, Content=f"{nick} 关注了主播")
    if 0.7 < burst < 0.74:
        t += rng.uniform(0.1, 0.5)
        frame(t, 8, u, Content=f"{nick} 分享了直播间")
    if rng.random() < 0.08:
        frame(t + 0.01, 6, None, Content="当前直播间人数 1,2w，累计直播间人数 5.6w")
end = t + 3
frame(end, 9, None, Content="直播已结束")
lines.sort(key=lambda x: x[0])
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for t, f in lines:
        out.write(json.dumps({"t": t, "format": "barragegrab", "frame": f}, ensure_ascii=False) + "\n")
print(len(lines), "frames over", round(end), "s", file=sys.stderr)
