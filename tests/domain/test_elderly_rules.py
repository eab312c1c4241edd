"""Programme 1 rules: tier suggestion, categories, and the schedule (property tests)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseworker.domain import schedule as rules
from caseworker.domain.elderly import (
    CHOSEN_CATEGORIES,
    Category,
    Status,
    Tier,
    decode_categories,
    encode_categories,
    suggest_tier,
    with_derived,
)
from caseworker.domain.visit_form import FIELDS_BY_NAME, check_choice

C = Category


@pytest.mark.parametrize(
    ("cats", "tier"),
    [
        ({C.LIVING_ALONE, C.DISABLED}, Tier.HIGH_RISK),
        ({C.LIVING_ALONE, C.SEVERELY_DISABLED, C.MIN_ALLOWANCE}, Tier.HIGH_RISK),
        ({C.LIVING_ALONE}, Tier.KEY),
        ({C.EMPTY_NEST, C.LOW_INCOME}, Tier.KEY),
        ({C.DISABLED}, Tier.KEY),
        ({C.FAMILY_PLANNING_SPECIAL}, Tier.KEY),
        ({C.MIN_ALLOWANCE}, Tier.GENERAL),
        ({C.ADVANCED_AGE, C.EXTREME_POVERTY}, Tier.GENERAL),
        (set(), Tier.GENERAL),
    ],
)
def test_tier_suggestion(cats: set[Category], tier: Tier) -> None:
    suggestion = suggest_tier(cats)
    assert suggestion.tier is tier
    assert suggestion.reason


def test_advanced_age_is_derived_from_birth_date() -> None:
    birth = date(1946, 11, 18)
    assert C.ADVANCED_AGE not in with_derived({C.LIVING_ALONE}, birth, date(2026, 11, 17))
    assert C.ADVANCED_AGE in with_derived({C.LIVING_ALONE}, birth, date(2026, 11, 18))
    assert C.ADVANCED_AGE not in with_derived({C.ADVANCED_AGE}, date(1960, 1, 1), date(2026, 1, 1))


@given(st.sets(st.sampled_from(list(Category))))
def test_categories_round_trip(cats: set[Category]) -> None:
    stored = encode_categories(cats)
    assert decode_categories(stored) == frozenset(cats)
    for c in cats:
        assert f",{c.value}," in stored


def test_choice_check() -> None:
    hazards = FIELDS_BY_NAME["safety_hazards"]
    assert check_choice(hazards, "用电、跌倒风险") is None
    assert check_choice(hazards, "") is None
    assert "不能是“漏雨”" in (check_choice(hazards, "用电、漏雨") or "")
    assert "无" in (check_choice(hazards, "无、用电") or "")
    assert check_choice(FIELDS_BY_NAME["health_mental"], "良好、一般") is not None


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
intervals = st.integers(min_value=1, max_value=366)


@given(enrolled=dates, interval=intervals)
def test_never_visited_is_due_at_enrolment(enrolled: date, interval: int) -> None:
    due = rules.next_due(
        scheduled=True, enrolled_on=enrolled, last_visit_on=None, interval_days=interval
    )
    assert due == enrolled


@given(enrolled=dates, last=dates, interval=intervals, proposed=st.none() | dates)
def test_due_after_last_visit_never_later_than_the_tier_allows(
    enrolled: date, last: date, interval: int, proposed: date | None
) -> None:
    due = rules.next_due(
        scheduled=True,
        enrolled_on=enrolled,
        last_visit_on=last,
        interval_days=interval,
        proposed_next=proposed,
    )
    assert due is not None
    assert last < due <= last + timedelta(days=interval)
    if proposed is not None and last < proposed < last + timedelta(days=interval):
        assert due == proposed


@given(enrolled=dates, last=st.none() | dates, interval=intervals)
def test_moved_or_deceased_are_never_scheduled(
    enrolled: date, last: date | None, interval: int
) -> None:
    for status in (Status.MOVED, Status.DECEASED):
        assert (
            rules.next_due(
                scheduled=status.schedules,
                enrolled_on=enrolled,
                last_visit_on=last,
                interval_days=interval,
            )
            is None
        )
    assert Status.HOSPITAL.schedules and Status.ACTIVE.schedules


@given(due=st.none() | dates, today=dates)
def test_days_overdue(due: date | None, today: date) -> None:
    n = rules.days_overdue(due, today)
    assert n >= 0
    if due is not None and due < today:
        assert due + timedelta(days=n) == today
    else:
        assert n == 0


@given(day=dates)
def test_week_and_month_windows(day: date) -> None:
    monday, sunday = rules.week_of(day)
    assert monday.weekday() == 0 and sunday.weekday() == 6 and monday <= day <= sunday
    first, last = rules.month_of(day)
    assert first.day == 1 and first <= day <= last
    assert (last + timedelta(days=1)).day == 1


def test_parse_month() -> None:
    assert rules.parse_month("2026-02") == date(2026, 2, 1)
    with pytest.raises(ValueError, match="YYYY-MM"):
        rules.parse_month("2026-13")
    with pytest.raises(ValueError, match="YYYY-MM"):
        rules.parse_month("十一月")


def test_all_chosen_categories_exclude_advanced_age() -> None:
    assert C.ADVANCED_AGE not in CHOSEN_CATEGORIES
    assert len(CHOSEN_CATEGORIES) == len(Category) - 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "13812345678",
        "+86 138 1234 5678",
        "010-12345678",
        "0571 8765432",
        "62345678",
        "021-61234567-808",
        "１３８１２３４５６７８",
    ],
)
def test_plausible_phone_numbers(text: str) -> None:
    from caseworker.domain.phones import oddity

    assert oddity(text) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [("1381234567", "11 位"), ("138123456789", "11 位"), ("0101234", "区号"), ("12345", "不像")],
)
def test_odd_phone_numbers_are_explained(text: str, says: str) -> None:
    from caseworker.domain.phones import oddity

    problem = oddity(text)
    assert problem is not None and says in problem and text in problem


# -- major changes: a visit within 24 hours, the high-risk tier proposed --------------------------


def test_a_major_change_makes_a_visit_due_the_next_day_when_that_is_earlier() -> None:
    from caseworker.domain.elderly import major_change_due

    last, known = date(2026, 11, 1), date(2026, 11, 10)
    common = {"scheduled": True, "enrolled_on": date(2025, 1, 1), "last_visit_on": last}
    # monthly tier: due 12-01, the change (known 11-10) brings it to 11-11
    assert rules.next_due(**common, interval_days=30, change_known_on=known) == date(2026, 11, 11)
    assert major_change_due(known) == date(2026, 11, 11)
    # already due earlier (weekly): the earlier day stays
    assert rules.next_due(**common, interval_days=7, change_known_on=known) == date(2026, 11, 8)
    # the same day either way
    assert rules.next_due(**common, interval_days=10, change_known_on=known) == date(2026, 11, 11)
    assert rules.next_due(**common, interval_days=30) == date(2026, 12, 1)  # no change
    off = {**common, "scheduled": False}
    assert rules.next_due(**off, interval_days=30, change_known_on=known) is None  # moved away


def test_a_change_is_answered_by_a_later_visit_not_by_the_one_that_found_it() -> None:
    from caseworker.domain.elderly import answers_change

    known = date(2026, 11, 10)
    assert answers_change(known, known, visit_is_source=False)
    assert answers_change(known + timedelta(days=1), known, visit_is_source=False)
    assert not answers_change(known - timedelta(days=1), known, visit_is_source=False)
    assert not answers_change(known, known, visit_is_source=True)


def test_the_high_risk_tier_is_proposed_unless_already_there() -> None:
    from caseworker.domain.elderly import MajorChange, tier_after_change

    assert {k.value for k in MajorChange} == {"跌倒", "住院", "失去照料人", "家属联系不上"}
    proposal = tier_after_change(Tier.KEY)
    assert proposal is not None and proposal.tier is Tier.HIGH_RISK
    assert tier_after_change(Tier.GENERAL) is not None
    assert tier_after_change(Tier.HIGH_RISK) is None
