"""The 儿童关爱 screens, driven like a person would: the register (masked), a child's page (full,
logged), a new child typed in, a report taken through every step, refusals at the field, the
child roles' 工作台, counts only for other roles, and the confidential print preview."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sqlalchemy import func, select

from caseworker.domain import idnumber
from caseworker.services.children import keys, worklists
from db.children import Child, ChildCase, ChildViewLog
from tests.ui.conftest import log_in, type_text
from tests.ui.test_admin_pages import no_popups, when_dialog_opens  # noqa: F401
from ui.children.common import FormDialog
from ui.children.page import ChildrenPage, FiguresPage
from ui.children.work_lists import ChildWorkLists
from ui.widgets.print_preview import PrintPreview

# Offscreen pictures, kept out of docs/ (the real-window suite makes those: dev.py screen).
SHOTS = Path(tempfile.mkdtemp(prefix="children-shots-"))


def _session(demo_root: Path, make_controller, qtbot, user: str):
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, user)
    assert controller.window is not None
    controller.window.resize(1366, 768)
    return controller


@pytest.fixture
def supervisor(demo_root: Path, make_controller, qtbot):
    return _session(demo_root, make_controller, qtbot, "dudao")


def _count(controller, model) -> int:
    return controller.ctx.read(lambda s: s.scalar(select(func.count(model.id))))


def test_register_is_masked_the_page_is_full_and_every_open_is_logged(supervisor, qtbot) -> None:
    page: ChildrenPage = supervisor.window.page("children")
    rows = page.register.model.rows
    assert len(rows) >= 20
    supervisor.window.grab().save(str(SHOTS / "children-register.png"))
    model = page.register.model
    unrecorded = [i for i, r in enumerate(rows) if not r.categories]
    assert unrecorded, "the demo has a child whose category is not recorded yet"
    category = next(c for c, col in enumerate(page.register.columns) if col.header == "类别")
    assert model.index(unrecorded[0], category).data() == "（无）"  # said, not a blank cell
    first = rows[0]
    assert "*" in first.id_number_masked and first.address_masked.endswith("****")
    logged = _count(supervisor, ChildViewLog)
    type_text(qtbot, page.register.search, first.name)
    qtbot.keyClick(page.register.search, Qt.Key.Key_Return)
    if page.stack.currentWidget() is not page.child:  # more than one match: first row
        qtbot.keyClick(page.register.view, Qt.Key.Key_Return)
    assert page.stack.currentWidget() is page.child
    shown = page.child.detail
    assert shown is not None and shown.child.name == first.name
    assert "*" not in page.child.fact_labels["id_number"].text()
    assert idnumber.is_valid(page.child.fact_labels["id_number"].text())
    assert not page.child.fact_labels["notes"].text().startswith("（未授权")  # decrypted
    assert _count(supervisor, ChildViewLog) == logged + 1
    page.child.tabs.setCurrentIndex(2)
    supervisor.window.grab().save(str(SHOTS / "children-child.png"))


def test_type_a_new_child_then_take_a_report_through_every_step(
    supervisor,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    page: ChildrenPage = supervisor.window.page("children")
    before = _count(supervisor, Child)
    new_id = idnumber.make("110105", date(2016, 4, 3), 37)

    def fill(d: FormDialog) -> None:
        type_text(qtbot, d.widgets["name"], "褚小禾")
        qtbot.keyClicks(d.widgets["id_number"], new_id)
        type_text(qtbot, d.widgets["address"], "枣林路3号")
        type_text(qtbot, d.widgets["notes"], "父母离异后随祖母生活")
        qtbot.keyClick(d.widgets["name"], Qt.Key.Key_Return)  # Enter saves

    when_dialog_opens(qtbot, fill)
    page.add_child()
    assert _count(supervisor, Child) == before + 1
    assert page.child.detail is not None and page.child.detail.child.name == "褚小禾"

    def report(d: FormDialog) -> None:
        d.widgets["urgent"].boxes[0].setChecked(True)  # 遭受虐待
        type_text(qtbot, d.widgets["seen_text"], "脸上有掌印")
        d.accept()

    when_dialog_opens(qtbot, report)
    page.child_action("report", page.child.child_id or "")
    assert page.stack.currentWidget() is page.case
    assert page.case.urgent.isVisibleTo(page.case) and page.case.detail.case.urgent
    assert not page.case.buttons["评估"].isEnabled()  # not verified yet
    for action, typing in (
        ("核实", {"verify_notes": "入户核实属实"}),
        ("评估", {"assessment_notes": "高风险，需监护干预"}),
        ("制定帮扶计划", {"description1": "约谈祖母，联系派出所"}),
        ("回访", {"notes": "孩子情况稳定"}),
    ):

        def step(d: FormDialog, typing: dict[str, str] = typing) -> None:
            for name, text in typing.items():
                type_text(qtbot, d.widgets[name], text)
            d.accept()

        when_dialog_opens(qtbot, step)
        page.case_action(action, page.case.case_id or "")
    detail = page.case.detail
    assert detail is not None and detail.case.step.value == "回访"
    assert [e.action for e in detail.events] == ["发现报告", "核实", "评估", "制定帮扶计划", "回访"]
    assert detail.seen_text == "脸上有掌印"
    supervisor.window.grab().save(str(SHOTS / "children-case.png"))
    stored = supervisor.ctx.read(
        lambda s: s.scalar(select(ChildCase.seen_text).where(ChildCase.id == detail.case.id))
    )
    assert stored.startswith(keys.PREFIX) and "掌印" not in stored


def test_an_18_year_old_is_refused_beside_the_field_and_nothing_is_saved(
    supervisor,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    page: ChildrenPage = supervisor.window.page("children")
    before = _count(supervisor, Child)
    said: list[str] = []

    def fill(d: FormDialog) -> None:
        type_text(qtbot, d.widgets["name"], "成年人")
        qtbot.keyClicks(d.widgets["id_number"], idnumber.make("110105", date(2000, 1, 1), 11))
        d.accept()
        said.append(d.errors.message("id_number"))
        supervisor.window.grab().save(str(SHOTS / "children-refused.png"))
        d.grab().save(str(SHOTS / "children-form.png"))
        d.reject()

    when_dialog_opens(qtbot, fill)
    page.add_child()
    assert "年满 18 周岁" in said[0]
    assert _count(supervisor, Child) == before


def test_a_corrected_id_number_loses_its_error_and_the_child_gets_a_director(
    supervisor,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    """Issue 18: the ID error stayed after the ID was corrected; a new child had no 儿童主任."""
    page: ChildrenPage = supervisor.window.page("children")
    seen: dict[str, object] = {}
    good = idnumber.make("110105", date(2015, 6, 7), 41)

    def fill(d: FormDialog) -> None:
        type_text(qtbot, d.widgets["name"], "改正号")
        qtbot.keyClicks(d.widgets["id_number"], good[:-1] + ("0" if good[-1] != "0" else "1"))
        d.accept()
        error = d.findChild(QLabel, "error_id_number")
        seen["before"] = (d.errors.message("id_number"), error.isVisible())
        d.widgets["id_number"].clear()
        qtbot.keyClicks(d.widgets["id_number"], good)
        seen["after"] = (d.errors.message("id_number"), error.isVisible())
        d.accept()

    when_dialog_opens(qtbot, fill)
    page.add_child()
    message, shown = seen["before"]
    assert "校验" in message and shown
    assert seen["after"] == ("", False)
    child = page.child.detail.child
    assert child.id_number == good
    assert child.director_staff_id is not None
    assert child.director_name


def test_home_work_lists_for_child_roles_urgent_first(supervisor) -> None:
    home = supervisor.window.page("home")
    panel = home.findChild(ChildWorkLists)
    assert panel is not None
    urgent = panel.models["urgent"].rows
    assert urgent and all(i.urgent for i in urgent)
    assert panel.models["categories"].rows  # the demo has a lapse and a coming 6-month day
    assert "在册儿童" in panel.figures.text()
    supervisor.window.grab().save(str(SHOTS / "children-home.png"))


def test_a_child_director_sees_only_their_community(demo_root, make_controller, qtbot) -> None:
    controller = _session(demo_root, make_controller, qtbot, "ertong01")
    actor = controller.ctx.actor
    page: ChildrenPage = controller.window.page("children")
    assert page.register.model.rows
    assert {r.community_name for r in page.register.model.rows} == {
        page.register.community.itemText(0)
    }
    assert page.register.community.count() == 1
    with_all = controller.ctx.read(lambda s: worklists.figures(s, actor)).children
    assert page.register.model.total == with_all


@pytest.mark.parametrize("user", ["admin", "zhuangan1", "kezhang"])
def test_other_roles_get_counts_only(demo_root, make_controller, qtbot, user: str) -> None:
    controller = _session(demo_root, make_controller, qtbot, user)
    page = controller.window.page("children")
    assert isinstance(page, FiguresPage)
    text = page.findChild(QLabel, "figures").text()
    assert "在册儿童" in text
    names = controller.ctx.read(lambda s: list(s.scalars(select(Child.name).limit(5))))
    assert not any(name in text for name in names)
    if user == "admin":
        controller.window.grab().save(str(SHOTS / "children-counts-only.png"))
    assert controller.window.page("home").findChild(ChildWorkLists) is None


def test_print_the_file_confidential_no_name_in_the_file_name(
    supervisor, qtbot, monkeypatch
) -> None:
    page: ChildrenPage = supervisor.window.page("children")
    page.open_child(page.register.model.rows[0].id)
    name = page.child.detail.child.name
    seen: list[PrintPreview] = []
    monkeypatch.setattr(PrintPreview, "exec", lambda self: seen.append(self) or 0)
    page.child_action("print_file", page.child.child_id or "")
    preview = seen[0]
    assert preview.filename.startswith("儿童档案-") and name not in preview.filename
    assert name not in preview.windowTitle() and "保密" in preview.windowTitle()
    assert preview.pages >= 1
    # freed once closed: a preview holds the whole file's PDF
    qtbot.waitUntil(lambda: not page.findChildren(PrintPreview), timeout=3000)


def test_supervisor_grants_a_waiting_director_and_reads_the_view_log(
    supervisor,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    from caseworker.services import accounts
    from caseworker.services.children import keys as key_service
    from ui.children.page import KeysDialog, ViewLogDialog

    ctx = supervisor.ctx
    director = ctx.read(
        lambda s: next(
            h for h in key_service.holders(s, ctx.actor) if h.role.value == "child_director"
        )
    )
    admin = ctx.read(
        lambda s: accounts.actor_for(
            s.scalar(select(accounts.Staff).where(accounts.Staff.username == "admin"))
        )
    )
    with ctx.ws.writer(admin) as s:  # an administrator resets the director's password
        accounts.reset_password(s, admin, director.staff_id, "Reset2027x")
    page: ChildrenPage = supervisor.window.page("children")
    seen: list[str] = []

    def grant(d: KeysDialog) -> None:
        row = next(i for i, h in enumerate(d.model.rows) if h.staff_id == director.staff_id)
        seen.append(d.model.rows[row].state)
        d.view.setCurrentIndex(d.model.index(row, 0))
        d.grant()
        seen.append(next(h.state for h in d.model.rows if h.staff_id == director.staff_id))
        d.accept()

    when_dialog_opens(qtbot, grant)
    page.show_keys()
    assert seen == ["待授权", "已授权"]
    page.open_child(page.register.model.rows[0].id)
    rows: list[object] = []

    def read_log(d: ViewLogDialog) -> None:
        rows.extend(d.model.rows)
        d.accept()

    when_dialog_opens(qtbot, read_log)
    page.show_view_log()
    assert rows and rows[0].action == "打开档案" and rows[0].staff_name == ctx.actor.display_name


def test_supervisor_changes_the_key_and_still_reads_every_page(
    supervisor,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    from ui.children.page import KeysDialog

    ctx = supervisor.ctx
    before = keys.unlocked(ctx.actor)
    assert before is not None
    page: ChildrenPage = supervisor.window.page("children")
    first = page.register.model.rows[0].id
    with ctx.ws.writer(ctx.actor) as s:
        from caseworker.services.children import register

        notes_before = register.detail(s, ctx.actor, first).child.notes
    messages: list[str] = []

    def rotate(d: KeysDialog) -> None:
        d.rotate(confirm=False)  # the question box is the only thing skipped
        messages.append(d.last_result)
        d.grab().save(str(SHOTS / "children-key-rotated.png"))
        d.accept()

    when_dialog_opens(qtbot, rotate)
    page.show_keys()
    assert messages and messages[0].startswith("已更换密钥"), messages
    assert "更换前的备份" in messages[0]
    after = keys.unlocked(ctx.actor)
    assert after is not None and after.key_id != before.key_id
    page.open_child(first)
    with ctx.ws.writer(ctx.actor) as s:
        from caseworker.services.children import register

        assert register.detail(s, ctx.actor, first).child.notes == notes_before


def test_the_condition_form_offers_only_the_evidence_that_fits(
    supervisor,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    """Issue 18's 登记情形: changing 情形 to 服刑在押 left 证明材料 at 死亡证明."""
    from caseworker.domain import children as rules

    page: ChildrenPage = supervisor.window.page("children")
    page.open_child(page.register.model.rows[0].id)
    offered: dict[str, list[str]] = {}

    def look(d: FormDialog) -> None:
        kinds, evidence = d.widgets["kind"], d.widgets["evidence_kind"]
        subject = d.widgets["guardian_id"]
        for i in range(subject.count()):
            subject.setCurrentIndex(i)
            for k in range(kinds.count()):
                kinds.setCurrentIndex(k)
                offered[kinds.currentData()] = [
                    evidence.itemData(j) for j in range(evidence.count())
                ]
        d.reject()

    when_dialog_opens(qtbot, look)
    page.child_action("condition", page.child.child_id or "")
    assert offered["服刑在押"] == ["法院判决书/裁定书", "羁押/服刑证明"]
    assert offered["失联"] == ["公安机关报案回执/证明"]
    assert all(offered[k] == list(rules.evidence_kinds_for(k)) for k in offered)
    assert set(offered) == set(rules.EVIDENCE_FOR)  # every 情形 of the parents and the child


def test_a_child_leaves_the_register_from_the_page(
    supervisor,
    qtbot,
    no_popups,  # noqa: F811
) -> None:
    page: ChildrenPage = supervisor.window.page("children")
    row = next(r for r in page.register.model.rows if r.open_cases)
    page.open_child(row.id)
    assert page.child.buttons["leave"].isEnabled()

    def leave(d: FormDialog) -> None:
        d.widgets["reason"].setCurrentIndex(d.widgets["reason"].findData("迁出本辖区"))
        type_text(qtbot, d.widgets["note"], "随父母迁往外省")
        d.accept()

    when_dialog_opens(qtbot, leave)
    page.child_action("leave", page.child.child_id or "")
    detail = page.child.detail
    assert detail is not None and not detail.child.on_register
    assert "离册" in page.child.warning.text()
    assert all(c.step.value == "结案" for c in detail.cases)
    assert page.child.buttons["leave"].text() == "恢复在册…"
    page.register.reload()
    assert row.id not in {r.id for r in page.register.model.rows}  # 在册 only by default
    page.register.register_state.setCurrentIndex(page.register.register_state.findData("离册"))
    assert row.id in {r.id for r in page.register.model.rows}
