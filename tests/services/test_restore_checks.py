"""Restore and `check` refuse anything that is not a genuine workspace of its revision; restore
refuses while another process has the workspace open; backups are compressed, pruned where they
are taken, and bounded by the free disk space."""

from __future__ import annotations

import gzip
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from caseworker import cli
from caseworker.domain.errors import WorkspaceError
from caseworker.workspace import Workspace, restore
from db import backup
from db.schema import HEAD


def _plain_copy(ws: Workspace, out: Path) -> Path:
    return ws.backup(out=out)  # a name ending in .sqlite3: a plain database file


def _edit(path: Path, *sql: str) -> None:
    con = sqlite3.connect(path)
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()


def _with_trigger(src: Path, dst: Path) -> None:
    dst.write_bytes(src.read_bytes())
    _edit(
        dst,
        "CREATE TRIGGER promote AFTER INSERT ON journal BEGIN "
        "UPDATE staff SET role = 'admin'; DELETE FROM journal WHERE rowid = new.rowid; END",
    )


def _hollow(src: Path, dst: Path) -> None:
    _edit(
        dst,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
        f"INSERT INTO alembic_version VALUES ('{HEAD}')",
    )


def _column_dropped(src: Path, dst: Path) -> None:
    dst.write_bytes(src.read_bytes())
    _edit(dst, "ALTER TABLE staff DROP COLUMN last_login_at")


def _truncated(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])


def _not_sqlite(src: Path, dst: Path) -> None:
    dst.write_bytes("这是一张购物清单，不是数据库。\n".encode() * 300)


def _journal_gone(src: Path, dst: Path) -> None:
    dst.write_bytes(src.read_bytes())
    _edit(dst, "DELETE FROM journal WHERE table_name = 'staff'")


def _gzip_cut(src: Path, dst: Path) -> None:
    packed = gzip.compress(src.read_bytes(), compresslevel=1)
    dst.write_bytes(packed[: len(packed) // 2])


BAD: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "trigger": (_with_trigger, "触发器"),
    "hollow": (_hollow, "缺少数据表"),
    "column-dropped": (_column_dropped, "缺少字段"),
    "truncated": (_truncated, "不完整"),
    "not-sqlite": (_not_sqlite, "不是有效的数据库"),
    "journal-gone": (_journal_gone, "日志不完整"),
}


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the workspace (except logs and lock bookkeeping), byte for byte."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.parts[-2] not in ("logs", "locks")
    }


