"""The roster list (search, filters, sort, paging) and the work lists and visit rates."""

from __future__ import annotations

from datetime import date

import pytest

from caseworker.domain.elderly import Category, Status, Tier
from caseworker.domain.roles import Actor
from caseworker.domain.schedule import month_of, week_of
from caseworker.services.elderly import roster, schedule, search, visits
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY, add, community_ids, make_id


@pytest.fixture
def people(office_ws: Workspace, worker: Actor) -> dict[str, roster.ResidentInfo]:
    out = {
        "王秀英": add(
            office_ws,
            worker,
            "王秀英",
            date(1944, 5, 6),
            seq=12,
            address="和平路12号3单元",
            phone="13812345678",
            categories=frozenset({Category.LIVING_ALONE, Category.DISABLED}),
            assigned_staff_id=worker.staff_id,
        ),
        "王建国": add(
            office_ws,
            worker,
            "王建国",
            date(1950, 1, 9),
            seq=13,
            address="安贞里5号",
            community="安贞社区",
            categories=frozenset({Category.MIN_ALLOWANCE}),
        ),
        "欧阳春花": add(
            office_ws,
            worker,
            "欧阳春花",
            date(1955, 3, 3),
            seq=14,
            address="柳芳村3组8号",
            community="柳芳村",
            categories=frozenset({Category.EMPTY_NEST}),
            assigned_staff_id=worker.staff_id,
        ),
        "李和平": add(
            office_ws,
            worker,
            "李和平",
            date(1948, 8, 8),
            seq=15,
            address="建设街9号",
            categories=frozenset({Category.LEFT_BEHIND}),
        ),
    }
    return out


def names(rows: list[search.RosterRow]) -> list[str]:
    return [r.name for r in rows]


def q(**kw: object) -> search.RosterQuery:
    return search.RosterQuery(**kw)  # type: ignore[arg-type]


def test_search_any_part_of_name_or_address(
    office_ws: Workspace, worker: Actor, people: dict
) -> None:
    with office_ws.reader() as s:

        def find(text: str) -> list[str]:
            query = q(text=text)
            rows = search.page(s, worker, query, 0, 50, today=TODAY)
            assert search.count(s, worker, query, today=TODAY) == len(rows)
            return sorted(names(rows))

        assert find("王") == ["王建国", "王秀英"]  # one character
        assert find("和平") == ["李和平", "王秀英"]  # two: name of one, address of the other
        assert find("欧阳春") == ["欧阳春花"]  # three or more
        assert find("3组8号") == ["欧阳春花"]
        assert find("  秀 ") == ["王秀英"]
        assert find("%") == []  # wildcards are literal
        assert find("") == sorted(people)


def test_search_by_id_number_its_suffix_or_phone(
    office_ws: Workspace, worker: Actor, people: dict
) -> None:
    full = make_id(date(1950, 1, 9), 13)
    with office_ws.reader() as s:

        def find(text: str) -> list[str]:
            return names(search.page(s, worker, q(text=text), 0, 50, today=TODAY))

        assert find(full) == ["王建国"]
        assert find(full.lower()) == ["王建国"]
        assert find(full[-4:]) == ["王建国"]
        assert find("12345678") == ["王秀英"]
        assert find("1381234") == ["王秀英"]


def test_filters(office_ws: Workspace, worker: Actor, people: dict) -> None:
    cids = community_ids(office_ws)
    with office_ws.writer(worker) as s:
        roster.set_status(
            s, worker, people["李和平"].id, Status.MOVED, date(2026, 10, 1), today=TODAY
        )
    with office_ws.reader() as s:

        def find(**kw: object) -> list[str]:
            query = q(**kw)
            rows = search.page(s, worker, query, 0, 50, today=TODAY)
            assert search.count(s, worker, query, today=TODAY) == len(rows)
            return sorted(names(rows))

        assert find(community_id=cids["安贞社区"]) == ["王建国"]
        assert find(tier=Tier.HIGH_RISK) == ["王秀英"]
        assert find(category=Category.MIN_ALLOWANCE) == ["王建国"]
        assert find(category=Category.ADVANCED_AGE) == ["王秀英"]  # 82; the others are under 80
        assert find(status=Status.MOVED) == ["李和平"]
        assert find(scheduled_only=True) == ["欧阳春花", "王建国", "王秀英"]
        assert find(overdue_only=True) == ["欧阳春花", "王建国", "王秀英"]  # never visited
        assert find(due_by=TODAY) == ["欧阳春花", "王建国", "王秀英"]  # not the one moved away
        assert find(due_by=date(2026, 1, 4)) == []  # all enrolled (so due) on 2026-01-05
        assert find(assigned_staff_id=worker.staff_id) == ["欧阳春花", "王秀英"]
        assert find(text="王", community_id=cids["和平里社区"]) == ["王秀英"]


