"""The last-resort handler, logs without personal data, Chinese help, and `--json` everywhere."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from caseworker import cli
from caseworker.clikit import translate_usage_error
from caseworker.district import cli as district_cli
from caseworker.domain.search import MAX_SEARCH
from caseworker.logs import scrub
from caseworker.services.children.search import ChildQuery
from caseworker.services.elderly import search
from caseworker.services.retrofit.search import CaseQuery
from caseworker.workspace import Workspace
from tests.cli.conftest import Case, assert_clean_refusal, run_main, run_sub

LONG = "张" * 10_000


def _log_text(ws: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (ws / "logs").glob("caseworker.log*"))


def test_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log_scrubbed(
    case: Case, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from caseworker.commands import sync

    id_number = case.built.id_numbers[0]

    def broken(args: argparse.Namespace) -> int:
        with Workspace.open(args.workspace):
            raise RuntimeError(f"bug while reading {id_number} 13812345678 {LONG}")

    monkeypatch.setattr(sync, "_cmd_status", broken)
    code, out, err = run_main(cli.main, ["sync", "status", "--workspace", str(case.ws)], capsys)
    assert_clean_refusal(code, out, err, case=case, secrets=(id_number, "13812345678"))
    assert "意外错误" in err and "caseworker.log" in err
    logged = _log_text(case.ws)
    assert "Traceback" in logged and "RuntimeError: bug while reading" in logged
    assert id_number not in logged and "13812345678" not in logged
    assert "[身份证号已隐藏]" in logged
    assert "张" * 400 not in logged


def test_a_database_error_never_carries_its_parameters_into_the_log(
    case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    with Workspace.open(case.ws) as ws:
        with pytest.raises(Exception) as caught, ws.engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table WHERE name LIKE :p"), {"p": LONG})
        assert LONG[:60] not in str(caught.value)
        logging.getLogger("caseworker.ui").error("background job failed", exc_info=caught.value)
    logged = _log_text(case.ws)
    assert "no_such_table" in logged and "张" * 60 not in logged


def test_a_10000_character_search_is_capped_and_never_reaches_the_log(case: Case) -> None:
    for query in (search.RosterQuery(text=LONG), ChildQuery(text=LONG), CaseQuery(text=LONG)):
        assert len(query.text) == MAX_SEARCH
    from caseworker.domain.roles import Actor

    with Workspace.open(case.ws) as ws, ws.reader() as s:
        q = search.RosterQuery(text=LONG)
        assert search.count(s, Actor.system("test"), q) == 0
        assert search.page(s, Actor.system("test"), q, 0, 50) == []
    assert "张" * (MAX_SEARCH + 1) not in _log_text(case.ws)


def test_scrub() -> None:
    line = "x [parameters: ('110105194912310021', '王小红')] 110105194912310021 13912345678"
    cleaned = scrub(line + " " + "字" * 1000)
    assert "110105194912310021" not in cleaned and "13912345678" not in cleaned
    assert "王小红" not in cleaned and len(cleaned) < 400
    assert (
        scrub("ok\nTraceback (most recent call last):") == "ok\nTraceback (most recent call last):"
    )


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("argument 命令: invalid choice: 'x' (choose from 'a', 'b')", "参数 命令：没有 'x' 这一项"),
        ("argument --keep: invalid int value: 'x'", "参数 --keep：应为整数"),
        ("the following arguments are required: --out", "缺少必需的参数：--out"),
        ("unrecognized arguments: --bogus", "无法识别的参数：--bogus"),
        ("argument --out: expected one argument", "后面应跟一个值"),
        ("argument --keep: not allowed with argument --reverse", "不能与 --reverse 同时使用"),
        # every row of the table (issue 22 made it one template per message)
        ("argument --x: invalid float value: 'a'", "参数 --x：应为数字，收到 'a'"),
        ("argument --x: invalid Path value: 'a'", "参数 --x：值无效：'a'"),
        ("argument files: expected at least one argument", "参数 files：后面应至少跟一个值"),
        ("argument --x: expected at most one argument", "参数 --x：后面最多跟一个值"),
        (
            "ambiguous option: --re could match --reverse, --reason",
            "选项 --re 不明确，可能是：--reverse, --reason",
        ),
        ("one of the arguments --a --b is required", "必须给出其中一个参数：--a --b"),
        ("argument --all: ignored explicit argument 'x'", "参数 --all：这个选项不接受值：'x'"),
        # what was typed is shown as typed, braces and all, never read as a template
        ("argument --keep: invalid int value: '{c}{0}'", "参数 --keep：应为整数，收到 '{c}{0}'"),
        ("unknown words", "unknown words"),
    ],
)
def test_argparse_messages_in_chinese(english: str, chinese: str) -> None:
    assert chinese in translate_usage_error(english)


def test_help_is_chinese() -> None:
    for argv in (["caseworker", "--help"], ["caseworker-district", "office", "add", "--help"]):
        code, out, err = run_sub(argv)
        assert code == 0 and err == ""
        assert out.startswith("用法：") and "\n选项：\n" in out and "显示这份帮助并退出" in out
        assert "usage:" not in out and "options:" not in out


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
        return
    for name, child in subs[0].choices.items():
        yield from _leaves(child, (*path, name))


@pytest.mark.parametrize("build", [cli.build_parser, district_cli.build_parser])
def test_every_command_that_reports_takes_json(build) -> None:
    missing = [
        " ".join(path)
        for path, p in _leaves(build())
        if path != ("gui",) and "--json" not in p._option_string_actions
    ]
    assert missing == []


def test_json_output_is_one_object(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = case.root / "out"
    for main, argv in (
        (cli.main, ["check", "--workspace", str(case.ws), "--json"]),
        (
            cli.main,
            ["backup", "--workspace", str(case.ws), "--json", "--out", f"{out_dir}/b.sqlite3"],
        ),
        (cli.main, ["print", "blank-visit-form", "--json", "--out", f"{out_dir}/f.pdf"]),
        (
            cli.main,
            [
                "export",
                "elderly-roster",
                "--workspace",
                str(case.ws),
                "--json",
                "--out",
                f"{out_dir}/x.xlsx",
            ],
        ),
        (cli.main, ["report", "--workspace", str(case.ws), "--json", "--out", f"{out_dir}/r.xlsx"]),
        (district_cli.main, ["--home", str(case.hub), "children", "--json"]),
        (
            district_cli.main,
            ["--home", str(case.hub), "catalogue", "set-price", "R01", "--price", "81", "--json"],
        ),
    ):
        code, out, err = run_main(main, argv, capsys)
        assert code == 0, err
        assert isinstance(json.loads(out), dict), out
