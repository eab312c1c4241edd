"""`caseworker print retrofit-assessment|retrofit-acceptance|retrofit-file`: programme 2 paper."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from caseworker.clikit import command
from caseworker.commands.elderly_print import _out_path, _print_group, _Refused, said
from caseworker.domain.roles import Actor

EXIT_OK = 0
KINDS = {"retrofit-assessment": "assessment", "retrofit-acceptance": "acceptance"}
KINDS["retrofit-file"] = "file"


def _cmd(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from caseworker.clikit import open_workspace
        from caseworker.services.retrofit import forms
        from db.photo_store import PhotoStore

        out = _out_path(args)
        actor = Actor.system("cli")
        blank = getattr(args, "blank", False)
        with open_workspace(args) as ws:
            case_id = None
            if not blank:
                if not args.case:
                    raise _Refused("请用 --case 指定档案号（或用 --blank 打印空白表）")
                with ws.reader() as s:
                    case_id = forms.case_id_by_number(s, actor, args.case)
                if case_id is None:
                    raise _Refused(f"没有档案号为“{args.case}”的改造户")
            # the window's path too: the code is recorded only when the file is written
            done = forms.print_case(
                ws, actor, KINDS[kind], case_id, PhotoStore(ws.paths.photos), out
            )
        if blank and done.catalogue_items:
            text = f"空白入户评估表（含 {done.catalogue_items} 个目录项目）已保存到 {out}"
            return said(args, text, path=out)
        if blank:
            return said(args, f"空白{done.title}已保存到 {out}", path=out)
        return said(
            args,
            f"{done.name}（{done.case_no}）的{done.title}已保存到 {out}",
            path=out,
            case=done.case_no,
        )

    return run


def register(subparsers: Any, add_workspace_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    sub = _print_group(subparsers)
    for kind, helptext in (
        ("retrofit-assessment", "适老化改造入户评估表（--blank 空白表）"),
        ("retrofit-acceptance", "适老化改造验收单（含照片；--blank 空白表）"),
        ("retrofit-file", "一户的改造档案（全部内容）"),
    ):
        with command(sub, kind, helptext, _cmd(kind), first=add_workspace_arg) as p:
            p.add_argument("--case", help="档案号")
            if kind != "retrofit-file":
                p.add_argument("--blank", action="store_true", help="空白表（评估表带目录和单价）")
            p.add_argument("--out", required=True, help="输出 PDF 文件")
