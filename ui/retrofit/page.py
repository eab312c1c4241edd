"""The 适老化改造 section: the case list and (for supervisors) the approval queue in tabs, and a
case's page in front of them when one is opened. Opens the application form and printing."""

from __future__ import annotations

from PySide6.QtWidgets import QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from caseworker.domain.roles import Permission
from caseworker.services.retrofit.cases import ApplicationDraft
from ui.context import AppContext
from ui.retrofit.case_list import CaseListPage
from ui.retrofit.case_page import CasePage


class RetrofitPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.cases = CaseListPage(ctx)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.cases, self.tr("改造户"))
        self.queue: CaseListPage | None = None
        if ctx.can(Permission.RETROFIT_APPROVE):
            self.queue = CaseListPage(ctx, work_list="approve", title=self.tr("待审批"))
            self.tabs.addTab(self.queue, self.tr("审批队列"))
            self.queue.open_case.connect(self.open_case)
        from ui.retrofit.contractors_page import ContractorsPage

        self.contractors = ContractorsPage(ctx)
        self.tabs.addTab(self.contractors, self.tr("施工单位"))
        self.case_page = CasePage(ctx)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(self.case_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.stack)
        self.cases.open_case.connect(self.open_case)
        self.cases.new_application.connect(lambda: self.new_application())
        self.cases.print_blank.connect(self.print_blank)
        self.case_page.back.connect(self.show_list)
        self.case_page.print_requested.connect(self.print_)

    def open_case(self, case_id: str) -> None:
        self.case_page.show_case(case_id)
        self.stack.setCurrentWidget(self.case_page)

    def show_list(self) -> None:
        current = self.tabs.currentWidget()
        if isinstance(current, CaseListPage) and self.case_page.case_id:
            current.select_id(self.case_page.case_id)
        self.stack.setCurrentWidget(self.tabs)
        if isinstance(current, CaseListPage):
            current.view.setFocus()

    def show_queue(self) -> None:
        if self.queue is not None:
            self.stack.setCurrentWidget(self.tabs)
            self.tabs.setCurrentWidget(self.queue)

    def new_application(self, draft: ApplicationDraft | None = None) -> None:
        from ui.retrofit.application_dialog import ApplicationDialog

        dialog = ApplicationDialog(self.ctx, self, draft)
        if dialog.exec() and dialog.result_info is not None:
            self.cases.reload()
            self.open_case(dialog.result_info.id)

    def print_blank(self, kind: str) -> None:
        from ui.retrofit.printing import print_blank

        print_blank(self.ctx, self, kind)

    def print_(self, kind: str, case_id: str) -> None:
        from ui.retrofit.printing import print_case

        print_case(self.ctx, self, kind, case_id)
