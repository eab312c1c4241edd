"""Opening workspaces: create, reopen, newer schema, corrupt and locked files, device id."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from caseworker.domain.errors import SchemaTooNew, WorkspaceCorrupt, WorkspaceLocked
from caseworker.workspace import ENV_VAR, Workspace, default_root
from db.schema import HEAD, alembic_head


def test_head_constant_matches_alembic() -> None:
    assert alembic_head() == HEAD


def test_new_workspace_has_folders_pragmas_and_device_id(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w") as ws:
        assert ws.schema_status == "created"
        for sub in ("backups", "exports", "logs"):
            assert (tmp_path / "w" / sub).is_dir()
        with ws.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        device = ws.device_id
    with Workspace.open(tmp_path / "w") as ws:
        assert ws.schema_status == "current"
        assert ws.device_id == device


def test_env_var_chooses_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "elsewhere"))
    assert default_root() == tmp_path / "elsewhere"


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w") as ws:
        db = ws.paths.db
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(SchemaTooNew, match="比本程序新"):
        Workspace.open(tmp_path / "w")
    assert db.read_bytes() == before
    assert not list((tmp_path / "w" / "backups").iterdir())


def test_corrupt_file_is_refused_untouched(tmp_path: Path) -> None:
    root = tmp_path / "w"
    root.mkdir()
    garbage = b"this is not a database, it is a shopping list" * 100
    (root / "caseworker.sqlite3").write_bytes(garbage)
    with pytest.raises(WorkspaceCorrupt, match="不是有效的数据库文件"):
        Workspace.open(root)
    assert (root / "caseworker.sqlite3").read_bytes() == garbage


def test_locked_file_is_refused(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w") as ws:
        db = ws.paths.db
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(WorkspaceLocked, match=r"占用|写入"):
            Workspace.open(tmp_path / "w")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_database_without_version_is_refused(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w") as ws:
        db = ws.paths.db
    con = sqlite3.connect(db)
    con.execute("DELETE FROM alembic_version")
    con.commit()
    con.close()
    with pytest.raises(SchemaTooNew, match="没有版本信息"):
        Workspace.open(tmp_path / "w")


def test_migration_takes_a_backup_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database not at this program's HEAD is backed up before Alembic upgrades it."""
    with Workspace.open(tmp_path / "w") as ws:
        pass
    import db.schema

    monkeypatch.setattr(db.schema, "HEAD", "not-yet-there")  # the file is now "older"
    with Workspace.open(tmp_path / "w") as ws:
        assert ws.schema_status == "migrated"
    taken = list((tmp_path / "w" / "backups").glob("*-pre-migration.sqlite3.gz"))
    assert len(taken) == 1
