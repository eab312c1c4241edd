"""适老化改造 driven like a retrofit officer: the list and its search, an application typed in,
the assessment editor by keyboard with live totals, approval by a supervisor, work lists on
工作台, and the acceptance form printed. Real widgets on the demo workspace, synchronous runner."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from sqlalchemy import select

from caseworker.domain import idnumber
from caseworker.domain.retrofit import Action, Step
from caseworker.services.retrofit import cases, search
from db.retrofit import RetrofitAssessmentItem, RetrofitCase
from tests.ui.conftest import log_in, type_text
from tests.ui.test_admin_pages import no_popups  # noqa: F401  (a fixture)
from ui.retrofit.application_dialog import ApplicationDialog
from ui.retrofit.assessment_editor import AssessmentEditor
from ui.retrofit.page import RetrofitPage
from ui.retrofit.printing import build
from ui.retrofit.step_dialog import StepDialog
from ui.retrofit.work_lists import RetrofitWorkListsPanel


def _session(demo_root: Path, make_controller, qtbot, user: str):
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, user)
    assert controller.window is not None
    return controller


@pytest.fixture
def worker(demo_root: Path, make_controller, qtbot):
    return _session(demo_root, make_controller, qtbot, "zhuangan1")


def test_the_section_lists_cases_and_searches(worker, qtbot) -> None:
    page = worker.window.page("retrofit")
    assert isinstance(page, RetrofitPage)
    assert page.queue is None  # caseworkers have no approval queue
    total = page.cases.model.total
    assert total >= 12 and page.cases.count_label.text() == f"共 {total} 户"
    first = page.cases.model.row(0)
    surname = first.name[0]
    type_text(qtbot, page.cases.search, surname)
    page.cases.reload()
    assert 0 < page.cases.model.total <= total
    assert all(surname in r.name or surname in r.address for r in page.cases.model.rows)
    page.cases.search.clear()
    page.cases.step.setCurrentIndex(page.cases.step.findData(Step.COMPLETED.value))
    assert all(r.step == Step.COMPLETED.value for r in page.cases.model.rows)
    page.cases.view.setCurrentIndex(page.cases.model.index(0, 0))
    qtbot.keyClick(page.cases.view, Qt.Key.Key_Return)
    assert page.stack.currentWidget() is page.case_page
    assert page.case_page.detail is not None
    assert page.case_page.detail.case.step is Step.COMPLETED
    assert page.case_page.strip.count() == len(page.case_page.detail.photos)


def test_home_work_lists_match_the_services(worker) -> None:
    home = worker.window.page("home")
    panel = home.findChild(RetrofitWorkListsPanel)
    assert panel is not None
    actor = worker.ctx.actor
    counts = worker.ctx.read(lambda s: search.work_list_counts(s, actor))
    for n, key in enumerate(("assess", "approve", "overdue", "inspect")):
        assert panel.tabs.tabText(n).endswith(f"（{counts[key]}）")
    assert counts["overdue"] > 0
    overdue = panel.models["overdue"]
    assert all(r.days_overdue > 0 for r in overdue.rows)
    panel.tabs.setCurrentIndex(2)
    view = panel.tabs.currentWidget()
    view.doubleClicked.emit(overdue.index(0, 0))
    page = worker.window.page("retrofit")
    assert page.case_page.case_id == overdue.row(0).id


def test_application_assessment_by_keyboard_and_approval(
    demo_root,
    make_controller,
    worker,
    qtbot,
    tmp_path,
    no_popups: list[str],  # noqa: F811
) -> None:
    page = worker.window.page("retrofit")
    dialog = ApplicationDialog(worker.ctx, page)
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.name, "钱淑华")
    qtbot.keyClicks(dialog.id_number, idnumber.make("110105", date(1941, 4, 9), 86))
    type_text(qtbot, dialog.address, "和平里九区3号楼201")
    assert "✘" in dialog.rule.text()
    dialog.boxes["低保"].setChecked(True)
    assert "✔" in dialog.rule.text() and "低保" in dialog.rule.text()
    dialog.save()
    info = dialog.result_info
    assert info is not None and info.step is Step.APPLIED and info.eligible
    page.open_case(info.id)
    assert page.case_page.action_buttons[Action.CHECK].isVisibleTo(page.case_page)
    step = StepDialog(worker.ctx, info, Action.CHECK, page)
    step.save()
    assert step.result_info is not None and step.result_info.step is Step.ELIGIBLE

    page.case_page.refresh()
    editor = AssessmentEditor(worker.ctx, page.case_page.detail, page)
    qtbot.addWidget(editor)
    editor.show()
    type_text(qtbot, editor.search, "扶手")
    assert editor.catalogue.count() == 2  # 走道 and 如厕洗浴
    qtbot.keyClick(editor.search, Qt.Key.Key_Down)
    qtbot.keyClick(editor.catalogue, Qt.Key.Key_Down)
    qtbot.keyClick(editor.catalogue, Qt.Key.Key_Return)
    assert editor.lines[-1].item.code == "R13"
    editor.table.item(0, 3).setText("3")  # what typing 3 into the quantity cell commits
    assert "合计 840.00 元" in editor.totals.text() and "政府补贴 840.00 元" in editor.totals.text()
    editor.focus_search()
    type_text(qtbot, editor.search, "坐便")
    qtbot.keyClick(editor.search, Qt.Key.Key_Return)
    assert editor.lines[-1].item.code == "R14"
    assert "家庭自付 1,600.00 元" in editor.totals.text()
    editor.table.item(1, 3).setText("abc")
    assert "数量" in editor.error.text()
    editor.save()
    assert not editor.saved  # refused: the bad quantity is named, nothing written
    editor.table.item(1, 3).setText("1")
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    qtbot.keyClick(editor.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert editor.saved
    rows = worker.ctx.read(
        lambda s: s.scalars(
            select(RetrofitAssessmentItem.item_code)
            .where(RetrofitAssessmentItem.case_id == info.id)
            .order_by(RetrofitAssessmentItem.sort_order)
        ).all()
    )
    assert rows == ["R13", "R14"]
    early = StepDialog(worker.ctx, info, Action.SUBMIT, page)
    early.save()  # no photo of the home as found yet: refused in the dialog, nothing changed
    assert "改造前照片" in early.error.text() and early.result_info is None
    from tests.services.test_retrofit_photos import phone_photo

    page.case_page.refresh()
    page.case_page.add_photos([str(phone_photo(tmp_path / "IMG_0001.jpg", (1600, 1200), 1))])
    StepDialog(worker.ctx, info, Action.SUBMIT, page).save()

    # The supervisor sees it in the approval queue and approves it.
    worker._close_main()
    chief = _session(demo_root, make_controller, qtbot, "kezhang")
    rpage = chief.window.page("retrofit")
    assert rpage.queue is not None
    assert info.id in [r.id for r in rpage.queue.model.rows]
    rpage.open_case(info.id)
    assert rpage.case_page.action_buttons[Action.APPROVE].isVisibleTo(rpage.case_page)
    current = chief.ctx.read(lambda s: cases.get(s, chief.ctx.actor, info.id))
    approve = StepDialog(chief.ctx, current, Action.APPROVE, rpage)
    approve.save()
    assert approve.result_info is not None and approve.result_info.step is Step.APPROVED
    stored = chief.ctx.read(lambda s: s.get(RetrofitCase, info.id))
    assert (stored.cost_fen, stored.subsidy_fen, stored.household_fen) == (244000, 84000, 160000)
    refused = StepDialog(chief.ctx, approve.result_info, Action.FINISH, rpage)
    refused.save()
    assert "不能“施工完成”" in refused.error.text()


def test_acceptance_form_prints_with_photos(worker) -> None:
    actor = worker.ctx.actor

    def pick(s):
        for r in search.page(s, actor, search.CaseQuery(step=Step.COMPLETED), 0, 100):
            if cases.detail(s, actor, r.id).photos:
                return r
        return None

    row = worker.ctx.read(pick)
    assert row is not None
    made = build(worker.ctx, "acceptance", row.id)
    data, filename = made.path.read_bytes(), made.filename
    made.path.unlink()
    reader = PdfReader(BytesIO(data))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "居家适老化改造验收单" in text and row.name in text and "签字" in text
    assert filename.endswith("验收单.pdf")
    images = sum(len(p.images) for p in reader.pages)
    assert images >= 2


def test_a_case_prints_by_one_path_and_a_failed_print_leaves_no_code(
    worker, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The window and the command line print a case through forms.print_case (it was written
    twice, and the window recorded the form's code before the PDF was made: a failed print left
    a code for paper that never existed)."""
    from sqlalchemy import func

    from caseworker import cli
    from caseworker.domain.errors import ValidationError
    from caseworker.printing import retrofit_forms
    from caseworker.services.retrofit import forms
    from db.models import PrintedForm

    ctx = worker.ctx

    def printed() -> int:
        return ctx.read(lambda s: int(s.scalar(select(func.count(PrintedForm.id))) or 0))

    case_id, case_no = ctx.read(
        lambda s: s.execute(select(RetrofitCase.id, RetrofitCase.case_no).limit(1)).one()
    )
    exports = ctx.ws.paths.exports
    exports.mkdir(parents=True, exist_ok=True)
    before, files = printed(), set(exports.iterdir())

    def broken(*args, **kw) -> bytes:
        raise ValidationError("打印失败")

    monkeypatch.setattr(retrofit_forms, "render_acceptance", broken)
    with pytest.raises(ValidationError):
        build(ctx, "acceptance", case_id)
    assert printed() == before and set(exports.iterdir()) == files
    monkeypatch.undo()

    calls: list[tuple[str, str | None]] = []
    real = forms.print_case

    def spy(replica, actor, kind, case, store, out):
        calls.append((kind, case))
        return real(replica, actor, kind, case, store, out)

    monkeypatch.setattr(forms, "print_case", spy)
    made = build(ctx, "assessment", case_id)
    made.path.unlink()
    out = tmp_path / "a.pdf"
    root = str(ctx.ws.paths.root)
    argv = ["print", "retrofit-assessment", "--workspace", root, "--case", case_no]
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert calls == [("assessment", case_id), ("assessment", case_id)]
    assert printed() == before + 2 and "入户评估表" in PdfReader(out).pages[0].extract_text()


