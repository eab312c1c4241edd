"""The district console (区级平台, issue 24), offscreen with the synchronous runner: a hub without
accounts gets its first administrator, the login and lock screen follow the office's rules,
工作台 shows every office (silent ones in red), 收件 previews and ingests a stick's folder where a
bad file stops nothing, 发件 writes the offices' bundles with readable names."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from caseworker.district import accounts, console, service
from caseworker.domain.roles import DistrictRole
from db.models import DistrictStaff
from tests.sync.helpers import make_world
from ui.district.app import DistrictController
from ui.tasks import SyncRunner
from ui.widgets import file_dialogs

CODES = ["110101001", "110101002", "110101003"]
PASSWORD = "bureau2026"


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, CODES)
    yield w
    w.close()


def _add(world, username: str, name: str, role: DistrictRole) -> None:
    hub = world.hub
    with hub.writer(accounts.SETUP) as s:
        if not accounts.has_accounts(s):
            accounts.create_first_admin(
                s, accounts.AccountDraft("admin", "区管理员", DistrictRole.ADMIN), PASSWORD
            )
    if username == "admin":
        return
    with hub.writer(accounts.LOGIN) as s:
        a = accounts.authenticate(s, "admin", PASSWORD).actor
    with hub.writer(a) as s:
        info = accounts.create_account(s, a, accounts.AccountDraft(username, name, role), PASSWORD)
        # as if the person had already chosen a password of their own at a first login
        s.get(DistrictStaff, info.id).must_change_password = False


def _log_in(c: DistrictController, qtbot, username: str, password: str = PASSWORD) -> None:
    c.login.username.setText(username)
    c.login.password.setText(password)
    qtbot.keyClick(c.login.password, Qt.Key.Key_Return)


def test_a_hub_without_accounts_asks_for_its_first_administrator(controller, qtbot) -> None:
    controller.start()
    dialog = controller.first_admin
    assert dialog is not None and dialog.isVisible()
    assert not controller.login.isVisible()
    dialog.username.setText("Admin")
    dialog.display_name.setText("区管理员")
    dialog.password.setText("12345678")  # digits only: refused, the dialog stays
    dialog.again.setText("12345678")
    dialog._check()
    assert "字母和数字" in dialog.message.text()
    dialog.password.setText(PASSWORD)
    dialog.again.setText(PASSWORD)
    dialog._check()
    assert controller.first_admin is None
    assert controller.login.isVisible() and controller.login.username.text() == "admin"
    _log_in(controller, qtbot, "admin", "wrong-pass1")
    assert "再错 4 次" in controller.login.message.text()
    _log_in(controller, qtbot, "admin")
    window = controller.window
    assert window is not None
    # the administrator's sections: offices' state and the accounts, not the bundles
    assert window.section_keys() == ["dashboard", "offices", "accounts", "audit"]
    page = window.page("accounts")
    assert [r.username for r in page.rows] == ["admin"]


def test_the_lock_screen_needs_the_same_password(world, controller, qtbot) -> None:
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    controller.start()
    _log_in(controller, qtbot, "yewu")
    assert controller.window is not None and controller.window.isVisible()
    assert controller.window.section_keys() == [
        "dashboard",
        "inbox",
        "outbox",
        "queues",
        "transfers",
        "settings",
        "report",
    ]
    controller.lock(automatic=False)
    lock = controller.lock_dialog
    assert lock is not None and not controller.window.isVisible()
    qtbot.keyClick(lock, Qt.Key.Key_Escape)  # Esc does not unlock
    assert controller.lock_dialog is lock
    lock.password.setText("wrong-pass1")
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert "密码错误" in lock.message.text()
    lock.password.setText(PASSWORD)
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert controller.lock_dialog is None and controller.window.isVisible()


def test_an_account_disabled_meanwhile_ends_its_session(world, controller, qtbot) -> None:
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    controller.start()
    _log_in(controller, qtbot, "yewu")
    with world.hub.writer(accounts.LOGIN) as s:
        admin = accounts.authenticate(s, "admin", PASSWORD).actor
    with world.hub.writer(admin) as s:
        clerk = next(a for a in accounts.list_accounts(s, admin) if a.username == "yewu")
        accounts.set_disabled(s, admin, clerk.id, True)
    controller._watch_account()
    qtbot.waitUntil(lambda: controller.window is None)
    assert "停用" in controller.login.message.text()


def test_dashboard_inbox_and_outbox_do_a_month_round(
    world, controller, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    stick = tmp_path / "stick-in"
    stick.mkdir()
    good = [world.office_to_district(code) for code in CODES[:2]]
    for p in good:
        p.rename(stick / p.name)
    (stick / "0000-broken.cwbundle").write_bytes(b"not a bundle at all")
    controller.start()
    _log_in(controller, qtbot, "yewu")
    window = controller.window
    assert window is not None
    dash = window.page("dashboard")
    assert [r.code for r in dash.rows] == CODES
    red = dash.table.item(0, 1).foreground().color().name()
    assert red == "#b00020"  # nothing received from anyone yet
    assert "超过一个月未报送 3 个" in dash.summary.text()

    inbox = window.page("inbox")
    monkeypatch.setattr(file_dialogs, "ask", lambda parent, request: [stick])
    inbox.folder_button.click()
    assert inbox.paths[0].name == "0000-broken.cwbundle"
    assert len(inbox.paths) == 3
    assert inbox.table.item(0, 5).text().startswith("不能导入")
    assert inbox.table.item(1, 1).text() == "第1街道办事处"
    assert inbox.table.item(1, 5).text() == "待导入"
    assert inbox.ingest_button.isEnabled()
    qtbot.keyClick(inbox.ingest_button, Qt.Key.Key_Space)
    results = {r.path.name: r for r in inbox.results}
    assert results["0000-broken.cwbundle"].refused
    assert all(not results[p.name].refused for p in good)  # the bad file stopped nothing
    assert inbox.table.item(1, 5).text().startswith("已导入")
    assert "2 个已处理，1 个未导入" in inbox.status.text()
    # 工作台 refreshed itself: two offices in, the third still silent
    assert "超过一个月未报送 1 个" in dash.summary.text()
    assert dash.table.item(2, 1).foreground().color().name() == "#b00020"
    assert dash.table.item(0, 3).text() == good[0].name

    outbox = window.page("outbox")
    out = tmp_path / "stick-out"
    out.mkdir()
    monkeypatch.setattr(file_dialogs, "ask", lambda parent, request: [out])
    assert not outbox.write_button.isEnabled()
    outbox.all_button.click()
    outbox.folder_button.click()
    assert outbox.write_button.isEnabled() and "3" in outbox.write_button.text()
    outbox.write_button.click()
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 3
    for code, name in zip(CODES, names, strict=True):
        assert f"_{code}_" in name and name.endswith("_区发街道.cwbundle")
    assert "已写出 3 个数据包" in outbox.status.text()
    # each written file is a real bundle its office takes in
    from caseworker.sync import office

    office.import_bundle(world.offices[CODES[0]], service.DISTRICT, out / names[0])


def test_ingesting_many_files_can_be_cancelled_between_files(world, tmp_path: Path) -> None:
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    with world.hub.writer(accounts.LOGIN) as s:
        clerk = accounts.authenticate(s, "yewu", PASSWORD).actor
    files = [world.office_to_district(code) for code in CODES]
    calls: list[int] = []

    def progress(done: int, total: int, name: str) -> None:
        calls.append(done)
        if done == 1:
            raise RuntimeError("cancelled")  # what Progress.check raises (ui.tasks.Cancelled)

    results = console.ingest_files(world.hub, clerk, files, progress)
    assert [bool(r.cancelled) for r in results] == [False, True, True]
    assert results[0].office and not results[0].refused
    rows = {r.code: r for r in console.dashboard(world.hub, clerk)}
    assert rows[CODES[0]].last_received is not None
    assert rows[CODES[1]].last_received is None  # cancelled: nothing of it came in


def test_a_folder_of_bundles_takes_one_backup_as_the_command_line_does(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    """收件 takes the files one by one (progress, cancel) but backs the hub up once, before the
    first that changes anything, as `caseworker-district ingest` does; before, each file backed
    up the whole hub again (20 sticks: 20 copies of a district's database)."""
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    with world.hub.writer(accounts.LOGIN) as s:
        clerk = accounts.authenticate(s, "yewu", PASSWORD).actor
    from datetime import date

    from caseworker.domain import idnumber
    from caseworker.services import accounts as office_accounts
    from caseworker.services.elderly import roster
    from tests.sync.helpers import ADMIN

    for n, ws in enumerate(world.offices.values()):  # each bundle carries a change
        with ws.writer(ADMIN) as s:
            cid = office_accounts.communities(s)[0].id
            number = idnumber.make("110101", date(1941, 1 + n, 3), 20 + n)
            roster.register(s, ADMIN, roster.ResidentDraft(f"老人{n}", number, cid))
    files = [world.office_to_district(code) for code in CODES]
    taken: list[str] = []
    real = world.hub.backup

    def counting(reason: str):
        taken.append(reason)
        return real(reason)

    monkeypatch.setattr(world.hub, "backup", counting)
    results = console.ingest_files(world.hub, clerk, files)
    assert all(r.office and not r.refused for r in results)
    assert taken == ["pre-import"]
    assert len(list(world.hub.backups.glob("*pre-import*"))) >= 1


def test_export_names_tell_offices_apart_and_never_overwrite(world, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    offices = [(CODES[0], "第1街道办事处")]
    first = console.export_offices(world.hub, service.DISTRICT, offices, out)
    second = console.export_offices(world.hub, service.DISTRICT, offices, out)
    assert first[0].path != second[0].path
    assert first[0].path.exists() and second[0].path.exists()
    assert second[0].path.name.endswith("-2.cwbundle")


def test_queues_show_both_sides_and_settle(world, controller, qtbot, monkeypatch) -> None:
    """A conflict (the district's correction and the office's later edit of the same phone)
    and a duplicate (one ID number on two offices' rosters) settled from 冲突与重复."""
    from PySide6.QtWidgets import QMessageBox
    from sqlalchemy import select

    from caseworker import demo
    from db.elderly import ElderlyResident
    from tests.sync.helpers import ADMIN

    a, b = world.offices[CODES[0]], world.offices[CODES[1]]
    demo.build(a, residents=12, seed=1)
    demo.build(b, residents=12, seed=2)
    with a.reader() as s:
        first, second = s.scalars(select(ElderlyResident).order_by(ElderlyResident.id)).all()[:2]
    with b.writer(ADMIN) as s:
        s.scalars(select(ElderlyResident)).first().id_number = second.id_number
    service.ingest(world.hub, [world.office_to_district(CODES[0])])
    service.ingest(world.hub, [world.office_to_district(CODES[1])])
    service.correct(world.hub, "elderly_resident", first.id, {"phone": "13800000001"})
    with a.writer(ADMIN) as s:
        s.get(ElderlyResident, first.id).phone = "13900000002"
    service.ingest(world.hub, [world.office_to_district(CODES[0])])
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    controller.start()
    _log_in(controller, qtbot, "yewu")
    page = controller.window.page("queues")
    tab = page.conflicts
    assert tab.page.total == 1
    shown = tab.table.model()
    assert shown.index(0, 1).data() == "第1街道办事处"
    assert (shown.index(0, 2).data(), shown.index(0, 3).data()) == ("老年人台账", "电话")
    assert "13900000002" in shown.index(0, 4).data()  # the office's later edit kept
    assert "13800000001" in tab.detail.text()  # the district's correction, side by side
    # filtered to another office: nothing
    tab.office.setCurrentIndex(tab.office.findData(CODES[1]))
    assert tab.page.total == 0 and not tab.keep_button.isEnabled()
    tab.office.setCurrentIndex(tab.office.findData(CODES[0]))
    tab.reverse_button.click()
    assert tab.page.total == 0
    with world.hub.reader() as s:
        assert s.get(ElderlyResident, first.id).phone == "13800000001"
    dup = page.duplicates
    assert len(dup.cases) == 1
    assert dup.pair.rowCount() >= 2
    sides = {
        dup.pair.item(i, 0).text(): (dup.pair.item(i, 1).text(), dup.pair.item(i, 2).text())
        for i in range(dup.pair.rowCount())
    }
    assert sides["身份证号"][0] == sides["身份证号"][1] and "*" in sides["身份证号"][0]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dup.earlier_button.click()
    assert dup.cases == []


def test_an_office_enrolled_from_the_console_can_join(
    world, controller, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseworker.sync import office
    from caseworker.workspace import Workspace
    from ui.district import offices

    _add(world, "admin", "区管理员", DistrictRole.ADMIN)
    controller.start()
    _log_in(controller, qtbot, "admin")
    page = controller.window.page("offices")
    assert [e.code for e in page.entries] == CODES
    assert page.entries[0].communities == [
        f"{CODES[0]}和平社区",
        f"{CODES[0]}光明社区",
        f"{CODES[0]}柳村",
    ]
    enroll_file = tmp_path / "stick" / "new.cwenroll"
    monkeypatch.setattr(file_dialogs, "ask", lambda parent, request: [enroll_file])
    typed: dict[str, str] = {}

    def fill_and_accept(dialog: offices.EnrollDialog) -> int:
        dialog.code.setText("110101009")
        dialog.name.setText("新建街道办事处")
        dialog.communities.setPlainText("新华社区\n东方村，西山社区")
        dialog._check()
        typed["message"] = dialog.message.text()
        return dialog.result()

    monkeypatch.setattr(offices.EnrollDialog, "exec", fill_and_accept)
    page.enroll_button.click()
    assert typed["message"] == ""
    shown = page.passphrase_dialog.passphrase.text()
    assert shown and shown in page.passphrase_dialog.sheet_html()
    assert enroll_file.exists() and shown.encode() not in enroll_file.read_bytes()
    assert [e.code for e in page.entries] == [*CODES, "110101009"]
    assert page.entries[-1].communities == ["新华社区", "东方村", "西山社区"]
    ws = Workspace.open(tmp_path / "office-new")
    try:
        office.enroll(ws, enroll_file, shown)
    finally:
        ws.close()
    # the same code again is refused, and nothing is written
    again = tmp_path / "stick" / "again.cwenroll"
    monkeypatch.setattr(file_dialogs, "ask", lambda parent, request: [again])
    page.enroll_button.click()
    assert "已经登记过了" in typed["message"] and not again.exists()


def test_each_role_sees_its_own_sections_and_figures_export(
    world, controller, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(world, "tongji", "赵统计", DistrictRole.STATISTICIAN)
    _add(world, "weibao", "钱未保", DistrictRole.CHILD_CENTRE)
    controller.start()
    _log_in(controller, qtbot, "tongji")
    window = controller.window
    assert window.section_keys() == ["dashboard", "report"]
    page = window.page("report")
    assert page.report is not None and "统计" in page.view.title.text()
    # each office side by side with the district total, on screen as in the PDF
    offices = page.view.tables.widget(0)
    names = [offices.item(r, 0).text() for r in range(offices.rowCount())]
    assert len(names) >= 2 and names[-1] == "合计"
    page.period.setText("2026-13")  # no such month: one line, nothing exported
    monkeypatch.setattr("ui.messages.QMessageBox.warning", lambda *a, **k: None)
    page.build()
    assert not page.pdf_button.isEnabled()
    assert page.heading.isVisibleTo(page) and page.heading.text()  # the one line, on the page
    page.period.setText("")
    page.build()
    assert not page.heading.isVisibleTo(page)
    out = tmp_path / "report.pdf"
    monkeypatch.setattr(file_dialogs, "ask", lambda parent, request: [out])
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.information", lambda *a, **k: None)
    page.pdf_button.click()
    assert out.read_bytes()[:5] == b"%PDF-"
    controller.switch_user()
    login = controller.login  # the next person is someone else: 登录名 selected for typing over
    assert login.focusWidget() is login.username and login.username.selectedText() == "tongji"
    _log_in(controller, qtbot, "weibao")
    assert controller.window.section_keys() == ["children"]
    children = controller.window.page("children")
    assert children.table.rowCount() == len(CODES)
    controller.switch_user()
    _log_in(controller, qtbot, "admin")
    audit = controller.window.page("audit")
    who = {r.actor_name for r in audit.model.rows}
    assert "区管理员" in who  # who created the accounts, journaled at the hub
    assert all(r.new_value != "" or r.op != "insert" for r in audit.model.rows)
    assert not any("$" in r.new_value for r in audit.model.rows)  # no password hash shows


def test_the_console_keeps_its_log_file_and_lets_it_go_when_it_closes(
    world, qsettings: QSettings, qtbot
) -> None:
    """The console says "详情已写入日志" when something unexpected happens: the log must exist,
    hold the error, and be released when the console closes."""
    import logging

    from tests.ui.conftest import console_on

    log_file = world.hub.home / "logs" / "caseworker-district.log"
    handlers = lambda: [  # noqa: E731
        h
        for h in logging.getLogger("caseworker").handlers
        if getattr(h, "baseFilename", None) == str(log_file)
    ]
    with console_on(world.hub.home, qsettings) as c:
        c.start()
        qtbot.waitUntil(lambda: c.hub is not None)
        logging.getLogger("caseworker.ui").error("控制台探针 console probe")
        assert "console probe" in log_file.read_text(encoding="utf-8")
    world.hub.close()  # the test's own hub holds the same file: both holders let go
    assert handlers() == []


def test_an_unexpected_failure_to_open_is_written_where_the_message_says(
    tmp_path: Path, qsettings: QSettings, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseworker.district.hub import Hub
    from tests.ui.conftest import console_on

    said: list[str] = []

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk said no")

    monkeypatch.setattr(Hub, "open", broken)
    monkeypatch.setattr(
        "PySide6.QtWidgets.QMessageBox.critical", lambda *a, **k: said.append(str(a[2]))
    )
    home = tmp_path / "hub"
    with console_on(home, qsettings) as c:
        monkeypatch.setattr(c, "quit", lambda: None)
        c.start()
        qtbot.waitUntil(lambda: bool(said))
    assert "详情已写入日志" in said[0]
    text = (home / "logs" / "caseworker-district.log").read_text(encoding="utf-8")
    assert "district hub did not open" in text and "disk said no" in text


def test_the_database_given_once_is_remembered_on_this_pc(
    world, qsettings: QSettings, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.district.app import DB_ENV, DB_KEY, choose_db

    monkeypatch.delenv(DB_ENV, raising=False)
    assert choose_db(None, qsettings) == (None, False)
    url = f"sqlite:///{world.hub.home / 'district.sqlite3'}"
    # the hub's own folder (its keys), its database named by URL as --db would
    c = DistrictController(world.hub.home, url, SyncRunner(), qsettings)
    c.remember_db = True  # given with --db
    try:
        c.start()
        assert c.first_admin is not None  # opened that hub (no account there yet)
    finally:
        c.login.close()
        c.shutdown()
    assert qsettings.value(DB_KEY) == url
    assert choose_db(None, qsettings) == (url, True)
    assert choose_db("postgresql://other/db", qsettings) == ("postgresql://other/db", False)
