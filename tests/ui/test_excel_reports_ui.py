"""导入台账 wizard, 导出Excel buttons and the 统计报表 section, driven like a person would."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from PySide6.QtWidgets import QComboBox, QMessageBox
from sqlalchemy import func, select

from caseworker.domain import periods
from caseworker.domain.roles import Actor
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from tests.services import _rosters as m
from tests.services._elderly import TODAY, add
from tests.services.test_reports import counted  # noqa: F401 (the hand-counted roster)
from ui.context import AppContext
from ui.elderly.import_wizard import ImportWizard
from ui.elderly.roster_page import RosterPage
from ui.reports.page import ReportsPage
from ui.tasks import SyncRunner


@pytest.fixture
def popups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def record(*args, **kwargs):
        shown.append(str(args[2]) if len(args) > 2 else "")
        return QMessageBox.StandardButton.Yes

    for name in ("information", "warning", "critical", "question"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(record))
    return shown


@pytest.fixture
def save_to(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    """The save dialog answers with the next path of this list."""
    answers: list[Path] = []
    monkeypatch.setattr("ui.widgets.file_dialogs.ask", lambda parent, request: [answers.pop(0)])
    return answers


def _ctx(ws: Workspace, actor: Actor) -> AppContext:
    return AppContext(ws, SyncRunner(), actor)


def _count(ws: Workspace) -> int:
    with ws.reader() as s:
        return s.scalar(select(func.count()).select_from(ElderlyResident)) or 0


def test_import_wizard_file_mapping_preview_apply(
    office_ws: Workspace, worker: Actor, qtbot, tmp_path: Path, popups, save_to
) -> None:
    ctx = _ctx(office_ws, worker)
    wizard = ImportWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    path = m.write_xlsx(tmp_path / "台账.xlsx")
    wizard.path_edit.setText(str(path))
    wizard.next_button.click()
    assert wizard.pages.currentIndex() == 1
    labels = [
        wizard.mapping_table.item(r, 1).text() for r in range(wizard.mapping_table.rowCount())
    ]
    assert "赡养人姓名" in labels and "公民身份号码" in labels
    wizard.next_button.click()
    assert wizard.pages.currentIndex() == 2
    assert "新增 6 人" in wizard.summary_label.text()
    assert wizard.next_button.text() == "导入" and wizard.next_button.isEnabled()
    wizard.filter.setCurrentIndex(wizard.filter.findData("未导入"))
    assert wizard.rows_model.rowCount() == len(m.REJECTED)
    save_to.append(tmp_path / "报告.xlsx")
    wizard.report_button.click()
    assert (tmp_path / "报告.xlsx").exists()
    wizard.grab().save(str(tmp_path / "wizard.png"))
    wizard.next_button.click()
    assert wizard.pages.currentIndex() == 3
    assert "新增 6 人" in wizard.done_label.text() and "备份" in wizard.done_label.text()
    assert _count(office_ws) == 6
    # The same file again: nothing to write, so 导入 stays off.
    again = ImportWizard(ctx)
    qtbot.addWidget(again)
    again.path_edit.setText(str(path))
    again.next_button.click()
    again.next_button.click()
    assert "无变化 6 行" in again.summary_label.text() and not again.next_button.isEnabled()


def test_wizard_maps_a_sheet_named_after_an_unknown_community(
    office_ws: Workspace, worker: Actor, qtbot, tmp_path: Path, popups
) -> None:
    """Issue 18: every row of a sheet named 一片区 was refused (没有社区) with no way out."""
    from datetime import date

    from caseworker.domain import idnumber

    ctx = _ctx(office_ws, worker)
    wizard = ImportWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    people = [["姓名", "身份证号"]] + [
        [f"老人{i}", idnumber.make("110105", date(1940, 1, 1 + i), 11 + 2 * i)] for i in range(3)
    ]
    path = m.write_xlsx(tmp_path / "旧.xlsx", [("一片区", people)])
    wizard.path_edit.setText(str(path))
    wizard.next_button.click()
    wizard.next_button.click()
    assert wizard.pages.currentIndex() == 2 and not wizard.next_button.isEnabled()
    assert wizard.communities_box.isVisible()
    assert wizard.communities_table.item(0, 0).text() == "一片区"
    assert wizard.communities_table.item(0, 1).text() == "3"
    _name, combo = wizard.community_combos[0]
    combo.setCurrentIndex(combo.findText("柳芳村"))
    wizard.remap_button.click()
    assert not wizard.communities_box.isVisible()
    assert "新增 3 人" in wizard.summary_label.text() and wizard.next_button.isEnabled()
    wizard.next_button.click()
    assert _count(office_ws) == 3


def test_wizard_mapping_can_be_corrected(
    office_ws: Workspace, worker: Actor, qtbot, tmp_path: Path, popups
) -> None:
    path = m.write_xlsx(
        tmp_path / "x.xlsx", [("Sheet1", [["名字", "号码", "片区"], ["钱大爷", m.ZHAO, "安贞"]])]
    )
    wizard = ImportWizard(_ctx(office_ws, worker))
    qtbot.addWidget(wizard)
    wizard.path_edit.setText(str(path))
    wizard.next_button.click()
    # No header was recognised: the person names the columns.
    assert "没有找到表头" in wizard.sheets_label.text()
    assert wizard.mapping_table.rowCount() == 3
    for row, field in enumerate(("name", "id_number", "community")):
        combo = wizard.mapping_table.cellWidget(row, 2)
        assert isinstance(combo, QComboBox) and combo.currentData() == ""
        combo.setCurrentIndex(combo.findData(field))
    wizard.next_button.click()
    assert wizard.pages.currentIndex() == 2 and "新增 1 人" in wizard.summary_label.text()
    assert wizard.rows_model.row(0).community_name == "安贞社区"


def test_roster_export_button_uses_the_screens_filter(
    office_ws: Workspace, worker: Actor, qtbot, tmp_path: Path, popups, save_to
) -> None:
    add(office_ws, worker, "王秀英", date(1944, 5, 6), seq=12, phone="13812345678")
    add(office_ws, worker, "李建国", date(1950, 1, 2), seq=13, community="安贞社区")
    page = RosterPage(_ctx(office_ws, worker))
    qtbot.addWidget(page)
    page.community.setCurrentIndex(page.community.findText("安贞社区"))
    save_to.append(tmp_path / "台账")
    page.export_button.click()
    out = tmp_path / "台账.xlsx"
    ws = load_workbook(out).active
    assert "安贞社区" in ws["A1"].value
    assert [r[0] for r in ws.iter_rows(min_row=3, values_only=True)] == ["李建国"]
    assert "1 行" in popups[-1]


def test_reports_section_shows_the_hand_count_and_saves(
    counted: Workspace,  # noqa: F811
    worker: Actor,
    qtbot,
    tmp_path: Path,
    popups,
    save_to,
) -> None:
    page = ReportsPage(_ctx(counted, worker), today=TODAY)
    qtbot.addWidget(page)
    page.resize(1200, 860)
    page.show()
    qtbot.wait(20)  # the automatic first report (this month)
    assert page.report is not None and page.report.period == periods.month(TODAY)
    page.month.setCurrentIndex(9)  # October
    page.generate_button.click()
    assert page.view.title.text().endswith("月报（2026年10月）")
    texts = [
        page.view.headline.itemAtPosition(1, c).widget().text()
        for c in range(page.view.headline.columnCount())
    ]
    # rate, target, people visited (人), visits (人次), due / visited people, overdue people
    assert texts[:6] == ["60.0%", "100%", "3 人", "3 人次", "5 / 3", "2 人"]
    assert page.view.bar.chart is not None and page.view.bar.chart.values[0] == pytest.approx(2 / 3)
    table = page.view.tables.widget(0)
    assert table.item(table.rowCount() - 1, 5).text() == "60.0%"
    page.grab().save(str(tmp_path / "reports.png"))
    save_to.append(tmp_path / "月报.pdf")
    page.pdf_button.click()
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "月报.pdf").pages)
    assert "60.0%" in text
    save_to.append(tmp_path / "月报.xlsx")
    page.xlsx_button.click()
    assert load_workbook(tmp_path / "月报.xlsx").sheetnames[0] == "探访情况"


def test_work_list_and_audit_export_buttons(
    office_ws: Workspace, worker: Actor, admin: Actor, qtbot, tmp_path: Path, popups, save_to
) -> None:
    from ui.admin.audit import AuditPage
    from ui.elderly.work_lists import WorkListsPanel

    add(office_ws, worker, "王秀英", date(1944, 5, 6), seq=12, enrolled_on=date(2026, 1, 5))
    panel = WorkListsPanel(_ctx(office_ws, worker), lambda _rid: None)
    qtbot.addWidget(panel)
    actions = panel.export_button.menu().actions()
    assert [a.text() for a in actions] == ["本月应访名单", "逾期未访名单", "转介待跟进"]
    save_to.append(tmp_path / "逾期.xlsx")
    actions[1].trigger()
    rows = list(load_workbook(tmp_path / "逾期.xlsx").active.iter_rows(min_row=3, values_only=True))
    assert [r[0] for r in rows] == ["王秀英"] and rows[0][8] > 0  # days overdue, a number
    assert panel.rates_chart.chart is not None and panel.rates_chart.chart.target == 1.0
    audit_page = AuditPage(_ctx(office_ws, admin))
    qtbot.addWidget(audit_page)
    save_to.append(tmp_path / "日志.xlsx")
    audit_page.export_button.click()
    ws = load_workbook(tmp_path / "日志.xlsx").active
    assert ws.max_row - 2 == audit_page.model.total
