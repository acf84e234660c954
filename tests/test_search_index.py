"""Search-as-you-type: fragments, pinyin, initials, handles, phone tails, typos, ranking."""

from __future__ import annotations

import pytest

from livedesk.models import Customer
from livedesk.services import customers
from livedesk.services.customers import NewCustomer
from livedesk.services.search_index import SearchIndex


@pytest.fixture
def index(store):
    with store.write() as s:
        ids = {
            "wang_vip": customers.create(s, NewCustomer(
                nickname="王姐", real_name="王丽华", phone="13812345678",
                accounts=[("douyin", "MS4wLjABAAAAwang", "wangjie888")])),
            "wang_new": customers.create(s, NewCustomer(nickname="王姐姐呀")),
            "zeng": customers.create(s, NewCustomer(nickname="曾小贤", phone="138****1111")),
            "may": customers.create(s, NewCustomer(nickname="阿May")),
        }
        s.get(Customer, ids["wang_vip"]).tier = "vip"
        s.get(Customer, ids["wang_new"]).tier = "new"
        s.get(Customer, ids["wang_new"]).total_spent_fen = 10**9  # spend alone does not beat the tier
        index = SearchIndex.build(s)
    return index, ids


@pytest.mark.parametrize(
    "query, who, how",
    [
        ("王", "wang_vip", "nickname"),
        ("姐", "wang_vip", "nickname"),  # a fragment from inside the nickname
        ("wj", "wang_vip", "pinyin"),
        ("WangJie", "wang_vip", "pinyin"),
        ("丽华", "wang_vip", "name"),
        ("wangjie888", "wang_vip", "handle"),
        ("5678", "wang_vip", "phone"),
        ("1111", "zeng", "phone"),  # the tail of a masked phone
        ("zxx", "zeng", "pinyin"),
        ("cengxiaoxian", "zeng", "pinyin"),  # 曾's other reading
        ("may", "may", "nickname"),
        ("ＭＡＹ", "may", "nickname"),  # full-width input
        ("wnagjie", "wang_vip", "fuzzy"),  # a small typo
    ],
)
def test_query_finds_the_customer_and_says_how(index, query, who, how):
    idx, ids = index
    hits = idx.search(query)
    assert hits and hits[0].id == ids[who]
    assert hits[0].how == how


def test_the_whole_nickname_typed_comes_first_then_vips(index):
    idx, ids = index
    assert [h.id for h in idx.search("王姐")] == [ids["wang_vip"], ids["wang_new"]]


def test_unknown_and_empty_queries_find_nothing(index):
    idx, _ = index
    assert idx.search("") == []
    assert idx.search("   ") == []
    assert idx.search("xyzzyq") == []


def test_limit_caps_the_results(index):
    idx, _ = index
    assert len(idx.search("王", limit=1)) == 1


def test_an_empty_store_gives_an_empty_index(store):
    with store.write() as s:
        assert SearchIndex.build(s).search("王") == []
