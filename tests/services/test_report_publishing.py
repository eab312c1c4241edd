"""The 统计报表 as a bureau publishes it: the children's pages stamped 保密 (and only those), the
definitions as footnotes under each section, the running month marked, the last page with
lines for the seal and the head, <3 in a community's small cells in the .xlsx too, children
in difficulty counted once, child directors in post, services by kind."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from caseworker.domain import periods
from caseworker.domain.children import ChildCategory
from caseworker.domain.roles import Actor
from caseworker.printing.report_pdf import write_pdf
from caseworker.services import accounts, reports
from caseworker.services.children import worklists
from caseworker.services.reports.output import write_xlsx
from caseworker.workspace import Workspace
from tests.conftest import DemoCopy


@pytest.fixture(scope="module")
def office(demo_copy: DemoCopy) -> Workspace:
    ws = Workspace.open(demo_copy(400, 5))  # built and closed once per run, opened afresh
    yield ws
    ws.close()


def _login(ws: Workspace, user: str) -> Actor:
    with ws.writer(Actor.system("login")) as s:
        actor = accounts.authenticate(s, user, "demo1234").actor
    assert actor is not None
    return actor


def _section(report: reports.Report, start: str) -> reports.ReportSection:
    return next(x for x in report.sections if x.title.startswith(start))


def test_the_pdf_marks_the_childrens_pages_and_ends_with_the_sign_off(
    office: Workspace, tmp_path: Path
) -> None:
    chief = _login(office, "kezhang")
    today = date.today()
    with office.reader() as s:
        report = reports.build(s, chief, periods.year(today.year), today=today)
    pages = [
        p.extract_text().replace(" ", "")
        for p in PdfReader(write_pdf(report, tmp_path / "年报.pdf")).pages
    ]
    children_at = next(i for i, t in enumerate(pages) if "在册儿童（截至" in t)
    stamped = [i for i, t in enumerate(pages) if "保密·仅限工作使用" in t]
    assert stamped and stamped[0] <= children_at <= stamped[-1]
    assert 0 not in stamped  # page 1's 主要指标 are totals, no child's page
    assert stamped == list(range(stamped[0], len(pages)))  # the section runs to the end
    assert "主要指标" in pages[0] and "探访情况" in pages[0]
    last = pages[-1]
    for line in (
        "填报单位（盖章）",
        "单位负责人（签字）",
        "审核人（科长）",
        "填表人",
        "报送日期",
        "单位公章",
    ):
        assert line in last, line
    text = "".join(pages)
    assert text.count("注：") >= 3  # each section's footnotes
    assert "人·月" in text and "探访人数" in text and "探访次数" in text  # a year: people apart
    if report.partial:  # the running month is marked in the trend and said in a footnote
        assert f"{today.year % 100:02d}年{today.month}月*" in text and "不是整月数字" in text


def test_small_cells_are_hidden_in_the_xlsx_for_other_roles_not_for_the_child_supervisor(
    office: Workspace, tmp_path: Path
) -> None:
    month = periods.month(date.today())
    sheets = {}
    for user in ("kezhang", "dudao"):
        actor = _login(office, user)
        with office.reader() as s:
            report = reports.build(s, actor, month)
        wb = load_workbook(write_xlsx(report, tmp_path / f"{user}.xlsx"))
        sheets[user] = wb
    chief = sheets["kezhang"]
    sheet = next(n for n in chief.sheetnames if n.endswith("儿童类别"))
    values = [c for row in chief[sheet].iter_rows(min_row=3, values_only=True) for c in row]
    assert "<3" in values
    sup = sheets["dudao"][next(n for n in sheets["dudao"].sheetnames if n.endswith("儿童类别"))]
    assert "<3" not in [c for row in sup.iter_rows(min_row=3, values_only=True) for c in row]
    assert "（保密）" in str(chief[sheet]["A1"].value)


def test_children_in_difficulty_directors_and_services_are_counted(office: Workspace) -> None:
    sup = _login(office, "dudao")
    today = date.today()
    with office.reader() as s:
        report = reports.build(s, sup, periods.year(today.year), today=today)
        figures = worklists.figures(s, sup, today=today)
        communities = accounts.communities(s)
    section = _section(report, "儿童关爱")
    reg = next(t for t in section.tables if t.key == "儿童类别")
    head = [c.header for c in reg.columns]
    total = dict(zip(head, reg.rows[-1], strict=True))
    subtypes = [c.value for c in ChildCategory if "困境" in c.value]
    # once per child: never more than the subtypes added up, at least the largest of them
    assert (
        max(total[k] for k in subtypes)
        <= total["困境儿童（人）"]
        <= sum(total[k] for k in subtypes)
    )
    assert total["在册"] == figures.children
    staff = next(t for t in section.tables if t.key == "儿童工作队伍")
    assert staff.rows[-1][1] == len(communities)  # the demo has a director per community
    services = next(t for t in section.tables if t.key == "帮扶服务")
    assert "心理介入（心理疏导）" in [c.header for c in services.columns]
    assert services.rows[-1][-1] == sum(services.rows[-1][1:-1])
    assert dict(section.headline)["儿童主任/督导员"].startswith(f"{len(communities)} / ")