def test_contractor_register(worker, qtbot) -> None:
    from ui.retrofit.contractors_page import ContractorDialog

    page = worker.window.page("retrofit")
    before = page.contractors.model.rowCount()
    dialog = ContractorDialog(worker.ctx, page)
    qtbot.addWidget(dialog)
    dialog.save()
    assert "请填写施工单位名称" in dialog.error.text() and dialog.result_info is None
    type_text(qtbot, dialog.name, "平安适老改造工程队")
    qtbot.keyClicks(dialog.phone, "0571-8888 1234")
    dialog.save()
    assert dialog.result_info is not None and dialog.result_info.phone == "0571-88881234"
    assert page.contractors.model.rowCount() == before + 1
    again = ContractorDialog(worker.ctx, page)
    type_text(qtbot, again.name, "平安适老改造工程队")
    again.save()
    assert "已登记" in again.error.text()


def test_photos_are_added_viewed_and_removed(
    worker,
    qtbot,
    tmp_path,
    monkeypatch,
    no_popups: list[str],  # noqa: F811
) -> None:
    from PySide6.QtCore import Qt

    from tests.services.test_retrofit_photos import phone_photo
    from ui.retrofit.case_page import PhotoViewer
    from ui.widgets import file_dialogs

    chosen: list[list] = []  # what the file dialog answers, per click
    asked: list[file_dialogs.Request] = []

    def ask(parent, request):
        asked.append(request)
        return chosen.pop(0)

    monkeypatch.setattr(file_dialogs, "ask", ask)

    page = worker.window.page("retrofit")
    page.cases.step.setCurrentIndex(page.cases.step.findData(Step.ELIGIBLE.value))
    page.open_case(page.cases.model.row(0).id)
    case_page = page.case_page
    assert case_page.photo_button.isEnabled()
    before = case_page.strip.count()
    # The button, clicked: it opens the file dialog (issue 18: `clicked` made it do nothing).
    chosen.append([phone_photo(tmp_path / "IMG_1.jpg", (2400, 1800), 6)])
    qtbot.mouseClick(case_page.photo_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and asked[0].mode is file_dialogs.Mode.OPEN_MANY
    assert "改造前" in asked[0].title
    assert case_page.strip.count() == before + 1
    # The strip's own menu offers it too; a cancelled dialog adds nothing.
    assert case_page.add_photo_action in case_page.strip.actions()
    chosen.append([])
    case_page.add_photo_action.trigger()
    assert len(asked) == 2 and case_page.strip.count() == before + 1
    added = case_page.detail.photos[-1]
    assert (added.width, added.height) == (1200, 1600) and added.stage == "改造前"
    viewer = PhotoViewer(case_page.store, list(case_page.detail.photos), before, case_page)
    qtbot.addWidget(viewer)
    assert viewer.image.pixmap() is not None and not viewer.image.pixmap().isNull()
    assert viewer.caption.text().startswith(f"{before + 1}/{before + 1}")
    case_page.strip.setCurrentRow(before)
    case_page.strip.setFocus()
    case_page.remove_photo_action.trigger()
    assert case_page.strip.count() == before
    assert added.id not in [p.id for p in case_page.detail.photos]


def test_resident_page_shows_the_case_and_a_visit_offers_an_application(
    worker,
    qtbot,
    no_popups: list[str],  # noqa: F811
) -> None:
    from caseworker.domain.visit_form import VisitStatus
    from caseworker.services.elderly.visits import VisitDraft, VisitInfo
    from db.elderly import ElderlyResident
    from tests.ui.test_admin_pages import when_dialog_opens
    from ui.retrofit.elderly_link import RetrofitResidentBox

    linked = worker.ctx.read(
        lambda s: s.execute(
            select(RetrofitCase.resident_id, RetrofitCase.case_no)
            .where(RetrofitCase.resident_id.is_not(None))
            .limit(1)
        ).one()
    )
    elderly = worker.window.page("elderly")
    box = elderly.resident.findChild(RetrofitResidentBox)
    elderly.open_resident(linked[0])
    assert linked[1] in box.label.text() and box.open_button.isVisibleTo(elderly.resident)
    box.open_button.click()
    retrofit = worker.window.page("retrofit")
    assert retrofit.case_page.detail.case.case_no == linked[1]

    without = worker.ctx.read(
        lambda s: s.scalar(
            select(ElderlyResident.id)
            .where(
                ElderlyResident.id.not_in(
                    select(RetrofitCase.resident_id).where(RetrofitCase.resident_id.is_not(None))
                )
            )
            .order_by(ElderlyResident.id)
            .limit(1)
        )
    )
    elderly = worker.window.page("elderly")
    elderly.open_resident(without)
    assert box.label.text() == "适老化改造：无" and box.apply_button.isVisibleTo(elderly.resident)
    seen: list[str] = []

    def look(dialog) -> None:
        seen.append(dialog.name.text())
        dialog.reject()

    draft = VisitDraft(resident_id=without, visit_date=date.today(), needs_services="适老化改造")
    visit = VisitInfo("v1", VisitStatus.COMPLETED, True, draft, draft, "李专干")
    when_dialog_opens(qtbot, look)
    elderly.visit_saved.emit(visit)
    name = worker.ctx.read(lambda s: s.get(ElderlyResident, without).name)
    assert seen == [name]  # the application opened, prefilled with the person
    assert any("适老化改造" in text for text in no_popups)


def test_blank_forms_from_the_list(worker, qtbot) -> None:
    from tests.ui.test_admin_pages import when_dialog_opens
    from ui.widgets.print_preview import PrintPreview

    page = worker.window.page("retrofit")
    pages: list[int] = []

    def look(dialog) -> None:
        assert isinstance(dialog, PrintPreview)
        pages.append(dialog.pages)
        dialog.done(0)

    when_dialog_opens(qtbot, look)
    page.cases.print_blank.emit("assessment")
    assert pages and pages[0] >= 1
    data = build(worker.ctx, "acceptance", None).path.read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
    assert "居家适老化改造验收单" in text and "老年人或家属" in text


def test_after_photos_name_their_item_and_a_supervisor_may_waive_them(
    demo_root,
    make_controller,
    qtbot,
    tmp_path,
    monkeypatch,
    no_popups: list[str],  # noqa: F811
) -> None:
    from PySide6.QtWidgets import QInputDialog

    from tests.services.test_retrofit_photos import phone_photo

    chief = _session(demo_root, make_controller, qtbot, "kezhang")
    page = chief.window.page("retrofit")
    page.cases.step.setCurrentIndex(page.cases.step.findData(Step.CONSTRUCTION.value))
    page.open_case(page.cases.model.row(0).id)
    case_page = page.case_page
    items = case_page.detail.items
    assert len(items) >= 2 and case_page.waive_button.isVisibleTo(case_page)
    asked: list[list[str]] = []

    def pick(_parent, _title, _label, labels, current, _editable):  # type: ignore[no-untyped-def]
        asked.append(list(labels))
        return labels[current], True

    monkeypatch.setattr(QInputDialog, "getItem", staticmethod(pick))
    case_page.add_photos([str(phone_photo(tmp_path / "IMG_0002.jpg", (1600, 1200), 1))])
    assert asked and len(asked[0]) == len(items) and "未拍" in asked[0][0]
    after = [p for p in case_page.detail.photos if p.stage == "改造后"]
    assert [p.item_id for p in after] == [items[0].id]  # the photo names its item
    monkeypatch.setattr(
        QInputDialog, "getText", staticmethod(lambda *_a: ("户主不同意拍摄其余项目", True))
    )
    case_page.waive_photos()
    assert "户主不同意拍摄其余项目" in case_page.fields["photos"].text()
