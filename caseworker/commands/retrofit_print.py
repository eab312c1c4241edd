"""`caseworker print retrofit-assessment|retrofit-acceptance|retrofit-file`: programme 2 paper."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from caseworker.commands.elderly_print import _out_path, _print_group, _Refused, said
from caseworker.commands.sync import add_json_arg
from caseworker.domain.roles import Actor

EXIT_OK = 0
KINDS = {
    "retrofit-assessment": ("入户评估表", "render_assessment"),
    "retrofit-acceptance": ("验收单", "render_acceptance"),
    "retrofit-file": ("改造档案", "render_file"),
}


def _cmd(kind: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from caseworker.clikit import open_workspace
        from caseworker.printing import retrofit_forms as pdf
        from caseworker.services import paper
        from caseworker.services.retrofit import forms
        from caseworker.services.retrofit.photo_store import PhotoStore

        title, render = KINDS[kind]
        out = _out_path(args)
        actor = Actor.system("cli")
        # codes are recorded only when the file is written: a failed write changes nothing
        with open_workspace(args) as ws, ws.engine.begin() as conn, ws.reader() as s:
            if kind == "retrofit-assessment" and args.blank:
                office, lines = forms.blank_catalogue(s, actor)
                stamp = paper.issue_one(conn, actor, "retrofit_assessment_blank")
                pdf.write(pdf.render_blank_assessment(lines, office, stamp), out)
                return said(
                    args, f"空白入户评估表（含 {len(lines)} 个目录项目）已保存到 {out}", path=out
                )
            if kind == "retrofit-acceptance" and args.blank:
                office, _lines = forms.blank_catalogue(s, actor)
                stamp = paper.issue_one(conn, actor, "retrofit_acceptance_blank")
                data = pdf.RetrofitFormData(office_name=office)
                layout: pdf.Layout = []
                made = pdf.render_acceptance(data, stamp, layout)
                paper.record_layout(conn, stamp.form_id, layout)
                pdf.write(made, out)
                return said(args, f"空白验收单已保存到 {out}", path=out)
            if not args.case:
                raise _Refused("请用 --case 指定档案号（或用 --blank 打印空白表）")
            case_id = forms.case_id_by_number(s, actor, args.case)
            if case_id is None:
                raise _Refused(f"没有档案号为“{args.case}”的改造户")
            data = forms.case_form(
                s, actor, case_id, PhotoStore(ws.paths.photos), full_id=kind == "retrofit-file"
            )
            # the household's file is an archive print, not a form to type back: no code
            stamp = (
                None
                if kind == "retrofit-file"
                else paper.issue_one(conn, actor, kind.replace("-", "_"), case_id)
            )
            if stamp is None:
                made = getattr(pdf, render)(data)
            elif kind == "retrofit-acceptance":  # where its tick boxes landed is kept
                layout = []
                made = pdf.render_acceptance(data, stamp, layout)
                paper.record_layout(conn, stamp.form_id, layout)
            else:
                made = getattr(pdf, render)(data, stamp)
            pdf.write(made, out)
        return said(
            args,
            f"{data.name}（{data.case_no}）的{title}已保存到 {out}",
            path=out,
            case=data.case_no,
        )

    return run


def register(subparsers: Any, add_workspace_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    sub = _print_group(subparsers)
    for kind, helptext in (
        ("retrofit-assessment", "适老化改造入户评估表（--blank 空白表）"),
        ("retrofit-acceptance", "适老化改造验收单（含照片；--blank 空白表）"),
        ("retrofit-file", "一户的改造档案（全部内容）"),
    ):
        p = sub.add_parser(kind, help=helptext)
        add_workspace_arg(p)
        p.add_argument("--case", help="档案号")
        if kind != "retrofit-file":
            p.add_argument("--blank", action="store_true", help="空白表（评估表带目录和单价）")
        p.add_argument("--out", required=True, help="输出 PDF 文件")
        add_json_arg(p)
        p.set_defaults(func=_cmd(kind))