def test_sort_and_stable_paging(office_ws: Workspace, worker: Actor, people: dict) -> None:
    with office_ws.reader() as s:
        by_age = names(search.page(s, worker, q(sort="age"), 0, 10, today=TODAY))
        assert by_age == ["欧阳春花", "王建国", "李和平", "王秀英"]
        assert (
            names(search.page(s, worker, q(sort="age", descending=True), 0, 10, today=TODAY))
            == by_age[::-1]
        )
        by_tier = search.page(s, worker, q(sort="tier"), 0, 10, today=TODAY)
        assert by_tier[0].tier == "高风险" and by_tier[-1].tier == "一般"
        for key in search.SORT_COLUMNS:
            whole = names(search.page(s, worker, q(sort=key), 0, 10, today=TODAY))
            paged = [
                n
                for off in range(0, 4, 3)
                for n in names(search.page(s, worker, q(sort=key), off, 3, today=TODAY))
            ]
            assert paged == whole, key
        row = search.page(s, worker, q(text="王秀英"), 0, 1, today=TODAY)[0]
        assert row.categories == "独居、失能/半失能" and "*" in row.id_number_masked
        assert row.age_on(TODAY) == 82 and row.assigned_staff_name == "李专干"
        with pytest.raises(ValueError):
            search.page(s, worker, q(sort="password"), 0, 10, today=TODAY)


def _visit(ws: Workspace, actor: Actor, person: roster.ResidentInfo, day: date) -> None:
    with ws.writer(actor) as s:
        visits.complete(
            s, actor, visits.VisitDraft(person.id, day, visitors=("李专干",)), today=TODAY
        )


def test_work_lists(office_ws: Workspace, worker: Actor, people: dict) -> None:
    _visit(office_ws, worker, people["王秀英"], date(2026, 11, 10))  # high risk: due 11-17
    _visit(office_ws, worker, people["欧阳春花"], date(2026, 11, 1))  # key: due 12-01
    _visit(office_ws, worker, people["王建国"], date(2026, 10, 1))  # general: due 12-30
    _monday, sunday = week_of(TODAY)
    with office_ws.reader() as s:
        overdue = schedule.overdue_list(s, worker, today=TODAY)
        assert [(r.name, r.days_overdue) for r in overdue] == [("李和平", 317), ("王秀英", 1)]
        assert schedule.overdue_count(s, worker, today=TODAY) == 2
        mine = schedule.due_list(s, worker, sunday, visitor_id=worker.staff_id, today=TODAY)
        assert [r.name for r in mine] == ["王秀英"]
        month_end = month_of(TODAY)[1]
        assert schedule.due_count(s, worker, month_end) == 2
        assert [r.name for r in schedule.due_list(s, worker, date(2026, 12, 1), today=TODAY)] == [
            "李和平",
            "王秀英",
            "欧阳春花",
        ]
        cid = community_ids(office_ws)["柳芳村"]
        assert schedule.due_count(s, worker, date(2026, 12, 31), community_id=cid) == 1
        # "本周应访" on 工作台: from today, the overdue ones being on their own list
        ahead = schedule.due_list(s, worker, date(2026, 12, 1), since=TODAY, today=TODAY)
        assert [r.name for r in ahead] == ["欧阳春花"]
        assert schedule.due_count(s, worker, date(2026, 12, 1), since=TODAY) == 1


def test_visit_rates_definition_and_both_paths_agree(
    office_ws: Workspace, worker: Actor, people: dict
) -> None:
    _visit(office_ws, worker, people["王秀英"], date(2026, 10, 28))  # due 11-04, not visited in Nov
    _visit(office_ws, worker, people["欧阳春花"], date(2026, 11, 2))  # visited in Nov
    _visit(
        office_ws, worker, people["王建国"], date(2026, 10, 1)
    )  # general: due 12-30, not due in Nov
    # 李和平: never visited, due since enrolment -> due, not visited.
    nov = date(2026, 11, 1)
    with office_ws.reader() as s:
        current = {r.community_name: r for r in schedule.visit_rates(s, worker, nov, today=TODAY)}
        history = {
            r.community_name: r
            for r in schedule.visit_rates(s, worker, nov, today=date(2027, 3, 1))
        }
    assert (current["和平里社区"].due, current["和平里社区"].visited) == (2, 0)
    assert (current["柳芳村"].due, current["柳芳村"].visited) == (1, 1)
    assert (current["安贞社区"].due, current["安贞社区"].visited) == (0, 0)
    assert current["安贞社区"].rate is None and current["安贞社区"].rate_text == "—"
    assert (current["合计"].due, current["合计"].visited) == (3, 1)
    assert current["合计"].rate_text == "33.3%"
    for name in current:
        assert (current[name].due, current[name].visited) == (
            history[name].due,
            history[name].visited,
        ), name
    with office_ws.reader() as s:
        october = {
            r.community_name: r
            for r in schedule.visit_rates(s, worker, date(2026, 10, 1), today=TODAY)
        }
    # October: 王秀英 and 王建国 visited; 李和平 and 欧阳春花 never visited before -> due.
    assert (october["和平里社区"].due, october["和平里社区"].visited) == (2, 1)
    assert (october["合计"].due, october["合计"].visited) == (4, 2)


def test_an_id_suffix_lists_those_whose_number_ends_in_it_first(
    office_ws: Workspace, worker: Actor, people: dict
) -> None:
    last4 = make_id(date(1950, 1, 9), 13)[-4:]  # 王建国's
    add(office_ws, worker, "丁德华", date(1949, 2, 2), seq=17, phone=f"1390{last4}111")
    with office_ws.reader() as s:
        rows = search.page(s, worker, q(text=last4), 0, 50, today=TODAY)
    assert names(rows) == ["王建国", "丁德华"]  # by name 丁 would come first
