"""Every window and dialog fits an office screen: 1366x768 less a 40 px taskbar = 1366x728.

Each is shown with the usable area set to that, then checked: it lies inside the area with its
title bar, and its layout can actually be that small (minimum size hint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QWidget

from caseworker.printing.visit_forms import render_blank_form
from caseworker.services.elderly import roster, visits
from tests.ui.conftest import log_in
from ui.widgets import screen

OFFICE = QRect(0, 0, 1366, 728)


@pytest.fixture
def office_screen(qapp: QApplication) -> Iterator[None]:
    screen.set_available_override(OFFICE)
    fitter = screen.install(qapp)
    yield
    qapp.removeEventFilter(fitter)
    screen.set_available_override(None)


@pytest.fixture
def session(demo_root: Path, make_controller, qtbot, office_screen):
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "kezhang")
    return controller


def _fits(widget: QWidget) -> None:
    widget.hide()  # (the main window is already on screen: show it anew)
    widget.show()
    QApplication.processEvents()
    name = type(widget).__name__
    geo, frame = widget.geometry(), widget.frameGeometry()
    assert OFFICE.contains(frame), (name, frame)
    assert geo.height() + screen.TITLE_BAR <= OFFICE.height(), (name, geo)
    hint = widget.minimumSizeHint()
    assert hint.width() <= OFFICE.width() - screen.FRAME_SIDES, (name, hint)
    assert hint.height() <= OFFICE.height() - screen.TITLE_BAR, (name, hint)
    widget.hide()


def test_every_window_and_dialog_fits_1366x728(session, qtbot) -> None:
    from ui.admin.staff import StaffDialog
    from ui.elderly.amend_dialog import AmendDialog
    from ui.elderly.print_jobs import PrintOptions
    from ui.elderly.resident_actions import StatusDialog, TierDialog
    from ui.elderly.resident_dialog import ResidentDialog
    from ui.elderly.visit_form import VisitForm
    from ui.idle import LockDialog
    from ui.login import ChangePasswordDialog
    from ui.setup_wizard import SetupWizard
    from ui.sync.dialogs import EnrollDialog
    from ui.widgets.print_preview import PrintPreview

    ctx = session.ctx
    window = session.window
    actor = ctx.actor
    page = window.page("elderly")
    rid = page.roster.model.row(0).id
    info = ctx.read(lambda s: roster.get(s, actor, rid))
    draft = visits.VisitDraft(rid, info.enrolled_on, visitors=("赵科长",), health_mental="良好")
    visit = ctx.write_wait(lambda s, a: visits.complete(s, a, draft))
    window.setWindowState(window.windowState() & ~window.windowState().WindowMaximized)
    window.resize(1600, 1000)  # geometry remembered from a bigger screen
    makers: list[Callable[[], QWidget]] = [
        lambda: window,
        lambda: VisitForm(ctx, window, info, None),
        lambda: VisitForm(ctx, window, info, visit),
        lambda: PrintPreview(window, render_blank_form(), "空白探访记录表", "x.pdf"),
        lambda: ResidentDialog(ctx, window),
        lambda: ResidentDialog(ctx, window, info),
        lambda: AmendDialog(ctx, window, visit),
        lambda: TierDialog(ctx, window, info),
        lambda: StatusDialog(ctx, window, info),
        lambda: PrintOptions(ctx, window, "month"),
        lambda: StaffDialog(window, []),
        lambda: ChangePasswordDialog(window, lambda old, new: None),
        lambda: LockDialog("赵科长", "示范街道办事处", lambda pw: "密码错误"),
        lambda: SetupWizard(lambda choice: None),
        lambda: EnrollDialog(window),
        lambda: session.login,
    ]
    for make in makers:
        _fits(make())
