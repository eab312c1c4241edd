"""导出Excel on the retrofit and children screens, and 统计报表's programme chooser, driven like a
person would: the file holds what the screen holds (masked), a child export is logged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from caseworker.domain.retrofit import Action
from caseworker.domain.roles import Actor
from caseworker.workspace import Workspace
from db.children import ChildViewLog
from tests.services import _retrofit as rf
from tests.services._children import TODAY
from tests.services.test_exports_programmes import _children_world
from tests.ui.test_excel_reports_ui import _ctx, popups, save_to  # noqa: F401
from ui.children.register_page import RegisterPage
from ui.children.work_lists import ChildWorkLists
from ui.reports.page import ReportsPage
from ui.retrofit.case_list import CaseListPage
from ui.retrofit.contractors_page import ContractorsPage
from ui.retrofit.work_lists import RetrofitWorkListsPanel


def _rows(path: Path) -> list[tuple[object, ...]]:
    return list(load_workbook(path).active.iter_rows(min_row=3, values_only=True))


def test_retrofit_export_buttons(
    office_ws: Workspace,
    worker: Actor,
    qtbot,
    tmp_path: Path,
    popups,  # noqa: F811
    save_to,  # noqa: F811
) -> None:
    chief = rf.supervisor(office_ws)
    firm = rf.contractor(office_ws, chief)
    late = rf.open_case(office_ws, worker, "陈桂兰", seq=22)
    rf.open_case(office_ws, worker, "刘玉珍", seq=24, community="安贞社区")
    rf.step(office_ws, worker, late.id, Action.CHECK, on=date(2026, 10, 9))
    rf.assess(office_ws, worker, late.id, [("R01", 1250)])
    rf.step(office_ws, worker, late.id, Action.SUBMIT, on=date(2026, 10, 12))
    rf.step(office_ws, chief, late.id, Action.APPROVE, on=date(2026, 10, 15))
    rf.step(
        office_ws,
        worker,
        late.id,
        Action.START,
        contractor_id=firm,
        start=date(2026, 10, 20),
        planned_end=date(2026, 11, 1),
    )
    ctx = _ctx(office_ws, worker)
    page = CaseListPage(ctx)
    qtbot.addWidget(page)
    page.community.setCurrentIndex(page.community.findText("安贞社区"))
    actions = page.export_button.menu().actions()
    assert [a.text() for a in actions] == [
        "当前列表（按查找和筛选条件）",
        "施工单位",
        "改造项目目录",
    ]
    save_to.append(tmp_path / "改造")
    actions[0].trigger()
    rows = _rows(tmp_path / "改造.xlsx")
    assert [r[1] for r in rows] == ["刘玉珍"] and "*" in str(rows[0][2])
    assert "安贞社区" in load_workbook(tmp_path / "改造.xlsx").active["A1"].value
    assert "1 行" in popups[-1]
    save_to.append(tmp_path / "目录.xlsx")
    actions[2].trigger()
    assert len(_rows(tmp_path / "目录.xlsx")) == 30

    panel = RetrofitWorkListsPanel(ctx, lambda _id: None)
    qtbot.addWidget(panel)
    items = panel.export_button.menu().actions()
    assert [a.text() for a in items] == ["待评估", "待审批", "施工逾期", "待验收"]
    save_to.append(tmp_path / "逾期.xlsx")
    items[2].trigger()
    assert [r[1] for r in _rows(tmp_path / "逾期.xlsx")] == ["陈桂兰"]

    firms = ContractorsPage(ctx)
    qtbot.addWidget(firms)
    save_to.append(tmp_path / "施工单位.xlsx")
    firms.export_button.click()
    assert _rows(tmp_path / "施工单位.xlsx")[0][2] == "13800001111"


def test_children_export_buttons_are_masked_and_logged(
    office_ws: Workspace,
    child_staff: dict[str, Actor],
    qtbot,
    tmp_path: Path,
    popups,  # noqa: F811
    save_to,  # noqa: F811
) -> None:
    staff, _ids = _children_world(office_ws, child_staff)
    ctx = _ctx(office_ws, staff["ertong1"])  # the director of 和平里社区
    page = RegisterPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    page.grab().save(str(tmp_path / "register.png"))
    save_to.append(tmp_path / "儿童.xlsx")
    page.export_button.menu().actions()[0].trigger()
    rows = _rows(tmp_path / "儿童.xlsx")
    assert sorted(r[0] for r in rows) == ["李小刚", "黄小明"]
    assert all(str(r[3]).count("*") == 8 and str(r[5]).endswith("****") for r in rows)
    with office_ws.reader() as s:
        logged = s.execute(
            select(ChildViewLog.staff_name, ChildViewLog.action).where(
                ChildViewLog.action.like("导出Excel%")
            )
        ).all()
    assert sorted(logged) == [("赵主任", "导出Excel：儿童台账")] * 2

    panel = ChildWorkLists(_ctx(office_ws, staff["dudao"]), lambda _i: None, lambda _i: None)
    qtbot.addWidget(panel)
    actions = {a.text(): a for a in panel.export_button.menu().actions()}
    assert len(actions) == 8
    save_to.append(tmp_path / "紧急.xlsx")
    actions["紧急"].trigger()
    assert [r[0] for r in _rows(tmp_path / "紧急.xlsx")] == ["张小红"]


def test_reports_page_shows_each_programme(
    office_ws: Workspace,
    worker: Actor,
    qtbot,
    tmp_path: Path,
    popups,  # noqa: F811
    save_to,  # noqa: F811
) -> None:
    rf.open_case(office_ws, worker, "陈桂兰", seq=22, applied_on=date(2026, 11, 3))
    page = ReportsPage(_ctx(office_ws, worker), today=TODAY)
    qtbot.addWidget(page)
    page.resize(1200, 860)
    page.show()
    qtbot.wait(20)
    assert [page.view.section.itemText(i) for i in range(page.view.section.count())] == [
        "老年人探访关爱",
        "居家适老化改造",
        "儿童关爱保护（仅统计数）",
    ]
    page.view.section.setCurrentIndex(1)
    assert page.view.headline.itemAtPosition(1, 0).widget().text() == "1 户"
    assert page.view.bar.chart is not None and page.view.bar.chart.title.endswith("验收合格率")
    assert page.view.tables.tabText(0) == "本期申请户数（按目前环节）"
    page.grab().save(str(tmp_path / "report-retrofit.png"))
    page.view.section.setCurrentIndex(2)
    assert page.view.bar.chart is not None and page.view.bar.chart.title.endswith("儿童回访率")
    page.grab().save(str(tmp_path / "report-children.png"))
