"""Programme 3 services on a real workspace: register, conditions and categories (with review and
the 6-month day), the case path, work lists, the migration and the sync scope of every table."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect

from caseworker.domain import children as rules
from caseworker.domain.children import ChildCategory, CloseReason, Risk
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor
from caseworker.services import settings
from caseworker.services.children import cases, register, worklists
from caseworker.workspace import Workspace
from tests.services._children import TODAY, add_child, child_id_number
from tests.services._elderly import community_ids


@pytest.fixture
def staff(child_staff: dict[str, Actor]) -> dict[str, Actor]:
    return child_staff  # add_child_staff(office_ws), from its template


def test_register_refuses_18_warns_at_17_and_returns_a_known_child(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    where = community_ids(office_ws)["和平里社区"]
    with office_ws.writer(sup) as s:
        with pytest.raises(ValidationError, match="已于 2026年11月18日 年满 18 周岁"):
            register.register(
                s,
                sup,
                register.ChildDraft("成年", child_id_number(date(2008, 11, 18)), where),
                today=TODAY,
            )
        first = register.register(
            s,
            sup,
            register.ChildDraft("将满", child_id_number(date(2009, 2, 1)), where),
            today=TODAY,
        )
        assert (
            first.created and "2027年02月01日" in first.warning and "还有 2 个月" in first.warning
        )
        again = register.register(
            s,
            sup,
            register.ChildDraft("别名", child_id_number(date(2009, 2, 1)), where),
            today=TODAY,
        )
        assert not again.created and again.child.name == "将满"
    director = staff["ertong2"]  # 安贞社区
    with office_ws.writer(director) as s:
        with pytest.raises(ValidationError, match="已在其他社区登记"):
            register.register(
                s,
                director,
                register.ChildDraft(
                    "重复", child_id_number(date(2009, 2, 1)), community_ids(office_ws)["安贞社区"]
                ),
                today=TODAY,
            )
        with pytest.raises(PermissionDenied, match="本社区"):
            register.register(
                s,
                director,
                register.ChildDraft("越界", child_id_number(date(2012, 2, 1)), where),
                today=TODAY,
            )


def _parents(ws: Workspace, sup: Actor, child_id: str) -> tuple[str, str]:
    with ws.writer(sup) as s:
        f = register.add_guardian(s, sup, child_id, register.GuardianDraft("父亲", "某父"))
        m = register.add_guardian(s, sup, child_id, register.GuardianDraft("母亲", "某母"))
    return f.id, m.id


def _condition(
    guardian: str | None, kind: str, start: date, **kw: object
) -> register.ConditionDraft:
    return register.ConditionDraft(
        guardian,
        kind,
        start,
        rules.evidence_kinds_for(kind)[0],  # the evidence that proves it, dated its first day
        "村（居）委会",
        start,
        **kw,  # type: ignore[arg-type]
    )


def test_conditions_add_categories_lapses_are_flagged_and_removed_with_a_reason(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    child = add_child(office_ws, sup, "陈小五", date(2014, 5, 5))
    father, mother = _parents(office_ws, sup, child.id)
    with office_ws.writer(sup) as s:
        register.add_condition(
            s, sup, child.id, _condition(mother, "死亡", date(2022, 1, 1)), today=TODAY
        )
        sentence = register.add_condition(
            s,
            sup,
            child.id,
            _condition(father, "服刑在押", date(2025, 1, 1), end_on=date(2029, 12, 31)),
            today=TODAY,
        )
        state = register.categories_of(s, sup, child.id, today=TODAY)
        assert state.recorded == {ChildCategory.DE_FACTO}
        reason = next(f.reason for f in state.findings if f.category is ChildCategory.DE_FACTO)
        assert "母亲死亡" in reason and "父亲服刑在押" in reason
        with pytest.raises(ValidationError, match="仍然符合"):
            register.remove_category(s, sup, child.id, ChildCategory.DE_FACTO, "释放", today=TODAY)
        register.end_condition(s, sup, sentence.id, date(2026, 11, 1), "提前释放", today=TODAY)
        state = register.categories_of(s, sup, child.id, today=TODAY)
        assert state.recorded == {ChildCategory.DE_FACTO}  # not silently removed
        assert [f.category for f in state.review.to_review] == [ChildCategory.DE_FACTO]
    with office_ws.reader() as s:
        items = worklists.category_items(s, sup, today=TODAY)
    assert [(i.child_name, i.kind) for i in items] == [("陈小五", "待复核")]
    with office_ws.writer(sup) as s:
        with pytest.raises(ValidationError, match="移除原因"):
            register.remove_category(s, sup, child.id, ChildCategory.DE_FACTO, " ", today=TODAY)
        state = register.remove_category(
            s, sup, child.id, ChildCategory.DE_FACTO, "父亲已释放回家", today=TODAY
        )
        assert state.recorded == frozenset()
        assert "父亲已释放回家" in register.get(s, sup, child.id, today=TODAY).categories_note
    with office_ws.reader() as s:
        assert worklists.category_items(s, sup, today=TODAY) == []


def test_the_work_list_says_the_day_a_child_becomes_eligible_and_it_is_confirmed_that_day(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    child = add_child(office_ws, sup, "林小六", date(2015, 6, 6))
    father, mother = _parents(office_ws, sup, child.id)
    with office_ws.writer(sup) as s:
        register.add_condition(
            s, sup, child.id, _condition(father, "重病", date(2025, 2, 1)), today=TODAY
        )
        register.add_condition(
            s, sup, child.id, _condition(mother, "失联", date(2026, 5, 31)), today=TODAY
        )
    eligible = date(2026, 11, 30)
    with office_ws.reader() as s:
        before = worklists.category_items(s, sup, today=date(2026, 11, 29))
        on_day = worklists.category_items(s, sup, today=eligible)
    assert [(i.kind, i.on) for i in before] == [("即将符合", eligible)]
    assert [(i.kind, i.on) for i in on_day] == [("新符合", eligible)]
    with office_ws.writer(sup) as s:
        assert (
            register.confirm_new(s, sup, child.id, today=date(2026, 11, 29)).recorded == frozenset()
        )
        assert register.confirm_new(s, sup, child.id, today=eligible).recorded == {
            ChildCategory.DE_FACTO
        }


def test_condition_input_is_checked(office_ws: Workspace, staff: dict[str, Actor]) -> None:
    sup = staff["dudao"]
    child = add_child(office_ws, sup, "何小七", date(2015, 7, 7))
    father, _mother = _parents(office_ws, sup, child.id)
    with office_ws.writer(sup) as s:
        grandma = register.add_guardian(s, sup, child.id, register.GuardianDraft("祖母", "何奶奶"))
        with pytest.raises(ValidationError, match="已经登记了父亲"):
            register.add_guardian(s, sup, child.id, register.GuardianDraft("父亲", "又一个"))
    bad = [
        (_condition(grandma.id, "死亡", date(2020, 1, 1)), "父亲或母亲名下"),
        (_condition(father, "遭受虐待", date(2020, 1, 1)), "不是父母的情形"),
        (_condition(None, "服刑在押", date(2020, 1, 1)), "不是儿童本人"),
        (_condition(father, "死亡", date(2026, 12, 1)), "不能晚于今天"),
        (_condition(father, "重残", date(2020, 1, 1)), "残疾等级"),
        (_condition(father, "服刑在押", date(2020, 1, 1), end_on=date(2019, 1, 1)), "早于起始"),
    ]
    for draft, message in bad:
        with office_ws.writer(sup) as s, pytest.raises(ValidationError, match=message):
            register.add_condition(s, sup, child.id, draft, today=TODAY)


def test_case_path_urgent_first_visits_by_district_interval_overdue_services(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup, director = staff["dudao"], staff["ertong1"]
    quiet = add_child(office_ws, sup, "黄小八", date(2012, 8, 8), seq=51)
    hurt = add_child(office_ws, sup, "黄小九", date(2013, 9, 9), seq=53)
    with office_ws.writer(director) as s:
        plain = cases.report(
            s,
            director,
            cases.ReportDraft(quiet.id, "热线", date(2026, 11, 1), "家中无人照看"),
            today=TODAY,
        )
        urgent = cases.report(
            s,
            director,
            cases.ReportDraft(
                hurt.id, "医院", date(2026, 11, 16), "头部外伤", frozenset({"受到伤害"})
            ),
            today=TODAY,
        )
        with pytest.raises(PermissionDenied, match="儿童督导员"):
            cases.assess(s, director, plain.id, TODAY, Risk.LOW, [], "x", today=TODAY)
        with pytest.raises(ValidationError, match="请先制定帮扶计划"):
            cases.record_visit(
                s,
                director,
                cases.VisitDraft(quiet.id, TODAY, "入户", "赵主任", "x", case_id=plain.id),
                today=TODAY,
            )
    with office_ws.reader() as s:
        lists = worklists.work_lists(s, sup, today=TODAY)
    assert [i.child_name for i in lists.to_verify] == ["黄小九", "黄小八"]  # urgent first
    assert [i.child_name for i in lists.urgent] == ["黄小九"]
    with office_ws.writer(sup) as s:
        cases.verify(s, sup, plain.id, date(2026, 11, 2), True, "属实", today=TODAY)
        cases.assess(
            s, sup, plain.id, date(2026, 11, 3), Risk.MEDIUM, ["监护"], "需要监护干预", today=TODAY
        )
        cases.plan(
            s,
            sup,
            plain.id,
            date(2026, 11, 4),
            [cases.ServiceDraft("监护干预", "约谈父母", "王督导", date(2026, 11, 10))],
            today=TODAY,
        )
        cases.verify(
            s, sup, urgent.id, date(2026, 11, 17), False, "系意外摔伤，家长照看得当", today=TODAY
        )
    with office_ws.reader() as s:
        lists = worklists.work_lists(s, sup, today=date(2026, 11, 30), horizon_days=7)
        summary = cases.cases_of(s, sup, hurt.id)[0]
    assert summary.step.value == "结案" and summary.close_reason == CloseReason.UNFOUNDED.value
    assert lists.urgent == ()
    assert [(i.child_name, i.due) for i in lists.visits_due] == [("黄小八", date(2026, 12, 4))]
    assert [(i.kind, i.days_overdue) for i in lists.services_overdue] == [("监护干预", 20)]
    with office_ws.writer(Actor.system("test")) as s:
        settings.set_value(s, Actor.system("test"), "child.visit_interval_days.medium", 60)
    with office_ws.reader() as s:
        assert worklists.work_lists(s, sup, today=date(2026, 11, 30)).visits_due == ()
    with office_ws.writer(director) as s:
        cases.record_visit(
            s,
            director,
            cases.VisitDraft(
                quiet.id, date(2026, 11, 20), "入户", "赵主任", "孩子状态好", case_id=plain.id
            ),
            today=date(2026, 11, 30),
        )
    with office_ws.writer(sup) as s:
        closed = cases.close(
            s,
            sup,
            plain.id,
            date(2026, 11, 30),
            CloseReason.RISK_REMOVED,
            "",
            today=date(2026, 11, 30),
        )
        assert closed.step.value == "结案"
        reopened = cases.reopen(
            s, sup, plain.id, date(2026, 11, 30), "再次报告", today=date(2026, 11, 30)
        )
        assert reopened.step.value == "核实" and reopened.closed_on is None
        page = cases.detail(s, sup, plain.id)
    assert [e.action for e in page.events] == [
        "发现报告",
        "核实",
        "评估",
        "制定帮扶计划",
        "回访",
        "结案",
        "重新开案",
    ]


def test_migration_creates_every_child_table_and_each_travels_only_to_its_office(
    office_ws: Workspace,
) -> None:
    from caseworker.district.scope import office_path
    from db.base import Base
    from db.schema import HEAD, alembic_head

    assert alembic_head() == HEAD
    with office_ws.reader() as s:
        present = set(inspect(s.connection()).get_table_names())
    child_tables = [t for t in Base.metadata.tables.values() if t.name.startswith("child")]
    assert {t.name for t in child_tables} <= present
    for table in child_tables:
        if table.name == "child_key_holder":
            continue  # local only: never journaled, never synced
        path = office_path(table.name)
        assert path is not None and path[-1][1] == "office", table.name
        current = table
        for column, ref in path:  # every step a required key
            assert not current.c[column].nullable, (table.name, column)
            current = Base.metadata.tables[ref]


def test_migration_0008_goes_down_to_0003_and_up_again(tmp_path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from db.schema import MIGRATIONS

    engine = create_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")

    def go(action: str, target: str) -> set[str]:
        with engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            getattr(command, action)(cfg, target)
            return {t for t in inspect(conn).get_table_names() if t.startswith("child")}

    assert "child_view_log" in go("upgrade", "head")
    assert go("downgrade", "0003") == set()
    assert len(go("upgrade", "0008")) == 10
    engine.dispose()


def test_visits_due_come_by_risk_then_date(office_ws: Workspace, staff: dict[str, Actor]) -> None:
    sup = staff["dudao"]
    day = date(2026, 11, 2)
    planned = {}
    for seq, (name, risk) in enumerate(
        (("低一", Risk.LOW), ("高二", Risk.HIGH), ("中三", Risk.MEDIUM))
    ):
        child = add_child(office_ws, sup, name, date(2013, 1, 1), seq=61 + 2 * seq)
        with office_ws.writer(sup) as s:
            c = cases.report(s, sup, cases.ReportDraft(child.id, "学校", day, "情况"), today=TODAY)
            cases.verify(s, sup, c.id, day, True, "属实", today=TODAY)
            cases.assess(s, sup, c.id, day, risk, [], "评估", today=TODAY)
            cases.plan(
                s, sup, c.id, day, [cases.ServiceDraft("救助帮扶", "x", "王督导", day)], today=TODAY
            )
        planned[name] = c.id
    with office_ws.reader() as s:
        due = worklists.work_lists(s, sup, today=date(2027, 3, 1)).visits_due
    assert [i.child_name for i in due] == ["高二", "中三", "低一"]
    assert [i.due for i in due] == [date(2026, 11, 9), date(2026, 12, 2), date(2027, 1, 31)]


def test_open_cases_of_children_turning_18_are_listed_with_the_day(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    sup = staff["dudao"]
    soon = add_child(office_ws, sup, "将成年", date(2009, 1, 10), seq=71)  # 18 on 2027-01-10
    later = add_child(office_ws, sup, "还早", date(2009, 6, 10), seq=73)
    for child in (soon, later):
        with office_ws.writer(sup) as s:
            cases.report(s, sup, cases.ReportDraft(child.id, "学校", TODAY, "情况"), today=TODAY)
    with office_ws.reader() as s:
        before = worklists.work_lists(s, sup, today=TODAY).turning_18  # 53 days before
        after = worklists.work_lists(s, sup, today=date(2027, 1, 12)).turning_18
    assert [(i.child_name, i.due, i.days_overdue) for i in before] == [
        ("将成年", date(2027, 1, 10), 0)
    ]
    assert [(i.child_name, i.days_overdue) for i in after] == [("将成年", 2)]


def test_a_new_child_gets_the_communitys_director_and_a_move_changes_it(
    office_ws: Workspace, staff: dict[str, Actor]
) -> None:
    """Issue 18: a child registered by the supervisor had no 儿童主任."""
    sup, zhao, qian = staff["dudao"], staff["ertong1"], staff["ertong2"]
    ids = community_ids(office_ws)
    with office_ws.writer(sup) as s:
        made = register.register(
            s,
            sup,
            register.ChildDraft("新登记", child_id_number(date(2015, 3, 4)), ids["和平里社区"]),
            today=TODAY,
        ).child
        assert made.director_staff_id == zhao.staff_id
        # Moved to 安贞社区: looked after by that community's director.
        moved = register.update(
            s,
            sup,
            made.id,
            register.ChildDraft("新登记", made.id_number, ids["安贞社区"]),
            today=TODAY,
        )
        assert moved.director_staff_id == qian.staff_id
        # A community without a director: none rather than another community's.
        elsewhere = register.register(
            s,
            sup,
            register.ChildDraft("柳芳", child_id_number(date(2014, 5, 6)), ids["柳芳村"]),
            today=TODAY,
        ).child
        assert elsewhere.director_staff_id is None
    with office_ws.writer(qian) as s:
        own = register.register(
            s,
            qian,
            register.ChildDraft("自己登", child_id_number(date(2013, 7, 8)), ids["安贞社区"]),
            today=TODAY,
        ).child
        assert own.director_staff_id == qian.staff_id
