"""Pinyin of personal names: the roster's sort key (as Excel sorts Chinese names) and what
search matches when a caseworker types `wxh` or `wangxiaohong` for 王小红.

Surnames are read as surnames: 单 shàn, 曾 zēng, 解 xiè, 仇 qiú, 区 ōu, 查 zhā, 朴 piáo…
(a general reading would give dan, ceng, jie, chou, qu, cha, pu). Compound surnames (欧阳,
长孙, 尉迟, 万俟…) are taken whole. The rest of the name is read by pypinyin.

`pypinyin` is imported on first use (about 0.7 s): only writes that set a name need it, never
the login or a search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Compound surnames, and single-character surnames whose reading as a surname differs from the
# character's most common reading (toneless, ü written v as typed on a keyboard).
COMPOUND_SURNAMES: dict[str, tuple[str, str]] = {
    "欧阳": ("ou", "yang"),
    "长孙": ("zhang", "sun"),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "澹台": ("tan", "tai"),
    "令狐": ("ling", "hu"),
    "上官": ("shang", "guan"),
    "司马": ("si", "ma"),
    "诸葛": ("zhu", "ge"),
    "皇甫": ("huang", "fu"),
    "夏侯": ("xia", "hou"),
    "东方": ("dong", "fang"),
    "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"),
    "宇文": ("yu", "wen"),
    "司徒": ("si", "tu"),
    "呼延": ("hu", "yan"),
    "轩辕": ("xuan", "yuan"),
}
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "乐": "yue",
    "翟": "zhai",
    "覃": "qin",
    "缪": "miao",
    "秘": "bi",
    "召": "shao",
    "员": "yun",
    "种": "chong",
    "重": "chong",
    "柏": "bai",
    "车": "che",
    "华": "hua",
    "纪": "ji",
    "沈": "shen",
    "折": "she",
    "句": "gou",
    "隗": "wei",
    "冼": "xian",
    "郇": "huan",
    "谌": "chen",
    "黑": "he",
    "牟": "mou",
    "宓": "mi",
    "莘": "shen",
    "薄": "bo",
    "卜": "bu",
    "祭": "zhai",
    "厍": "she",
    "藏": "zang",
    "都": "du",
    "过": "guo",
    "燕": "yan",
    "於": "yu",
    "曲": "qu",
    "石": "shi",
    "尉": "yu",
    "宿": "su",
    "蔚": "yu",
    "能": "nai",
    "阚": "kan",
    "吕": "lv",
    "繁": "po",
}

_NOT_LETTERS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class NamePinyin:
    sort_key: str  # "wang xiao hong": syllables apart, so 万 (wan) sorts before 王 (wang)
    initials: str  # "wxh"

    @property
    def compact(self) -> str:
        return self.sort_key.replace(" ", "")

    @property
    def letters(self) -> str:
        """What a Latin-letter search is matched against, in one column: "wxh wangxiaohong"
        (one LIKE instead of two; a typed query has no space, so it cannot span both)."""
        return f"{self.initials} {self.compact}"


@lru_cache(maxsize=32768)
def _syllables(text: str) -> tuple[str, ...]:
    """The syllables of a given name; cached: given names repeat far more than whole names (an
    import of 20,000 children and their parents reads each common one once).

    Most given names hold no word of pypinyin's phrase dictionary; pypinyin then reads them
    character by character (its segmenter only ever joins characters into a dictionary
    phrase), so the name's syllables are its characters' own, each asked of pypinyin once and
    kept. A name holding a phrase, or anything but Chinese characters, is read whole by
    pypinyin as before. The two give the same syllables (`tests/services/test_pinyin.py`
    compares them on generated names); the per-character path is what lets an import of
    60,000 mostly distinct names skip pypinyin's 80 us per name."""
    if _by_character(text):
        return tuple(s for c in text for s in _char(c))
    return _whole(text)


def _whole(text: str) -> tuple[str, ...]:
    from pypinyin import Style, lazy_pinyin

    out = []
    for part in lazy_pinyin(text, style=Style.NORMAL, errors="default"):
        cleaned = _NOT_LETTERS.sub("", part.lower())
        if cleaned:
            out.append(cleaned)
    return tuple(out)


@lru_cache(maxsize=16384)
def _char(c: str) -> tuple[str, ...]:
    return _whole(c)


def _by_character(text: str) -> bool:
    """Whether pypinyin reads `text` character by character: every character is a Chinese
    character it has a reading of, and no run of them is a phrase of its dictionary."""
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT, RE_HANS

    if not text or RE_HANS.fullmatch(text) is None:
        return False
    if any(ord(c) not in PINYIN_DICT for c in text):
        return False
    n = len(text)
    return not any(text[i:j] in PHRASES_DICT for i in range(n) for j in range(i + 1, n + 1))


@lru_cache(maxsize=4096)
def of_name(name: str) -> NamePinyin:
    """The pinyin of a personal name, surname read as a surname."""
    text = "".join(name.split())
    head: list[str] = []
    if text[:2] in COMPOUND_SURNAMES:
        head, text = list(COMPOUND_SURNAMES[text[:2]]), text[2:]
    elif text[:1] in SURNAME_READINGS:
        head, text = [SURNAME_READINGS[text[0]]], text[1:]
    syllables = [*head, *_syllables(text)]
    return NamePinyin(" ".join(syllables), "".join(s[0] for s in syllables))


def is_pinyin_query(text: str) -> bool:
    """A search typed in Latin letters (possibly with spaces): match it against pinyin."""
    compact = "".join(text.split()).lower()
    return bool(compact) and compact.isascii() and compact.isalpha()
