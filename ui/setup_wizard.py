"""First start: create the office, its communities and the first administrator; or start from the
district's enrollment file (then create the first administrator); or try the product with demo
data. A workspace that was enrolled but has no account yet starts at the administrator page."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from caseworker.domain import office_code
from caseworker.domain.roles import Role
from caseworker.services.accounts import StaffDraft


@dataclass
class SetupChoice:
    """What to do now. kind: "office" (office, communities and admin), "demo", "enroll" (join
    the district with an enrollment file), "admin" (first admin of an enrolled workspace)."""

    kind: str
    office_name: str = ""
    office_code: str = ""
    district_name: str = ""
    communities: list[str] = field(default_factory=list)
    admin: StaffDraft | None = None
    password: str = ""
    enrollment: Path | None = None
    passphrase: str = ""

    @property
    def demo(self) -> bool:
        return self.kind == "demo"


PAGE_CHOICE, PAGE_OFFICE, PAGE_COMMUNITIES, PAGE_ADMIN, PAGE_DEMO, PAGE_ENROLL = range(6)


class _ChoicePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("欢迎使用街道民政工作台"))
        self.setSubTitle(self.tr("这个工作区还是空的。请选择怎样开始。"))
        self.enroll = QRadioButton(self.tr("登记：使用区民政局发来的登记文件（推荐）"))
        self.new = QRadioButton(self.tr("新建：自己填写本街道、社区和管理员账号，以后再登记"))
        self.demo = QRadioButton(self.tr("试用：生成演示数据（全部为虚构的合成数据）"))
        self.enroll.setChecked(True)  # the recommended way, so the default
        group = QButtonGroup(self)
        group.addButton(self.enroll)
        group.addButton(self.new)
        group.addButton(self.demo)
        note = QLabel(
            self.tr(
                "演示数据包含一个示范街道、若干社区和演示账号（密码均为 demo1234）。"
                "正式使用时请另建一个空的工作区。"
            )
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enroll)
        layout.addWidget(self.new)
        layout.addWidget(self.demo)
        layout.addSpacing(12)
        layout.addWidget(note)

    def nextId(self) -> int:
        if self.demo.isChecked():
            return PAGE_DEMO
        return PAGE_ENROLL if self.enroll.isChecked() else PAGE_OFFICE


class _DemoPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("生成演示数据"))
        self.setSubTitle(self.tr("点击“完成”后生成一个示范街道的虚构数据，约需半分钟。"))
        body = QLabel(
            self.tr(
                "演示账号：admin（系统管理员）、kezhang（科长）、zhuangan1～3（民政专干）、"
                "dudao（儿童督导员）、ertong01 起（儿童主任），密码均为 demo1234。\n\n"
                "演示数据中的姓名、身份证号、电话和地址都是随机生成的，不是真实的个人信息。"
            )
        )
        body.setWordWrap(True)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(body)
        layout.addWidget(self.message)

    def nextId(self) -> int:
        return -1

    def validatePage(self) -> bool:
        wizard = self.wizard()
        assert isinstance(wizard, SetupWizard)
        error = wizard.apply_choice(SetupChoice("demo"))
        if error:
            self.message.setText(error)
            return False
        return True


class _EnrollPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("使用登记文件"))
        self.setSubTitle(
            self.tr("区民政局为本街道生成的登记文件（.cwenroll）带有街道、社区和区里的参数。")
        )
        self.path = QLineEdit()
        self.path.setPlaceholderText(self.tr("登记文件路径"))
        browse = QPushButton(self.tr("选择文件…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.tr("登记文件*："), row)
        form.addRow(self.tr("口令*："), self.passphrase)
        form.addRow(QLabel(self.tr("口令由区民政局另行告知（不要和登记文件放在同一个 U 盘上）。")))
        form.addRow(self.message)
        self.registerField("enroll_path*", self.path)
        self.registerField("enroll_passphrase*", self.passphrase)

    def _browse(self) -> None:
        from ui.widgets import file_dialogs

        file_dialogs.choose_enrollment(self.path)

    def nextId(self) -> int:
        return PAGE_ADMIN

    def validatePage(self) -> bool:
        wizard = self.wizard()
        assert isinstance(wizard, SetupWizard)
        if wizard.enrolled:
            return True  # went back after enrolling: nothing to do again
        choice = SetupChoice(
            "enroll", enrollment=Path(self.path.text().strip()), passphrase=self.passphrase.text()
        )
        error = wizard.apply_choice(choice)
        if error:
            self.message.setText(error)
            return False
        wizard.enrolled = True
        wizard.applied = False  # the administrator is still to come
        return True


class _OfficePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("街道信息"))
        self.setSubTitle(self.tr("这些信息会印在表格上，并随数据报送区民政局。"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("例如：和平街道办事处"))
        self.code = QLineEdit()
        self.code.setPlaceholderText(self.tr("区民政局分配的街道代码"))
        self.district = QLineEdit()
        self.district.setPlaceholderText(self.tr("例如：朝阳区"))
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.tr("街道名称*："), self.name)
        form.addRow(self.tr("街道代码*："), self.code)
        form.addRow(self.tr("所属区*："), self.district)
        form.addRow(self.message)
        self.registerField("office_name*", self.name)
        self.registerField("office_code*", self.code)
        self.registerField("district_name*", self.district)

    def validatePage(self) -> bool:
        # Said here, where it can be fixed, not only when 完成 is pressed three pages later.
        try:
            self.code.setText(office_code.normalise(self.code.text()))
        except office_code.InvalidOfficeCode as exc:
            self.message.setText(str(exc))
            self.code.setFocus()
            self.code.selectAll()
            return False
        self.message.clear()
        return True


class _CommunitiesPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("社区和村"))
        self.setSubTitle(self.tr("每行一个社区或村的名称，以后可以在“系统设置”里添加。"))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(self.tr("和平里社区\n安贞社区\n柳芳村"))
        self.text.setTabChangesFocus(True)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.message)
        self.text.textChanged.connect(self.completeChanged)

    def names(self) -> list[str]:
        return [line.strip() for line in self.text.toPlainText().splitlines() if line.strip()]

    def isComplete(self) -> bool:
        return bool(self.names())

    def validatePage(self) -> bool:
        names = self.names()
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            self.message.setText(self.tr("名称重复：") + "、".join(dup))
            return False
        return True


class _AdminPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("第一个管理员账号"))
        self.setSubTitle(self.tr("管理员负责添加其他工作人员的账号。请牢记密码。"))
        self.username = QLineEdit("admin")
        self.display = QLineEdit()
        self.password = QLineEdit()
        self.again = QLineEdit()
        for edit in (self.password, self.again):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.tr("登录名*："), self.username)
        form.addRow(self.tr("姓名*："), self.display)
        form.addRow(self.tr("密码*："), self.password)
        form.addRow(self.tr("再输一次*："), self.again)
        form.addRow(
            QLabel(self.tr("密码至少 8 位，需同时包含字母和数字，不能全是空格或同一个字符重复。"))
        )
        form.addRow(self.message)
        # Not mandatory: QWizard counts an unchanged pre-filled value as empty; the service checks it.
        self.registerField("admin_username", self.username)
        self.registerField("admin_name*", self.display)
        self.registerField("admin_password*", self.password)
        self.registerField("admin_again*", self.again)

    def nextId(self) -> int:
        return -1

    def validatePage(self) -> bool:
        if self.password.text() != self.again.text():
            self.message.setText(self.tr("两次输入的密码不一致"))
            self.again.setFocus()
            return False
        wizard = self.wizard()
        assert isinstance(wizard, SetupWizard)
        error = wizard.apply_choice(wizard.choice())
        if error:
            self.message.setText(error)
            return False
        return True


class SetupWizard(QWizard):
    """Collects a SetupChoice; `apply` (set by the controller) performs it and returns an error
    message or None, so a refusal keeps the wizard open at the page that can fix it."""

    def __init__(self, apply, *, enrolled: bool = False) -> None:
        # apply: Callable[[SetupChoice], str | None]
        super().__init__()
        self.enrolled = enrolled
        self._apply = apply
        self.setWindowTitle(self.tr("首次设置"))  # Qt adds the application name
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setMinimumSize(560, 420)
        self.choice_page = _ChoicePage()
        self.office_page = _OfficePage()
        self.communities_page = _CommunitiesPage()
        self.admin_page = _AdminPage()
        self.demo_page = _DemoPage()
        self.enroll_page = _EnrollPage()
        self.setPage(PAGE_CHOICE, self.choice_page)
        self.setPage(PAGE_OFFICE, self.office_page)
        self.setPage(PAGE_COMMUNITIES, self.communities_page)
        self.setPage(PAGE_ADMIN, self.admin_page)
        self.setPage(PAGE_DEMO, self.demo_page)
        self.setPage(PAGE_ENROLL, self.enroll_page)
        if enrolled:
            # Enrolled earlier (e.g. from the command line) but no account yet.
            self.setStartId(PAGE_ADMIN)
            self.admin_page.setSubTitle(
                self.tr(
                    "本工作区已在区民政局登记。请创建第一个管理员账号，他负责添加其他工作人员。"
                )
            )
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("下一步 >"))
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("< 上一步"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("完成"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("退出"))
        self.applied = False

    def choice(self) -> SetupChoice:
        if self.choice_page.demo.isChecked():
            return SetupChoice("demo")
        return SetupChoice(
            "admin" if self.enrolled else "office",
            office_name=self.office_page.name.text(),
            office_code=self.office_page.code.text(),
            district_name=self.office_page.district.text(),
            communities=self.communities_page.names(),
            admin=StaffDraft(
                self.admin_page.username.text(), self.admin_page.display.text(), Role.ADMIN
            ),
            password=self.admin_page.password.text(),
        )

    def apply_choice(self, choice: SetupChoice) -> str | None:
        error = self._apply(choice)
        self.applied = error is None
        return error
