"""The 儿童关爱 section: the register, a child's page and a case's page in front of it; opens the
forms and routes their results. Other roles get `FiguresPage` (counts only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError, ValidationError
from caseworker.services.children import keys, rotation, worklists
from ui.children import dialogs
from ui.children.case_page import CasePage
from ui.children.child_page import ChildPage
from ui.children.common import FormDialog
from ui.children.register_page import RegisterPage
from ui.context import AppContext
from ui.messages import show_error, tr
from ui.progress import run_with_progress
from ui.tasks import Cancelled, Progress
from ui.widgets.table_models import Column, ListTableModel, configure_view


class ChildrenPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.register = RegisterPage(ctx)
        self.child = ChildPage(ctx)
        self.case = CasePage(ctx)
        self.stack = QStackedWidget()
        for w in (self.register, self.child, self.case):
            self.stack.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.stack)
        self.register.open_child.connect(self.open_child)
        self.register.add_child.connect(self.add_child)
        self.register.keys_requested.connect(self.show_keys)
        self.register.view_log_requested.connect(self.show_view_log)
        self.register.print_blank.connect(lambda: self.print_visit_forms(blank=True))
        self.register.print_month.connect(lambda: self.print_visit_forms(blank=False))
        self.child.back.connect(self.show_register)
        self.child.open_case.connect(self.open_case)
        self.child.action.connect(self.child_action)
        self.case.back.connect(self.back_to_child)
        self.case.action.connect(self.case_action)
        self.last_dialog: QDialog | None = None

    # -- navigation ------------------------------------------------------------------------------
    def open_child(self, child_id: str) -> None:
        try:
            self.child.show_child(child_id)
        except CaseworkerError as exc:
            show_error(self, exc)
            return
        self.stack.setCurrentWidget(self.child)
        self.child.tabs.setFocus()

    def open_case(self, case_id: str) -> None:
        try:
            self.case.show_case(case_id)
        except CaseworkerError as exc:
            show_error(self, exc)
            return
        self.stack.setCurrentWidget(self.case)

    def show_register(self) -> None:
        self.stack.setCurrentWidget(self.register)
        self.register.view.setFocus()

    def back_to_child(self) -> None:
        if self.case.detail is not None:
            self.child.child_id = self.case.detail.case.child_id
            self.child.refresh()
        self.stack.setCurrentWidget(self.child)

    # -- forms -----------------------------------------------------------------------------------
    def _run(self, dialog: FormDialog) -> object | None:
        self.last_dialog = dialog
        ok = dialog.exec()
        return dialog.result_value if ok else None

    def add_child(self) -> None:
        result = self._run(dialogs.child_dialog(self.ctx, self))
        if result is not None:
            if result.warning:  # type: ignore[attr-defined]
                QMessageBox.information(self, tr("提示"), result.warning)  # type: ignore[attr-defined]
            self.open_child(result.child.id)  # type: ignore[attr-defined]

    def child_action(self, key: str, child_id: str) -> None:  # noqa: C901
        d = self.child.detail
        if d is None:
            return
        if key == "edit":
            self._run(dialogs.child_dialog(self.ctx, self, d.child))
        elif key == "guardian":
            self._run(dialogs.guardian_dialog(self.ctx, self, child_id))
        elif key == "condition":
            self._run(dialogs.condition_dialog(self.ctx, self, child_id, list(d.guardians)))
        elif key == "end_condition":
            cid = self.child.selected_condition()
            if cid is None:
                QMessageBox.information(
                    self, tr("情形结束"), tr("请先在“情形与证明”中选中一条情形。")
                )
                return
            self._run(dialogs.end_condition_dialog(self.ctx, self, cid))
        elif key == "confirm":
            from caseworker.services.children import register

            self.ctx.write_wait(
                lambda s, a: register.confirm_new(s, a, child_id),
                parent=self,
            )
        elif key == "remove_category":
            for item in d.categories.review.to_review:
                self._run(
                    dialogs.remove_category_dialog(self.ctx, self, child_id, item.category.value)
                )
        elif key == "report":
            result = self._run(dialogs.report_dialog(self.ctx, self, child_id))
            if result is not None:
                self.open_case(result.id)  # type: ignore[attr-defined]
        elif key == "visit":
            self._run(dialogs.visit_dialog(self.ctx, self, child_id, self.child.selected_case()))
        elif key == "leave":
            if d.child.on_register:
                self._run(dialogs.leave_dialog(self.ctx, self, child_id, d.leave_proposal))
            else:
                self._run(dialogs.rejoin_dialog(self.ctx, self, child_id))
        elif key == "print_file":
            from caseworker.services.children import forms  # reportlab: only when printing

            self._print(
                lambda s, a: forms.child_file_pdf(s, a, child_id),
                "儿童档案",
                tr("儿童档案（保密）"),
            )

    def case_action(self, key: str, case_id: str) -> None:
        d = self.case.detail
        if d is None:
            return
        factory = {
            "核实": dialogs.verify_dialog,
            "评估": dialogs.assess_dialog,
            "制定帮扶计划": dialogs.plan_dialog,
            "结案": dialogs.close_dialog,
            "重新开案": dialogs.reopen_dialog,
        }.get(key)
        if factory is not None:
            self._run(factory(self.ctx, self, case_id))
        elif key == "回访":
            self._run(dialogs.visit_dialog(self.ctx, self, d.case.child_id, case_id))
        elif key == "finish_service":
            sid = self.case.selected_service()
            if sid:
                self._run(dialogs.finish_service_dialog(self.ctx, self, sid))
        elif key == "print_summary":
            target, ok = QInputDialog.getItem(
                self,
                tr("打印个案摘要"),
                tr("转介给（可改写，可留空）："),
                ["", "公安机关", "学校", "人民法院", "医院"],
                0,
                True,
            )
            if not ok:
                return
            from caseworker.services.children import forms  # reportlab: only when printing

            self._print(
                lambda s, a: forms.case_summary_pdf(s, a, case_id, referral_to=target.strip()),
                "个案摘要",
                tr("个案摘要（保密）"),
            )

    # -- printing and supervision ----------------------------------------------------------------
    def _print(self, build: Callable, kind: str, title: str) -> None:
        from caseworker.printing.children_forms import default_filename
        from ui.widgets.print_preview import PrintPreview

        try:
            pdf = self.ctx.write_wait(build, parent=self, label=tr("正在生成 PDF…"))
        except CaseworkerError as exc:
            show_error(self, exc)
            return
        if isinstance(pdf, tuple):
            pdf = pdf[0]
        preview = PrintPreview(
            self,
            pdf,
            title,
            default_filename(kind, datetime.now()),
            tr("保密：打印件每页标注打印人和时间"),
            folder=self.ctx.ws.paths.exports,
        )
        preview.exec()
        preview.deleteLater()  # freed when closed: it holds the whole PDF (ui/elderly/print_jobs)

    def print_visit_forms(self, *, blank: bool) -> None:
        """This month's visit forms (or the blank one), read and written in parts on the runner
        behind a cancellable progress dialog (forms.print_visit_forms: the same path as the
        command line), into a file of the exports folder that lives as long as its preview."""
        import secrets

        # The printing modules (reportlab and its QR code: about 0.3 s of imports, holding the
        # runner while the login window waited) load when something is printed, not with 工作台.
        from caseworker.printing.children_forms import default_filename
        from caseworker.services.children import forms
        from ui.widgets.print_preview import PrintPreview

        ctx = self.ctx
        actor = ctx.actor
        assert actor is not None
        month = date.today()
        folder = ctx.ws.paths.exports
        folder.mkdir(parents=True, exist_ok=True)
        out = folder / f"{ctx.ws.paths.PREVIEW_PREFIX}{secrets.token_hex(4)}.pdf"

        def run(progress: Progress | None = None) -> int:
            with ctx.ws.reader(actor) as s:
                batch = forms.visit_form_data(s, actor, month, blank=blank)
            if not batch.forms:
                raise ValidationError(tr("本月没有应回访的儿童，未生成回访记录表"))

            def pages(done: int, total: int) -> None:
                if progress is not None:
                    progress(
                        done, total, tr("正在生成回访记录表：{0} / {1} 份").format(done, total)
                    )

            forms.print_visit_forms(ctx.ws, actor, batch, out, progress=pages)
            return len(batch.forms)

        try:
            count = run_with_progress(ctx.runner, run, self, tr("正在生成 PDF…"), cancellable=True)
        except Cancelled:
            return
        except CaseworkerError as exc:
            show_error(self, exc)
            return
        preview = None
        try:
            preview = PrintPreview(
                self,
                out,
                tr("回访记录表（保密）"),
                default_filename("回访记录表", datetime.now()),
                tr("{0} 份；保密：打印件每页标注打印人和时间").format(count),
                folder=folder,
            )
            preview.exec()
        finally:  # the forms' file lives as long as its preview (as ui/elderly/print_jobs)
            if preview is not None:
                preview.doc.close()  # Windows: an open file cannot be removed
            out.unlink(missing_ok=True)
        preview.deleteLater()  # freed when closed: it holds the document

    def show_keys(self) -> None:
        dialog = KeysDialog(self.ctx, self)
        self.last_dialog = dialog
        dialog.exec()

    def show_view_log(self) -> None:
        dialog = ViewLogDialog(self.ctx, self)
        self.last_dialog = dialog
        dialog.exec()


class KeysDialog(QDialog):
    """密钥授权: which child-role accounts hold the office key; grant it to one waiting."""

    def __init__(self, ctx: AppContext, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("儿童档案密钥授权"))
        note = QLabel(
            self.tr(
                "保密内容用本街道的密钥加密。新的儿童主任、或被管理员重置过密码的账号，"
                "需要儿童督导员在这里授权后重新登录，才能查看和填写保密内容。"
            )
        )
        note.setWordWrap(True)
        self.model: ListTableModel = ListTableModel(
            [
                Column(self.tr("姓名"), lambda h: h.display_name),
                Column(self.tr("角色"), lambda h: h.role.label),
                Column(self.tr("社区"), lambda h: h.community_name),
                Column(self.tr("状态"), lambda h: h.state),
                Column(self.tr("授权人"), lambda h: h.granted_by),
                Column(self.tr("授权时间"), lambda h: h.granted_at),
            ]
        )
        self.view = QTableView()
        self.view.setModel(self.model)
        configure_view(self.view)
        grant = QPushButton(self.tr("为选中账号授权"))
        grant.clicked.connect(self.grant)
        self.rotate_button = QPushButton(self.tr("更换密钥…"))
        self.rotate_button.setToolTip(
            self.tr("有儿童岗位账号停用、调岗或离职后，更换密钥并重新加密全部保密内容")
        )
        self.rotate_button.clicked.connect(self.rotate)
        self.last_result = ""
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.view, 1)
        layout.addWidget(grant)
        layout.addWidget(self.rotate_button)
        self.resize(720, 420)
        self.refresh()

    def refresh(self) -> None:
        actor = self.ctx.actor
        assert actor is not None
        self.model.set_rows(self.ctx.read(lambda s: keys.holders(s, actor)))

    def grant(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            return
        staff_id = self.model.row(index.row()).staff_id
        try:
            self.ctx.write_wait(lambda s, a: keys.grant(s, a, staff_id), parent=self)
        except CaseworkerError as exc:
            show_error(self, exc)
        self.refresh()

    def rotate(self, *, confirm: bool = True) -> None:
        """Replace the office key and re-encrypt every narrative (backup first; cancellable:
        a cancelled rotation rolls back and changes nothing)."""
        actor = self.ctx.actor
        assert actor is not None
        if confirm:
            answer = QMessageBox.question(
                self,
                self.tr("更换儿童档案密钥"),
                self.tr(
                    "将先备份数据库，再用新密钥重新加密全部保密内容（儿童多时需要几分钟）。\n"
                    "仍在岗的儿童岗位账号自动获得新密钥；已停用的账号失去密钥。\n"
                    "更换后，旧密钥打不开新写入的任何内容。是否继续？"
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        ws = self.ctx.ws

        def job(progress: Progress) -> rotation.Rotated:
            return rotation.rotate_office_key(
                ws, actor, progress=lambda done, total: progress(done, total)
            )

        try:
            result = run_with_progress(
                self.ctx.runner, job, self, self.tr("正在更换密钥并重新加密…"), cancellable=True
            )
        except Cancelled:
            self.last_result = self.tr("已取消，密钥未更换。")
        except CaseworkerError as exc:
            show_error(self, exc)
            return
        else:
            self.last_result = self.tr(
                "已更换密钥：重新加密 {n} 条保密内容，用时 {s:.0f} 秒。\n"
                "已获得新密钥：{ok}\n需要重新授权：{lost}\n更换前的备份：{backup}"
            ).format(
                n=result.values,
                s=result.seconds,
                ok="、".join(result.regranted) or "无",
                lost="、".join(result.dropped) or "无",
                backup=result.backup,
            )
        self.refresh()
        if confirm:
            QMessageBox.information(self, self.tr("更换儿童档案密钥"), self.last_result)


class ViewLogDialog(QDialog):
    """档案查阅记录: who opened or printed which child's record, newest first."""

    def __init__(self, ctx: AppContext, parent: QWidget | None) -> None:
        super().__init__(parent)
        actor = ctx.actor
        assert actor is not None
        self.setWindowTitle(self.tr("档案查阅记录（保密）"))
        self.model: ListTableModel = ListTableModel(
            [
                Column(self.tr("时间"), lambda r: r.viewed_at),
                Column(self.tr("查阅人"), lambda r: r.staff_name),
                Column(self.tr("操作"), lambda r: r.action),
                Column(self.tr("儿童"), lambda r: r.child_name),
            ]
        )
        self.model.set_rows(ctx.read(lambda s: worklists.view_log(s, actor, limit=500)))
        view = QTableView()
        view.setModel(self.model)
        configure_view(view)
        view.setColumnWidth(0, 140)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(self.tr("最近 500 条；每次打开或打印儿童档案都会记录，并随数据包报送区里。"))
        )
        layout.addWidget(view, 1)
        self.resize(640, 480)