@pytest.mark.parametrize("kind", [*BAD, "gzip-cut"])
def test_restore_refuses_what_is_not_a_genuine_workspace(
    kind: str, office_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _plain_copy(office_ws, tmp_path / "good.sqlite3")
    bad = tmp_path / f"bad-{kind}.sqlite3"
    if kind == "gzip-cut":
        _gzip_cut(good, bad)
        needle = "不完整"
    else:
        make, needle = BAD[kind]
        make(good, bad)
    root = office_ws.paths.root
    office_ws.close()
    before = _snapshot(root)
    code = cli.main(["restore", "--workspace", str(root), str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0 and needle in err and "未做任何改动" in err
    assert "Traceback" not in err
    assert _snapshot(root) == before  # nothing changed, no partial file left
    # the good copy, compressed or plain, is restored
    assert cli.main(["restore", "--workspace", str(root), str(good)]) == 0


@pytest.mark.parametrize("kind", list(BAD))
def test_check_reports_failure_on_each(
    kind: str, office_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _plain_copy(office_ws, tmp_path / "good.sqlite3")
    root = office_ws.paths.root
    office_ws.close()
    db = root / "caseworker.sqlite3"
    for side in ("-wal", "-shm"):
        Path(str(db) + side).unlink(missing_ok=True)
    db.unlink()
    make, _needle = BAD[kind]
    make(good, db)
    before = db.read_bytes()
    code = cli.main(["check", "--workspace", str(root)])
    err = capsys.readouterr().err
    assert code == 2
    assert "不通过" in err and err.strip().count("\n") == 0
    assert db.read_bytes() == before


def test_check_passes_on_a_genuine_workspace(
    office_ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    root = office_ws.paths.root
    office_ws.close()
    assert cli.main(["check", "--workspace", str(root)]) == 0
    assert "完整性检查：通过" in capsys.readouterr().out


def test_restore_reads_the_compressed_and_the_old_plain_form(
    office_ws: Workspace, tmp_path: Path
) -> None:
    packed = office_ws.backup()
    assert packed.name.endswith(".sqlite3.gz")
    with open(packed, "rb") as f:
        assert f.read(2) == b"\x1f\x8b"
    plain = backup.take(office_ws.paths.db, tmp_path / "old", "manual", compress=False)
    assert plain.name.endswith("-manual.sqlite3")
    assert packed.stat().st_size < plain.stat().st_size / 3
    root = office_ws.paths.root
    office_ws.close()
    for source in (packed, plain):
        kept = restore(root, source)
        assert kept.name.endswith("-pre-restore.sqlite3")
        with Workspace.open(root) as ws:
            assert ws.is_initialised()
    assert not list(root.glob("*.partial"))


# -- the workspace lock --------------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from caseworker.workspace import Workspace
    ws = Workspace.open(sys.argv[1])
    print("open", flush=True)
    time.sleep(120)
    """
)


def _holder(root: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "open"
    return proc


def test_restore_is_refused_while_another_process_has_the_workspace_open(
    office_ws: Workspace, tmp_path: Path
) -> None:
    saved = _plain_copy(office_ws, tmp_path / "saved.sqlite3")
    root = office_ws.paths.root
    office_ws.close()
    proc = _holder(root)
    try:
        before = (root / "caseworker.sqlite3").read_bytes()
        r = subprocess.run(
            [sys.executable, "-m", "caseworker", "restore", "--workspace", str(root), str(saved)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 2
        assert "正在使用" in r.stderr and f"进程 {proc.pid}" in r.stderr
        assert r.stderr.strip().count("\n") == 0
        assert (root / "caseworker.sqlite3").read_bytes() == before
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # the killed process's lock is stale: taken over
    kept = restore(root, saved)
    assert kept.exists()


def test_restore_is_refused_while_this_process_has_it_open(
    office_ws: Workspace, tmp_path: Path
) -> None:
    saved = _plain_copy(office_ws, tmp_path / "saved.sqlite3")
    with pytest.raises(WorkspaceError, match="正在使用"):
        restore(office_ws.paths.root, saved)


def test_an_unclean_shutdown_is_noticed_and_owes_a_full_check(tmp_path: Path) -> None:
    root = tmp_path / "w"
    with Workspace.open(root) as ws:
        assert not ws.unclean and ws.full_check_due() is None
    proc = _holder(root)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Workspace.open(root) as ws:
        assert ws.unclean and ws.full_check_due() == "unclean"
    with Workspace.open(root) as ws:  # still owed until a full check has run
        assert ws.full_check_due() == "unclean"
        assert ws.run_full_check() == []
        assert ws.full_check_due() is None
    with Workspace.open(root) as ws:
        assert not ws.unclean and ws.full_check_due() is None
    assert not list((root / "locks").glob("open-*.lock"))


def test_the_full_check_is_due_weekly(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    with Workspace.open(tmp_path / "w") as ws:
        assert ws.full_check_due() is None
        assert ws.full_check_due(now=datetime.now() + timedelta(days=8)) == "weekly"


def test_open_runs_no_full_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No quick_check / integrity_check at open: 19.6 s cold at 100,000 residents."""
    with Workspace.open(tmp_path / "w"):
        pass
    seen: list[str] = []
    real = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        con = real(*args, **kwargs)  # type: ignore[arg-type]
        con.set_trace_callback(seen.append)
        return con

    monkeypatch.setattr(sqlite3, "connect", traced)
    with Workspace.open(tmp_path / "w") as ws:
        ws.is_initialised()
    assert seen, "the trace saw nothing"
    assert not [s for s in seen if "quick_check" in s or "integrity_check" in s]


# -- retention and space -------------------------------------------------------------------------


def test_every_backup_prunes(office_ws: Workspace) -> None:
    for _ in range(backup.KEEP_RECENT["pre-import"] + 3):
        office_ws.backup("pre-import")
    left = [b for b in backup.list_backups(office_ws.paths.backups) if b.reason == "pre-import"]
    assert len(left) == backup.KEEP_RECENT["pre-import"]


def test_hub_backup_prunes(tmp_path: Path) -> None:
    from caseworker.district.hub import Hub

    with Hub.open(tmp_path / "district") as hub:
        for _ in range(backup.KEEP_RECENT["pre-import"] + 2):
            hub.backup("pre-import")
        assert len(backup.list_backups(hub.backups)) == backup.KEEP_RECENT["pre-import"]


def test_low_disk_prunes_the_oldest_automatic_backups_first(
    office_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = office_ws.backup("pre-import")
    second = office_ws.backup("pre-import")
    manual = office_ws.backup("manual")
    need = backup.space_needed(office_ws.paths.db)
    sizes = {p: p.stat().st_size for p in (first, second, manual)}
    # free space just short of the margin: removing the oldest automatic backup is enough
    base = backup.MARGIN_BYTES + need - sizes[first]

    def free(folder: Path) -> int:
        gone = sum(s for p, s in sizes.items() if not p.exists())
        return base + gone

    monkeypatch.setattr(backup, "free_bytes", free)
    taken = office_ws.backup("pre-import")
    left = backup.list_backups(office_ws.paths.backups)
    assert [b.reason for b in left].count("pre-import") == 2  # the oldest made room
    assert taken.exists() and second.exists() and manual.exists() and taken != second


def test_a_backup_that_would_fill_the_disk_is_refused(
    office_ws: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    manual = office_ws.backup("manual")
    monkeypatch.setattr(backup, "free_bytes", lambda folder: backup.MARGIN_BYTES // 2)
    before = sorted(os.listdir(office_ws.paths.backups))
    with pytest.raises(WorkspaceError, match="磁盘空间不足"):
        office_ws.backup("pre-import")
    assert sorted(os.listdir(office_ws.paths.backups)) == before and manual.exists()
    assert "磁盘剩余空间不多" in (office_ws.space_warning() or "")


def test_half_written_files_of_an_ended_backup_are_cleaned(office_ws: Workspace) -> None:
    folder = office_ws.paths.backups
    old = folder / "caseworker-20260101-090000-daily.sqlite3.gz.raw.partial"
    fresh = folder / "caseworker-20260101-090001-daily.sqlite3.gz.partial"
    for p in (old, fresh):
        p.write_bytes(b"x" * 100)
    os.utime(old, (1, 1))
    office_ws.backup("pre-import")
    assert not old.exists() and fresh.exists()  # a fresh one may be another backup's


def test_a_copy_elsewhere_never_prunes_there_and_snapshots_locally(
    office_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    theirs = stick / "caseworker-20200101-000000-daily.sqlite3.gz"
    theirs.write_bytes(b"someone else's file")
    seen: list[Path] = []
    real_copy = backup._copy

    def copy(src: Path, dest: Path) -> None:
        seen.append(dest.parent)
        real_copy(src, dest)

    monkeypatch.setattr(backup, "_copy", copy)
    out = office_ws.backup(out=stick / "今天.sqlite3.gz")
    assert out.exists() and backup.is_compressed(out)
    assert seen == [office_ws.paths.backups]  # the uncompressed snapshot stayed on the PC
    real_free = backup.free_bytes
    monkeypatch.setattr(
        backup, "free_bytes", lambda f: 1 if Path(f) == stick else real_free(Path(f))
    )
    with pytest.raises(WorkspaceError, match="磁盘空间不足"):
        office_ws.backup(out=stick / "明天.sqlite3.gz")
    assert theirs.exists()
    assert sorted(p.name for p in stick.iterdir()) == [theirs.name, "今天.sqlite3.gz"]


@pytest.mark.parametrize("kind", ["trigger", "hollow", "column-dropped", "truncated", "not-sqlite"])
def test_any_command_refuses_an_altered_workspace_at_open(
    kind: str, office_ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cheap checks at open: a command on such a file says so in one line (no traceback)."""
    good = _plain_copy(office_ws, tmp_path / "good.sqlite3")
    root = office_ws.paths.root
    office_ws.close()
    db = root / "caseworker.sqlite3"
    for side in ("-wal", "-shm"):
        Path(str(db) + side).unlink(missing_ok=True)
    db.unlink()
    BAD[kind][0](good, db)
    before = db.read_bytes()
    code = cli.main(["backup", "--workspace", str(root)])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().count("\n") == 0 and "未做任何改动" in err
    assert db.read_bytes() == before
