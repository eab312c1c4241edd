"""Commands on read-only folders, unreadable keys, full disks and sticks, and without room for
the backup a step takes first: one Chinese line, exit 2, nothing half-written, nothing changed.

Permissions are taken away for real (chmod; as root, in a process without CAP_DAC_OVERRIDE).
A full disk is injected in this process (the write fails with ENOSPC after the temporary file
holds data), and, where the machine allows mounting, is a real tiny tmpfs.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from collections import namedtuple
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseworker import cli
from caseworker.district import cli as district_cli
from tests.cli.conftest import (
    Case,
    assert_clean_refusal,
    db_digest,
    run_main,
    run_sub,
    unprivileged_prefix,
)

# -- permissions ---------------------------------------------------------------------------------


@pytest.mark.slow  # over 10 s on a loaded 2-core machine: in the full suite, not in --fast
def test_read_only_workspace(case: Case) -> None:
    """Reading still works; whatever must write says so in one line and changes nothing."""
    before = case.db_digest()
    for p in [case.ws, *case.ws.iterdir()]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    check = ["caseworker", "check", "--workspace", str(case.ws)]
    code, out, err = run_sub(check, unprivileged_prefix())
    assert (code, err) == (0, ""), err
    for argv in (
        ["backup"],
        ["sync", "import", str(case.built.down_bundle)],
        ["demo"],
    ):
        code, out, err = run_sub(
            ["caseworker", *argv, "--workspace", str(case.ws)], unprivileged_prefix()
        )
        assert_clean_refusal(code, out, err, case=case)
        assert "只读" in err or "没有权限" in err or "已经有" in err, err
    assert case.db_digest() == before


def test_a_log_folder_that_cannot_be_written_does_not_stop_a_command(case: Case) -> None:
    logs = case.ws / "logs"
    shutil.rmtree(logs)
    logs.mkdir()
    logs.chmod(0o555)
    code, out, err = run_sub(
        ["caseworker", "check", "--workspace", str(case.ws)], unprivileged_prefix()
    )
    assert code == 0, err
    assert "完整性检查：通过" in out and err == ""
    assert not any(logs.iterdir())


def test_unreadable_keys_folder(case: Case) -> None:
    before = case.db_digest()
    (case.ws / "keys").chmod(0o000)
    for argv in (["sync", "status"], ["sync", "export", "--out", str(case.root / "out")]):
        code, out, err = run_sub(
            ["caseworker", *argv, "--workspace", str(case.ws)], unprivileged_prefix()
        )
        assert_clean_refusal(code, out, err, case=case)
        assert "密钥文件" in err and "keys" in err
    assert case.db_digest() == before
    assert not any((case.root / "out").iterdir())


@pytest.mark.parametrize(
    "argv",
    [
        ["caseworker", "backup", "--workspace", "{ws}", "--out", "{ro}/b.sqlite3"],
        ["caseworker", "print", "visit-forms", "--workspace", "{ws}", "--out", "{ro}/f.pdf"],
        ["caseworker", "print", "blank-visit-form", "--out", "{ro}/f.pdf"],
        ["caseworker", "export", "elderly-roster", "--workspace", "{ws}", "--out", "{ro}/x.xlsx"],
        ["caseworker", "report", "--workspace", "{ws}", "--out", "{ro}/r.pdf"],
        ["caseworker", "sync", "export", "--workspace", "{ws}", "--out", "{ro}"],
    ],
    ids=["backup", "print-forms", "print-blank", "export", "report", "sync-export"],
)
def test_output_to_a_read_only_folder(argv: list[str], case: Case) -> None:
    ro = case.root / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    before = case.db_digest()
    args = [a.format(ws=case.ws, ro=ro) for a in argv]
    code, out, err = run_sub(args, unprivileged_prefix())
    assert_clean_refusal(code, out, err, case=case)
    assert "没有权限" in err and "未写出任何文件" in err
    assert not any(ro.iterdir())
    assert case.db_digest() == before


def test_office_add_to_a_read_only_folder_commits_nothing_and_a_retry_works(case: Case) -> None:
    ro = case.root / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    before = case.db_digest("hub")
    add = ["caseworker-district", "--home", str(case.hub), "office", "add", "--code", "110105002"]
    add += ["--name", "新街道", "--communities", "甲社区,乙村", "--passphrase", "abcdefgh12345678"]
    code, out, err = run_sub([*add, "--out", str(ro / "e.cwenroll")], unprivileged_prefix())
    assert_clean_refusal(code, out, err, case=case)
    assert case.db_digest("hub") == before
    code, out, err = run_sub([*add, "--out", str(case.root / "out" / "e.cwenroll")])
    assert code == 0, err
    assert (case.root / "out" / "e.cwenroll").is_file()


# -- a full disk, injected -----------------------------------------------------------------------


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fsync of a file this process writes fails as on a full stick (after the data went
    into the temporary file, so a leftover would hold it)."""

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)


