"""Programme 1 vocabulary and rules: categories, tiers, statuses, the tier suggestion, roster age.

Enum values are the Chinese words themselves: they are stored as such, so the journal, the audit
trail and any export read naturally and the words never need a lookup table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from caseworker.domain import schedule as schedule_rules
from caseworker.domain.idnumber import age_on

ROSTER_MIN_AGE = 60
ADVANCED_AGE = 80


class Category(StrEnum):
    """Roster categories (multi-select). ADVANCED_AGE is derived from the ID number."""

    EXTREME_POVERTY = "特困供养"
    MIN_ALLOWANCE = "低保"
    LOW_INCOME = "低收入"
    LIVING_ALONE = "独居"
    EMPTY_NEST = "空巢"
    LEFT_BEHIND = "留守"
    DISABLED = "失能/半失能"
    SEVERELY_DISABLED = "重残"
    ADVANCED_AGE = "高龄"
    FAMILY_PLANNING_SPECIAL = "计划生育特殊家庭"


# Categories a person chooses; ADVANCED_AGE is added from the birth date.
CHOSEN_CATEGORIES: tuple[Category, ...] = tuple(
    c for c in Category if c is not Category.ADVANCED_AGE
)


class Tier(StrEnum):
    HIGH_RISK = "高风险"
    KEY = "重点"
    GENERAL = "一般"

    @property
    def setting_key(self) -> str:
        """The district setting that holds this tier's visit interval in days."""
        return {
            Tier.HIGH_RISK: "visit.interval_days.high_risk",
            Tier.KEY: "visit.interval_days.key",
            Tier.GENERAL: "visit.interval_days.general",
        }[self]

    @property
    def rank(self) -> int:
        """0 = most urgent; for sorting."""
        return {Tier.HIGH_RISK: 0, Tier.KEY: 1, Tier.GENERAL: 2}[self]


class Status(StrEnum):
    ACTIVE = "在册"
    HOSPITAL = "住院"
    MOVED = "迁出"
    DECEASED = "去世"

    @property
    def schedules(self) -> bool:
        """Moved and deceased residents keep their history but are no longer scheduled."""
        return self in (Status.ACTIVE, Status.HOSPITAL)


SCHEDULED_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s.schedules)

LIVING_ARRANGEMENTS: tuple[str, ...] = (
    "独自居住",
    "与配偶同住",
    "与子女同住",
    "与其他亲属同住",
    "与保姆/护工同住",
    "其他",
)

CATEGORY_SEPARATOR = ","

KEY_CATEGORIES = frozenset(
    {
        Category.LIVING_ALONE,
        Category.EMPTY_NEST,
        Category.LEFT_BEHIND,
        Category.DISABLED,
        Category.SEVERELY_DISABLED,
        Category.FAMILY_PLANNING_SPECIAL,
    }
)


@dataclass(frozen=True)
class TierSuggestion:
    tier: Tier
    reason: str


def suggest_tier(categories: Iterable[Category]) -> TierSuggestion:
    """The tier the local standard suggests for these categories (staff may change it).

    High risk: living alone *and* disabled or severely disabled (nobody at hand to help).
    Key: living alone, empty-nest, left-behind, disabled, severely disabled, or a
    family-planning special family. General: everyone else on the roster.
    """
    cats = frozenset(categories)
    disabled = cats & {Category.DISABLED, Category.SEVERELY_DISABLED}
    if Category.LIVING_ALONE in cats and disabled:
        which = "、".join(sorted(c.value for c in disabled))
        return TierSuggestion(Tier.HIGH_RISK, f"独居且{which}")
    key = cats & KEY_CATEGORIES
    if key:
        return TierSuggestion(Tier.KEY, "、".join(c.value for c in Category if c in key))
    return TierSuggestion(Tier.GENERAL, "其他在册困难老年人")


def with_derived(categories: Iterable[Category], birth: date, today: date) -> frozenset[Category]:
    """The categories with ADVANCED_AGE set or cleared from the birth date."""
    cats = set(categories) - {Category.ADVANCED_AGE}
    if age_on(birth, today) >= ADVANCED_AGE:
        cats.add(Category.ADVANCED_AGE)
    return frozenset(cats)


def encode_categories(categories: Iterable[Category]) -> str:
    """Stored form: labels in catalogue order, comma-separated and wrapped in commas
    (",独居,低保,") so that a filter is `LIKE '%,独居,%'`."""
    cats = frozenset(categories)
    inner = CATEGORY_SEPARATOR.join(c.value for c in Category if c in cats)
    return f",{inner}," if inner else ""


def decode_categories(stored: str | None) -> frozenset[Category]:
    return frozenset(Category(p) for p in (stored or "").split(CATEGORY_SEPARATOR) if p)


# -- major changes (high-risk triggers) ----------------------------------------------------------


class MajorChange(StrEnum):
    """A major change in an elderly person's situation (DOMAIN.md: a fall, a hospital stay,
    losing the carer, no reachable family): a visit is due within 24 hours of it becoming known,
    and the 高风险 tier is proposed."""

    FALL = "跌倒"
    HOSPITAL = "住院"
    CARER_LOST = "失去照料人"
    FAMILY_UNREACHABLE = "家属联系不上"


class ChangeSource(StrEnum):
    """Where a major change was recorded."""

    VISIT = "探访记录"
    REFERRAL = "转介结果"
    STATUS = "状态变更"
    DIRECT = "单独登记"


# Within 24 hours: visits are dated by day, so the visit is due on the day after the change
# became known (a visit on that day or the next answers it). The schedule rule holds the number.
MAJOR_CHANGE_DUE_DAYS = schedule_rules.MAJOR_CHANGE_DUE_DAYS


def major_change_due(known_on: date) -> date:
    """The day a visit is due after a major change that became known on `known_on`."""
    return known_on + timedelta(days=MAJOR_CHANGE_DUE_DAYS)


def answers_change(visit_on: date, known_on: date, visit_is_source: bool) -> bool:
    """Whether a completed visit answers a major change: dated on or after the day the change
    became known, and not the visit that reported it (that visit found the change; the next one
    sees how the person is after it)."""
    return not visit_is_source and visit_on >= known_on


def tier_after_change(current: Tier) -> TierSuggestion | None:
    """The tier proposed after a major change: 高风险, unless the person is already there."""
    if current is Tier.HIGH_RISK:
        return None
    return TierSuggestion(
        Tier.HIGH_RISK, "近期发生重大变化（跌倒、住院、失去照料人或家属联系不上）"
    )
