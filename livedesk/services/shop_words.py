"""The one catalogue of words a store is seeded with, per language (``zh_CN``, ``en``).

A store's seeded data (the shop's name, the coupon names of the follow-up rules, the perk
names, the default message templates, level words spliced into them, the run-of-show
example, and the demo shop's products, broadcasts, tags, notes and team) is stored data,
not UI text: it is written once, in the language chosen when the store or the demo is
created (``shop.language``), and the shop edits it from there. Everything that seeds a
store takes its words from here, never from an if/else of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"

# Placeholders by meaning; each language writes them in its own words, and both spellings
# fill in any template (a shop that switches language keeps working messages).
PLACEHOLDER_CODES = ("name", "level", "last_product", "product", "coupon", "birthday", "shop", "assistant",
                     "session", "time")


@dataclass(frozen=True)
class DemoWords:
    """The demo shop's own data: a beauty shop on its first day."""

    team: tuple[tuple[str, str], ...]  # name, role
    products: dict[str, tuple[str, ...]]  # category -> names, in services/demo.PRODUCTS' order
    broadcast_titles: tuple[str, ...]
    tags: dict[str, str]  # code -> name
    notes: tuple[str, ...]
    complaints: tuple[str, ...]
    language: str
    allergies: tuple[str, ...]
    shades: tuple[str, ...]
    consent_note: str
    redeem_note: str  # the points ledger's line for a redeemed perk
    vip_session: tuple[str, str]  # a private session's title and theme


@dataclass(frozen=True)
class ShopWords:
    language: str
    shop_name: str
    coupons: dict[str, str]  # follow-up rule -> the coupon named in its message
    perks: dict[str, str]  # perk code -> name
    level_words: dict[str, str]  # level code -> what a customer reads in a message
    placeholders: dict[str, str]  # code -> the placeholder's name in this language
    templates: dict[str, tuple[str, str]]  # key -> (name, body)
    run_of_show: tuple[tuple[str, str, int], ...]  # kind, title, planned minutes
    months: tuple[str, ...]  # for {birthday}: "3月8日" / "8 March"
    separator: str  # between several values of one profile field ("痘痘、暗沉" / "Acne, Dullness")
    # Lines the services write into the store (timeline notes, task notes), as format strings.
    records: dict[str, str] = field(default_factory=dict)
    task_kinds: dict[str, str] = field(default_factory=dict)  # follow-up kind -> its name on the timeline
    outcomes: dict[str, str] = field(default_factory=dict)
    demo: DemoWords = field(repr=False, default=None)  # type: ignore[assignment]

    def birthday(self, month: int, day: int) -> str:
        return f"{month}月{day}日" if self.language.startswith("zh") else f"{day} {self.months[month - 1]}"


_ZH_PLACEHOLDERS = {"name": "称呼", "level": "等级", "last_product": "上次购买商品", "product": "商品",
                    "coupon": "优惠券", "birthday": "生日", "shop": "店铺", "assistant": "专属客服",
                    "session": "私享会", "time": "时间"}
_EN_PLACEHOLDERS = {code: code for code in PLACEHOLDER_CODES}

