"""老年人探访 driven like a caseworker: typing residents and visits, work lists, printing.

Real widgets on the demo workspace, the synchronous runner, dialogs driven as they open.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from sqlalchemy import func, select

from caseworker.domain import idnumber
from caseworker.domain.visit_form import VisitStatus
from caseworker.services.elderly import roster, schedule, visits
from db.elderly import ElderlyResident, ElderlyVisit
from tests.ui.conftest import log_in, type_text
from tests.ui.test_admin_pages import no_popups, when_dialog_opens  # noqa: F401
from ui.elderly.amend_dialog import AmendDialog
from ui.elderly.page import ElderlyPage
from ui.elderly.resident_dialog import ResidentDialog
from ui.elderly.visit_form import VisitForm
from ui.elderly.work_lists import WorkListsPanel
from ui.widgets.print_preview import PrintPreview


@pytest.fixture
def worker_session(demo_root: Path, make_controller, qtbot):
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    assert controller.window is not None
    return controller


@pytest.fixture
def page(worker_session) -> ElderlyPage:
    return worker_session.window.page("elderly")


def _count_residents(controller) -> int:
    return controller.ctx.read(lambda s: s.scalar(select(func.count(ElderlyResident.id))))


def _any_resident(controller, **where) -> roster.ResidentInfo:
    actor = controller.ctx.actor

    def pick(s):
        q = select(ElderlyResident.id).order_by(ElderlyResident.id)
        for key, value in where.items():
            q = q.where(getattr(ElderlyResident, key) == value)
        return roster.get(s, actor, s.scalar(q.limit(1)))

    return controller.ctx.read(pick)


# -- new residents ---------------------------------------------------------------------------


def test_type_a_new_resident(worker_session, page, qtbot, no_popups) -> None:  # noqa: F811
    new_id = idnumber.make("110105", date(1948, 3, 15), 23)
    before = _count_residents(worker_session)

    def fill(dialog: ResidentDialog) -> None:
        qtbot.keyClicks(dialog.id_number, new_id)
        assert "1948-03-15" in dialog.id_facts.text() and "男" in dialog.id_facts.text()
        type_text(qtbot, dialog.name, "郑秋生")
        type_text(qtbot, dialog.address, "和平路8号")
        dialog.categories[next(iter(dialog.categories))].setChecked(True)
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter saves

    when_dialog_opens(qtbot, fill)
    page.add_resident()
    assert _count_residents(worker_session) == before + 1
    shown = page.resident.resident
    assert shown is not None and shown.name == "郑秋生" and shown.id_number == new_id
    assert page.stack.currentWidget() is page.resident
    assert page.resident.fields["id_number"].text() == new_id  # full number on the page
    assert page.resident.history_model.rowCount() >= 1  # the journal's "created" entries


def test_typing_an_existing_id_opens_that_person(worker_session, page, qtbot, no_popups) -> None:  # noqa: F811
    existing = _any_resident(worker_session)
    before = _count_residents(worker_session)
    seen: list[ResidentDialog] = []

    def fill(dialog: ResidentDialog) -> None:
        seen.append(dialog)
        type_text(qtbot, dialog.name, "重复的人")
        qtbot.keyClicks(dialog.id_number, existing.id_number.lower())  # the 18th char closes it
        if dialog.isVisible():  # it should have closed itself; fail instead of hanging
            dialog.reject()

    when_dialog_opens(qtbot, fill)
    page.add_resident()
    assert seen[0].existing and seen[0].result_info.id == existing.id
    assert any(existing.name in text for text in no_popups)
    assert _count_residents(worker_session) == before
    assert page.resident.resident.id == existing.id


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("110105194803152" + "99", "校验"),  # 17 digits + a wrong check character
        (idnumber.make("110105", date(1990, 5, 1), 21), "未满 60 周岁"),
    ],
)
def test_wrong_id_is_refused_at_the_field_and_nothing_saved(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
    typed: str,
    says: str,
) -> None:
    if says == "校验":
        good = idnumber.make("110105", date(1948, 3, 15), 29)
        typed = good[:-1] + ("1" if good[-1] != "1" else "2")
    before = _count_residents(worker_session)
    messages: list[str] = []

    def fill(dialog: ResidentDialog) -> None:
        qtbot.keyClicks(dialog.id_number, typed)
        type_text(qtbot, dialog.name, "错号人")
        dialog.save()
        messages.append(dialog.errors.message("id_number"))
        assert dialog.isVisible()  # the dialog stays open with the reason
        dialog.reject()

    when_dialog_opens(qtbot, fill)
    page.add_resident()
    assert says in messages[0]
    assert _count_residents(worker_session) == before


def test_impossible_enrolment_date_is_refused_at_the_field(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    before = _count_residents(worker_session)
    said: list[str] = []

    def fill(dialog: ResidentDialog) -> None:
        qtbot.keyClicks(dialog.id_number, idnumber.make("110105", date(1950, 7, 1), 41))
        type_text(qtbot, dialog.name, "钱日期")
        dialog.enrolled_on.setText("2026-02-30")
        dialog.save()
        said.append(dialog.errors.message("enrolled_on"))
        assert _count_residents(worker_session) == before  # nothing saved half-way
        dialog.enrolled_on.setText("2026年1月5日")
        dialog.save()

    when_dialog_opens(qtbot, fill)
    page.add_resident()
    assert "不存在" in said[0]
    assert _count_residents(worker_session) == before + 1
    assert page.resident.resident.enrolled_on == date(2026, 1, 5)


# -- visits ----------------------------------------------------------------------------------


def test_draft_then_complete_then_amend_keeps_the_original(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    resident = _any_resident(worker_session, status="在册")
    actor = worker_session.ctx.actor
    today = date.today()

    def fill_draft(form: VisitForm) -> None:
        form.visit_date.setText(f"{today.year}年{today.month}月{today.day}日")
        qtbot.keyClick(form.choices["health_communication"], Qt.Key.Key_1)  # 正常
        qtbot.keyClick(form.choices["safety_hazards"], Qt.Key.Key_3)  # 用电
        qtbot.keyClick(form.choices["safety_hazards"], Qt.Key.Key_6)  # 跌倒风险
        type_text(qtbot, form.problems, "电线老化")
        qtbot.keyClick(form.visitors, Qt.Key.Key_Return)  # Enter saves a draft

    when_dialog_opens(qtbot, fill_draft)
    page.new_visit(resident.id)
    history = worker_session.ctx.read(lambda s: visits.history(s, actor, resident.id))
    draft = next(v for v in history if v.status is VisitStatus.DRAFT)
    stored = worker_session.ctx.read(lambda s: visits.get(s, actor, draft.id))
    assert stored.values.safety_hazards == "用电、跌倒风险"
    assert stored.values.health_communication == "正常"
    assert stored.values.next_visit_on is not None  # proposed from the tier

    def finish(form: VisitForm) -> None:
        assert form.problems.text() == "电线老化"  # the draft comes back
        form.complete()

    when_dialog_opens(qtbot, finish)
    page.open_visit(resident.id, draft.id)
    done = worker_session.ctx.read(lambda s: visits.get(s, actor, draft.id))
    assert done.locked and done.status is VisitStatus.COMPLETED

    def amend_it(form: VisitForm) -> None:
        assert form.read_only and form.problems.isReadOnly()

        def in_amend(dialog: AmendDialog) -> None:
            dialog.select_field("problems")
            assert dialog.current.text() == "电线老化"
            dialog.text_value.clear()
            type_text(qtbot, dialog.text_value, "电线老化，插座松动")
            dialog.save()  # no reason: refused at the reason field
            assert "更正原因" in dialog.errors.message("reason")
            type_text(qtbot, dialog.reason, "按纸质表补录")
            dialog.save()

        when_dialog_opens(qtbot, in_amend)
        form.amend()
        assert form.problems.text() == "电线老化，插座松动"
        assert form.amended_fields == {"problems"}
        assert form.problems.styleSheet()  # marked on screen
        assert "电线老化" in form.problems.toolTip()
        form.reject()

    when_dialog_opens(qtbot, amend_it)
    page.open_visit(resident.id, draft.id)
    amended = worker_session.ctx.read(lambda s: visits.get(s, actor, draft.id))
    assert amended.original.problems == "电线老化"
    assert amended.values.problems == "电线老化，插座松动"
    assert amended.amended_fields == {"problems"}


def test_future_visit_date_is_refused_at_the_field(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    resident = _any_resident(worker_session, status="在册")
    before = worker_session.ctx.read(lambda s: s.scalar(select(func.count(ElderlyVisit.id))))
    said: list[str] = []

    def fill(form: VisitForm) -> None:
        form.visit_date.setText((date.today() + timedelta(days=3)).isoformat())
        form.next_visit.setText((date.today() + timedelta(days=30)).isoformat())
        form.save_draft()
        said.append(form.errors.message("visit_date"))
        form.visit_date.setText(date.today().isoformat())
        form.next_visit.setText((date.today() - timedelta(days=1)).isoformat())
        form.save_draft()
        said.append(form.errors.message("next_visit_on"))
        form.done(0)

    when_dialog_opens(qtbot, fill)
    page.new_visit(resident.id)
    assert "之后" in said[0]
    assert "应晚于" in said[1]
    after = worker_session.ctx.read(lambda s: s.scalar(select(func.count(ElderlyVisit.id))))
    assert after == before


def test_completing_a_visit_updates_due_list_and_rate(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    home = worker_session.window.page("home")
    panel = home.findChild(WorkListsPanel)
    assert panel is not None
    panel.visitor.setCurrentIndex(0)  # everyone
    assert panel.overdue_model.rowCount() > 0
    late = panel.overdue_model.row(0)
    assert late.days_overdue > 0
    community = worker_session.ctx.read(
        lambda s: roster.get(s, worker_session.ctx.actor, late.resident_id)
    )
    rate_before = panel.rate_of(community.community_id)
    week_ids = {r.resident_id for r in panel.week_model.rows}
    assert late.resident_id not in week_ids  # overdue ones are on their own tab
    assert all(r.next_due >= date.today() for r in panel.week_model.rows)
    assert f"{date.today():%m-%d}至" in panel.tabs.tabText(panel.tabs.indexOf(panel.week_view))

    def fill(form: VisitForm) -> None:
        qtbot.keyClick(form.choices["health_mental"], Qt.Key.Key_1)
        form.complete()

    when_dialog_opens(qtbot, fill)
    page.new_visit(late.resident_id)
    assert late.resident_id not in {r.resident_id for r in panel.overdue_model.rows}
    assert late.resident_id not in {r.resident_id for r in panel.week_model.rows}
    rate_after = panel.rate_of(community.community_id)
    assert rate_after.visited == rate_before.visited + 1
    assert rate_after.due == rate_before.due
    total = panel.rate_of(None)
    assert total.visited == sum(r.visited for r in panel.rates_model.rows[:-1])
    # while the home page is hidden the panel waits, and catches up when shown again
    worker_session.window.page("elderly")
    second = panel.overdue_model.row(0)

    when_dialog_opens(qtbot, fill)
    page.new_visit(second.resident_id)
    assert second.resident_id in {r.resident_id for r in panel.overdue_model.rows}  # not yet
    worker_session.window.page("home")
    assert second.resident_id not in {r.resident_id for r in panel.overdue_model.rows}
    # the panel opens the resident on double-click/Enter
    panel.overdue_view.activated.emit(panel.overdue_model.index(0, 0))
    assert worker_session.window.current_page() is page
    assert page.resident.resident_id == panel.overdue_model.row(0).resident_id


# -- printing --------------------------------------------------------------------------------


def test_print_preview_is_a_real_pdf_that_prints_and_saves(
    worker_session,
    page,
    qtbot,
    tmp_path: Path,
    no_popups,  # noqa: F811
) -> None:
    resident = _any_resident(worker_session)
    results: dict[str, object] = {}

    def look(preview: PrintPreview) -> None:
        results["text"] = PdfReader(BytesIO(preview.pdf)).pages[0].extract_text()
        results["pages"] = preview.pages
        image = preview.page_image(0)
        results["pixels"] = (image.width(), image.height())
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "printed.pdf"))
        results["printed"] = preview.print_to(printer)
        results["saved"] = preview.save_to(tmp_path / "saved")
        preview.accept()

    when_dialog_opens(qtbot, look)
    page.print_("selection", [resident.id])
    assert resident.name in str(results["text"]).replace(" ", "")
    assert results["pages"] == 1
    width, height = results["pixels"]
    assert height > width > 500  # an A4 portrait page, rendered
    assert results["printed"] == 1
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == 1
    saved = Path(str(results["saved"]))
    assert saved.suffix == ".pdf"
    text = PdfReader(saved).pages[0].extract_text().replace(" ", "")
    assert resident.name in text


def test_a_pdf_that_cannot_be_written_whole_leaves_nothing(
    worker_session,
    page,
    qtbot,
    tmp_path: Path,
    no_popups,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stick that fills while the PDF is saved: no partial file with residents' data."""
    import os

    resident = _any_resident(worker_session)
    results: dict[str, object] = {}

    def full(*_a: object) -> None:
        raise OSError(28, "No space left on device")

    real_replace = os.replace

    def look(preview: PrintPreview) -> None:
        monkeypatch.setattr(os, "replace", full)
        results["saved"] = preview.save_to(tmp_path / "stick" / "forms.pdf")
        monkeypatch.setattr(os, "replace", real_replace)
        preview.accept()

    (tmp_path / "stick").mkdir()
    when_dialog_opens(qtbot, look)
    page.print_("selection", [resident.id])
    assert results["saved"] is None
    assert list((tmp_path / "stick").iterdir()) == []
    assert any("无法写入" in str(p) for p in no_popups)


