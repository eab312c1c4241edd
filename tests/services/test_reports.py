"""统计报表 against a roster counted by hand: visits due/done/on time/overdue, roster by tier and
category, referrals; the PDF and .xlsx carry the same figures; quarters add their months."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from caseworker.domain import periods
from caseworker.domain.elderly import Category, Status
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.domain.visit_form import ReferralStatus
from caseworker.printing.report_pdf import write_pdf
from caseworker.services import reports
from caseworker.services.elderly import roster, schedule, visits
from caseworker.services.reports.elderly import visit_counts
from caseworker.services.reports.output import write_xlsx
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY, add

OCT = periods.month(date(2026, 10, 1))
NONE: frozenset[Category] = frozenset()


def _visit(ws: Workspace, a: Actor, rid: str, day: date, referral: bool = False) -> str | None:
    refs = [visits.ReferralDraft("医疗机构", day.replace(day=28))] if referral else []
    with ws.writer(a) as s:
        v = visits.complete(
            s, a, visits.VisitDraft(rid, day, visitors=("李专干",)), referrals=refs, today=TODAY
        )
    return v.referrals[0].id if v.referrals else None


@pytest.fixture
def counted(office_ws: Workspace, worker: Actor) -> Workspace:
    """The roster of the hand count (October 2026; intervals: key 30 days, general 90)."""
    a = add(office_ws, worker, "甲", date(1944, 5, 6), seq=11)  # key, 82: 高龄
    ref_a = _visit(office_ws, worker, a.id, date(2026, 9, 20))
    ref_a = _visit(office_ws, worker, a.id, date(2026, 10, 15), referral=True)  # on time
    b = add(office_ws, worker, "乙", date(1950, 1, 2), seq=13)
    _visit(office_ws, worker, b.id, date(2026, 9, 1))  # due 10-01, not visited: overdue
    c = add(office_ws, worker, "丙", date(1950, 1, 3), seq=15)
    _visit(office_ws, worker, c.id, date(2026, 8, 25))  # due 09-24
    _visit(office_ws, worker, c.id, date(2026, 10, 10), referral=True)  # late
    d = add(
        office_ws, worker, "丁", date(1950, 1, 4), seq=17, community="安贞社区", categories=NONE
    )
    _visit(office_ws, worker, d.id, date(2026, 9, 15))  # general: due 12-14, not due in Oct
    e = add(
        office_ws, worker, "戊", date(1950, 1, 5), seq=19, community="安贞社区", categories=NONE
    )
    _visit(office_ws, worker, e.id, date(2026, 9, 10))
    _visit(office_ws, worker, e.id, date(2026, 10, 5))  # early: counted due, on time
    add(office_ws, worker, "己", date(1950, 1, 6), seq=21, community="柳芳村",
        enrolled_on=date(2026, 10, 20))  # fmt: skip  # due at enrolment: overdue
    add(office_ws, worker, "庚", date(1950, 1, 7), seq=23, community="柳芳村",
        enrolled_on=date(2026, 11, 2))  # fmt: skip  # not on the roster in October
    h = add(office_ws, worker, "辛", date(1950, 1, 8), seq=25)
    _visit(office_ws, worker, h.id, date(2026, 9, 5))
    with office_ws.writer(worker) as s:
        roster.set_status(s, worker, h.id, Status.DECEASED, date(2026, 10, 12), today=TODAY)
        assert ref_a is not None
        visits.update_referral(
            s, worker, ref_a, ReferralStatus.CLOSED, "已就医", closed_on=date(2026, 10, 25),
            today=TODAY,
        )  # fmt: skip
    return office_ws


def _table(report: reports.Report, key: str) -> dict[str, tuple]:
    t = next(t for t in report.sections[0].tables if t.key == key)
    return {row[0]: row[1:] for row in t.rows}


def test_october_matches_the_hand_count(counted: Workspace, worker: Actor) -> None:
    with counted.reader() as s:
        report = reports.build(s, worker, OCT, today=TODAY)
        rates = schedule.visit_rates(s, worker, date(2026, 10, 1), today=TODAY)
    v = _table(report, "探访情况")
    # 应访 已访 按时 逾期未访 探访率 | 探访人数（人） 探访次数（人次）
    assert v["和平里社区"] == (3, 2, 1, 1, pytest.approx(2 / 3), 2, 2)
    assert v["安贞社区"] == (1, 1, 1, 0, 1.0, 1, 1)
    assert v["柳芳村"] == (1, 0, 0, 1, 0.0, 0, 0)
    assert v["合计"] == (5, 3, 2, 2, 0.6, 3, 3)
    # 应访/已访 are the figures of the month's visit rate the work lists show.
    assert {r.community_name: (r.due, r.visited) for r in rates} == {
        name: row[:2] for name, row in v.items()
    }
    t = next(t for t in report.sections[0].tables if t.key == "在册人数")
    header = [c.header for c in t.columns]
    r = {name: dict(zip(header[1:], row, strict=True)) for name, row in _table(report, "在册人数").items()}  # fmt: skip
    assert (r["和平里社区"]["在册"], r["和平里社区"]["重点"], r["和平里社区"]["高龄"]) == (3, 3, 1)
    assert (r["和平里社区"]["空巢"], r["和平里社区"]["减少"]) == (3, 1)
    assert (r["安贞社区"]["在册"], r["安贞社区"]["一般"]) == (2, 2)
    assert (r["柳芳村"]["在册"], r["柳芳村"]["新增"]) == (1, 1)
    assert r["合计"]["在册"] == 6
    assert _table(report, "转介")["和平里社区"] == (2, 1, 1)
    assert _table(report, "转介")["合计"] == (2, 1, 1)
    bar, line = report.sections[0].charts
    assert bar.labels == ("和平里社区", "安贞社区", "柳芳村") and bar.values[2] == 0.0
    assert line.labels[-1] == "26年10月" and line.values[-1] == 0.6
    assert dict(report.sections[0].headline)["探访率"] == "60.0%"


def test_quarter_adds_its_months(counted: Workspace, worker: Actor) -> None:
    with counted.reader() as s:
        q4 = reports.build(s, worker, periods.parse("2026-Q4"), today=TODAY)
        months = visit_counts(s, worker, [date(2026, 10, 1), date(2026, 11, 1)], today=TODAY)
    total_due = sum(c.due for c in months.values())
    total_visited = sum(c.visited for c in months.values())
    assert _table(q4, "探访情况")["合计"][:2] == (total_due, total_visited)
    assert q4.period.label == "2026年第4季度"


def test_pdf_and_xlsx_show_the_same_figures(
    counted: Workspace, worker: Actor, tmp_path: Path
) -> None:
    with counted.reader() as s:
        report = reports.build(s, worker, OCT, today=TODAY)
    pdf = write_pdf(report, tmp_path / "月报.pdf")
    reader = PdfReader(pdf)
    text = "".join(p.extract_text() for p in reader.pages)
    assert "测试街道办事处民政工作统计月报（2026年10月）" in text.replace(" ", "")
    assert f"共 {len(reader.pages)} 页" in text and "66.7%" in text and "60.0%" in text
    xlsx = write_xlsx(report, tmp_path / "月报.xlsx")
    wb = load_workbook(xlsx)
    assert wb.sheetnames[:4] == ["探访情况", "在册人数", "转介", "近12个月"]
    assert {"改造资金", "施工与验收", "儿童类别", "儿童回访"} <= set(wb.sheetnames)
    ws = wb["探访情况"]
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=3, values_only=True) if r and r[0]}
    assert rows["合计"] == (5, 3, 2, 2, 0.6, 3, 3)
    assert ws["F3"].number_format == "0.0%"


def test_refusals(counted: Workspace, worker: Actor) -> None:
    child = Actor(None, "d", "儿童主任", Role.CHILD_DIRECTOR)
    with counted.reader() as s:
        only = reports.build(s, child, OCT, today=TODAY)  # children's counts, nothing else
        assert [x.title for x in only.sections] == ["儿童关爱保护（仅统计数）"]
        with pytest.raises(ValidationError, match="还没有开始"):
            reports.build(s, worker, periods.parse("2027-01"), today=TODAY)
    with pytest.raises(ValueError, match="统计期"):
        periods.parse("2026-13")


def test_the_roster_counted_in_the_visits_pass_is_roster_counts(
    counted: Workspace, worker: Actor
) -> None:
    """The report counts the roster from the same read as the visits (one pass at 100,000
    residents); the SQL definition (`roster_counts`) gives the same figures."""
    from caseworker.services.reports.elderly import _stream, roster_counts

    for period in (OCT, periods.parse("2026-Q4"), periods.year(2026)):
        last = min(period.last, TODAY)
        tallied: dict[str, dict[str, int]] = {}
        with counted.reader() as s:
            _stream(s, worker, period.months, today=TODAY, span=(period.first, last),
                    roster=tallied)  # fmt: skip
            sql = roster_counts(s, worker, periods.Period(period.kind, period.first, last))
        assert tallied == sql, period.label
