"""Commands that show or change what only some accounts may run as a user with that right
(issue 20, item 11): `export audit`, `export conflicts` and `sync conflicts` ran as the system
actor without `--user`, and `children recover FILE --to LOGIN` ran with no login at all, so
anyone at the PC with the district's recovery file could give the office's child-data key to any
child-role account. Each refusal is exit 2 and one Chinese line; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from caseworker.cli import main
from caseworker.domain.roles import Actor
from caseworker.workspace import Workspace
from db.models import Staff
from db.sync_models import SyncConflict
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD
from tests.sync.helpers import snapshot


def _run(ws: Workspace, capsys, *args: str) -> tuple[int, str]:
    code = main([*args, "--workspace", str(ws.paths.root)])
    err = capsys.readouterr().err
    if code:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in err, err
    return code, err


def _conflict(ws: Workspace) -> int:
    from db.base import utcnow

    with ws.writer(Actor.system("test")) as s:
        row = SyncConflict(
            table_name="community",
            record_id="x",
            field="code",
            reason="clock",
            kept_value='"a"',
            lost_value='"b"',
            lost_hlc="001790000000100-000000",
            lost_device="d",
            lost_actor="某人",
            detected_at=utcnow(),
        )
        s.add(row)
        s.flush()
        return row.id


@pytest.mark.parametrize("key", ["audit", "conflicts"])
def test_export_of_the_audit_trail_or_conflicts_needs_a_user_with_the_right(
    office_ws: Workspace, tmp_path: Path, capsys, monkeypatch, key: str
) -> None:
    out = tmp_path / f"{key}.xlsx"
    code, err = _run(office_ws, capsys, "export", key, "--out", str(out))
    assert code == 2 and "--user" in err and not out.exists()
    monkeypatch.setenv("CASEWORKER_PASSWORD", STAFF_PASSWORD)
    code, err = _run(office_ws, capsys, "export", key, "--out", str(out), "--user", "worker")
    if key == "audit":  # a caseworker does not read the audit trail
        assert code == 2 and "权限" in err and not out.exists()
    else:  # but may look at the conflicts list (the 数据同步 page's rule)
        assert code == 0 and out.exists()
        out.unlink()
    monkeypatch.setenv("CASEWORKER_PASSWORD", "wrong-2026")
    code, err = _run(office_ws, capsys, "export", key, "--out", str(out), "--user", "admin")
    assert code == 2 and not out.exists()
    with office_ws.reader() as s:
        assert s.scalar(select(Staff.failed_logins).where(Staff.username == "admin")) == 1
    monkeypatch.setenv("CASEWORKER_PASSWORD", ADMIN_PASSWORD)
    code, _err = _run(office_ws, capsys, "export", key, "--out", str(out), "--user", "admin")
    assert code == 0 and out.exists()


def test_sync_conflicts_need_a_user_and_deciding_one_the_supervisors_right(
    office_ws: Workspace, capsys, monkeypatch
) -> None:
    cid = _conflict(office_ws)
    before = snapshot(office_ws.engine)
    code, err = _run(office_ws, capsys, "sync", "conflicts")
    assert code == 2 and "--user" in err
    code, err = _run(office_ws, capsys, "sync", "conflicts", "--keep", str(cid))
    assert code == 2 and "--user" in err
    monkeypatch.setenv("CASEWORKER_PASSWORD", STAFF_PASSWORD)
    code, err = _run(office_ws, capsys, "sync", "conflicts", "--keep", str(cid), "--user", "worker")
    assert code == 2 and "科长" in err
    with office_ws.reader() as s:
        assert s.scalar(select(func.count()).select_from(SyncConflict)) == 1
        assert s.get(SyncConflict, cid).status == "open"
    code, _err = _run(office_ws, capsys, "sync", "conflicts", "--user", "worker")
    assert code == 0  # a caseworker may look (the 数据同步 page's rule)
    monkeypatch.setenv("CASEWORKER_PASSWORD", ADMIN_PASSWORD)
    code, _err = _run(office_ws, capsys, "sync", "conflicts", "--keep", str(cid), "--user", "admin")
    assert code == 2  # the administrator does not decide conflicts either
    assert before["sync_conflict"] == snapshot(office_ws.engine)["sync_conflict"]


def test_children_recover_needs_the_administrators_password(
    office_ws: Workspace, tmp_path: Path, capsys, monkeypatch
) -> None:
    """Refused before the file is even read: a missing file would say "不存在" otherwise."""
    missing = tmp_path / "r.cwchildkey"
    before = snapshot(office_ws.engine)
    code, err = _run(office_ws, capsys, "children", "recover", str(missing), "--to", "worker")
    assert code == 2 and "--user" in err
    monkeypatch.setenv("CASEWORKER_PASSWORD", STAFF_PASSWORD)
    code, err = _run(office_ws, capsys, "children", "recover", str(missing), "--user", "worker")
    assert code == 2 and "系统管理员" in err
    monkeypatch.setenv("CASEWORKER_PASSWORD", "wrong-2026")
    code, err = _run(office_ws, capsys, "children", "recover", str(missing), "--user", "admin")
    assert code == 2 and "不存在" not in err
    after = snapshot(office_ws.engine)
    assert {k: v for k, v in after.items() if k != "staff"} == {
        k: v for k, v in before.items() if k != "staff"
    }
    monkeypatch.setenv("CASEWORKER_PASSWORD", ADMIN_PASSWORD)
    code, err = _run(office_ws, capsys, "children", "recover", str(missing), "--user", "admin")
    assert code == 2 and "登记" in err  # past the login: this workspace was never enrolled
