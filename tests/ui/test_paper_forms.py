"""Printed forms typed back through the real windows (offscreen): a keyboard-wedge scanner's code
on 工作台 or in a list's search box opens the entry at once (the elderly visit form, the child's
visit, the retrofit acceptance step and assessment) and, typed twice, says it was entered and
opens what was entered; 导入扫描件 lists a batch and opens a page with its ticks set and the
unsure ones marked, nothing saved until the caseworker confirms."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit, QWidget
from sqlalchemy import select

from caseworker.domain import form_code
from caseworker.domain.retrofit import Action, Step
from caseworker.printing import visit_forms
from caseworker.services import paper
from caseworker.services.elderly import forms, visits
from db.children import ChildCase, ChildVisit
from db.models import PrintedForm
from db.retrofit import RetrofitCase
from tests.scan.generator import pdf_of_images, scan_of
from tests.ui.conftest import log_in, type_text
from tests.ui.test_admin_pages import no_popups, when_dialog_opens  # noqa: F401  (a fixture)
from ui.children.common import FormDialog
from ui.elderly.visit_form import VisitForm
from ui.paper_codes import UNSURE_STYLE, ScanImport
from ui.retrofit.assessment_editor import AssessmentEditor
from ui.retrofit.step_dialog import StepDialog


def _session(demo_root: Path, make_controller, qtbot, user: str):
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, user)
    window = controller.window
    assert window is not None
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return controller


@pytest.fixture
def worker(demo_root: Path, make_controller, qtbot):
    return _session(demo_root, make_controller, qtbot, "zhuangan1")


def _scan_code(qtbot, target: QWidget, code: str) -> None:
    """What a USB barcode scanner does: the digits in one quick burst, then Enter, as key
    presses to whatever has the focus."""
    window = target.window()
    window.activateWindow()  # back from the last dialog
    qtbot.waitUntil(window.isActiveWindow)
    target.setFocus()
    focus = QApplication.focusWidget() or target
    qtbot.keyClicks(focus, code)
    qtbot.keyClick(focus, Qt.Key.Key_Return)


def _home(controller) -> QWidget:
    """Somewhere on 工作台 that is not a text box (a work list's table)."""
    window = controller.window
    window.show_section(window.section_index("home"))
    page = window.current_page()
    assert page is not None
    views = [v for v in page.findChildren(QAbstractItemView) if v.isVisible()]
    return views[0] if views else page


def _unvisited_form(controller) -> tuple[visit_forms.VisitFormData, str]:
    """A resident due this month with no visit yet, and the code of a visit form printed for
    them."""
    ctx, actor = controller.ctx, controller.ctx.actor
    month = date.today().replace(day=1)
    for data in ctx.read(lambda s: forms.month_forms(s, actor, month)):
        code = paper.issue_visit_forms(ctx.ws.engine, actor, [data], month)[0].code(1)
        found = ctx.read(lambda s, c=code: paper.resolve(s, actor, c))
        if found.entered_ref is None:
            return data, code
    raise AssertionError("no resident left to visit this month")


def _printed(controller, code: str) -> PrintedForm:
    form_id = code[4:16]
    return controller.ctx.read(lambda s: s.get(PrintedForm, form_id))


def test_a_code_scanned_on_the_home_page_opens_the_visit_and_twice_says_entered(
    worker,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    data, code = _unvisited_form(worker)
    opened: list[VisitForm] = []
    today = date.today()

    def fill(form: VisitForm) -> None:
        opened.append(form)
        assert form.resident.id == data.resident_id and form.visit is None
        form.visit_date.setText(f"{today.year}年{today.month}月{today.day}日")
        qtbot.keyClick(form.choices["health_communication"], Qt.Key.Key_1)
        qtbot.keyClick(form.visitors, Qt.Key.Key_Return)  # Enter saves a draft

    when_dialog_opens(qtbot, fill)
    home = _home(worker)
    _scan_code(qtbot, home, code)  # focus on the page itself, in no text box
    assert opened, "the code opened no visit form"
    saved = opened[0].saved
    assert saved is not None
    assert _printed(worker, code).entered_ref == saved.id

    def look(form: VisitForm) -> None:
        assert form.visit is not None and form.visit.id == saved.id  # what was entered
        form.reject()

    when_dialog_opens(qtbot, look)
    _scan_code(qtbot, home, code)
    assert any("已经录入过" in text for text in no_popups)
    history = worker.ctx.read(lambda s: visits.history(s, worker.ctx.actor, data.resident_id))
    assert [v.id for v in history if v.visit_date == today] == [saved.id]  # never twice


def test_a_visit_entered_by_its_code_offers_the_retrofit_application_as_one_typed_by_name(
    worker,
    qtbot,
    no_popups,  # noqa: F811
    monkeypatch,
) -> None:
    """A visit that found the need for 适老化改造 asks whether to register an application, the
    same whether it was typed by name or opened by its code (or a scanned page), and leaves the
    caseworker on the page she was on."""
    from PySide6.QtWidgets import QMessageBox

    _data, code = _unvisited_form(worker)
    asked: list[str] = []

    def answer_no(*args, **kwargs):
        asked.append(str(args[2]) if len(args) > 2 else "")
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer_no))

    def fill(form: VisitForm) -> None:
        need = form.choices["needs_services"]
        qtbot.keyClick(need, Qt.Key.Key_5)  # 适老化改造
        assert need.value() == "适老化改造"
        qtbot.keyClick(form.visitors, Qt.Key.Key_Return)

    when_dialog_opens(qtbot, fill)
    home = _home(worker)
    _scan_code(qtbot, home, code)
    assert _printed(worker, code).entered_ref is not None
    assert len(asked) == 1 and "适老化改造" in asked[0]
    assert worker.window.current_page() is worker.window.page_behind("home")