@pytest.mark.parametrize(
    "argv",
    [
        [
            "print",
            "visit-forms",
            "--workspace",
            "{ws}",
            "--month",
            "2026-11",
            "--out",
            "{out}/f.pdf",
        ],
        ["print", "blank-visit-form", "--out", "{out}/f.pdf"],
        ["print", "retrofit-assessment", "--blank", "--workspace", "{ws}", "--out", "{out}/f.pdf"],
        ["report", "--workspace", "{ws}", "--out", "{out}/r.pdf"],
        ["report", "--workspace", "{ws}", "--out", "{out}/r.xlsx"],
        ["export", "elderly-roster", "--workspace", "{ws}", "--out", "{out}/x.xlsx"],
        ["sync", "export", "--workspace", "{ws}", "--out", "{out}"],
    ],
    ids=["visit-forms", "blank", "retrofit", "report-pdf", "report-xlsx", "export", "sync-export"],
)
def test_full_stick_leaves_no_partial_file(
    argv: list[str], case: Case, full_disk: None, capsys: pytest.CaptureFixture[str]
) -> None:
    before = case.db_digest()
    args = [a.format(ws=case.ws, out=case.root / "out") for a in argv]
    code, out, err = run_main(cli.main, args, capsys)
    assert_clean_refusal(code, out, err, case=case, secrets=case.built.id_numbers)
    assert "已满" in err
    assert not any((case.root / "out").iterdir())
    assert case.db_digest() == before


