"""`caseworker children recover FILE`: take in the district's recovery file for the office's
child-data key (see caseworker/services/children/recovery.py). `caseworker print
child-visit-forms`: a month's visit record forms (or the blank one), printed in parts by the
same path as the window (caseworker.services.children.forms.print_visit_forms)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def _cmd_recover(args: argparse.Namespace) -> int:
    """Run by the office's administrator at the PC, with their password: anyone at the PC with
    the district's file would otherwise give the office's child-data key to any child-role
    account."""
    from caseworker.commands.tabular import login_actor
    from caseworker.domain.roles import Role
    from caseworker.services.children.recovery import take_recovery_file
    from caseworker.sync.identity import KEY_FILE, load_identity
    from caseworker.workspace import Workspace

    with Workspace.open(args.workspace) as ws:
        actor = login_actor(ws, args.user, "导入儿童档案密钥恢复文件")
        if actor.role is not Role.ADMIN:
            from caseworker.domain.errors import PermissionDenied

            raise PermissionDenied("只有系统管理员可以导入儿童档案密钥恢复文件")
        with ws.writer(actor) as session:
            me = load_identity(session.connection(), ws.paths.root / KEY_FILE)
            result = take_recovery_file(session, actor, me, args.file, to=args.to)
    if args.json:
        from caseworker.commands.sync import emit_json

        emit_json({"granted": list(result.granted)})
        return 0
    print(f"已导入儿童档案密钥，已授权给：{'、'.join(result.granted)}")
    print("请这些账号重新登录，即可查看保密内容；其他儿童岗位账号由儿童督导员在“密钥授权”中授权。")
    return 0


def _cmd_visit_forms(args: argparse.Namespace) -> int:
    """The children's data is encrypted and read within a child role's scope: the command runs
    as a logged-in child supervisor or director (`--user`), never as the system actor."""
    from caseworker.commands.elderly_print import _community_id, _month, _out_path, _Refused, said
    from caseworker.commands.tabular import login_actor
    from caseworker.services.children import forms
    from caseworker.workspace import Workspace

    out = _out_path(args)
    month = _month(args.month)
    with Workspace.open(args.workspace) as ws:
        actor = login_actor(ws, args.user, "打印困境儿童回访记录表")
        with ws.reader(actor) as s:
            community_id = _community_id(s, args.community)
            batch = forms.visit_form_data(
                s, actor, month, community_id=community_id, blank=args.blank
            )
        if not batch.forms:
            raise _Refused(f"{month.year}年{month.month}月没有应回访的儿童，未生成文件")
        # written in parts (memory flat at 20,000 children); codes and view-log rows recorded
        # once the file is whole: a failed write leaves neither file nor rows
        pages = forms.print_visit_forms(ws, actor, batch, out)
    what = "空白回访记录表" if args.blank else f"{len(batch.forms)} 份回访记录表"
    return said(
        args,
        f"已生成{what}（共 {pages} 页）：{out}",
        path=out,
        forms=len(batch.forms),
        pages=pages,
    )


def register(
    sub: argparse._SubParsersAction, add_workspace_arg: Callable[[argparse.ArgumentParser], None]
) -> None:
    from caseworker.clikit import command
    from caseworker.commands.elderly_print import _print_group

    forms = "困境儿童回访记录表：某月应回访的（每人一页；--blank 空白表）"
    printed = _print_group(sub)
    with command(
        printed, "child-visit-forms", forms, _cmd_visit_forms, first=add_workspace_arg
    ) as f:
        f.add_argument("--month", help="月份 YYYY-MM（默认本月；含已逾期的）")
        f.add_argument("--community", help="只打印这个社区/村")
        f.add_argument("--blank", action="store_true", help="一张空白表")
        f.add_argument(
            "--user",
            metavar="LOGIN",
            help="儿童督导员或儿童主任的登录名（必填；密码取自环境变量 CASEWORKER_PASSWORD 或提示输入）",
        )
        f.add_argument("--out", required=True, help="输出 PDF 文件")
    p = sub.add_parser("children", help="儿童关爱：导入区里的密钥恢复文件")
    add_workspace_arg(p)
    cs = p.add_subparsers(dest="children_command", metavar="操作", required=True)
    recover = "导入区里生成的儿童档案密钥恢复文件"
    with command(cs, "recover", recover, _cmd_recover, first=add_workspace_arg) as r:
        r.add_argument("file", type=Path, help="区里给的恢复文件（.cwchildkey）")
        r.add_argument(
            "--to", default=None, metavar="LOGIN", help="只授权给这个账号（默认：全部儿童督导员）"
        )
        r.add_argument(
            "--user",
            metavar="LOGIN",
            help="系统管理员的登录名（必填；密码取自环境变量 CASEWORKER_PASSWORD 或提示输入）",
        )
