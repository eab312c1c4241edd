"""Backups through the SQLite backup API, retention, restore with checks."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from caseworker.domain.errors import WorkspaceCorrupt, WorkspaceError
from caseworker.domain.roles import Actor, Role
from caseworker.services import settings
from caseworker.workspace import Workspace, restore
from db import backup


def test_backup_is_a_complete_consistent_copy(office_ws: Workspace, admin: Actor) -> None:
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, "visit.interval_days.key", 21)
    path = office_ws.backup()
    assert path.name.endswith(".sqlite3.gz") and backup.is_compressed(path)
    plain = path.parent / "unpacked.sqlite3"
    backup.unpack(path, plain)
    backup.check_file(plain)
    con = sqlite3.connect(plain)
    assert con.execute("SELECT count(*) FROM staff").fetchone()[0] == 2
    assert con.execute("SELECT value FROM setting").fetchone()[0] == "21"
    con.close()
    plain.unlink()
    assert office_ws.last_backup() is not None
    assert office_ws.last_backup().path == path


def test_backup_refuses_to_overwrite(office_ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "mine.sqlite3"
    office_ws.backup(out=out)
    with pytest.raises(WorkspaceError, match="不会覆盖"):
        office_ws.backup(out=out)


def test_restore_brings_back_the_old_data_and_keeps_the_replaced(
    office_ws: Workspace, admin: Actor
) -> None:
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, "visit.interval_days.key", 21)
    saved = office_ws.backup()
    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, "visit.interval_days.key", 14)
    root = office_ws.paths.root
    office_ws.close()
    kept = restore(root, saved)
    with Workspace.open(root) as ws, ws.reader() as s:
        assert settings.get(s, "visit.interval_days.key") == 21
    unpacked = root / "kept.sqlite3"
    backup.unpack(kept, unpacked)
    con = sqlite3.connect(unpacked)
    assert con.execute("SELECT value FROM setting").fetchone()[0] == "14"
    con.close()


def test_restore_refuses_a_broken_or_foreign_file(office_ws: Workspace, tmp_path: Path) -> None:
    root = office_ws.paths.root
    office_ws.close()
    before = (root / "caseworker.sqlite3").read_bytes()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x00garbage" * 500)
    with pytest.raises(WorkspaceCorrupt):
        restore(root, junk)
    other = tmp_path / "other.sqlite3"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    with pytest.raises(WorkspaceCorrupt, match="不是工作台的数据库"):
        restore(root, other)
    assert (root / "caseworker.sqlite3").read_bytes() == before


def test_retention_keeps_dailies_weeklies_and_manual(tmp_path: Path) -> None:
    db = tmp_path / "src.sqlite3"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t(x)")
    con.commit()
    con.close()
    folder = tmp_path / "backups"
    start = datetime(2026, 1, 1, 9, 0)
    for day in range(60):
        backup.take(db, folder, "daily", now=start + timedelta(days=day))
    backup.take(db, folder, "manual", now=start)
    backup.prune(folder, keep_daily=7, keep_weekly=4)
    left = backup.list_backups(folder)
    dailies = [b for b in left if b.reason == "daily"]
    assert len(dailies) == 7 + 4
    assert dailies[0].taken_at == start + timedelta(days=59)
    assert any(b.reason == "manual" for b in left)
    weeks = {b.taken_at.isocalendar()[:2] for b in dailies[7:]}
    assert len(weeks) == 4


def test_auto_backup_only_when_due(office_ws: Workspace) -> None:
    first = office_ws.auto_backup_if_due(7, 4)
    assert first is not None
    assert office_ws.auto_backup_if_due(7, 4) is None


def test_a_backup_by_a_person_needs_the_right_and_a_current_account(
    office_ws: Workspace, admin, worker
) -> None:
    """A backup holds every record: taking one is reading all of them (issue 8)."""
    from caseworker.domain.errors import AccountChanged, PermissionDenied
    from caseworker.services import accounts, backups
    from db.backup import list_backups

    before = list_backups(office_ws.paths.backups)
    with pytest.raises(PermissionDenied):
        backups.take(office_ws, worker)
    with pytest.raises(PermissionDenied):
        backups.check_restore_right(office_ws, worker)
    assert list_backups(office_ws.paths.backups) == before
    path = backups.take(office_ws, admin)
    assert path.exists() and path.parent == office_ws.paths.backups
    backups.check_restore_right(office_ws, admin)
    # a second administrator disables the first: its session may no longer take one
    with office_ws.writer(admin) as s:
        other = accounts.create_staff(
            s, admin, accounts.StaffDraft("admin2", "赵管理", Role.ADMIN), "Admin2026x"
        )
    second = accounts.actor_for(_staff_row(office_ws, other.id))
    with office_ws.writer(second) as s:
        accounts.set_disabled(s, second, admin.staff_id, True)
    with pytest.raises(AccountChanged):
        backups.take(office_ws, admin)


def _staff_row(ws: Workspace, staff_id: str):
    from db.models import Staff

    with ws.reader() as s:
        return s.get(Staff, staff_id)


def test_retention_follows_the_settings_read_through_the_services(
    office_ws: Workspace, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workspace sits below the services and reads its retention through the reader they
    register; with none registered it refuses rather than prune by the catalog's defaults."""
    from caseworker import opening

    with office_ws.writer(admin) as s:
        settings.set_value(s, admin, "backup.keep_daily", 30)
    assert office_ws.retention()[0] == 30
    monkeypatch.setattr(opening, "_SETTING_READER", [])
    with pytest.raises(RuntimeError, match="setting reader"):
        office_ws.retention()
