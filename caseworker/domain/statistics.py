"""How the published figures (统计报表) are presented: the running month marked as partial, and
small counts of children hidden at community level.

Pure rules over dates and numbers; the report services apply them, the PDF and the .xlsx show
what they give.
"""

from __future__ import annotations

from datetime import date

from caseworker.domain.roles import DistrictRole, Role
from caseworker.domain.schedule import month_of

# A count of children below this is shown as "<3" in a community's row, except to the
# child-protection roles: 1 or 2 children in a small community can point at a child (the
# usual small-cell rule of statistics about people; 0 reveals nobody and stays 0).
SMALL_CELL = 3
SMALL_CELL_TEXT = f"<{SMALL_CELL}"
EXACT_ROLES = frozenset({Role.CHILD_SUPERVISOR, Role.CHILD_DIRECTOR})


def running_month(month_first: date, until: date) -> bool:
    """Whether the month starting `month_first` is still running on `until`: its figures are
    counted to `until`, not to the month's end (partial)."""
    return month_first <= until < month_of(month_first)[1]


def month_label(month_first: date, until: date) -> str:
    """A trend's month ("26年11月"); the running month is marked with * ("26年12月*")."""
    label = f"{month_first.year % 100:02d}年{month_first.month}月"
    return label + "*" if running_month(month_first, until) else label


def partial_note(until: date) -> str:
    """The footnote explaining the mark of the running month."""
    return f"带 * 的月份尚未结束，数据统计至 {until:%Y年%m月%d日}，不是整月数字。"


def exact_small_cells(role: Role | DistrictRole | None, community_rows: bool) -> bool:
    """Whether children's counts are shown exactly: always in rows of whole offices (the
    district's report), and in communities' rows only to the child-protection roles."""
    return not community_rows or role in EXACT_ROLES


def suppress(value: object) -> object:
    """A count of 1 or 2 as "<3"; 0, larger counts and anything that is not a count unchanged."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALL_CELL:
        return SMALL_CELL_TEXT
    return value