class FiguresPage(QWidget):
    """For roles that may not see child records: counts only."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        actor = ctx.actor
        assert actor is not None
        f = ctx.read(lambda s: worklists.figures(s, actor))
        title = QLabel(self.tr("儿童关爱（统计）"))
        title.setStyleSheet("font-size: 14pt; font-weight: bold;")
        note = QLabel(
            self.tr(
                "儿童档案只有儿童督导员和儿童主任可以查看。这里只显示数字，不显示任何个人信息。"
            )
        )
        note.setWordWrap(True)
        box = QGroupBox(self.tr("全街道"))
        inner = QVBoxLayout(box)
        self.summary = QLabel(figures_text(f))
        self.summary.setObjectName("figures")
        self.summary.setWordWrap(True)
        inner.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(note)
        layout.addWidget(box)
        layout.addStretch()


def figures_text(f: worklists.Figures) -> str:
    cats = "　".join(f"{k} {v}" for k, v in f.by_category.items())
    steps = "　".join(f"{k} {v}" for k, v in f.open_cases_by_step.items())
    risks = "　".join(f"{k}风险 {v}" for k, v in f.open_cases_by_risk.items())
    places = "　".join(f"{k} {v}" for k, v in f.by_community.items())
    return tr(
        "在册儿童 {0} 名（{1}）\n按类别：{2}\n按社区/村：{3}\n在办个案：{4}；紧急 {5}\n风险：{6}\n"
        "本月回访：已访 {7} / 应访 {8}"
    ).format(
        f.children,
        f.scoped_to,
        cats,
        places,
        steps,
        f.urgent_open,
        risks,
        f.visits_done_in_month,
        f.visits_due_in_month,
    )