ZH = ShopWords(
    language="zh_CN",
    shop_name="LiveDesk 演示店",
    coupons={"wakeup": "满99减20 回归券", "birthday": "生日礼券"},
    perks={"sample": "小样", "small_gift": "小礼品", "priority_shipping": "优先发货", "dedicated_service": "专属客服"},
    level_words={"none": "会员", "silver": "银钻会员", "gold": "金钻会员"},
    placeholders=_ZH_PLACEHOLDERS,
    templates={
        # What the host says when someone arrives (the panel picks by level, then tier, then default).
        "greeting.gold": ("金钻会员进场", "欢迎{等级}{称呼}回家"),
        "greeting.silver": ("银钻会员进场", "欢迎{等级}{称呼}，今天给您留了好东西"),
        "greeting.vip": ("VIP 进场", "{称呼}来啦！老朋友好久不见"),
        "greeting.new": ("新客进场", "欢迎{称呼}第一次来直播间，有问题随时问我"),
        "greeting.default": ("默认欢迎", "欢迎{称呼}来到直播间"),
        "followup.welcome": ("首单欢迎", "{称呼}您好，我是{店铺}的专属客服，感谢您第一次下单！"
                                         "发货、使用上有任何问题随时找我。"),
        "followup.thanks": ("24小时致谢", "{称呼}，您买的{上次购买商品}已经在路上啦，谢谢您对{店铺}的支持，"
                                          "收到后有问题随时联系我。"),
        "followup.survey": ("满意度回访", "{称呼}，{上次购买商品}用得还习惯吗？麻烦给我们打个分（0–10 分），"
                                          "您的意见我们每条都会看。"),
        "followup.callback": ("客诉回访", "{称呼}您好，看到您反馈的问题了，非常抱歉给您添麻烦。我是{店铺}的客服，"
                                          "方便的话我们聊聊怎么帮您处理？"),
        "followup.wakeup": ("沉睡唤醒", "{称呼}，好久没见到您啦！给您留了一张{优惠券}，直播间上了不少新品，"
                                        "有空来看看。"),
        "followup.birthday": ("生日祝福", "{称呼}，{生日}是您的生日，提前祝您生日快乐！{店铺}为您准备了{优惠券}，"
                                          "愿新的一岁一切顺心。"),
        "followup.replenish": ("补货提醒", "{称呼}，按您的用量，{商品}应该快用完啦。需要的话直播间给您留一份，"
                                           "随时说一声。"),
        "followup.vip_touch": ("VIP 每周关怀", "{称呼}，这周过得怎么样？我是您的专属客服{专属客服}，有什么想看的款式或"
                                               "需要帮忙的，随时跟我说。"),
        "followup.manual": ("手动跟进", "{称呼}您好，我是{店铺}的客服，"),
        "invitation.vip_session": ("私享会邀请", "{称呼}您好！诚邀您参加{店铺}的{私享会}（{时间}），"
                                                 "名额有限，到场有专属福利。回复“1”确认参加～"),
    },
    # Two hours: the first main product gets the full room longest; draws keep viewers through the middle.
    run_of_show=(("draw", "开场福袋", 10), ("product", "主推 1", 25), ("flash", "限时秒杀 1", 5),
                 ("product", "主推 2", 15), ("product", "主推 3", 15), ("flash", "限时秒杀 2", 5),
                 ("draw", "中场抽奖", 10), ("product", "主推 4", 15), ("product", "主推 5", 15),
                 ("flash", "限时秒杀 3", 5)),
    months=tuple(f"{m}月" for m in range(1, 13)),
    separator="、",
    records={"timeline": "{kind}：{text}", "outcome_note": "{outcome}。{note}", "skipped": "跳过（{reason}）",
             "survey": "满意度 {score} 分", "survey_comment": "满意度 {score} 分：{comment}",
             "refund": "订单 {order} 已退款"},
    task_kinds={"welcome": "首单欢迎", "thanks": "感谢", "survey": "满意度回访", "callback": "客诉回访",
                "wakeup": "沉睡唤醒", "birthday": "生日祝福", "replenish": "补货提醒", "vip_touch": "VIP 关怀",
                "manual": "手动跟进"},
    outcomes={"replied": "已回复", "bought": "已下单", "no_answer": "未回复", "wrong_contact": "联系方式有误"},
    demo=DemoWords(
        team=(("陈总", "owner"), ("小美", "host"), ("阿杰", "host"), ("小周", "assistant"), ("晓晓", "assistant"),
              ("阿琳", "assistant")),
        products={
            "skincare": ("玻尿酸补水精华 30ml", "烟酰胺亮肤面膜 10片", "氨基酸洁面乳 120g", "清透防晒乳 SPF50+ 50ml",
                         "修护保湿面霜 50g", "温和卸妆油 200ml", "舒缓精华水 150ml", "射频美容仪", "奢宠修护面霜 50ml",
                         "护肤礼盒套装"),
            "makeup": ("丝绒口红 #316", "轻薄气垫粉底 02自然色", "持妆散粉 8g", "防水眼线笔 棕色", "四色眼影盘 大地色",
                       "自然卷翘睫毛膏", "水光唇釉 #02", "遮瑕液 01", "定妆喷雾 100ml", "腮红 蜜桃色"),
            "bodycare": ("香氛沐浴露 500ml", "烟酰胺身体乳 250ml", "护手霜 3支装", "磨砂膏 200g", "止汗露 50ml",
                         "精油香氛皂 3块", "身体防晒喷雾 150ml", "足部护理霜 100g", "美白身体精华 200ml",
                         "薰衣草泡澡球 6颗"),
            "haircare": ("氨基酸洗发水 500ml", "修护发膜 250g", "护发精油 100ml", "控油蓬松洗发水 400ml",
                         "头皮清洁磨砂膏 200g", "免洗护发喷雾 200ml", "防脱固发洗发水 400ml", "护发素 500ml",
                         "染后锁色洗发水 300ml", "发尾精华乳 80ml"),
        },
        broadcast_titles=("美妆专场", "秋冬护肤上新", "源头工厂直发", "宠粉福利日", "会员专享夜", "底妆试色专场",
                          "身体护理囤货日", "洗护发分享会", "护肤答疑专场", "周末清仓"),
        tags={"repeat": "回头客", "sensitive": "敏感肌", "oily": "油皮", "gift": "送礼", "leader": "团长",
              "night_owl": "夜猫子"},
        notes=("只在晚上10点后看直播", "喜欢小样，下单可以多送几片面膜", "给妈妈买的面霜，要滋润型",
               "老公也在用，可推荐男士系列", "快递放菜鸟驿站，不要放门口", "对价格敏感，等活动再推荐",
               "想要新色号口红，到货后通知她", "孕期，护肤品避开酒精和水杨酸", "公司团购负责人，每次能带十几单",
               "喜欢在直播间互动，记得点名感谢"),
        complaints=("精华瓶口漏液，已补发一瓶，需回访", "粉底色号发错，客户要求换货", "物流太慢，等了8天才到",
                    "收到的面膜少了一盒", "用了面霜脸上泛红，怀疑过敏"),
        language="zh_CN",
        allergies=("酒精过敏", "香精过敏", "果酸过敏", "芒果过敏", "海鲜过敏", "花粉过敏"),
        shades=("01象牙白", "02自然色", "03小麦色"),
        consent_note="直播间下单时勾选隐私协议",
        redeem_note="兑换优先发货",
        vip_session=("12月VIP私享会", "冬季护肤"),
    ),
)

