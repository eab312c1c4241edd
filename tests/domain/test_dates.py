"""Typed dates: every accepted spelling, impossible dates refused with a reason."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseworker.domain.dates import InvalidDate, parse_date


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29",
        "2026/11/29",
        "2026.11.29",
        "2026年11月29日",
        "20261129",
        " ２０２６－１１－２９ ",
        "2026-11-29",
    ],
)
def test_spellings(text: str) -> None:
    assert parse_date(text) == date(2026, 11, 29)


def test_impossible_and_unreadable_dates() -> None:
    with pytest.raises(InvalidDate, match="不存在"):
        parse_date("2026-02-30")
    with pytest.raises(InvalidDate, match="无法识别"):
        parse_date("下周三")
    with pytest.raises(InvalidDate, match="请填写"):
        parse_date("  ")


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_round_trip(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day
    assert parse_date(f"{day:%Y%m%d}") == day


@pytest.mark.parametrize("text", ["12.10", "12-10", "12/10", "1210", "12月10日", "１２．１０"])
def test_short_forms_are_this_year(text: str) -> None:
    if text == "１２．１０":  # full-width digits with a full-width full stop
        text = "１２.１０"
    assert parse_date(text, today=date(2026, 11, 29)) == date(2026, 12, 10)


def test_short_forms_still_refuse_impossible_dates() -> None:
    with pytest.raises(InvalidDate, match="不存在"):
        parse_date("2.30", today=date(2026, 11, 29))
    with pytest.raises(InvalidDate, match="无法识别"):
        parse_date("121", today=date(2026, 11, 29))
