"""参数设置: district settings (visit frequencies, security, backups) and the communities list.

The values shown are those in force today; a change the district scheduled for a later day is
listed under the form (*待生效*, with its day and who set it) until that day."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import Permission
from caseworker.services import accounts, settings
from ui.context import AppContext


def _shown(value: object) -> str:
    return ("是" if value else "否") if isinstance(value, bool) else str(value)


class ParametersPage(QWidget):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.editors: dict[str, QSpinBox] = {}
        self.switches: dict[str, QCheckBox] = {}  # yes/no settings
        box = QGroupBox(self.tr("参数"))
        form = QFormLayout(box)
        district = ctx.read(settings.managed_by_district)
        editable = ctx.can(Permission.EDIT_SETTINGS) and not district
        for item in ctx.read(settings.get_all):
            if isinstance(item.default, bool):
                switch = QCheckBox(item.label)
                switch.setChecked(bool(item.value))
                switch.setToolTip(self.tr("默认：{0}").format("是" if item.default else "否"))
                switch.setEnabled(editable)
                self.switches[item.key] = switch
                form.addRow("", switch)
                continue
            spin = QSpinBox()
            spin.setRange(item.minimum or 0, item.maximum or 1_000_000)
            spin.setValue(int(item.value))
            spin.setSuffix(f" {item.unit}" if item.unit else "")
            spin.setToolTip(self.tr("默认值：{0}").format(item.default))
            spin.setEnabled(editable)
            self.editors[item.key] = spin
            form.addRow(item.label + "：", spin)
        self.save_button = QPushButton(self.tr("保存参数"))
        self.save_button.setEnabled(editable)
        self.save_button.clicked.connect(self.save)
        form.addRow(self.save_button)
        self.pending_label = QLabel()
        self.pending_label.setWordWrap(True)
        form.addRow(self.pending_label)

        communities = QGroupBox(self.tr("社区和村"))
        self.community_list = QListWidget()
        self.add_community_button = QPushButton(self.tr("添加社区/村"))
        self.add_community_button.setEnabled(ctx.can(Permission.MANAGE_STAFF))
        self.add_community_button.clicked.connect(self.add_community)
        c_layout = QVBoxLayout(communities)
        c_layout.addWidget(self.community_list)
        c_layout.addWidget(self.add_community_button)

        layout = QHBoxLayout(self)
        layout.addWidget(box, 1)
        layout.addWidget(communities, 1)
        if district:
            note = QLabel(self.tr("本街道已在区民政局登记：参数由区民政局统一设置，随数据包发来。"))
            note.setWordWrap(True)
            form.addRow(note)
        elif not ctx.can(Permission.EDIT_SETTINGS):
            form.addRow(QLabel(self.tr("只有系统管理员可以修改参数。")))
        ctx.on_changed(
            self, lambda t: self.refresh() if t & {"setting", "dated_value", "community"} else None
        )
        self.refresh()

    def refresh(self) -> None:
        for item in self.ctx.read(settings.get_all):
            if item.key in self.editors:
                self.editors[item.key].setValue(int(item.value))
            elif item.key in self.switches:
                self.switches[item.key].setChecked(bool(item.value))
        waiting = self.ctx.read(settings.pending)
        self.pending_label.setText(
            self.tr("待生效：")
            + "；".join(
                self.tr("{0} 起 {1} 改为 {2}（{3} 设）").format(
                    p.effective_from.isoformat(),
                    p.label,
                    f"{_shown(p.value)}{p.unit}",
                    p.changed_by or "—",
                )
                for p in waiting
            )
            if waiting
            else ""
        )
        self.community_list.clear()
        for c in self.ctx.read(accounts.communities):
            self.community_list.addItem(f"{c.name}（{c.kind}）")

    def save(self) -> None:
        values: dict[str, object] = {key: spin.value() for key, spin in self.editors.items()}
        values.update({key: box.isChecked() for key, box in self.switches.items()})

        def apply(s, a) -> int:
            changed = 0
            for key, value in values.items():
                if settings.get(s, key) != value:
                    settings.set_value(s, a, key, value)
                    changed += 1
            return changed

        try:
            changed = self.ctx.write_wait(apply, parent=self)
        except CaseworkerError as exc:
            QMessageBox.warning(self, self.tr("无法保存"), str(exc))
            return
        QMessageBox.information(
            self, self.tr("参数"), self.tr("已保存 {0} 项修改。").format(changed)
        )

    def add_community(self) -> None:
        name, ok = QInputDialog.getText(
            self, self.tr("添加社区/村"), self.tr("名称（以“村”结尾的记为村）：")
        )
        if not ok or not name.strip():
            return
        kind = "村" if name.strip().endswith("村") else "社区"
        self.ctx.write(lambda s, a: accounts.add_community(s, a, name, kind), parent=self)