def test_a_code_in_a_list_search_box_opens_it_and_ordinary_numbers_stay_typed(
    worker,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    data, code = _unvisited_form(worker)
    page = worker.window.page("elderly")
    search = next(w for w in page.findChildren(QLineEdit) if w.isVisible())
    seen: list[str] = []

    def close(form: VisitForm) -> None:
        seen.append(form.resident.id)
        form.reject()

    when_dialog_opens(qtbot, close)
    _scan_code(qtbot, search, code)
    assert seen == [data.resident_id] and search.text() == ""
    # an ID-card number typed by a person is a search, not a code
    search.clear()
    qtbot.keyClicks(search, "11010519491231002X")
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert search.text() == "11010519491231002X" and seen == [data.resident_id]


def test_a_child_visit_code_opens_the_childs_visit_entry(
    demo_root: Path,
    make_controller,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    controller = _session(demo_root, make_controller, qtbot, "dudao")
    ctx, actor = controller.ctx, controller.ctx.actor
    case = ctx.read(
        lambda s: s.scalars(
            select(ChildCase).where(ChildCase.step.in_(("帮扶计划", "回访")))
        ).first()
    )
    assert case is not None
    period = paper.period_of(date.today().replace(day=1))
    code = paper.issue_one(ctx.ws.engine, actor, "child_visit", case.id, period).code(1)
    entered: list[object] = []

    def fill(dialog: FormDialog) -> None:
        assert dialog.windowTitle() == "回访登记"
        dialog.widgets["method"].setCurrentIndex(1)  # 电话
        type_text(qtbot, dialog.widgets["notes"], "电话联系监护人，孩子按时上学")
        dialog.accept()
        entered.append(dialog.result_value)

    when_dialog_opens(qtbot, fill)
    _scan_code(qtbot, _home(controller), code)
    assert entered and entered[0] is not None, no_popups
    visit_id = entered[0].id  # type: ignore[attr-defined]
    stored = ctx.read(lambda s: s.get(ChildVisit, visit_id))
    assert stored.case_id == case.id and stored.method == "电话"
    assert _printed(controller, code).entered_ref == visit_id
    # typed twice: it says so and opens the child's case, where the visit is
    _scan_code(qtbot, _home(controller), code)
    assert any("已经录入过" in text for text in no_popups)
    children = controller.window.page("children")
    assert controller.window.current_page() is children
    assert children.stack.currentWidget() is children.case


def test_retrofit_codes_open_the_acceptance_step_and_the_assessment(
    worker,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    ctx, actor = worker.ctx, worker.ctx.actor

    def case_at(step: Step) -> str:
        return ctx.read(
            lambda s: s.scalar(select(RetrofitCase.id).where(RetrofitCase.step == step.value))
        )

    inspected, eligible = case_at(Step.INSPECTION), case_at(Step.ELIGIBLE)
    accept = paper.issue_one(ctx.ws.engine, actor, "retrofit_acceptance", inspected).code(1)
    assess = paper.issue_one(ctx.ws.engine, actor, "retrofit_assessment", eligible).code(1)
    steps: list[StepDialog] = []

    def sign(dialog: StepDialog) -> None:
        steps.append(dialog)
        assert dialog.action is Action.ACCEPT and dialog.case.id == inspected
        dialog.save()

    when_dialog_opens(qtbot, sign)
    _scan_code(qtbot, _home(worker), accept)
    assert steps and steps[0].result_info is not None
    assert ctx.read(lambda s: s.get(RetrofitCase, inspected)).step == Step.COMPLETED.value
    assert _printed(worker, accept).entered_ref == inspected

    editors: list[AssessmentEditor] = []

    def cancel(editor: AssessmentEditor) -> None:
        editors.append(editor)
        assert editor.case.id == eligible
        editor.reject()

    when_dialog_opens(qtbot, cancel)
    _scan_code(qtbot, _home(worker), assess)
    assert editors and _printed(worker, assess).entered_ref is None  # cancelled: not entered

    _scan_code(qtbot, _home(worker), accept)  # the acceptance again: entered, its case shown
    assert any("已经录入过" in text for text in no_popups)
    assert worker.window.current_page() is worker.window.page("retrofit")


def test_scan_import_lists_the_batch_and_saves_nothing_until_confirmed(
    worker,
    qtbot,
    no_popups,  # noqa: F811
    monkeypatch,
    tmp_path: Path,
) -> None:
    ctx, actor = worker.ctx, worker.ctx.actor
    data, _code = _unvisited_form(worker)
    stamp = paper.issue_visit_forms(ctx.ws.engine, actor, [data], date.today().replace(day=1))
    pdf = visit_forms.render_visit_forms([data], stamp)
    boxes = visit_forms.geometry().boxes
    kinds = ["empty"] * len(boxes)
    kinds[0] = "tick"  # 入户
    comm = [i for i, b in enumerate(boxes) if b.field == "health_communication"]
    kinds[comm[0]] = "tick"
    kinds[comm[1]] = "faint"  # two answers to a one-answer question, one faint: both asked
    scan = scan_of(pdf, 0, random.Random(8), dpi=200, colour=False, kinds=kinds)
    blank = Image.new("L", scan.image.size, 250)
    pdf_of_images([scan.image, blank, scan.image], tmp_path / "batch.pdf")
    monkeypatch.setattr(
        "ui.widgets.file_dialogs.ask", lambda parent, request: [tmp_path / "batch.pdf"]
    )
    listed: list[list[str]] = []
    looked: list[dict[str, object]] = []

    def look_then_cancel(form: VisitForm) -> None:
        row = form.choices["health_communication"]
        looked.append(
            {
                "method": form.method.value(),
                "marked": row.styleSheet() == UNSURE_STYLE,
                "tip": row.toolTip(),
                "handwriting": form.findChild(QWidget, "scan_handwriting") is not None,
            }
        )
        form.reject()

    def save(form: VisitForm) -> None:
        form.visit_date.setText(f"{date.today():%Y年%-m月%-d日}")
        qtbot.keyClick(form.choices["health_communication"], Qt.Key.Key_1)  # she looks: 正常
        qtbot.keyClick(form.visitors, Qt.Key.Key_Return)

    def drive(dialog: ScanImport) -> None:
        table = dialog.table
        listed.append([table.item(r, 3).text() for r in range(table.rowCount())])
        assert all(p.reading.image is None for p in dialog.pages)  # no page images held
        when_dialog_opens(qtbot, look_then_cancel)
        dialog.open_row(0)
        assert _printed(worker, stamp[0].code(1)).entered_ref is None  # nothing saved
        when_dialog_opens(qtbot, save)
        table.setCurrentCell(0, 0)
        qtbot.keyClick(table, Qt.Key.Key_Return)
        listed.append([table.item(r, 3).text() for r in range(table.rowCount())])
        dialog.accept()

    when_dialog_opens(qtbot, drive)
    worker.window.scan_action.trigger()
    assert listed, "导入扫描件 did not open"
    first, after = listed
    assert "已识别" in first[0] and "空白页" in first[1] and "同一张表" in first[2]
    assert looked == [
        {"method": "入户", "marked": True, "tip": looked[0]["tip"], "handwriting": True}
    ]
    assert "正常" in str(looked[0]["tip"])
    assert after[0] == "已录入"
    row = _printed(worker, stamp[0].code(1))
    assert row.entered_ref is not None and row.original.endswith(".jpg")
    assert (ctx.ws.paths.root / row.original).is_file()
    visit = ctx.read(lambda s: visits.get(s, actor, row.entered_ref))
    assert visit.values.method == "入户" and visit.values.health_communication == "正常"
    QApplication.processEvents()


def test_a_scanned_acceptance_ticked_not_passed_opens_the_failed_acceptance_step(
    worker,
    qtbot,
    no_popups,  # noqa: F811
    monkeypatch,
    tmp_path: Path,
) -> None:
    from caseworker.scan import templates
    from ui.retrofit.printing import build

    ctx, actor = worker.ctx, worker.ctx.actor
    case_id = ctx.read(
        lambda s: s.scalar(
            select(RetrofitCase.id).where(RetrofitCase.step == Step.INSPECTION.value)
        )
    )
    pdf = build(ctx, "acceptance", case_id).path.read_bytes()  # as 打印验收单 makes it
    row = ctx.read(
        lambda s: s.scalars(select(PrintedForm).where(PrintedForm.record_id == case_id)).first()
    )
    code = form_code.encode(ctx.read(paper._office_tag), row.id, 1)
    found = ctx.read(lambda s: paper.resolve(s, actor, code))
    template = ctx.read(lambda s: templates.for_found(s, found))
    assert [b.choice for b in template.boxes] == ["合格", "不合格"]
    scan = scan_of(pdf, 0, random.Random(4), dpi=200, kinds=["empty", "tick"], template=template)
    scan.image.save(tmp_path / "accept.jpg")
    monkeypatch.setattr(
        "ui.widgets.file_dialogs.ask", lambda parent, request: [tmp_path / "accept.jpg"]
    )
    steps: list[Action] = []

    def fail(step: StepDialog) -> None:
        steps.append(step.action)
        type_text(qtbot, step.reason, "扶手松动")
        step.save()

    def drive(dialog: ScanImport) -> None:
        when_dialog_opens(qtbot, fail)
        dialog.open_row(0)
        dialog.accept()

    when_dialog_opens(qtbot, drive)
    worker.window.scan_action.trigger()
    assert steps == [Action.FAIL]
    assert ctx.read(lambda s: s.get(RetrofitCase, case_id)).step == Step.CONSTRUCTION.value
    assert _printed(worker, code).entered_ref == case_id
