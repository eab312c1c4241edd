"""Where the two programmes meet: the resident page shows the person's retrofit case (open it, or
apply for one), and a visit that records the need "适老化改造" offers to open an application
prefilled from the roster. Attached from ui/sections.py, so the elderly screens stay unaware."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from caseworker.domain.roles import Permission
from caseworker.services.elderly.visits import VisitInfo
from caseworker.services.retrofit import cases
from ui.context import AppContext
from ui.retrofit.common import RETROFIT_TABLES, step_colour
from ui.widgets.busy import BackgroundRead

NEED = "适老化改造"

if TYPE_CHECKING:
    from ui.elderly.page import ElderlyPage


class RetrofitResidentBox(QWidget):
    """One line on the resident page: 适老化改造：档案号（环节） [打开改造档案] or [申请适老化改造]."""

    def __init__(
        self,
        ctx: AppContext,
        open_case: Callable[[str], None],
        apply_for: Callable[[str], None],
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.resident_id: str | None = None
        self.case: cases.CaseInfo | None = None
        self.label = QLabel()
        self.open_button = QPushButton(self.tr("打开改造档案"))
        self.open_button.clicked.connect(lambda: self.case and open_case(self.case.id))
        self.apply_button = QPushButton(self.tr("申请适老化改造"))
        self.apply_button.clicked.connect(lambda: self.resident_id and apply_for(self.resident_id))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.open_button)
        row.addWidget(self.apply_button)
        row.addStretch()
        self.reader = BackgroundRead(ctx, self)
        ctx.on_changed(
            self,
            lambda tables: (
                self.show_for(self.resident_id)
                if self.resident_id and tables & RETROFIT_TABLES
                else None
            ),
        )

    def show_for(self, resident_id: str | None) -> None:
        """The resident's case, read on the runner (the page opens without waiting for it)."""
        self.resident_id = resident_id
        actor = self.ctx.actor
        if resident_id is None or actor is None:
            return
        self.case = None
        self.label.setText(self.tr("适老化改造：正在查询…"))
        self.open_button.setVisible(False)
        self.apply_button.setVisible(False)
        self.reader.start(lambda s: cases.case_of_resident(s, actor, resident_id), self._show)

    def _show(self, case: cases.CaseInfo | None) -> None:
        self.case = c = case
        if c is None:
            self.label.setText(self.tr("适老化改造：无"))
        else:
            self.label.setText(
                self.tr("适老化改造：{0}（<span style='color:{1};'>{2}</span>）").format(
                    c.case_no, step_colour(c.step.value), c.step.value
                )
            )
        self.open_button.setVisible(c is not None)
        may_apply = c is None or c.step.value in ("不予受理", "已撤回")
        self.apply_button.setVisible(may_apply and self.ctx.can(Permission.RETROFIT_EDIT))


def offer_application(
    ctx: AppContext, parent: QWidget, visit: VisitInfo, apply_for: Callable[[str], None]
) -> bool:
    """After a visit that found the need: ask whether to open an application now."""
    actor = ctx.actor
    if actor is None or not ctx.can(Permission.RETROFIT_EDIT):
        return False
    if NEED not in visit.values.needs_services:
        return False
    rid = visit.values.resident_id
    existing = ctx.read(lambda s: cases.case_of_resident(s, actor, rid))
    if existing is not None and existing.step.value not in ("不予受理", "已撤回"):
        return False
    answer = QMessageBox.question(
        parent,
        parent.tr("适老化改造"),
        parent.tr("这次探访记录的服务需求有“适老化改造”。现在为这位老人登记改造申请吗？"),
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    apply_for(rid)
    return True


def attach(
    ctx: AppContext,
    elderly: ElderlyPage,
    open_case: Callable[[str], None],
    apply_for: Callable[[str], None],
) -> None:
    """Put the retrofit line on the resident page (when that page is built, at the first
    resident opened) and the offer after a visit."""

    def add_box(page: QWidget) -> None:
        box = RetrofitResidentBox(ctx, open_case, apply_for)
        page.layout().insertWidget(1, box)  # type: ignore[attr-defined]
        elderly.resident_opened.connect(box.show_for)

    elderly.resident_page_built.connect(add_box)
    elderly.visit_saved.connect(lambda visit: offer_application(ctx, elderly, visit, apply_for))
