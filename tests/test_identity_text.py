"""Phone cleaning and masking, name masking, pinyin search keys."""

from livedesk.services.identity_text import (
    clean_phone,
    is_masked_phone,
    mask_name,
    mask_phone,
    pinyin_keys,
    search_text,
)


def test_spreadsheet_phone_artefacts_are_removed():
    assert clean_phone("'13812345678") == "13812345678"
    assert clean_phone("\t138 1234 5678") == "13812345678"
    assert clean_phone("+86 138-1234-5678") == "13812345678"
    assert clean_phone("１３８１２３４５６７８") == "13812345678"  # full-width digits


def test_masked_phones_are_kept_as_masked():
    assert clean_phone("138****5678") == "138****5678"
    assert is_masked_phone(clean_phone("138****5678"))
    assert clean_phone("") is None and clean_phone(None) is None


def test_masking_keeps_only_prefix_and_last_four_digits():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138****5678") == "138****5678"
    assert mask_phone(None) == ""


def test_name_masking_keeps_the_family_name():
    assert mask_name("王丽华") == "王**"
    assert mask_name("李") == "李*"
    assert mask_name(None) == ""


def test_pinyin_keys_include_initials_and_every_surname_reading():
    keys = pinyin_keys("曾小贤")
    assert "zengxiaoxian" in keys and "zxx" in keys
    assert "cengxiaoxian" in keys  # the heteronym reading is indexed too
    assert "shan" in "".join(pinyin_keys("单"))


def test_search_text_covers_names_handles_and_phone():
    text = search_text("王姐", "王丽华", "13812345678", ["wangjie888"])
    for needle in ("王姐", "wj", "wangjie", "wlh", "wangjie888", "5678"):
        assert needle in text
