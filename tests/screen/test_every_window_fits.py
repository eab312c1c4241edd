"""Every page, window and dialog of the three programmes and the office's settings, opened in a
real window on an office screen (1366x768 with a 40 px taskbar) and measured with its frame:
each must lie inside the usable 1366x728 and have the room its contents need. Each is
photographed; `python3 dev.py screen` keeps the pictures in docs/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.screen.driver import RunningApp, inside
from tests.screen.steps import PASSWORD, go_to, log_in
from tests.screen.tour import PRELUDE, Stop, visit

RESIDENT = (
    "one(\"select id from elderly_resident where status='在册' and deleted_at is null "
    'order by name_pinyin limit 1")'
)
VISITED = (
    "one(\"select resident_id from elderly_visit where status='已完成' and deleted_at is null "
    'order by visit_date desc limit 1")'
)
VISIT = (
    "one(\"select id from elderly_visit where status='已完成' and deleted_at is null "
    'order by visit_date desc limit 1")'
)


def case_at(step: str) -> str:
    return f"one(\"select id from retrofit_case where step='{step}' order by case_no limit 1\")"


CHILD = (
    'one("select child_id from child_case where deleted_at is null and closed_on is null '
    'order by reported_on limit 1")'
)
CHILD_CASE = (
    'one("select id from child_case where deleted_at is null and closed_on is null '
    'order by reported_on limit 1")'
)


def pages_of(app: RunningApp, shots: Path, names: dict[str, str]) -> list[dict]:
    """Each section of the main window: the window keeps inside the screen on every page."""
    area = app.ask("available()")
    seen = []
    for key, shot in names.items():
        go_to(app, key)
        app.ask("later(lambda: None)")
        main = app.wait_window("MainWindow")
        if shot:
            app.shot(shots / f"{shot}.png", main)
        seen.append({"page": key, "frame": main["frame"], "min": main["min"]})
        assert inside(main["frame"], area), (key, main)
    return seen


def _tour(app: RunningApp, stops: list[Stop], shots: Path) -> None:
    app.ask(PRELUDE)
    problems = []
    for stop in stops:
        result = visit(app, stop, shots)
        problems += [f"{stop.name}: {p}" for p in result["problems"]]
        # The main window must still fit after each window (a page that grew would not).
        main = app.wait_window("MainWindow")
        if not inside(main["frame"], app.ask("available()")):
            problems.append(f"after {stop.name}: main window {main['frame']}")
    assert not problems, "\n".join(problems)


def test_elderly_windows_fit(launch, demo_ws: Path, shots: Path) -> None:
    app = launch(demo_ws)
    login = app.wait_window("LoginDialog", timeout=40)
    app.shot(shots / "login.png", login)
    log_in(app, "kezhang")
    pages_of(app, shots, {"home": "home", "elderly": "roster"})
    app.ask(PRELUDE)
    app.ask(f"page('elderly').open_resident({VISITED})")
    app.wait_for("page('elderly').resident.isVisible() and page('elderly').resident.resident")
    app.shot(shots / "resident.png", app.wait_window("MainWindow"))
    stops = [
        Stop("visit-form", f"page('elderly').new_visit({RESIDENT})", window="VisitForm"),
        Stop(
            "visit-form-completed",
            f"page('elderly').open_visit({VISITED}, {VISIT})",
            window="VisitForm",
        ),
        Stop("resident-new", "page('elderly').add_resident()", window="ResidentDialog"),
        Stop(
            "resident-edit",
            f"page('elderly').edit_resident({VISITED})",
            window="ResidentDialog",
        ),
        Stop("resident-tier", "page('elderly').resident.change_tier()", window="TierDialog"),
        Stop("resident-status", "page('elderly').resident.change_status()", window="StatusDialog"),
        Stop("print-options", "page('elderly').print_('month', [])", window="PrintOptions"),
        Stop(
            "print-preview",
            f"page('elderly').print_('selection', [{RESIDENT}])",
            window="PrintPreview",
        ),
        Stop("import-wizard", "page('elderly').roster.import_roster()", window="ImportWizard"),
    ]
    _tour(app, stops, shots)
    # The route sheet (landscape) opens in its preview at a zoom that needs no sideways
    # scrolling (issue 18).
    app.ask("later(lambda: page('elderly').print_('route', []))")
    app.wait_active("PrintOptions")
    app.key("Return")
    preview = app.wait_window("PrintPreview", timeout=90)
    app.wait_active("PrintPreview")
    assert inside(preview["frame"], app.ask("available()")), preview
    assert not app.ask("window('PrintPreview').scroll.horizontalScrollBar().isVisible()")
    app.shot(shots / "route-sheet-preview.png", preview)
    app.key("Escape")
    app.wait_for("window('PrintPreview') is None")
    # The amendment dialog opens from a completed visit's form.
    app.ask(f"later(lambda: page('elderly').open_visit({VISITED}, {VISIT}))")
    app.wait_active("VisitForm")
    amend = visit(
        app,
        Stop("visit-amend", "window('VisitForm').amend()", window="AmendDialog"),
        shots,
    )
    assert not amend["problems"], amend
    app.key("Escape")
    app.wait_for("window('VisitForm') is None")


def test_retrofit_windows_fit(launch, demo_ws: Path, shots: Path) -> None:
    app = launch(demo_ws)
    log_in(app, "kezhang")
    pages_of(app, shots, {"retrofit": "retrofit-list"})
    app.ask(PRELUDE)
    for step, shot in (("施工中", "retrofit-case"), ("待评估", ""), ("已完成", "")):
        app.ask(f"page('retrofit').open_case({case_at(step)})")
        app.wait_for("page('retrofit').case_page.isVisible()")
        main = app.wait_window("MainWindow")
        assert inside(main["frame"], app.ask("available()")), (step, main)
        if shot:
            app.shot(shots / f"{shot}.png", main)
    assessed = case_at("待审批")
    stops = [
        Stop("retrofit-application", "page('retrofit').new_application()"),
        Stop(
            "retrofit-application-edit",
            f"(page('retrofit').open_case({case_at('待评估')}), "
            "page('retrofit').case_page.edit_application())",
        ),
        Stop(
            "retrofit-assessment",
            f"(page('retrofit').open_case({case_at('待评估')}), "
            "page('retrofit').case_page.open_assessment())",
            window="AssessmentEditor",
        ),
        Stop(
            "retrofit-approve",
            f"(page('retrofit').open_case({assessed}), "
            "page('retrofit').case_page.take_step(Action.APPROVE))",
            prepare="from caseworker.domain.retrofit import Action",
            window="StepDialog",
        ),
        Stop(
            "retrofit-start",
            f"(page('retrofit').open_case({case_at('待施工')}), "
            "page('retrofit').case_page.take_step(Action.START))",
            window="StepDialog",
        ),
        Stop(
            "retrofit-accept",
            f"(page('retrofit').open_case({case_at('待验收')}), "
            "page('retrofit').case_page.take_step(Action.ACCEPT))",
            window="StepDialog",
        ),
        Stop(
            "retrofit-photo",
            f"(page('retrofit').open_case({case_at('施工中')}), "
            "page('retrofit').case_page._view_photo(page('retrofit').case_page.strip.item(0)))",
            window="PhotoViewer",
        ),
        Stop("retrofit-contractor", "page('retrofit').contractors.add()"),
        Stop(
            "retrofit-print-preview",
            f"page('retrofit').print_('assessment', {assessed})",
            window="PrintPreview",
        ),
        Stop("retrofit-blank-form", "page('retrofit').print_blank('acceptance')"),
    ]
    _tour(app, stops, shots)
    # The money the supervisor approves is all on screen (issue 18: it was cut off).
    app.ask(f"page('retrofit').open_case({assessed})")
    app.ask("later(lambda: page('retrofit').case_page.take_step(Action.APPROVE))")
    app.wait_active("StepDialog")
    rows = app.ask(
        "[(k, w.text(), w.isVisible(), w.height() >= w.sizeHint().height()) "
        "for k, w in window('StepDialog').summary.items()]"
    )
    labels = [k for k, *_ in rows]
    assert {"合计", "政府补贴", "家庭自付"} <= set(labels), rows
    assert all(shown and tall for _k, _t, shown, tall in rows), rows
    app.key("Escape")


def test_children_windows_fit(launch, demo_ws: Path, shots: Path) -> None:
    app = launch(demo_ws)
    log_in(app, "dudao")
    pages_of(app, shots, {"home": "children-home", "children": "children-register"})
    app.ask(PRELUDE)
    app.ask(f"page('children').open_child({CHILD})")
    app.wait_for("page('children').child.detail is not None and page('children').child.isVisible()")
    app.shot(shots / "children-child.png", app.wait_window("MainWindow"))
    child = "page('children').child.child_id"
    stops = [
        Stop("children-new", "page('children').add_child()"),
        Stop("children-edit", f"page('children').child_action('edit', {child})"),
        Stop("children-guardian", f"page('children').child_action('guardian', {child})"),
        Stop("children-condition", f"page('children').child_action('condition', {child})"),
        Stop("children-report", f"page('children').child_action('report', {child})"),
        Stop("children-visit", f"page('children').child_action('visit', {child})"),
        Stop(
            "children-file-preview",
            f"page('children').child_action('print_file', {child})",
            window="PrintPreview",
        ),
        Stop("children-keys", "page('children').show_keys()"),
        Stop("children-view-log", "page('children').show_view_log()"),
    ]
    _tour(app, stops, shots)
    app.ask(f"page('children').open_case({CHILD_CASE})")
    app.wait_for("page('children').case.detail is not None and page('children').case.isVisible()")
    app.shot(shots / "children-case.png", app.wait_window("MainWindow"))
    case = "page('children').case.case_id"
    case_stops = [
        Stop(f"children-case-{key}", f"page('children').case_action({key!r}, {case})")
        for key in ("核实", "评估", "制定帮扶计划", "回访", "结案")
    ]
    _tour(app, case_stops, shots)


def test_office_windows_fit(launch, demo_ws: Path, shots: Path) -> None:
    app = launch(demo_ws)
    log_in(app, "admin")
    pages_of(app, shots, {"sync": "sync", "reports": "reports", "system": "settings"})
    stops = [
        Stop(
            "staff-new",
            "page('system').open_tab(StaffPage).add()",
            prepare="from ui.admin.staff import StaffPage",
        ),
        Stop("change-password", "controller.change_password()"),
        Stop("enroll", "page('sync').choose_enroll()"),
        Stop("about", "controller.window._about()", close_keys=("Return",)),
    ]
    _tour(app, stops, shots)
    lock = visit(
        app,
        Stop("lock", "controller.lock(automatic=False)", window="LockDialog", close_keys=()),
        shots,
    )
    assert not lock["problems"], lock
    app.type(PASSWORD)
    app.key("Return")
    app.wait_for("controller.lock_dialog is None and controller.window.isVisible()")


@pytest.mark.parametrize("user", ["zhuangan1", "ertong01"])
def test_every_role_sees_a_window_that_fits(launch, demo_ws: Path, shots: Path, user: str) -> None:
    """A caseworker and a community child director through every section they have."""
    app = launch(demo_ws)
    log_in(app, user)
    keys = app.ask("[s.key for s in controller.window.sections]")
    pages_of(app, shots, dict.fromkeys(keys, ""))
