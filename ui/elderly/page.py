"""The 老年人探访 section: the roster, and a resident's page in front of it when one is opened.
Opens the dialogs (new resident, visit form, printing) and routes their results."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from caseworker.domain.errors import NotFound
from caseworker.services.elderly import roster, visits
from ui.context import AppContext
from ui.elderly.resident_page import ResidentPage
from ui.elderly.roster_page import RosterPage

PREBUILD_MS = 150  # after the roster's first rows have been painted


class ElderlyPage(QWidget):
    resident_opened = Signal(str)  # resident id (other programmes show their part of the person)
    visit_saved = Signal(object)  # VisitInfo, after the visit form stored a visit
    resident_page_built = Signal(object)  # ResidentPage (other programmes add their part)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.roster = RosterPage(ctx)
        self._resident: ResidentPage | None = None  # built when the first resident is opened
        self.stack = QStackedWidget()
        self.stack.addWidget(self.roster)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.stack)
        self.roster.open_resident.connect(self.open_resident)
        self.roster.new_visit.connect(self.new_visit)
        self.roster.add_resident.connect(self.add_resident)
        self.roster.print_requested.connect(self._print_from_roster)
        self.last_saved: visits.VisitInfo | None = None  # what the last visit form stored
        # The resident's page is built in the quiet moment after the list first shows (about
        # 50 ms of the UI thread), so that opening the first resident does not pay for it.
        self.roster.list_shown.connect(self._build_resident_soon)

    def _build_resident_soon(self) -> None:
        self.roster.list_shown.disconnect(self._build_resident_soon)
        QTimer.singleShot(PREBUILD_MS, self, lambda: self.resident)

    @property
    def resident(self) -> ResidentPage:
        """The resident's page, built the first time it is needed (opening 老年人台账 builds
        only the roster)."""
        if self._resident is None:
            from ui.widgets.app_filters import building

            with building():
                page = ResidentPage(self.ctx)
            self.stack.addWidget(page)
            page.back.connect(self.show_roster)
            page.new_visit.connect(self.new_visit)
            page.open_visit.connect(self.open_visit)
            page.edit_requested.connect(self.edit_resident)
            page.print_form.connect(lambda rid: self.print_("selection", [rid]))
            self._resident = page
            self.resident_page_built.emit(page)
        return self._resident

    # -- navigation ------------------------------------------------------------------------------
    def open_resident(self, resident_id: str) -> None:
        self.resident.show_resident(resident_id)
        self.stack.setCurrentWidget(self.resident)
        self.resident_opened.emit(resident_id)

    def section_home(self) -> None:
        """老年人探访 clicked again in the navigation: back to the roster."""
        self.show_roster()

    def show_roster(self) -> None:
        """Back to the roster as it was (no new read: a saved change has already reloaded it)."""
        if self._resident is not None and self._resident.resident_id:
            self.roster.select_id(self._resident.resident_id)
        self.stack.setCurrentWidget(self.roster)
        self.roster.view.setFocus()

    # -- dialogs ---------------------------------------------------------------------------------
    def add_resident(self) -> None:
        from ui.elderly.resident_dialog import ResidentDialog

        dialog = ResidentDialog(self.ctx, self)
        if dialog.exec() and dialog.result_info is not None:
            self.roster.reload()
            self.open_resident(dialog.result_info.id)

    def edit_resident(self, resident_id: str) -> None:
        from ui.elderly.resident_dialog import ResidentDialog

        info = self.resident.resident
        if info is None or info.id != resident_id:
            return
        ResidentDialog(self.ctx, self, info).exec()

    def _resident_info(self, resident_id: str) -> roster.ResidentInfo | None:
        actor = self.ctx.actor
        assert actor is not None
        try:
            return self.ctx.read(lambda s: roster.get(s, actor, resident_id))
        except NotFound:
            return None

    def new_visit(self, resident_id: str) -> None:
        info = self._resident_info(resident_id)
        if info is not None:
            self._run_form(info, None)

    def open_visit(self, resident_id: str, visit_id: str) -> None:
        actor = self.ctx.actor
        assert actor is not None
        info = self._resident_info(resident_id)
        if info is None:
            return
        visit = self.ctx.read(lambda s: visits.get(s, actor, visit_id))
        self._run_form(info, visit)

    def _run_form(self, info: roster.ResidentInfo, visit: visits.VisitInfo | None) -> None:
        from ui.elderly.visit_form import VisitForm

        form = VisitForm(self.ctx, self, info, visit)
        form.exec()
        self.last_saved, next_requested = form.saved, form.next_requested
        form.deleteLater()  # a day's typing back opens hundreds of forms
        if self.last_saved is not None:
            self.visit_saved.emit(self.last_saved)
        if next_requested:
            # Typing back a stack of paper forms: straight back to the search for the next one.
            self.show_roster()
            self.roster.focus_search()

    # -- printing --------------------------------------------------------------------------------
    def _print_from_roster(self, kind: str) -> None:
        ids = self.roster.selected_ids() if kind == "selection" else []
        self.print_(kind, ids)

    def print_(self, kind: str, resident_ids: list[str]) -> None:
        from ui.elderly.print_jobs import print_flow

        print_flow(self.ctx, self, kind, resident_ids)
