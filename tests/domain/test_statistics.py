"""How published figures are shown: the running month marked, small children's counts hidden."""

from __future__ import annotations

from datetime import date

from caseworker.domain import statistics as st
from caseworker.domain.roles import Role


def test_small_counts_show_as_less_than_3_and_nothing_else_changes() -> None:
    assert [st.suppress(v) for v in (0, 1, 2, 3, 17)] == [0, "<3", "<3", 3, 17]
    assert st.suppress(None) is None and st.suppress(0.5) == 0.5 and st.suppress("合计") == "合计"
    assert st.suppress(True) is True  # a flag is not a count


def test_exact_counts_only_to_child_roles_or_in_whole_offices_rows() -> None:
    for role in (Role.ADMIN, Role.SUPERVISOR, Role.CASEWORKER, None):
        assert not st.exact_small_cells(role, community_rows=True)
        assert st.exact_small_cells(role, community_rows=False)
    for role in (Role.CHILD_SUPERVISOR, Role.CHILD_DIRECTOR):
        assert st.exact_small_cells(role, community_rows=True)


def test_the_running_month_is_marked_until_its_last_day() -> None:
    dec = date(2026, 12, 1)
    assert st.running_month(dec, date(2026, 12, 7))
    assert st.running_month(dec, date(2026, 12, 30))
    assert not st.running_month(dec, date(2026, 12, 31))  # the month is complete that day
    assert not st.running_month(dec, date(2027, 1, 3))
    assert not st.running_month(dec, date(2026, 11, 30))  # not begun: no figures to mark
    assert st.month_label(dec, date(2026, 12, 7)) == "26年12月*"
    assert st.month_label(date(2026, 11, 1), date(2026, 12, 7)) == "26年11月"
    assert "2026年12月07日" in st.partial_note(date(2026, 12, 7))
