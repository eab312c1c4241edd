"""What a person reads for a file or SQLite failure (`domain.errors`): the tables behind
`os_reason` and `sqlite_reason` keep their order (the first match wins; issue 22 made the
if-ladders tables)."""

from __future__ import annotations

import errno

import pytest

from caseworker.domain.errors import os_reason, sqlite_reason


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (FileNotFoundError(errno.ENOENT, "x"), "文件或文件夹不存在"),
        (PermissionError(errno.EACCES, "x"), "没有权限（文件可能只读或被其他程序占用）"),
        (IsADirectoryError(errno.EISDIR, "x"), "这是一个文件夹，不是文件"),
        (NotADirectoryError(errno.ENOTDIR, "x"), "路径中有一段是文件而不是文件夹"),
        (FileExistsError(errno.EEXIST, "x"), "已有同名的文件，不是文件夹"),
        (OSError(errno.ENOSPC, "x"), "磁盘或 U 盘已满"),
        (OSError(errno.EROFS, "x"), "U 盘或磁盘是只读的"),
        (OSError(errno.EIO, "x"), f"读写出错（错误号 {errno.EIO}）"),
        (OSError("no errno"), "读写出错（错误号 未知）"),
    ],
)
def test_os_reason(exc: OSError, said: str) -> None:
    assert os_reason(exc) == said


@pytest.mark.parametrize(
    ("message", "starts"),
    [
        ("database or disk is full", "磁盘已满"),
        ("disk I/O error", "读写磁盘出错"),
        ("attempt to write a readonly database", "数据库或工作区文件夹是只读的"),
        ("unable to open database file", "无法打开数据库文件"),
        ("database is locked", "数据库正被另一个程序占用"),
        ("database table is busy", "数据库正被另一个程序占用"),
        ("file is not a database", "数据库文件已损坏"),
        ("database disk image is malformed", "数据库文件已损坏"),
        ("no such table: staff", "数据库缺少应有的表或列"),
        # first match wins: a locked database that is also malformed reads as locked
        ("database is locked (malformed?)", "数据库正被另一个程序占用"),
    ],
)
def test_sqlite_reason(message: str, starts: str) -> None:
    said = sqlite_reason(message)
    assert said is not None and said.startswith(starts), said


def test_sqlite_reason_is_none_for_what_a_person_cannot_act_on() -> None:
    assert sqlite_reason("UNIQUE constraint failed: staff.username") is None