def test_month_route_sheets_for_all_communities_merge_into_one_preview(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    from ui.elderly.print_jobs import PrintOptions

    actor = worker_session.ctx.actor
    month = date.today().replace(day=1)
    expected = worker_session.ctx.read(
        lambda s: schedule.due_count(
            s, actor, date(month.year, month.month, 28) + timedelta(days=4)
        )
    )
    seen: dict[str, object] = {}

    def options(dialog: PrintOptions) -> None:
        def preview(p: PrintPreview) -> None:
            reader = PdfReader(BytesIO(p.pdf))
            seen["pages"] = len(reader.pages)
            seen["text"] = "".join(pg.extract_text() for pg in reader.pages)
            p.accept()

        when_dialog_opens(qtbot, preview)
        dialog._ok()

    when_dialog_opens(qtbot, options)
    page.print_("route", [])
    assert expected > 0
    assert "路线" in str(seen["text"]).replace(" ", "")
    assert int(seen["pages"]) >= 2  # several communities, one sheet (or more) each


# -- the roster ------------------------------------------------------------------------------


def test_roster_search_filters_the_paged_model(worker_session, page, qtbot) -> None:
    roster_page = page.roster
    everyone = roster_page.model.total
    assert everyone > 0
    name = roster_page.model.row(3).name
    fragment = name[-1]
    all_names = worker_session.ctx.read(
        lambda s: list(
            s.scalars(
                select(ElderlyResident.name).where(ElderlyResident.status.in_(("在册", "住院")))
            )
        )
    )
    type_text(qtbot, roster_page.search, fragment)
    qtbot.waitUntil(lambda: not roster_page.timer.isActive(), timeout=2000)
    assert roster_page.model.total < everyone
    # the address may match too: every shown row has it in the name or the address
    assert all(fragment in r.name or fragment in r.address for r in roster_page.model.rows)
    assert roster_page.model.total >= sum(1 for n in all_names if fragment in n)
    assert roster_page.count_label.text() == f"共 {roster_page.model.total} 人"

    someone = _any_resident(worker_session, status="在册")
    roster_page.search.clear()
    qtbot.keyClicks(roster_page.search, someone.id_number[-6:])
    qtbot.keyClick(roster_page.search, Qt.Key.Key_Return)  # one match: Enter opens it
    assert page.resident.resident_id == someone.id
    assert page.stack.currentWidget() is page.resident

    page.show_roster()
    roster_page.search.clear()
    roster_page.reload()
    roster_page.overdue.setChecked(True)
    today = date.today()
    assert all(r.next_due is not None and r.next_due < today for r in roster_page.model.rows)
    roster_page.overdue.setChecked(False)
    age_column = next(i for i, c in enumerate(roster_page.columns) if c.sort_key == "age")
    roster_page.view.horizontalHeader().sectionClicked.emit(age_column)
    ages = [r.age_on(today) for r in roster_page.model.rows]
    assert ages == sorted(ages) and ages[0] < ages[-1]
    roster_page.view.horizontalHeader().sectionClicked.emit(age_column)
    ages = [r.age_on(today) for r in roster_page.model.rows]
    assert ages == sorted(ages, reverse=True)


# -- keyboard --------------------------------------------------------------------------------


def test_keyboard_only_type_back_with_a_referral(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    """Search by the ID's last digits, Ctrl+N, tick with digits, add a referral, Ctrl+Shift+N:
    the visit is completed with its referral and the search box is ready for the next form."""
    resident = _any_resident(worker_session, status="在册")
    actor = worker_session.ctx.actor
    roster_page = page.roster
    worker_session.window.activateWindow()
    roster_page.focus_search()
    qtbot.keyClicks(roster_page.search, resident.id_number[-6:])
    roster_page.reload()  # what the debounce timer does a moment later
    assert roster_page.current_id() == resident.id
    due = (date.today() + timedelta(days=7)).isoformat()
    problems: list[str] = []

    def type_back(form: VisitForm) -> None:
        qtbot.keyClick(form.method, Qt.Key.Key_2)  # 电话
        qtbot.keyClick(form.choices["needs_services"], Qt.Key.Key_6)  # 助餐
        form.ref_target.setCurrentIndex(form.ref_target.findData("社会救助"))
        qtbot.keyClicks(form.ref_due, due)
        type_text(qtbot, form.ref_text, "申请临时救助")
        qtbot.keyClick(form.ref_text, Qt.Key.Key_Return)  # Enter here adds the referral
        assert form.ref_list.count() == 1 and form.pending
        qtbot.keyClick(
            form.choices["needs_services"],
            Qt.Key.Key_N,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        if form.isVisible():  # should have closed; fail with what it says instead of hanging
            problems.append(form.general_error.text() or form.ref_error.text() or "still open")
            form.done(0)

    when_dialog_opens(qtbot, type_back)
    qtbot.keyClick(roster_page.view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert problems == []
    assert page.last_saved is not None
    saved = worker_session.ctx.read(lambda s: visits.get(s, actor, page.last_saved.id))
    assert saved.locked and saved.values.method.value == "电话"
    assert saved.values.needs_services == "助餐"
    assert [(r.target, r.description) for r in saved.referrals] == [("社会救助", "申请临时救助")]
    refs = worker_session.ctx.read(lambda s: schedule.open_referrals(s, actor, today=date.today()))
    assert any(r.resident_id == resident.id and r.target == "社会救助" for r in refs)
    assert page.stack.currentWidget() is roster_page
    assert worker_session.window.focusWidget() is roster_page.search  # ready for the next one


def test_escape_asks_before_throwing_typing_away(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    resident = _any_resident(worker_session, status="在册")
    before = worker_session.ctx.read(lambda s: s.scalar(select(func.count(ElderlyVisit.id))))

    def type_then_escape(form: VisitForm) -> None:
        type_text(qtbot, form.problems, "未保存的内容")
        qtbot.keyClick(form.visitors, Qt.Key.Key_Escape)

    when_dialog_opens(qtbot, type_then_escape)
    page.new_visit(resident.id)
    assert any("还没有保存" in text for text in no_popups)  # asked (and the answer was Yes)
    after = worker_session.ctx.read(lambda s: s.scalar(select(func.count(ElderlyVisit.id))))
    assert after == before


# -- tier and status -------------------------------------------------------------------------


def test_tier_change_needs_a_reason_and_status_change_stops_scheduling(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    from caseworker.domain.elderly import Tier
    from ui.elderly.resident_actions import StatusDialog, TierDialog

    resident = _any_resident(worker_session, status="在册", tier_reason="")
    page.open_resident(resident.id)
    other = next(t for t in Tier if t is not resident.suggested_tier)
    said: list[str] = []
    changes_before = page.resident.history_model.rowCount()

    def change_tier(dialog: TierDialog) -> None:
        dialog.tier.setCurrentIndex(dialog.tier.findData(other.value))
        dialog.reason.clear()
        dialog.save()
        said.append(dialog.errors.message("tier_reason"))
        type_text(qtbot, dialog.reason, "独居且近期摔倒")
        dialog.save()

    when_dialog_opens(qtbot, change_tier)
    page.resident.change_tier()
    assert "请写明原因" in said[0]
    shown = page.resident.resident
    assert shown.tier is other and shown.tier_reason == "独居且近期摔倒"
    assert "独居且近期摔倒" in page.resident.fields["tier"].text()

    def move_away(dialog: StatusDialog) -> None:
        dialog.status.setCurrentIndex(dialog.status.findData("迁出"))
        dialog.on.setText("2099-01-01")  # the future: refused at the date
        dialog.save()
        said.append(dialog.errors.message("status_date"))
        dialog.on.setText(date.today().strftime("%Y/%m/%d"))
        type_text(qtbot, dialog.note, "随子女迁往外省")
        dialog.save()

    when_dialog_opens(qtbot, move_away)
    page.resident.change_status()
    assert "不能晚于今天" in said[1]
    moved = page.resident.resident
    assert moved.status.value == "迁出" and moved.next_due is None
    assert "不安排" in page.resident.fields["schedule"].text()
    new = page.resident.history_model.rows[changes_before:]
    changed = {h.field for h in new}
    assert {"tier", "tier_reason", "status", "status_date"} <= changed  # in the record's history


def test_month_forms_for_one_community(worker_session, page, qtbot, no_popups) -> None:  # noqa: F811
    from caseworker.services.elderly import forms
    from ui.elderly.print_jobs import PrintOptions

    actor = worker_session.ctx.actor
    seen: dict[str, object] = {}

    def options(dialog: PrintOptions) -> None:
        dialog.community.setCurrentIndex(1)
        seen["community"] = (dialog.community.currentData(), dialog.community.currentText())

        def preview(p: PrintPreview) -> None:
            reader = PdfReader(BytesIO(p.pdf))
            seen["pages"] = [pg.extract_text().replace(" ", "") for pg in reader.pages]
            p.accept()

        when_dialog_opens(qtbot, preview)
        dialog._ok()

    when_dialog_opens(qtbot, options)
    page.print_("month", [])
    cid, cname = seen["community"]
    expected = worker_session.ctx.read(
        lambda s: forms.month_forms(s, actor, date.today(), community_id=cid)
    )
    pages = seen["pages"]
    assert len(pages) == len(expected) > 0  # one page per person due, in that community only
    assert all(cname in text for text in pages)
    assert [f.resident_name in text for f, text in zip(expected, pages, strict=True)] == [
        True
    ] * len(pages)


def test_closing_a_referral_takes_it_off_the_follow_up_list(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    from ui.elderly.resident_actions import ReferralDialog

    panel = worker_session.window.page("home").findChild(WorkListsPanel)
    panel.visitor.setCurrentIndex(0)
    assert panel.referral_model.rowCount() > 0
    chase = panel.referral_model.row(0)
    panel.referral_view.activated.emit(panel.referral_model.index(0, 0))
    assert page.resident.resident_id == chase.resident_id
    row = next(
        i for i, r in enumerate(page.resident.referrals_model.rows) if r.id == chase.referral_id
    )
    said: list[str] = []

    def close_it(dialog: ReferralDialog) -> None:
        dialog.status.setCurrentIndex(dialog.status.findData("已办结"))
        dialog.outcome.clear()
        dialog.save()  # closing needs the outcome
        said.append(dialog.errors.message("outcome"))
        type_text(qtbot, dialog.outcome, "已联系社区养老服务站上门")
        dialog.save()

    when_dialog_opens(qtbot, close_it)
    page.resident.referrals_view.doubleClicked.emit(page.resident.referrals_model.index(row, 0))
    assert "办理结果" in said[0]
    closed = next(r for r in page.resident.referrals_model.rows if r.id == chase.referral_id)
    assert closed.status.value == "已办结" and closed.closed_on is not None
    worker_session.window.page("home")
    assert chase.referral_id not in {r.referral_id for r in panel.referral_model.rows}


def test_child_protection_staff_do_not_see_the_elderly_roster(
    demo_root: Path, make_controller, qtbot
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "ertong01")
    window = controller.window
    assert window is not None
    assert window.page("home").findChild(WorkListsPanel) is None
    assert not isinstance(window.page("elderly"), ElderlyPage)


def test_a_major_change_is_recorded_listed_first_and_the_tier_raised(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    """A fall heard of by phone: the 工作台 lists a visit due tomorrow first, with the 高风险
    proposal; recording it with the tier raised sets the tier in the same write."""
    from caseworker.domain.elderly import Tier
    from ui.elderly.resident_actions import ChangeDialog

    resident = _any_resident(worker_session, status="在册", tier="重点")
    page.open_resident(resident.id)

    def fall(dialog: ChangeDialog) -> None:
        dialog.kind.setCurrentIndex(dialog.kind.findData("跌倒"))
        assert dialog.raise_tier.isChecked()  # proposed: 高风险
        type_text(qtbot, dialog.note, "在卫生间滑倒")
        dialog.save()

    when_dialog_opens(qtbot, fall)
    page.resident.record_change()
    shown = page.resident.resident
    assert shown.tier is Tier.HIGH_RISK and shown.next_due <= date.today() + timedelta(days=1)
    assert "重大变化：跌倒" in page.resident.fields["tier"].text()
    worker_session.window.show_section(worker_session.window.section_index("home"))
    panel = worker_session.window.page("home").findChild(WorkListsPanel)
    panel.visitor.setCurrentIndex(0)  # everyone's (the person may be another visitor's)
    assert panel.tabs.currentWidget() is panel.change_view  # first, as something to do now
    assert [r.resident_id for r in panel.change_model.rows] == [resident.id]
    assert "重大变化" in panel.tabs.tabText(0)


def test_the_visit_form_records_a_change_found_on_the_visit(
    worker_session,
    page,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    from caseworker.services.elderly import changes

    resident = _any_resident(worker_session, status="在册")

    def fill(form: VisitForm) -> None:
        form.visit_date.setText(date.today().isoformat())
        type_text(qtbot, form.visitors, "李专干")
        form.changes["住院"].setChecked(True)
        form.complete()

    when_dialog_opens(qtbot, fill)
    page.new_visit(resident.id)
    actor = worker_session.ctx.actor
    found = worker_session.ctx.read(lambda s: changes.changes_of(s, actor, resident.id))
    assert [(c.kind, c.source, c.known_on) for c in found] == [("住院", "探访记录", date.today())]