EN = ShopWords(
    language="en",
    shop_name="LiveDesk Demo Shop",
    coupons={"wakeup": "¥20 comeback coupon", "birthday": "birthday coupon"},
    perks={"sample": "Free samples", "small_gift": "Small gift", "priority_shipping": "Priority shipping",
           "dedicated_service": "Dedicated assistant"},
    level_words={"none": "member", "silver": "Silver Diamond member", "gold": "Gold Diamond member"},
    placeholders=_EN_PLACEHOLDERS,
    templates={
        "greeting.gold": ("Gold Diamond member arrives", "Welcome home, {level} {name}!"),
        "greeting.silver": ("Silver Diamond member arrives",
                            "Welcome, {level} {name}, we kept something good for you today"),
        "greeting.vip": ("VIP arrives", "{name} is here! Good to see you again"),
        "greeting.new": ("New buyer arrives", "Welcome {name}, first time in the room? Ask me anything"),
        "greeting.default": ("Default welcome", "Welcome to the live room, {name}"),
        "followup.welcome": ("First-order welcome", "Hello {name}, I'm your assistant at {shop}. Thank you for your "
                                                    "first order! Ask me anything about shipping or using it."),
        "followup.thanks": ("24-hour thank-you", "{name}, your {last_product} is on its way. Thank you for supporting "
                                                 "{shop}; if anything is wrong when it arrives, just tell me."),
        "followup.survey": ("Satisfaction survey", "{name}, how are you getting on with the {last_product}? Could you "
                                                   "give us a score from 0 to 10? We read every answer."),
        "followup.callback": ("Complaint call-back", "Hello {name}, we saw your feedback and we are very sorry for "
                                                    "the trouble. I'm from {shop}'s customer service: can we talk "
                                                    "about how to put it right?"),
        "followup.wakeup": ("Wake-up", "{name}, we haven't seen you for a while! We kept a {coupon} for you, and "
                                       "there are plenty of new products in the live room."),
        "followup.birthday": ("Birthday greeting", "{name}, {birthday} is your birthday: happy birthday in advance! "
                                                   "{shop} has a {coupon} for you. All the best for the year ahead."),
        "followup.replenish": ("Replenishment reminder", "{name}, by our count your {product} is nearly used up. "
                                                         "Shall we keep one for you in the next stream?"),
        "followup.vip_touch": ("Weekly VIP touch", "{name}, how has your week been? I'm {assistant}, your dedicated "
                                                   "assistant: tell me anything you'd like to see or need help with."),
        "followup.manual": ("Manual follow-up", "Hello {name}, this is {shop}'s customer service: "),
        "invitation.vip_session": ("Private session invitation",
                                   "Hello {name}! You are invited to {shop}'s {session} ({time}). Places are "
                                   "limited and guests get perks of their own. Reply \"1\" to confirm."),
    },
    run_of_show=(("draw", "Opening lucky bag", 10), ("product", "Main product 1", 25), ("flash", "Flash deal 1", 5),
                 ("product", "Main product 2", 15), ("product", "Main product 3", 15), ("flash", "Flash deal 2", 5),
                 ("draw", "Half-time draw", 10), ("product", "Main product 4", 15), ("product", "Main product 5", 15),
                 ("flash", "Flash deal 3", 5)),
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December"),
    separator=", ",
    records={"timeline": "{kind}: {text}", "outcome_note": "{outcome}. {note}", "skipped": "skipped ({reason})",
             "survey": "satisfaction {score}/10", "survey_comment": "satisfaction {score}/10: {comment}",
             "refund": "order {order} refunded"},
    task_kinds={"welcome": "First-order welcome", "thanks": "Thank-you", "survey": "Satisfaction survey",
                "callback": "Complaint call-back", "wakeup": "Wake-up", "birthday": "Birthday greeting",
                "replenish": "Replenishment reminder", "vip_touch": "VIP touch", "manual": "Manual follow-up"},
    outcomes={"replied": "replied", "bought": "bought", "no_answer": "no answer", "wrong_contact": "wrong contact"},
    demo=DemoWords(
        team=(("Grace", "owner"), ("Mia", "host"), ("Jay", "host"), ("Zoe", "assistant"), ("Ivy", "assistant"),
              ("Lynn", "assistant")),
        products={
            "skincare": ("Hyaluronic hydrating serum 30ml", "Niacinamide brightening masks ×10",
                         "Amino-acid cleanser 120g", "Clear sunscreen SPF50+ 50ml", "Repair moisturising cream 50g",
                         "Gentle cleansing oil 200ml", "Soothing essence toner 150ml", "RF beauty device",
                         "Luxury repair cream 50ml", "Skincare gift set"),
            "makeup": ("Velvet lipstick #316", "Light cushion foundation 02 natural", "Setting powder 8g",
                       "Waterproof eyeliner brown", "Four-colour eyeshadow earth tones", "Curling mascara",
                       "Glossy lip glaze #02", "Concealer 01", "Setting spray 100ml", "Blush peach"),
            "bodycare": ("Scented body wash 500ml", "Niacinamide body lotion 250ml", "Hand cream ×3",
                         "Body scrub 200g", "Antiperspirant 50ml", "Essential-oil soap ×3",
                         "Body sunscreen spray 150ml",
                         "Foot cream 100g", "Brightening body serum 200ml", "Lavender bath bombs ×6"),
            "haircare": ("Amino-acid shampoo 500ml", "Repair hair mask 250g", "Hair oil 100ml",
                         "Oil-control volume shampoo 400ml", "Scalp scrub 200g", "Leave-in hair spray 200ml",
                         "Anti-hair-fall shampoo 400ml", "Conditioner 500ml", "Colour-lock shampoo 300ml",
                         "Hair-ends serum 80ml"),
        },
        broadcast_titles=("Beauty special", "New autumn skincare", "Straight from the factory", "Fans' thank-you day",
                          "Members' night", "Foundation shade try-on", "Body-care stock-up day", "Hair-care talk",
                          "Skincare Q&A", "Weekend clearance"),
        tags={"repeat": "Repeat buyer", "sensitive": "Sensitive skin", "oily": "Oily skin", "gift": "Buys gifts",
              "leader": "Group-buy leader", "night_owl": "Night owl"},
        notes=("Only watches after 10 pm", "Loves samples: add a few masks to her orders",
               "Buys the cream for her mother: the rich one", "Her husband uses it too: suggest the men's line",
               "Parcels to the pick-up station, not the door", "Price-sensitive: suggest things during promotions",
               "Wants the new lipstick shade: tell her when it arrives",
               "Pregnant: no alcohol or salicylic acid in her skincare",
               "Runs her company's group buys: a dozen orders each time",
               "Loves chatting in the room: thank her by name"),
        complaints=("Serum bottle leaked; a new one was sent, call back", "Wrong foundation shade sent; wants an "
                    "exchange", "Delivery too slow: 8 days", "One box of masks missing from the parcel",
                    "Face went red after the cream; maybe an allergy"),
        language="en",
        allergies=("Alcohol", "Fragrance", "Fruit acids", "Mango", "Seafood", "Pollen"),
        shades=("01 ivory", "02 natural", "03 wheat"),
        consent_note="Ticked the privacy notice when ordering in the live room",
        redeem_note="Redeemed priority shipping",
        vip_session=("December VIP private session", "Winter skincare"),
    ),
)

