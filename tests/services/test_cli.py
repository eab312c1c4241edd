"""The command line through its real entry point in a subprocess: exit codes and messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def cw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caseworker", *args], capture_output=True, text=True, timeout=300
    )


def test_help_lists_every_command() -> None:
    r = cw("--help")
    assert r.returncode == 0
    for command in ("gui", "demo", "check", "backup", "restore"):
        assert command in r.stdout


@pytest.mark.slow
def test_demo_check_backup_restore_round_trip(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    r = cw("demo", "--workspace", str(ws), "--residents", "50", "--seed", "7")
    assert r.returncode == 0, r.stderr
    assert "admin" in r.stdout and "demo1234" in r.stdout
    r = cw("check", "--workspace", str(ws))
    assert r.returncode == 0, r.stderr
    assert "完整性检查：通过" in r.stdout
    out = tmp_path / "copy.sqlite3"
    r = cw("backup", "--workspace", str(ws), "--out", str(out))
    assert r.returncode == 0 and out.exists()
    r = cw("backup", "--workspace", str(ws), "--out", str(out))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "不会覆盖" in r.stderr
    r = cw("restore", "--workspace", str(ws), str(out))
    assert r.returncode == 0, r.stderr
    r = cw("demo", "--workspace", str(ws))
    assert r.returncode == 2 and "已经有账号" in r.stderr


def test_restore_of_garbage_is_refused_with_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    r = cw("restore", "--workspace", str(tmp_path / "ws"), str(junk))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "不是有效的数据库" in r.stderr


@pytest.mark.slow  # over 10 s on a loaded 2-core machine: in the full suite, not in --fast
def test_demo_same_seed_same_data(tmp_path: Path) -> None:
    from caseworker import demo
    from caseworker.workspace import Workspace

    def content(root: Path) -> list[tuple]:
        with Workspace.open(root) as ws:
            demo.build(ws, residents=30, seed=5)
            with ws.engine.connect() as conn:
                rows = conn.exec_driver_sql(
                    "SELECT username, display_name, role FROM staff ORDER BY username"
                ).fetchall()
                rows += conn.exec_driver_sql(
                    "SELECT name, kind FROM community ORDER BY name"
                ).fetchall()
        return [tuple(r) for r in rows]

    assert content(tmp_path / "a") == content(tmp_path / "b")


def test_workspace_option_before_or_after_the_command(tmp_path: Path) -> None:
    for args in (
        ["--workspace", str(tmp_path / "a"), "check"],
        ["check", "--workspace", str(tmp_path / "b")],
    ):
        r = cw(*args)
        assert r.returncode == 0, r.stderr
        assert f"工作区：{args[1] if args[0] == '--workspace' else args[2]}" in r.stdout
    assert (tmp_path / "a" / "caseworker.sqlite3").exists()
    assert (tmp_path / "b" / "caseworker.sqlite3").exists()


def test_check_imports_a_heic_photo_or_says_why_not(tmp_path: Path) -> None:
    """`check --photo` proves this program reads iPhone photos (the frozen build runs it)."""
    import pillow_heif
    from PIL import Image

    heic = tmp_path / "IMG_0001.heic"
    pillow_heif.from_pillow(Image.new("RGB", (2400, 1200), (120, 90, 60))).save(heic, quality=60)
    ws = str(tmp_path / "ws")
    r = cw("check", "--workspace", ws, "--photo", str(heic))
    assert r.returncode == 0, r.stderr
    assert "照片可以导入：IMG_0001.heic（存为 1600×800 JPEG）" in r.stdout
    junk = tmp_path / "IMG_0002.heic"
    junk.write_bytes(b"not a picture" * 100)
    r = cw("check", "--workspace", ws, "--photo", str(junk))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "不是能识别的图片" in r.stderr