def test_office_add_on_a_full_stick_then_a_retry(
    case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file is written after the office is committed; a retry finishes that office."""
    out = case.root / "out" / "e.cwenroll"
    add = ["--home", str(case.hub), "office", "add", "--code", "110105003", "--name", "新街道"]
    add += ["--communities", "甲社区", "--passphrase", "abcdefgh12345678", "--out", str(out)]
    with monkeypatch.context() as m:
        m.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
        code, o, err = run_main(district_cli.main, add, capsys)
    assert_clean_refusal(code, o, err, case=case)
    assert not out.exists()
    code, o, err = run_main(district_cli.main, add, capsys)
    assert code == 0, err
    con = sqlite3.connect(case.hub_db)
    (offices,) = con.execute("SELECT count(*) FROM office WHERE code = '110105003'").fetchone()
    (communities,) = con.execute(
        "SELECT count(*) FROM community c JOIN office o ON o.id = c.office_id "
        "WHERE o.code = '110105003'"
    ).fetchone()
    con.close()
    assert (offices, communities) == (1, 1)


def _backup_fills_the_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    import db.backup

    def copy(src: Path, dest: Path) -> None:
        dest.write_bytes(src.read_bytes()[:4096])  # a partial copy with data in it
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(db.backup, "_copy", copy)


def test_backup_on_a_full_disk(
    case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _backup_fills_the_disk(monkeypatch)
    for out in ([], ["--out", str(case.root / "out" / "b.sqlite3")]):
        code, o, err = run_main(cli.main, ["backup", "--workspace", str(case.ws), *out], capsys)
        assert_clean_refusal(code, o, err, case=case)
        assert "磁盘已满" in err
    assert not any((case.root / "out").iterdir())


def test_sync_import_when_the_pre_import_backup_fails(
    case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = case.db_digest()
    backups = sorted((case.ws / "backups").iterdir())
    _backup_fills_the_disk(monkeypatch)
    argv = ["sync", "import", "--workspace", str(case.ws), str(case.built.down_bundle)]
    code, out, err = run_main(cli.main, argv, capsys)
    assert_clean_refusal(code, out, err, case=case)
    assert case.db_digest() == before
    assert sorted((case.ws / "backups").iterdir()) == backups


@pytest.mark.parametrize(
    "argv",
    [
        ["sync", "import", "--workspace", "{ws}", "{down}"],
        ["restore", "--workspace", "{ws}", "{backup}"],
    ],
    ids=["sync-import", "restore"],
)
def test_no_room_for_the_backup_is_refused_before_anything_changes(
    argv: list[str], case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import caseworker.outfile

    backup = case.root / "out" / "copy.sqlite3"
    shutil.copy(case.ws / "caseworker.sqlite3", backup)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(
        caseworker.outfile.shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 300_000, 300_000)
    )
    before = case.db_digest()
    backups = sorted((case.ws / "backups").iterdir())
    args = [a.format(ws=case.ws, down=case.built.down_bundle, backup=backup) for a in argv]
    code, out, err = run_main(cli.main, args, capsys)
    assert_clean_refusal(code, out, err, case=case)
    assert "空间不足" in err and "未做任何改动" in err
    assert case.db_digest() == before
    assert sorted((case.ws / "backups").iterdir()) == backups


# -- a full disk, for real -----------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[callable]:
    """Mount tmpfs folders of a given size (root only; skipped where mounting is not allowed)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tiny tmpfs needs root")
    mounted: list[Path] = []

    def mount(name: str, size: int) -> Path:
        where = tmp_path / name
        where.mkdir()
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
        )
        if r.returncode != 0:
            pytest.skip(f"cannot mount tmpfs here: {r.stderr.decode(errors='replace').strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", str(where)], check=False)


def test_real_full_stick(case: Case, tiny_disk) -> None:
    stick = tiny_disk("stick", 48 * 1024)
    before = case.db_digest()
    for argv in (
        [
            "print",
            "visit-forms",
            "--workspace",
            str(case.ws),
            "--month",
            "2026-11",
            "--out",
            f"{stick}/f.pdf",
        ],
        ["backup", "--workspace", str(case.ws), "--out", f"{stick}/b.sqlite3"],
        ["sync", "export", "--workspace", str(case.ws), "--out", str(stick)],
    ):
        code, out, err = run_sub(["caseworker", *argv])
        assert_clean_refusal(code, out, err, secrets=case.built.id_numbers)
        # full when written, or (a backup, which measures first) refused for want of room
        assert "已满" in err or "空间不足" in err, err
        assert list(stick.iterdir()) == [], list(stick.iterdir())
    assert case.db_digest() == before


def test_real_disk_without_room_for_the_pre_import_backup(case: Case, tiny_disk) -> None:
    db_size = (case.ws / "caseworker.sqlite3").stat().st_size
    used = sum(p.stat().st_size for p in case.ws.rglob("*") if p.is_file())
    disk = tiny_disk("disk", used + db_size // 2)
    ws = disk / "ws"
    shutil.copytree(case.ws, ws)
    before = db_digest(ws / "caseworker.sqlite3")
    backups = sorted((ws / "backups").iterdir())
    code, out, err = run_sub(
        ["caseworker", "sync", "import", "--workspace", str(ws), str(case.built.down_bundle)]
    )
    assert_clean_refusal(code, out, err)
    assert "空间不足" in err
    assert db_digest(ws / "caseworker.sqlite3") == before
    assert sorted((ws / "backups").iterdir()) == backups
