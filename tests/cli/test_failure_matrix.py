"""Every command fails cleanly (issue 8): exit 2, one Chinese line on stderr, no traceback, no
personal data, no half-written file, and the database unchanged where nothing was to change.

The matrix runs each case through `main()` in this process (fast); the cases marked `sub`
also run as real processes through `python -m …`, as a person or a script would run them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from caseworker import cli
from caseworker.district import cli as district_cli
from tests.cli.conftest import Case, assert_clean_refusal, run_main, run_sub


@dataclass(frozen=True)
class Row:
    name: str
    argv: tuple[str, ...]  # program first; {ws} {hub} {out} {root} {rid} {idn1} {enroll} {down}
    says: str  # a fragment of the one line
    unchanged: str | None = "ws"  # which database must be unchanged: "ws", "hub" or None
    sub: bool = False  # also as a real process

    def args(self, c: Case) -> list[str]:
        values = {
            "ws": str(c.ws),
            "hub": str(c.hub),
            "out": str(c.root / "out"),
            "root": str(c.root),
            "rid": c.built.resident_ids[0],
            "idn1": c.built.id_numbers[1],
            "enroll": str(c.built.enrollment),
            "down": str(c.built.down_bundle),
        }
        return [a.format(**values) for a in self.argv]


CW, DI = "caseworker", "caseworker-district"
MISSING = "{root}/no-such-folder"
ROWS = [
    # argparse: Chinese, one line, exit 2
    Row("unknown command", (CW, "nope"), "参数错误", sub=True),
    Row("unknown option", (CW, "check", "--bogus", "--workspace", "{ws}"), "无法识别的参数"),
    Row("bad int", (CW, "demo", "--residents", "abc"), "应为整数", sub=True),
    Row("missing argument", (CW, "print", "visit-forms"), "缺少必需的参数"),
    Row("bad choice", (CW, "import", "roster", "--existing", "nope", "x.xlsx"), "可选"),
    Row("missing sub-command", (CW, "sync"), "缺少必需的参数"),
    Row("option without value", (CW, "--workspace"), "后面应跟一个值"),
    Row("empty workspace", (CW, "check", "--workspace", ""), "不能为空"),
    Row("district unknown command", (DI, "nope"), "参数错误", None, sub=True),
    Row("district missing arguments", (DI, "office", "add", "--code", "1"), "缺少必需的参数", None),
    Row("district bad int", (DI, "--home", "{hub}", "conflicts", "--keep", "x"), "应为整数", "hub"),
    Row("mutually exclusive", (CW, "sync", "conflicts", "--keep", "1", "--reverse", "2"), "不能与"),
    # dates typed at the command line: the parser's own reason, before any work (issue 22)
    Row(
        "export bad day",
        (
            CW,
            "export",
            "elderly-roster",
            "--workspace",
            "{ws}",
            "--out",
            "{out}.xlsx",
            "--from",
            "2026-02-30",
        ),
        "2026年没有2月30日",
    ),
    Row(
        "export bad month",
        (
            CW,
            "export",
            "elderly-due",
            "--workspace",
            "{ws}",
            "--out",
            "{out}.xlsx",
            "--month",
            "2026-13",
        ),
        "月份应写成 YYYY-MM",
    ),
    Row(
        "print bad month",
        (
            CW,
            "print",
            "visit-forms",
            "--workspace",
            "{ws}",
            "--out",
            "{out}.pdf",
            "--month",
            "11月",
        ),
        "月份应写成 YYYY-MM",
    ),
    # where the data is
    Row(
        "--db garbage",
        (DI, "--home", "{root}/h", "--db", "garbage", "status"),
        "数据库 URL 无法识别",
        None,
        sub=True,
    ),
    Row(
        "--db not SQLite",
        (DI, "--home", "{root}/h", "--db", "sqlite:///{enroll}", "status"),
        "无法打开区级平台的数据库",
        None,
    ),
    Row(
        "--db a folder",
        (DI, "--home", "{root}/h", "--db", "sqlite:///{root}", "status"),
        "无法打开区级平台的数据库",
        None,
    ),
    Row("--home a file", (DI, "--home", "{enroll}", "status"), "已有同名的文件", None),
    Row(
        "--workspace a file",
        (CW, "check", "--workspace", "{enroll}"),
        "已有同名的文件",
        None,
        sub=True,
    ),
    Row("--workspace in a file", (CW, "check", "--workspace", "{enroll}/ws"), "不是文件夹", None),
    Row(
        "--workspace an empty file",
        (CW, "check", "--workspace", "{root}/empty"),
        "已有同名的文件",
        None,
    ),
    Row(
        "--db an empty file",
        (DI, "--home", "{root}/h", "--db", "sqlite:///{root}/empty", "status"),
        "还没有初始化",
        None,
    ),
    Row(
        "--db a garbage file",
        (DI, "--home", "{root}/h", "--db", "sqlite:///{root}/garbage.sqlite3", "status"),
        "无法打开区级平台的数据库",
        None,
        sub=True,
    ),
    Row(
        "restore garbage",
        (CW, "restore", "--workspace", "{ws}", "{root}/garbage.sqlite3"),
        "不是有效的数据库",
    ),
    # output to a folder that does not exist: refused before any work, never created
    Row(
        "backup --out missing folder",
        (CW, "backup", "--workspace", "{ws}", "--out", MISSING + "/b.sqlite3"),
        "文件夹不存在",
        sub=True,
    ),
    Row(
        "backup --out existing",
        (CW, "backup", "--workspace", "{ws}", "--out", "{enroll}"),
        "不会覆盖",
    ),
    Row(
        "print blank missing folder",
        (CW, "print", "blank-visit-form", "--out", MISSING + "/f.pdf"),
        "文件夹不存在",
    ),
    Row(
        "print forms missing folder",
        (CW, "print", "visit-forms", "--workspace", "{ws}", "--out", MISSING + "/f.pdf"),
        "文件夹不存在",
        sub=True,
    ),
    Row(
        "print route missing folder",
        (CW, "print", "route-sheet", "--workspace", "{ws}", "--out", MISSING + "/f.pdf"),
        "文件夹不存在",
    ),
    Row(
        "print retrofit missing folder",
        (
            CW,
            "print",
            "retrofit-assessment",
            "--blank",
            "--workspace",
            "{ws}",
            "--out",
            MISSING + "/f.pdf",
        ),
        "文件夹不存在",
    ),
    Row("print to a folder", (CW, "print", "blank-visit-form", "--out", "{out}"), "结尾"),
    Row("print not pdf", (CW, "print", "blank-visit-form", "--out", "{out}/f.txt"), ".pdf 结尾"),
    Row(
        "export missing folder",
        (CW, "export", "elderly-roster", "--workspace", "{ws}", "--out", MISSING + "/x.xlsx"),
        "文件夹不存在",
    ),
    Row(
        "report missing folder",
        (CW, "report", "--workspace", "{ws}", "--out", MISSING + "/r.pdf"),
        "文件夹不存在",
    ),
    Row("report bad suffix", (CW, "report", "--workspace", "{ws}", "--out", "{out}/r.doc"), "结尾"),
    Row(
        "sync export missing folder",
        (CW, "sync", "export", "--workspace", "{ws}", "--out", MISSING + "/x.cwbundle"),
        "不存在",
    ),
    Row(
        "import report missing folder",
        (
            CW,
            "import",
            "roster",
            "--workspace",
            "{ws}",
            "{enroll}",
            "--report",
            MISSING + "/r.xlsx",
        ),
        "文件夹不存在",
    ),
    Row(
        "district export missing folder",
        (
            DI,
            "--home",
            "{hub}",
            "export",
            "--office",
            "110105001",
            "--out",
            MISSING + "/d.cwbundle",
        ),
        "不存在",
        "hub",
    ),
    Row(
        "district report missing folder",
        (DI, "--home", "{hub}", "report", "--out", MISSING + "/r.pdf"),
        "文件夹不存在",
        "hub",
    ),
    Row(
        "office add --out missing folder",
        (
            DI,
            "--home",
            "{hub}",
            "office",
            "add",
            "--code",
            "110105002",
            "--name",
            "新街道",
            "--communities",
            "甲社区",
            "--out",
            MISSING + "/e.cwenroll",
        ),
        "文件夹不存在",
        "hub",
        sub=True,
    ),
    # the district's corrections and transfers
    Row(
        "transfer --table nope",
        (DI, "--home", "{hub}", "transfer", "--table", "nope", "--id", "x", "--to", "110105001"),
        "不能在街道之间转移",
        "hub",
        sub=True,
    ),
    Row(
        "transfer --person, a wrong ID number",
        (DI, "--home", "{hub}", "transfer", "--person", "110105195001011", "--to", "110105001"),
        "身份证号不正确",
        "hub",
        sub=True,
    ),
    Row(
        "transfer --person nobody on file",
        (
            DI,
            "--home",
            "{hub}",
            "transfer",
            "--person",
            "110105195001010119",
            "--to",
            "110105001",
            "--dry-run",
        ),
        "没有这个身份证号的人员",
        "hub",
        sub=True,
    ),
    Row(
        "correct duplicate ID",
        (
            DI,
            "--home",
            "{hub}",
            "correct",
            "--table",
            "elderly_resident",
            "--id",
            "{rid}",
            "--set",
            "id_number={idn1}",
        ),
        "冲突",
        "hub",
        sub=True,
    ),
    Row(
        "correct wrong ID",
        (
            DI,
            "--home",
            "{hub}",
            "correct",
            "--table",
            "elderly_resident",
            "--id",
            "{rid}",
            "--set",
            "id_number=110105194912310022",
        ),
        "身份证号不正确",
        "hub",
    ),
    Row(
        "correct missing reference",
        (
            DI,
            "--home",
            "{hub}",
            "correct",
            "--table",
            "elderly_resident",
            "--id",
            "{rid}",
            "--set",
            "community_id=nope",
        ),
        "不存在的记录",
        "hub",
    ),
    Row(
        "correct bad date",
        (
            DI,
            "--home",
            "{hub}",
            "correct",
            "--table",
            "elderly_resident",
            "--id",
            "{rid}",
            "--set",
            "enrolled_on=not-a-date",
        ),
        "应为日期",
        "hub",
    ),
    Row(
        "correct a column the ID number decides",
        (
            DI,
            "--home",
            "{hub}",
            "correct",
            "--table",
            "elderly_resident",
            "--id",
            "{rid}",
            "--set",
            "birth_date=1950-01-01",
        ),
        "由身份证号决定",
        "hub",
    ),
    Row(
        "correct unknown table",
        (DI, "--home", "{hub}", "correct", "--table", "nope", "--id", "x", "--set", "a=b"),
        "没有名为",
        "hub",
    ),
    # broken files given to commands
    Row(
        "import a non-roster",
        (CW, "import", "roster", "--workspace", "{ws}", "{enroll}"),
        "无法识别",
    ),
    Row("import a folder", (CW, "import", "roster", "--workspace", "{ws}", "{out}"), "文件夹"),
    Row("sync import a folder", (CW, "sync", "import", "--workspace", "{ws}", "{out}"), "文件夹"),
    Row(
        "sync import an enrollment file",
        (CW, "sync", "import", "--workspace", "{ws}", "{enroll}"),
        "未做任何改动",
    ),
    Row("restore a bundle", (CW, "restore", "--workspace", "{ws}", "{down}"), "不是有效的数据库"),
    Row(
        "restore a missing file",
        (CW, "restore", "--workspace", "{ws}", "{root}/nothing.sqlite3"),
        "找不到",
    ),
    Row(
        "district ingest an enrollment file",
        (DI, "--home", "{hub}", "ingest", "{enroll}"),
        "未导入",
        "hub",
    ),
]


def test_workspace_whose_database_is_not_sqlite(
    case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    db = case.ws / "caseworker.sqlite3"
    db.write_bytes(b"not a database at all " * 100)
    for argv in (
        ["check"],
        ["backup"],
        ["sync", "status"],
        ["print", "visit-forms", "--out", f"{case.root}/out/f.pdf"],
    ):
        code, out, err = run_main(cli.main, [*argv, "--workspace", str(case.ws)], capsys)
        assert_clean_refusal(code, out, err, case=case)
        assert "不是有效的数据库文件" in err
    assert db.read_bytes() == b"not a database at all " * 100


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_refused_cleanly_in_process(
    row: Row, case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    before = case.db_digest(row.unchanged) if row.unchanged else None
    main = cli.main if row.argv[0] == CW else district_cli.main
    code, out, err = run_main(main, row.args(case)[1:], capsys)
    assert_clean_refusal(code, out, err, case=case, secrets=case.built.id_numbers)
    assert row.says in err, err
    assert not (case.root / "no-such-folder").exists()
    if row.unchanged:
        assert case.db_digest(row.unchanged) == before


SUB_ROWS = [r for r in ROWS if r.sub]


@pytest.mark.parametrize("row", SUB_ROWS, ids=[r.name for r in SUB_ROWS])
def test_refused_cleanly_as_a_process(row: Row, case: Case) -> None:
    before = case.db_digest(row.unchanged) if row.unchanged else None
    code, out, err = run_sub(row.args(case))
    assert_clean_refusal(code, out, err, case=case, secrets=case.built.id_numbers)
    assert row.says in err, err
    if row.unchanged:
        assert case.db_digest(row.unchanged) == before
