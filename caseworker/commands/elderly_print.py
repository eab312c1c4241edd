"""`caseworker print visit-forms|blank-visit-form|route-sheet`: programme 1 paper forms."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import Actor

T = TypeVar("T")

EXIT_OK = 0


class _Refused(CaseworkerError):
    pass


def _print_group(subparsers: Any) -> Any:
    """The `print` command's sub-commands, shared with other programmes' print commands."""
    existing = subparsers.choices.get("print")
    if existing is not None:
        return existing._caseworker_print_sub
    p = subparsers.add_parser("print", help="打印表格（PDF）")
    sub = p.add_subparsers(dest="print_command", metavar="表格", required=True)
    p._caseworker_print_sub = sub
    return sub


def _out_path(args: argparse.Namespace) -> Path:
    """--out checked before any work: .pdf, an existing folder that can be written."""
    from caseworker.outfile import check_out

    return check_out(args.out, (".pdf",))


def _month(text: str | None) -> date:
    """--month as typed, this month when it is not given."""
    from caseworker.clikit import typed
    from caseworker.domain.schedule import parse_month

    return typed(text, parse_month) or date.today().replace(day=1)


def _community_id(session: Any, name: str | None) -> str | None:
    if not name:
        return None
    from caseworker.services import accounts

    for c in accounts.communities(session, include_inactive=True):
        if c.name == name.strip():
            return c.id
    names = "、".join(c.name for c in accounts.communities(session))
    raise _Refused(f"没有名为“{name}”的社区/村。现有：{names}")


def _due_in_month(args: argparse.Namespace, gather: Callable[..., list[T]]) -> list[T]:
    """What `gather` (forms.month_forms or forms.route_sheets) finds for --month and
    --community; refused when nobody is due, so no empty file is written."""
    from caseworker.clikit import open_workspace

    month = _month(args.month)
    with open_workspace(args) as ws, ws.reader() as session:
        found = gather(
            session,
            Actor.system("cli"),
            month,
            community_id=_community_id(session, args.community),
        )
    if not found:
        raise _Refused(f"{month.year}年{month.month}月没有应探访的老人，未生成文件")
    return found


def said(args: argparse.Namespace, text: str, **facts: Any) -> int:
    """The result of a print command: a line for people, or with --json one object."""
    from caseworker.clikit import answer

    return answer(args, facts, text)


def _cmd_blank(args: argparse.Namespace) -> int:
    from caseworker.clikit import open_workspace
    from caseworker.printing.visit_forms import render_blank_form, write
    from caseworker.services import paper

    out = _out_path(args)
    # the code is recorded only once the file is written: a failed write changes nothing
    with open_workspace(args) as ws, ws.engine.begin() as conn:
        stamp = paper.issue_one(conn, Actor.system("cli"), "elderly_visit_blank")
        out = write(render_blank_form(stamp), out)
    return said(args, f"空白探访记录表已保存到 {out}", path=out, pages=1)


def _cmd_forms(args: argparse.Namespace) -> int:
    from caseworker.clikit import open_workspace
    from caseworker.services.elderly import forms

    out = _out_path(args)
    data = _due_in_month(args, forms.month_forms)
    with open_workspace(args) as ws:
        # the window's path: written in parts (memory flat at a district's 75,563 forms); the
        # codes are recorded once the file is whole, and a failed write leaves neither
        pages = forms.print_forms(ws, Actor.system("cli"), data, _month(args.month), out)
    return said(
        args,
        f"已生成 {len(data)} 份探访记录表（每人一页，共 {pages} 页）：{out}",
        path=out,
        forms=len(data),
        pages=pages,
    )


def _cmd_route(args: argparse.Namespace) -> int:
    from caseworker.printing.route_sheet import render_route_sheet
    from caseworker.printing.visit_forms import write
    from caseworker.services.elderly import forms

    out = _out_path(args)
    sheets = _due_in_month(args, forms.route_sheets)
    if len(sheets) > 1:
        raise _Refused("请用 --community 指定一个社区/村（每个社区一张路线表）")
    from caseworker.clikit import open_workspace
    from caseworker.services import paper

    with open_workspace(args) as ws, ws.engine.begin() as conn:
        stamp = paper.issue_one(
            conn, Actor.system("cli"), "elderly_route", None, paper.period_of(_month(args.month))
        )
        write(render_route_sheet(sheets[0], stamp), out)
    return said(
        args,
        f"已生成 {sheets[0].community_name} 的路线表（{len(sheets[0].rows)} 人）：{out}",
        path=out,
        community=sheets[0].community_name,
        people=len(sheets[0].rows),
    )


def register(subparsers: Any, add_workspace_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    from caseworker.clikit import command

    sub = _print_group(subparsers)
    with command(
        sub, "blank-visit-form", "空白探访记录表", _cmd_blank, first=add_workspace_arg
    ) as p:
        p.add_argument("--out", required=True, help="输出 PDF 文件")
    for name, helptext, func in (
        ("visit-forms", "本月应探访老人的预填探访记录表（每人一页）", _cmd_forms),
        ("route-sheet", "一个社区本月的探访路线表", _cmd_route),
    ):
        with command(sub, name, helptext, func, first=add_workspace_arg) as p:
            p.add_argument("--month", help="月份 YYYY-MM（默认本月）")
            p.add_argument("--community", help="社区/村名称（默认全部）")
            p.add_argument("--out", required=True, help="输出 PDF 文件")
