"""统计报表's retrofit and children sections on a generated office, checked against counts made
here independently (plain rows read back and counted in Python), and per role: counts only
for roles without child rights, a child director only their own community, no names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from caseworker import demo
from caseworker.domain import periods
from caseworker.domain.children import CaseStep, Risk
from caseworker.domain.retrofit import Action, Step
from caseworker.domain.roles import Actor
from caseworker.printing.report_pdf import write_pdf
from caseworker.services import reports
from caseworker.services.children import worklists
from caseworker.services.children.cases import interval_for
from caseworker.services.reports.output import write_xlsx
from caseworker.workspace import Workspace
from db.children import Child, ChildCase, ChildVisit
from db.models import Community
from db.retrofit import RetrofitCase, RetrofitCaseEvent
from tests.conftest import DemoCopy, login

TODAY = date.today()  # the demo generates its records around today
YEAR = periods.year(TODAY.year)
MONTH = periods.month(TODAY)


@pytest.fixture(scope="module")
def office(demo_copy: DemoCopy) -> Iterator[Workspace]:
    ws = Workspace.open(demo_copy(60, 5))  # built once per run, shared with other modules
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def actors(office: Workspace) -> dict[str, Actor]:
    names = ("admin", "kezhang", "zhuangan1", "dudao", "ertong01")
    return {n: login(office, n, demo.DEMO_PASSWORD) for n in names}


def _section(report: reports.Report, title: str) -> reports.ReportSection:
    return next(s for s in report.sections if s.title.startswith(title))


def _table(section: reports.ReportSection, key: str) -> dict[str, tuple[object, ...]]:
    t = next(t for t in section.tables if t.key == key)
    return {str(r[0]): tuple(r[1:]) for r in t.rows}


def _communities(ws: Workspace) -> dict[str, str]:
    with ws.reader() as s:
        return dict(s.execute(select(Community.id, Community.name)).all())


def test_retrofit_figures_match_an_independent_count(
    office: Workspace, actors: dict[str, Actor]
) -> None:
    names = _communities(office)
    with office.reader() as s:
        report = reports.build(s, actors["zhuangan1"], YEAR, today=TODAY)
        rows = list(s.scalars(select(RetrofitCase).where(RetrofitCase.deleted_at.is_(None))))
        events = s.execute(
            select(RetrofitCaseEvent.case_id, RetrofitCaseEvent.action, RetrofitCaseEvent.on)
        ).all()
    sec = _section(report, "居家适老化改造")
    first, last = YEAR.first, min(YEAR.last, TODAY)
    applied = [r for r in rows if first <= r.applied_on <= last]
    assert applied and any(r.step == Step.COMPLETED.value for r in rows)
    steps = _table(sec, "改造环节")
    by_step = Counter((names[r.community_id], r.step) for r in applied)
    for community in set(names.values()):
        expected = [sum(1 for r in applied if names[r.community_id] == community)]
        expected += [by_step[(community, st.value)] for st in Step]
        assert list(steps[community]) == expected, community
    assert steps["合计"][0] == len(applied)

    done = [
        r
        for r in rows
        if r.step == Step.COMPLETED.value and r.accepted_on and first <= r.accepted_on <= last
    ]
    money = _table(sec, "改造资金")
    assert money["合计"][:4] == (
        len(done),
        sum(r.cost_fen for r in done) / 100,
        sum(r.subsidy_fen for r in done) / 100,
        sum(r.household_fen for r in done) / 100,
    )
    assert sum(r.subsidy_fen + r.household_fen for r in done) == sum(r.cost_fen for r in done)

    checks = _table(sec, "施工与验收")
    building = [r for r in rows if r.step == Step.CONSTRUCTION.value]
    late = [r for r in building if r.planned_end and r.planned_end < last]
    case_ids = {r.id for r in rows}
    held = [
        a
        for cid, a, on in events
        if cid in case_ids and first <= on <= last and a in (Action.ACCEPT, Action.FAIL)
    ]
    passed = held.count(Action.ACCEPT.value)
    assert checks["合计"] == (
        len(building),
        len(late),
        len(held),
        passed,
        passed / len(held) if held else None,
    )
    assert late, "the demo has overdue construction"
    months = _table(sec, "改造按月")
    assert sum(v[0] for v in months.values()) >= len(done)  # the year's months are in the 12


def test_children_figures_match_an_independent_count(
    office: Workspace, actors: dict[str, Actor]
) -> None:
    names = _communities(office)
    sup = actors["dudao"]
    with office.reader() as s:
        report = reports.build(s, sup, MONTH, today=TODAY)
        children = list(s.scalars(select(Child).where(Child.deleted_at.is_(None))))
        kids = {c.id: c for c in children}
        all_cases = list(s.scalars(select(ChildCase).where(ChildCase.deleted_at.is_(None))))
        figures = worklists.figures(s, sup, today=TODAY)
    sec = _section(report, "儿童关爱保护")
    first, last = MONTH.first, min(MONTH.last, TODAY)
    reg = _table(sec, "儿童类别")
    assert reg["合计"][0] == len([c for c in children if c.registered_on <= last])
    for community in set(names.values()):
        mine = [c for c in children if names[c.community_id] == community]
        cats = Counter(x for c in mine for x in c.categories.strip(",").split(",") if x)
        assert reg[community][0] == len(mine)
        assert reg[community][1:7] == tuple(
            cats[k] for k in ("孤儿", "事实无人抚养儿童", "困境儿童（经济）", "困境儿童（自身）",
                              "困境儿童（安全）", "留守儿童")
        )  # fmt: skip
    by_cat = figures.by_category
    assert reg["合计"][1:7] == tuple(by_cat[k] for k in list(by_cat)[:6])

    open_now = [c for c in all_cases if c.closed_on is None or c.closed_on > last]
    case_table = _table(sec, "儿童个案")
    reported = [c for c in all_cases if first <= c.reported_on <= last]
    assert case_table["合计"][:4] == (
        len(reported),
        sum(1 for c in reported if c.urgent),
        sum(1 for c in all_cases if c.closed_on and first <= c.closed_on <= last),
        len(open_now),
    )
    steps = Counter(c.step for c in open_now)
    assert case_table["合计"][4:9] == tuple(steps[s.value] for s in CaseStep if s.value != "结案")
    assert len(open_now) == sum(figures.open_cases_by_step.values())
    for community in set(names.values()):
        assert case_table[community][3] == sum(
            1 for c in open_now if names[kids[c.child_id].community_id] == community
        )
    # Follow-up visits this month, counted from the cases' own columns and their visits.
    with office.reader() as s:
        visited = set(
            s.scalars(
                select(ChildVisit.case_id).where(
                    ChildVisit.case_id.is_not(None),
                    ChildVisit.deleted_at.is_(None),
                    ChildVisit.visit_date.between(first, MONTH.last),
                )
            )
        )
        interval = {r.value: interval_for(s, r.value) for r in Risk}
    due = [
        c
        for c in all_cases
        if c.planned_on
        and c.risk
        and (
            c.id in visited
            or (
                c.step in (CaseStep.PLANNED.value, CaseStep.FOLLOW_UP.value)
                and (c.last_visit_on or c.planned_on) + timedelta(days=interval[c.risk])
                <= MONTH.last
            )
        )
    ]
    visits = _table(sec, "儿童回访")
    assert visits["合计"][:2] == (len(due), len(visited))
    assert len(visited) == figures.visits_done_in_month  # the 工作台's 本月回访 已访
    assert figures.visits_due_in_month <= len(due) and due


def test_each_role_sees_what_it_may(
    office: Workspace, actors: dict[str, Actor], tmp_path: Path
) -> None:
    names = _communities(office)
    with office.reader() as s:
        built = {who: reports.build(s, a, MONTH, today=TODAY) for who, a in actors.items()}
        child_names = set(s.scalars(select(Child.name)))
        director_community = names[actors["ertong01"].community_id or ""]
    titles = {who: [x.title[:4] for x in r.sections] for who, r in built.items()}
    assert titles["admin"] == ["老年人探", "居家适老", "儿童关爱"]
    assert titles["zhuangan1"] == ["老年人探", "居家适老", "儿童关爱"]
    assert titles["dudao"] == ["儿童关爱"] and titles["ertong01"] == ["儿童关爱"]
    # Counts only, and the same counts for the office as the child supervisor's; in the
    # communities' rows a count of 1 or 2 shows as "<3" to everyone but the child roles.
    sup = _table(_section(built["dudao"], "儿童"), "儿童类别")
    assert any(v in (1, 2) for name, row in sup.items() if name != "合计" for v in row)
    for who in ("admin", "kezhang", "zhuangan1"):
        other = _table(_section(built[who], "儿童"), "儿童类别")
        assert other["合计"] == sup["合计"]
        for name, row in sup.items():
            if name != "合计":
                assert other[name] == tuple("<3" if v in (1, 2) else v for v in row)
        assert "<3" not in {v for r in sup.values() for v in r}
    # The child director: their community, its figures the same as in the full report.
    mine = _table(_section(built["ertong01"], "儿童"), "儿童类别")
    assert list(mine) == [director_community, "合计"]
    assert mine[director_community] == sup[director_community] == mine["合计"]
    assert director_community in built["ertong01"].title  # not the whole office's report
    assert director_community not in built["dudao"].title
    # Never a name: not in the tables, not in the .xlsx, not in the PDF.
    for who in ("admin", "dudao"):
        sec = _section(built[who], "儿童")
        cells = {str(v) for t in sec.tables for r in t.rows for v in r}
        assert not cells & child_names
    xlsx = write_xlsx(built["admin"], tmp_path / "admin.xlsx")
    wb = load_workbook(xlsx)
    values = {str(c) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for c in r}
    assert not values & child_names and "儿童回访" in wb.sheetnames
    assert wb["改造资金"]["C3"].number_format == "0.00"
    pdf = write_pdf(built["admin"], tmp_path / "admin.pdf")
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages).replace(" ", "")
    assert "居家适老化改造" in text and "儿童关爱保护（仅统计数）" in text
    assert not any(n in text for n in child_names)


def test_a_line_with_gaps_is_drawn_and_an_empty_one_too() -> None:
    from reportlab.graphics import renderPDF

    from caseworker.printing.report_pdf import _gaps, chart_drawing

    assert _gaps((None, 0.5, 0.6, None)) == [None, 50.0, 60.0, None]
    assert _gaps((None, 0.5, None, 0.6, 0.7)) == [0, 50.0, 0, 60.0, 70.0]
    assert _gaps((None, None)) == [0, 0]
    for values in ((None, 0.5, 0.6, None), (None,) * 12, (None, 0.5, None)):
        chart = reports.Chart("line", "t", tuple(str(i) for i in range(len(values))), values)
        assert renderPDF.drawToString(chart_drawing(chart, 300, 200, "Helvetica"))
