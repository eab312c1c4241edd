"""The main window's sections in order; each programme replaces its placeholder here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from ui.main_window import Section
from ui.pages.not_built import NoAccessPage

if TYPE_CHECKING:
    from ui.app import Controller
    from ui.children.page import ChildrenPage
    from ui.elderly.page import ElderlyPage


def build_sections(controller: Controller) -> list[Section]:  # noqa: C901
    ctx = controller.ctx
    assert ctx is not None

    def elderly() -> QWidget:
        from caseworker.domain.roles import Permission

        if not ctx.can(Permission.ELDERLY_VIEW):
            return NoAccessPage("老年人探访", "您的账号没有查看老年人台账的权限。")
        from ui.elderly.page import ElderlyPage

        page = ElderlyPage(ctx)
        if ctx.can(Permission.RETROFIT_VIEW):
            from ui.retrofit.elderly_link import attach

            attach(ctx, page, open_case, apply_for_retrofit)
        return page

    def elderly_page() -> ElderlyPage:
        window = controller.window
        assert window is not None
        return window.page("elderly")  # type: ignore[return-value]

    def open_resident(resident_id: str) -> None:
        elderly_page().open_resident(resident_id)

    def retrofit() -> QWidget:
        from caseworker.domain.roles import Permission

        if not ctx.can(Permission.RETROFIT_VIEW):
            return NoAccessPage("适老化改造", "您的账号没有查看适老化改造档案的权限。")
        from ui.retrofit.page import RetrofitPage

        return RetrofitPage(ctx)

    def open_case(case_id: str) -> None:
        window = controller.window
        assert window is not None
        window.page("retrofit").open_case(case_id)  # type: ignore[attr-defined]

    def apply_for_retrofit(resident_id: str) -> None:
        from caseworker.services.retrofit import cases

        actor = ctx.actor
        assert actor is not None and controller.window is not None
        draft = ctx.read(lambda s: cases.prefill_from_resident(s, actor, resident_id))
        controller.window.page("retrofit").new_application(draft)  # type: ignore[attr-defined]

    def home() -> QWidget:
        from caseworker.domain.roles import Permission
        from ui.pages.home import HomePage

        page = HomePage(ctx)
        if ctx.can(Permission.ELDERLY_VIEW):
            from ui.elderly.work_lists import WorkListsPanel

            page.add_panel_later(
                lambda: WorkListsPanel(
                    ctx, open_resident, lambda kind: elderly_page().print_(kind, [])
                )
            )
        if ctx.can(Permission.RETROFIT_VIEW):
            from ui.retrofit.work_lists import RetrofitWorkListsPanel

            page.add_panel_later(lambda: RetrofitWorkListsPanel(ctx, open_case))
        if ctx.can(Permission.CHILD_VIEW):
            from ui.children.work_lists import ChildWorkLists

            page.add_panel_later(
                lambda: ChildWorkLists(
                    ctx,
                    lambda cid: children_page().open_child(cid),
                    lambda cid: children_page().open_case(cid),
                )
            )
        return page

    def children() -> QWidget:
        from caseworker.domain.roles import Permission

        if not ctx.can(Permission.CHILD_VIEW):
            from ui.children.page import FiguresPage

            return FiguresPage(ctx)
        from ui.children.page import ChildrenPage

        return ChildrenPage(ctx)

    def children_page() -> ChildrenPage:
        window = controller.window
        assert window is not None
        return window.page("children")  # type: ignore[return-value]

    def system() -> QWidget:
        from ui.admin.system_page import SystemPage

        return SystemPage(ctx, controller.restore, controller.change_password)

    def sync() -> QWidget:
        from ui.sync.page import SyncPage

        return SyncPage(ctx)

    def reports() -> QWidget:
        from caseworker.domain.roles import Permission

        if not ctx.can(Permission.ELDERLY_VIEW):
            return NoAccessPage("统计报表", "您的账号没有可查看的统计报表。")
        from ui.reports.page import ReportsPage

        return ReportsPage(ctx)

    return [
        Section("home", "工作台", home),
        Section("elderly", "老年人探访", elderly),
        Section("retrofit", "适老化改造", retrofit),
        Section("children", "儿童关爱", children),
        Section("sync", "数据同步", sync),
        Section("reports", "统计报表", reports),
        Section("system", "系统设置", system),
    ]
