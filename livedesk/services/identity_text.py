"""Text keys for people: phone cleaning and masking, name masking, pinyin search keys."""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

_NON_DIGIT = re.compile(r"\D")
_MASKED_PHONE = re.compile(r"^\+?\d{0,4}[\d*]*\*+[\d*]*$")
# Already clean: ASCII digits, or digits around a run of asterisks (138****5678).
_CLEAN_PHONE = re.compile(r"[0-9]{1,4}\*+[0-9]{1,8}\Z|[0-9]+\Z")
MAX_READINGS = 8  # pinyin combinations kept per name: heteronyms multiply fast


def clean_phone(raw: str | None) -> str | None:
    """A phone as digits (masked digits as ``*``), without the ``'``/tab/+86 spreadsheets add."""
    if raw is None:
        return None
    if type(raw) is str and _CLEAN_PHONE.match(raw):  # most cells already are (an import has 100,000s)
        return raw[2:] if len(raw) == 13 and raw.startswith("86") and "*" not in raw else raw
    text = unicodedata.normalize("NFKC", str(raw)).strip().lstrip("'\t ")
    if not text:
        return None
    if "*" in text:
        compact = re.sub(r"[\s\-()]", "", text)
        return compact if _MASKED_PHONE.match(compact) else None
    digits = _NON_DIGIT.sub("", text)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def is_masked_phone(phone: str | None) -> bool:
    return bool(phone) and "*" in phone  # type: ignore[operator]


def mask_phone(phone: str | None) -> str:
    """138****5678: what a screen that may be filmed shows."""
    if not phone:
        return ""
    if "*" in phone:
        return phone
    if len(phone) >= 7:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}" if len(phone) > 7 else f"{phone[:3]}****"
    return "*" * len(phone)


def mask_name(name: str | None) -> str:
    """王** / W*** : the family name stays so the host can still say 王姐."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


@lru_cache(maxsize=65536)
def pinyin_readings(text: str) -> tuple[tuple[str, ...], ...]:
    """Each reading of ``text`` as its syllables, heteronyms included (曾 zeng/ceng...)."""
    from pypinyin import Style, pinyin

    if not text or text.isascii():
        return ()
    syllables = [r for r in pinyin(text, style=Style.NORMAL, heteronym=True, errors="ignore") if r]
    if not syllables:
        return ()
    combos = itertools.islice(itertools.product(*syllables), MAX_READINGS)
    return tuple(tuple(s.lower() for s in combo if s) for combo in combos)


@lru_cache(maxsize=65536)
def pinyin_keys(text: str) -> tuple[str, ...]:
    """Full pinyin and initials of ``text``, for every reading."""
    keys: list[str] = []
    for combo in pinyin_readings(text):
        keys.append("".join(combo))
        keys.append("".join(s[0] for s in combo))
    return tuple(dict.fromkeys(keys))


def search_text(
    nickname: str | None,
    real_name: str | None = None,
    phone: str | None = None,
    handles: tuple[str, ...] | list[str] = (),
) -> str:
    """The denormalised key the lookup matches: names, their pinyin, handles and phone."""
    parts = _name_parts(nickname, real_name, tuple(handles))
    if phone:
        digits = phone.replace("*", "")
        if digits not in parts:
            return "\x1f".join((*parts, digits))
    return "\x1f".join(parts)


@lru_cache(maxsize=65536)
def _name_parts(nickname: str | None, real_name: str | None, handles: tuple[str, ...]) -> tuple[str, ...]:
    """The phone-less part of a search key: names repeat across customers (an import makes
    hundreds of thousands of keys from far fewer names)."""
    parts: list[str] = []
    for name in (nickname, real_name):
        if name:
            parts.append(name.lower())
            parts.extend(pinyin_keys(name))
    parts.extend(h.lower() for h in handles if h)
    return tuple(dict.fromkeys(parts))
