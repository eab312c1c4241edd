"""Reads check the account's current state as writes do (issue 20, item 9): a disabled
account's open window could still read the roster and a resident's page, and a supervisor
demoted to caseworker could still read the whole audit trail. Each read transaction now starts
with the same primary-key read of the account as a write (`db.replica.check_account`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.domain.errors import AccountChanged
from caseworker.domain.roles import Actor, Role
from caseworker.services import audit
from caseworker.services.elderly import roster
from caseworker.services.elderly.search import RosterQuery
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from db.models import Staff
from tests.ui.conftest import log_in
from tests.ui.test_sessions import boxes  # noqa: F401  (fixture)

SYSTEM = Actor.system("test")


def _change(ws: Workspace, staff_id: str, **values: object) -> None:
    """What an administrator does at another session of the same workspace."""
    with ws.writer(SYSTEM) as s:
        row = s.get(Staff, staff_id)
        for key, value in values.items():
            setattr(row, key, value)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"disabled": True}, "停用"),
        ({"role": Role.CASEWORKER.value}, "角色"),
        ({"deleted_at": __import__("db.base").base.utcnow()}, "删除"),
    ],
)
def test_a_read_as_a_changed_account_is_refused(demo_root: Path, change, said) -> None:
    with Workspace.open(demo_root) as ws:
        with ws.reader() as s:
            row = s.scalars(select(Staff).where(Staff.username == "kezhang")).one()
            actor = Actor(row.id, row.username, row.display_name, Role(row.role), row.community_id)
        with ws.reader(actor) as s:
            assert audit.count(s, actor, audit.AuditFilter()) > 0  # before: fine
        _change(ws, row.id, **change)
        with pytest.raises(AccountChanged, match=said), ws.reader(actor) as s:
            audit.count(s, actor, audit.AuditFilter())


def test_a_disabled_accounts_window_cannot_open_a_residents_page(
    demo_root: Path,
    make_controller,
    qtbot,
    boxes,  # noqa: F811
) -> None:
    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "zhuangan1")
    page = controller.window.page("elderly")
    ws, actor = controller.ws, controller.ctx.actor
    with ws.reader() as s:
        rid, name = s.execute(select(ElderlyResident.id, ElderlyResident.name)).first()
    assert controller.ctx.read(lambda s: roster.get(s, actor, rid)).name == name
    _change(ws, actor.staff_id, disabled=True)
    with pytest.raises(AccountChanged):
        controller.ctx.read(lambda s: roster.get(s, actor, rid))
    page.open_resident(rid)  # the page's own read, on the reader threads
    assert name not in page.resident.title.text()
    qtbot.waitUntil(lambda: controller.window is None, timeout=5000)
    assert "停用" in controller.login.message.text()
    assert not [b for b in boxes if b[0] == "critical"]


def test_a_demoted_supervisor_cannot_read_the_audit_trail(
    demo_root: Path,
    make_controller,
    qtbot,
    boxes,  # noqa: F811
) -> None:
    from ui.admin.audit import AuditPage

    controller = make_controller(demo_root)
    controller.start()
    log_in(controller, qtbot, "kezhang")
    page = controller.window.page("system").open_tab(AuditPage)
    page.search()
    assert page.model.total > 0
    _change(controller.ws, controller.ctx.actor.staff_id, role=Role.CASEWORKER.value)
    page.search()
    qtbot.waitUntil(lambda: controller.window is None, timeout=5000)
    assert "角色" in controller.login.message.text()


def test_the_roster_read_is_refused_in_the_service_layer_too(demo_root: Path) -> None:
    with Workspace.open(demo_root) as ws:
        with ws.reader() as s:
            row = s.scalars(select(Staff).where(Staff.username == "zhuangan1")).one()
        actor = Actor(row.id, row.username, row.display_name, Role(row.role), row.community_id)
        _change(ws, row.id, deleted_at=__import__("db.base").base.utcnow())
        with pytest.raises(AccountChanged, match="删除"), ws.reader(actor) as s:
            from caseworker.services.elderly import search

            search.page(s, actor, RosterQuery(), 0, 10)


def test_every_read_the_interface_makes_names_the_account() -> None:
    """A read opened with `ws.reader()` alone would not check the account: in ui/ only the
    district console's login facts (read before anyone has logged in: whether the hub has
    accounts yet, and is a demo) may. The office's login facts are read in plain SQL before
    the workspace is opened (caseworker/first_look.py)."""
    import re

    root = Path(__file__).resolve().parents[2] / "ui"
    bare = [
        f"{path.relative_to(root.parent)}:{n}"
        for path in root.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\.reader\(\)", line)
    ]
    assert sorted(b.split(":")[0] for b in bare) == ["ui/district/app.py"], bare
