"""Kept so that code written against the old place still imports: the pinyin of personal names
is a pure rule and lives in `caseworker.domain.pinyin` (migrations read it there, below the
services). New code imports the domain module."""

from caseworker.domain.pinyin import NamePinyin, is_pinyin_query, of_name

__all__ = ["NamePinyin", "is_pinyin_query", "of_name"]
