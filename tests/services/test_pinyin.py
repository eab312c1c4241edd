"""The pinyin of names read character by character equals pypinyin's reading of the whole name
(`caseworker.domain.pinyin._syllables`), and a name is read that way whenever pypinyin would
read it so: an import of 60,000 mostly distinct names asks pypinyin about characters, not
names."""

from __future__ import annotations

import random

import pytest
from pypinyin import Style, lazy_pinyin

from caseworker.demo.names import GIVEN_FEMALE, GIVEN_MALE, SURNAMES, person_name
from caseworker.domain import pinyin

# Surnames read otherwise as surnames, characters with several readings, and given names that
# hold a phrase of pypinyin's dictionary (重庆, 长乐, 行长, 朝阳, 单于…), beside the demo's pools.
POLYPHONIC_SURNAMES = "单曾解仇区查朴盖乐翟覃缪秘召员种重柏车华"
POLYPHONIC = "长乐行重朝阳调和觉得了还数曲折会计率薄都参差音乐"
NAMES_WITH_PHRASES = ["王重庆", "李长乐", "张行长", "刘朝阳", "单于春", "解放", "曾经", "查理"]


def _reference(name: str) -> tuple[str, str]:
    """The reading before the per-character path: surname rule, then pypinyin on the rest."""
    text = "".join(name.split())
    head: list[str] = []
    if text[:2] in pinyin.COMPOUND_SURNAMES:
        head, text = list(pinyin.COMPOUND_SURNAMES[text[:2]]), text[2:]
    elif text[:1] in pinyin.SURNAME_READINGS:
        head, text = [pinyin.SURNAME_READINGS[text[0]]], text[1:]
    rest = []
    for part in lazy_pinyin(text, style=Style.NORMAL, errors="default"):
        cleaned = pinyin._NOT_LETTERS.sub("", part.lower())
        if cleaned:
            rest.append(cleaned)
    syllables = [*head, *rest]
    return " ".join(syllables), "".join(s[0] for s in syllables)


def _names(n: int) -> list[str]:
    rng = random.Random(23)
    pool = GIVEN_MALE + GIVEN_FEMALE + POLYPHONIC
    out = [person_name(rng, rng.choice("男女")) for _ in range(n // 2)]
    for _ in range(n // 2):
        surname = rng.choice(SURNAMES + POLYPHONIC_SURNAMES)
        out.append(surname + "".join(rng.choice(pool) for _ in range(rng.randint(1, 3))))
    return [*out, *NAMES_WITH_PHRASES, "欧阳长乐", "吕 桂芝", "阿卜杜·热合曼", "Anna王"]


def test_per_character_reading_equals_pypinyins_on_generated_names() -> None:
    pinyin.of_name.cache_clear()
    pinyin._syllables.cache_clear()
    names = _names(6000)
    differ = [
        (n, got, want)
        for n in names
        if (got := (pinyin.of_name(n).sort_key, pinyin.of_name(n).initials))
        != (want := _reference(n))
    ]
    assert differ == []


def test_names_are_read_by_character_and_phrases_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """pypinyin is asked about each character once, not about each name; a name holding a
    phrase is still read whole (重庆 is chóng qìng, 长乐 cháng lè)."""
    pinyin.of_name.cache_clear()
    pinyin._syllables.cache_clear()
    pinyin._char.cache_clear()
    import pypinyin

    asked: list[str] = []
    real = pypinyin.lazy_pinyin

    def counting(text: str, *args: object, **kwargs: object) -> list[str]:
        asked.append(text)
        return real(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pypinyin, "lazy_pinyin", counting)
    rng = random.Random(5)
    names = [person_name(rng, rng.choice("男女")) for _ in range(3000)]
    for n in names:
        pinyin.of_name(n)
    characters = {c for n in names for c in n}
    assert len(asked) <= len(characters) + len(names) // 50  # a few hold a phrase
    assert pinyin.of_name("王重庆").sort_key == "wang chong qing"
    assert pinyin.of_name("李长乐").sort_key == "li chang le"