CATALOGUE = {"zh_CN": ZH, "en": EN}


def for_language(language: str | None) -> ShopWords:
    """The catalogue of ``language`` ("zh", "zh_CN" … are Chinese; "en", "en_US" … English)."""
    if not language:
        return ZH
    if language.startswith("zh"):
        return ZH
    if language.startswith("en"):
        return EN
    raise ValueError(f"no shop words in {language!r}; known: {', '.join(LANGUAGES)}")


def shop_words(session: Session) -> ShopWords:
    """The words of the language this store was created in (``shop.language``)."""
    from livedesk.services import settings

    return for_language(settings.get(session, "shop.language"))


def placeholder_aliases() -> dict[str, str]:
    """Every language's placeholder name -> its code: {称呼} and {name} fill in alike."""
    return {words.placeholders[code]: code for words in CATALOGUE.values() for code in PLACEHOLDER_CODES}


def shipped_template(key: str, name: str | None = None, body: str | None = None) -> bool:
    """Whether a template's name (or body) is one a language of the catalogue shipped."""
    for words in CATALOGUE.values():
        shipped = words.templates.get(key)
        if shipped and (name is None or shipped[0] == name) and (body is None or shipped[1] == body):
            return True
    return False


def seed(session: Session, language: str) -> None:
    """Word a new store's seeded data in ``language``: its settings, the perks the schema seeded
    (unless the shop renamed them), and the default templates it lacks."""
    from livedesk.models import Perk
    from livedesk.services import settings, templates

    words = for_language(language)
    settings.set_value(session, "shop.language", words.language)
    if settings.get(session, "shop.name") in {w.shop_name for w in CATALOGUE.values()}:
        settings.set_value(session, "shop.name", words.shop_name)
    rules = settings.get(session, "followups.rules") or {}
    for rule, coupon in words.coupons.items():
        current = (rules.get(rule) or {}).get("coupon", settings.DEFAULTS["followups.rules"][rule].get("coupon"))
        if current in {w.coupons[rule] for w in CATALOGUE.values()}:  # not one the shop wrote itself
            rules = {**rules, rule: {**(rules.get(rule) or {}), "coupon": coupon}}
    settings.set_value(session, "followups.rules", rules)
    shipped = {code: {w.perks[code] for w in CATALOGUE.values()} for code in words.perks}
    for perk in session.scalars(select(Perk).where(Perk.code.in_(list(words.perks)))):
        if perk.name in shipped[perk.code]:
            perk.name = words.perks[perk.code]
    templates.ensure_default_templates(session, words.language)


def for_connection(conn) -> ShopWords:
    """The store's words from a Core connection (the follow-up rules work on one)."""
    from livedesk.models import Setting

    return for_language(conn.scalar(select(Setting.value).where(Setting.key == "shop.language")))


def needs_seed(session: Session) -> bool:
    """A store nobody has worded yet: no language chosen and no customers (a new store)."""
    from livedesk.models import Customer, Setting

    return session.get(Setting, "shop.language") is None and session.scalar(select(Customer.id).limit(1)) is None
