"""A case's page: the household, its steps as a timeline, the assessed items with the money,
the photo strip (double-click for the viewer), and buttons for the steps this person may take
now (the service still decides). Printing: assessment form, acceptance form, the whole file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError, NotFound
from caseworker.domain.retrofit import Action, HouseholdCategory, PhotoStage, Step
from caseworker.domain.roles import Permission
from caseworker.services.retrofit import cases, photos
from caseworker.services.retrofit.cases import CaseDetail, EventInfo, ItemInfo, PhotoInfo
from db.photo_store import PhotoStore
from ui.context import AppContext
from ui.messages import show_error
from ui.retrofit.common import RETROFIT_TABLES, money, qty, step_colour
from ui.widgets import file_dialogs
from ui.widgets.fields import fmt_date, fmt_local
from ui.widgets.table_models import ROW_HEIGHT, Column, ListTableModel, configure_view

# The order the buttons appear in, main path first.
BUTTON_ORDER = (
    Action.CHECK,
    Action.SUBMIT,
    Action.APPROVE,
    Action.RETURN,
    Action.START,
    Action.FINISH,
    Action.ACCEPT,
    Action.FAIL,
    Action.REJECT,
    Action.WITHDRAW,
    Action.TERMINATE,
)
PATH = (
    Step.APPLIED,
    Step.ELIGIBLE,
    Step.ASSESSED,
    Step.APPROVED,
    Step.CONSTRUCTION,
    Step.INSPECTION,
    Step.COMPLETED,
)


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    return label


class PhotoViewer(QDialog):
    """One photo at a time, as large as the window; Left/Right for the others, Esc closes."""

    def __init__(
        self, store: PhotoStore, items: list[PhotoInfo], index: int, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.store, self.items, self.index = store, items, index
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(640, 480)
        self.caption = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.caption)
        QShortcut(QKeySequence(Qt.Key.Key_Right), self, lambda: self.show_index(self.index + 1))
        QShortcut(QKeySequence(Qt.Key.Key_Left), self, lambda: self.show_index(self.index - 1))
        self.resize(1000, 780)
        self.show_index(index)

    def show_index(self, index: int) -> None:
        if not self.items:
            return
        self.index = index % len(self.items)
        p = self.items[self.index]
        pix = QPixmap()
        try:
            pix.loadFromData(self.store.read_bytes(p.sha256))
        except CaseworkerError as exc:
            self.image.setText(str(exc))
        else:
            self.image.setPixmap(
                pix.scaled(
                    self.image.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        taken = f"　拍摄于 {p.taken_at:%Y-%m-%d %H:%M}" if p.taken_at else ""
        self.caption.setText(
            f"{self.index + 1}/{len(self.items)}　{p.stage}　{p.caption or p.original_name}{taken}"
        )
        self.setWindowTitle(self.tr("照片 {0}/{1}").format(self.index + 1, len(self.items)))


class CasePage(QWidget):
    back = Signal()
    print_requested = Signal(str, str)  # kind ("assessment" | "acceptance" | "file"), case id

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.detail: CaseDetail | None = None
        self.case_id: str | None = None
        self.store = PhotoStore(ctx.ws.paths.photos)
        self.can_edit = ctx.can(Permission.RETROFIT_EDIT)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.back_button = QPushButton(self.tr("← 返回列表"))
        self.back_button.setToolTip("Esc")
        self.back_button.clicked.connect(self.back)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.back.emit)
        self.edit_button = QPushButton(self.tr("修改申请"))
        self.edit_button.clicked.connect(self.edit_application)
        self.assess_button = QPushButton(self.tr("评估项目…"))
        self.assess_button.setToolTip("Ctrl+E")
        self.assess_button.clicked.connect(self.open_assessment)
        QShortcut(QKeySequence("Ctrl+E"), self, self.open_assessment)
        self.photo_button = QPushButton(self.tr("添加照片…"))
        # Not connected straight to add_photos: `clicked` passes `checked` (False), which
        # add_photos took for "no files chosen" and returned (issue 18: the button did nothing).
        self.photo_button.clicked.connect(lambda _checked=False: self.add_photos())
        # A supervisor may record why photos are not taken (the household refused…)
        self.waive_button = QPushButton(self.tr("免拍照片…"))
        self.waive_button.setToolTip(self.tr("科长登记不拍照片的原因：评估、验收可不附照片"))
        self.waive_button.clicked.connect(self.waive_photos)
        self.print_button = QPushButton(self.tr("打印"))
        menu = QMenu(self.print_button)
        for kind, text in (
            ("assessment", self.tr("入户评估表")),
            ("acceptance", self.tr("验收单")),
            ("file", self.tr("改造档案（全部）")),
        ):
            menu.addAction(text, lambda k=kind: self.print_requested.emit(k, self.case_id or ""))
        self.print_button.setMenu(menu)
        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addSpacing(8)
        top.addWidget(self.title, 1)
        for b in (
            self.edit_button,
            self.assess_button,
            self.photo_button,
            self.waive_button,
            self.print_button,
        ):
            top.addWidget(b)

        self.steps_bar = QLabel()
        self.steps_bar.setTextFormat(Qt.TextFormat.RichText)
        self.action_row = QHBoxLayout()
        self.action_buttons: dict[Action, QPushButton] = {}
        self.action_label = QLabel(self.tr("办理："))
        self.action_row.addWidget(self.action_label)
        for action in BUTTON_ORDER:
            b = QPushButton(action.value)
            b.clicked.connect(lambda _c=False, a=action: self.take_step(a))
            self.action_buttons[action] = b
            self.action_row.addWidget(b)
        self.action_row.addStretch(1)

        # The page fits an office screen (issue 18: its 11 rows of facts made the main window
        # 765 px tall): the applicant's facts in two columns, the construction facts above the
        # timeline they belong to.
        self.fields: dict[str, QLabel] = {}
        info = QGridLayout()
        info.setHorizontalSpacing(8)
        info.setVerticalSpacing(4)
        applicant = (
            ("id", "身份证号", 0, 0),
            ("who", "性别/年龄", 0, 2),
            ("community", "社区/村", 1, 0),
            ("phone", "电话", 1, 2),
            ("address", "住址", 2, 0),
            ("contact", "家属/联系人", 2, 2),
            ("categories", "家庭类别", 3, 0),
        )
        for key, text, row, col in applicant:
            self.fields[key] = _label()
            info.addWidget(_caption(self.tr(text) + "："), row, col)
            info.addWidget(self.fields[key], row, col + 1)
        # The reason can be long: it has a row of its own across both columns, wrapped.
        self.fields["eligible"] = _label()
        info.addWidget(_caption(self.tr("补贴资格") + "："), 4, 0)
        info.addWidget(self.fields["eligible"], 4, 1, 1, 3)
        info.setColumnStretch(1, 1)
        info.setColumnStretch(3, 1)
        info_box = QGroupBox(self.tr("申请人"))
        info_box.setLayout(info)
        process = self.process = QFormLayout()
        process.setVerticalSpacing(2)
        for key, text in (
            ("contractor", "施工单位"),
            ("dates", "施工日期"),
            ("closed", "结案"),
            ("photos", "照片"),
        ):
            self.fields[key] = _label()
            process.addRow(self.tr(text) + "：", self.fields[key])

        self.timeline_model: ListTableModel[EventInfo] = ListTableModel(
            [
                Column(self.tr("日期"), lambda e: e.on),
                Column(self.tr("办理"), lambda e: e.action),
                Column(
                    self.tr("环节"),
                    lambda e: f"{e.from_step} → {e.to_step}" if e.from_step else e.to_step,
                ),
                Column(self.tr("经办人"), lambda e: e.actor_name),
                Column(self.tr("说明"), lambda e: e.note),
                Column(self.tr("录入时间"), lambda e: fmt_local(e.at)),
            ]
        )
        self.timeline = QTableView()
        self.timeline.setModel(self.timeline_model)
        configure_view(self.timeline)
        for col, width in enumerate((86, 90, 150, 70, 220)):
            self.timeline.setColumnWidth(col, width)
        timeline_box = QGroupBox(self.tr("办理经过"))
        timeline_column = QVBoxLayout(timeline_box)
        timeline_column.addLayout(process)
        timeline_column.addWidget(self.timeline, 1)
        self.timeline.setMinimumHeight(3 * ROW_HEIGHT + 24)

        self.items_model: ListTableModel[tuple[ItemInfo, int, int, int]] = ListTableModel(
            [
                Column(self.tr("项目"), lambda t: t[0].name),
                Column(self.tr("类别"), lambda t: t[0].part),
                Column(self.tr("位置"), lambda t: t[0].room),
                Column(self.tr("数量"), lambda t: f"{qty(t[0].quantity_centi)} {t[0].unit}", True),
                Column(self.tr("单价"), lambda t: money(t[0].unit_price_fen), True),
                Column(self.tr("金额"), lambda t: money(t[1]), True),
                Column(self.tr("政府补贴"), lambda t: money(t[2]), True),
                Column(self.tr("家庭自付"), lambda t: money(t[3]), True),
                Column(self.tr("说明"), lambda t: t[0].note),
            ]
        )
        self.items = QTableView()
        self.items.setModel(self.items_model)
        configure_view(self.items)
        for col, width in enumerate((150, 70, 60, 80, 70, 80, 80, 80)):
            self.items.setColumnWidth(col, width)
        self.items.doubleClicked.connect(lambda _i: self.open_assessment())
        self.totals = QLabel()
        self.totals.setStyleSheet("font-weight: bold;")
        items_box = QGroupBox(self.tr("评估项目和费用"))
        col = QVBoxLayout(items_box)
        col.addWidget(self.items, 1)
        col.addWidget(self.totals)

        self.strip = QListWidget()
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setIconSize(QSize(96, 72))
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setFixedHeight(104)
        self.strip.itemActivated.connect(self._view_photo)
        self.strip.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.add_photo_action = QAction(self.tr("添加照片…"), self.strip)
        self.add_photo_action.setShortcut(QKeySequence(Qt.Key.Key_Insert))
        self.add_photo_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.add_photo_action.triggered.connect(lambda _checked=False: self.add_photos())
        self.strip.addAction(self.add_photo_action)
        self.remove_photo_action = QAction(self.tr("删除这张照片"), self.strip)
        self.remove_photo_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.remove_photo_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_photo_action.triggered.connect(self.remove_photo)
        self.strip.addAction(self.remove_photo_action)
        photos_box = QGroupBox(self.tr("照片（双击或 Enter 查看）"))
        QVBoxLayout(photos_box).addWidget(self.strip)
        self.items.setMinimumHeight(3 * ROW_HEIGHT + 24)

        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(info_box)
        upper.addWidget(timeline_box)
        upper.setSizes([560, 640])
        # The steps and what can be done now share a row.
        steps_row = QHBoxLayout()
        steps_row.addWidget(self.steps_bar)
        steps_row.addSpacing(16)
        steps_row.addLayout(self.action_row, 1)
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(steps_row)
        layout.addWidget(upper, 2)
        layout.addWidget(items_box, 3)
        layout.addWidget(photos_box)
        ctx.on_changed(self, self._on_changed)

    # -- loading -----------------------------------------------------------------------------------
    def show_case(self, case_id: str) -> None:
        self.case_id = case_id
        self.refresh()

    def _on_changed(self, tables: frozenset[str]) -> None:
        if self.case_id and tables & RETROFIT_TABLES and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        actor = self.ctx.actor
        assert actor is not None
        case_id = self.case_id
        if case_id is None:
            return
        try:
            d = self.ctx.read(lambda s: cases.detail(s, actor, case_id))
        except NotFound as exc:
            show_error(self, exc)
            self.back.emit()
            return
        self.detail = d
        c = d.case
        self.title.setText(self.tr("{0}　{1}").format(c.name, c.case_no))
        self.steps_bar.setText(self._steps_html(c.step))
        f = self.fields
        f["id"].setText(c.id_number)
        f["who"].setText(self.tr("{0}，{1} 岁（{2}）").format(c.sex, c.age, fmt_date(c.birth_date)))
        f["community"].setText(c.community_name)
        f["address"].setText(c.address)
        f["phone"].setText(c.phone)
        f["contact"].setText(" ".join(x for x in (c.contact_name, c.contact_phone) if x))
        f["categories"].setText("、".join(x.value for x in HouseholdCategory if x in c.categories))
        f["eligible"].setText(("符合：" if c.eligible else "不符合：") + c.eligibility_reason)
        f["contractor"].setText(c.contractor_name)
        dates = ""
        if c.construction_start:
            dates = self.tr("开工 {0}，计划完工 {1}").format(
                fmt_date(c.construction_start), fmt_date(c.planned_end)
            )
            if c.construction_done_on:
                dates += self.tr("，完工 {0}").format(fmt_date(c.construction_done_on))
            if c.days_overdue:
                dates += self.tr("（已逾期 {0} 天）").format(c.days_overdue)
        f["dates"].setText(dates)
        f["dates"].setStyleSheet("color: #b00020;" if c.days_overdue else "")
        closed = ""
        if c.closed_on:
            closed = f"{fmt_date(c.closed_on)} {c.step.value}"
            if c.closed_reason:
                closed += f"：{c.closed_reason}"
            if c.signed_by:
                closed += self.tr("（验收单签字：{0}）").format(c.signed_by)
        f["closed"].setText(closed)
        # Only the facts this case has: no empty 施工单位 before construction, no empty 结案.
        for row, value in enumerate((c.contractor_name, dates, closed)):
            self.process.setRowVisible(row, bool(value))
        waived = [
            self.tr("免拍改造前照片：{0}").format(c.photos_waived_before)
            if c.photos_waived_before
            else "",
            self.tr("免拍改造后照片：{0}").format(c.photos_waived_after)
            if c.photos_waived_after
            else "",
        ]
        f["photos"].setText(
            "；".join(w for w in waived if w)
            or self.tr("评估须有改造前照片，验收须有每个项目的改造后照片")
        )
        self.timeline_model.set_rows(d.events)
        self.items_model.set_rows(
            [
                (i, m.cost_fen, m.subsidy_fen, m.household_fen)
                for i, m in zip(d.items, d.totals.lines, strict=True)
            ]
        )
        t = d.totals
        text = self.tr("合计 {0} 元　政府补贴 {1} 元　家庭自付 {2} 元").format(
            money(t.cost_fen), money(t.subsidy_fen), money(t.household_fen)
        )
        if t.moved_to_household_fen:
            text += self.tr("（超出每户上限 {0} 元的 {1} 元由家庭承担）").format(
                money(t.household_cap_fen), money(t.moved_to_household_fen)
            )
        if c.approved_on:
            text += self.tr("　— 按 {0} 审批时的价格").format(fmt_date(c.approved_on))
        self.totals.setText(text)
        for action, button in self.action_buttons.items():
            button.setVisible(action in d.actions)
        if d.actions:
            self.action_label.setText(self.tr("办理："))
        elif c.step.closed:
            self.action_label.setText(self.tr("已结案（{0}），不再办理。").format(c.step.value))
        else:
            self.action_label.setText(self.tr("这一步由其他岗位办理（如审批由科长办理）。"))
        self.edit_button.setEnabled(
            self.can_edit and c.step in (Step.APPLIED, Step.ELIGIBLE, Step.ASSESSED)
        )
        self.assess_button.setText(
            self.tr("编辑评估项目…") if c.step is Step.ELIGIBLE else self.tr("查看评估项目…")
        )
        self.assess_button.setEnabled(c.step is not Step.APPLIED)
        self.photo_button.setEnabled(self.can_edit and self._photo_stage() is not None)
        self.add_photo_action.setEnabled(self.photo_button.isEnabled())
        self.waive_button.setVisible(self.ctx.can(Permission.RETROFIT_APPROVE))
        self.waive_button.setEnabled(self._photo_stage() is not None)
        self.remove_photo_action.setEnabled(self.can_edit and not c.step.closed)
        self._fill_strip(d.photos)

    def _steps_html(self, current: Step) -> str:
        parts = []
        reached = current.rank if current in PATH else -1
        for s in PATH:
            if s is current:
                colour = step_colour(s.value)
                parts.append(
                    f"<span style='color:white;background:{colour};'>&nbsp;{s.value}&nbsp;</span>"
                )
            elif s.rank < reached:
                parts.append(f"<span style='color:#2e7d32;'>✔ {s.value}</span>")
            else:
                parts.append(f"<span style='color:#999;'>{s.value}</span>")
        html = " → ".join(parts)
        if current.closed and current is not Step.COMPLETED:
            html += f"　<b style='color:#b00020;'>{current.value}</b>"
        return f"<div style='font-size:11pt;'>{html}</div>"

    def _fill_strip(self, items: tuple[PhotoInfo, ...]) -> None:
        self.strip.clear()
        for p in items:
            pix = QPixmap(str(self.store.path_of(p.thumb_sha256)))
            row = QListWidgetItem(QIcon(pix), f"{p.stage} {p.caption or p.original_name}"[:24])
            if pix.isNull():
                row.setText(self.tr("{0}（文件缺失）").format(p.stage))
            row.setData(Qt.ItemDataRole.UserRole, p.id)
            self.strip.addItem(row)

    def _view_photo(self, row: QListWidgetItem) -> None:
        if self.detail is None:
            return
        items = list(self.detail.photos)
        index = next(
            (i for i, p in enumerate(items) if p.id == row.data(Qt.ItemDataRole.UserRole)), 0
        )
        PhotoViewer(self.store, items, index, self).exec()

    # -- actions -----------------------------------------------------------------------------------
    def _photo_stage(self) -> PhotoStage | None:
        if self.detail is None:
            return None
        step = self.detail.case.step
        for stage, steps in photos.STAGE_STEPS.items():
            if step in steps:
                return stage
        return None

    def take_step(self, action: Action) -> None:
        from ui.retrofit.step_dialog import StepDialog

        if self.detail is None:
            return
        summary: list[tuple[str, str]] = []
        if action is Action.APPROVE:  # what the supervisor approves, each figure on its row
            t = self.detail.totals
            summary = [
                (self.tr("评估项目"), self.tr("{0} 项").format(len(self.detail.items))),
                (self.tr("合计"), self.tr("{0} 元").format(money(t.cost_fen))),
                (self.tr("政府补贴"), self.tr("{0} 元").format(money(t.subsidy_fen))),
                (self.tr("家庭自付"), self.tr("{0} 元").format(money(t.household_fen))),
                (
                    self.tr("评估人"),
                    "、".join(self.detail.case.assessors) or self.detail.case.assessed_by_name,
                ),
            ]
            if t.moved_to_household_fen:
                summary.insert(
                    4,
                    (
                        self.tr("超出上限"),
                        self.tr("{0} 元由家庭承担（每户上限 {1} 元）").format(
                            money(t.moved_to_household_fen), money(t.household_cap_fen)
                        ),
                    ),
                )
        StepDialog(self.ctx, self.detail.case, action, self, summary).exec()

    def open_assessment(self) -> None:
        from ui.retrofit.assessment_editor import AssessmentEditor

        if self.detail is None or self.detail.case.step is Step.APPLIED:
            return
        AssessmentEditor(self.ctx, self.detail, self).exec()

    def edit_application(self) -> None:
        from ui.retrofit.application_dialog import ApplicationDialog

        if self.detail is not None:
            ApplicationDialog(self.ctx, self, case=self.detail.case).exec()

    def _photo_item(self, stage: PhotoStage) -> str | bool | None:
        """The item an after photo shows (acceptance needs one of each item); False when the
        person cancelled. Before photos show the home as found: no item asked."""
        if stage is not PhotoStage.AFTER or self.detail is None or not self.detail.items:
            return None
        have = {p.item_id for p in self.detail.photos if p.stage == PhotoStage.AFTER.value}
        items = list(self.detail.items)
        labels = [
            f"{i.name}（{i.room or '—'}）" + ("" if i.id in have else self.tr("　未拍"))
            for i in items
        ]
        first = next((n for n, i in enumerate(items) if i.id not in have), 0)
        label, ok = QInputDialog.getItem(
            self,
            self.tr("改造后照片"),
            self.tr("这些照片拍的是哪个改造项目？"),
            labels,
            first,
            False,
        )
        if not ok:
            return False
        return items[labels.index(label)].id

    def waive_photos(self) -> None:
        """科长 records why the photos of the current stage are not taken."""
        stage, case_id = self._photo_stage(), self.case_id
        if stage is None or case_id is None:
            return
        reason, ok = QInputDialog.getText(
            self,
            self.tr("免拍{0}照片").format(stage.value),
            self.tr("不拍{0}照片的原因（如：户主不同意拍摄）：").format(stage.value),
        )
        if not ok:
            return
        try:
            self.ctx.write_wait(
                lambda s, a: cases.waive_photos(s, a, case_id, stage, reason),
                parent=self,
            )
        except CaseworkerError as exc:
            show_error(self, exc)

    def remove_photo(self) -> None:
        row = self.strip.currentItem()
        if row is None or not self.remove_photo_action.isEnabled():
            return
        photo_id = row.data(Qt.ItemDataRole.UserRole)
        answer = QMessageBox.question(
            self, self.tr("删除照片"), self.tr("从这户的档案中删除这张照片吗？")
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.ctx.write_wait(lambda s, a: photos.remove(s, a, photo_id), parent=self)
        except CaseworkerError as exc:
            show_error(self, exc)

    def add_photos(self, paths: list[str] | None = None) -> None:
        stage = self._photo_stage()
        if stage is None or self.case_id is None:
            return
        if paths is None:
            chosen = file_dialogs.open_paths(
                self,
                "photos",
                self.tr("选择{0}照片").format(stage.value),
                self.tr("照片 (*.jpg *.jpeg *.png *.heic *.heif)"),
            )
        else:
            chosen = [Path(p) for p in paths]
        if not chosen:
            return
        item_id = self._photo_item(stage)
        if item_id is False:
            return
        store, case_id = self.store, self.case_id

        def job(s, a):  # type: ignore[no-untyped-def]
            return [
                photos.add(s, a, store, case_id, photos.PhotoRequest(p, stage, item_id or None))
                for p in chosen
            ]

        try:
            self.ctx.write_wait(job, parent=self, label=self.tr("正在导入照片…"))
        except CaseworkerError as exc:
            show_error(self, exc)
