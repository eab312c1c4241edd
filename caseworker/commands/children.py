"""`caseworker children recover FILE`: take in the district's recovery file for the office's
child-data key (see caseworker/services/children/recovery.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from caseworker.domain.roles import Actor

# Run by the office's administrator at the PC itself.
CLI_ACTOR = Actor.system("children-cli")


def _cmd_recover(args: argparse.Namespace) -> int:
    from caseworker.services.children.recovery import take_recovery_file
    from caseworker.sync.identity import KEY_FILE, load_identity
    from caseworker.workspace import Workspace

    with Workspace.open(args.workspace) as ws, ws.writer(CLI_ACTOR) as session:
        me = load_identity(session.connection(), ws.paths.root / KEY_FILE)
        result = take_recovery_file(session, CLI_ACTOR, me, args.file, to=args.to)
    if args.json:
        from caseworker.commands.sync import emit_json

        emit_json({"granted": list(result.granted)})
        return 0
    print(f"已导入儿童档案密钥，已授权给：{'、'.join(result.granted)}")
    print("请这些账号重新登录，即可查看保密内容；其他儿童岗位账号由儿童督导员在“密钥授权”中授权。")
    return 0


def register(
    sub: argparse._SubParsersAction, add_workspace_arg: Callable[[argparse.ArgumentParser], None]
) -> None:
    p = sub.add_parser("children", help="儿童关爱：导入区里的密钥恢复文件")
    add_workspace_arg(p)
    cs = p.add_subparsers(dest="children_command", metavar="操作", required=True)
    r = cs.add_parser("recover", help="导入区里生成的儿童档案密钥恢复文件")
    add_workspace_arg(r)
    r.add_argument("file", type=Path, help="区里给的恢复文件（.cwchildkey）")
    r.add_argument(
        "--to", default=None, metavar="LOGIN", help="只授权给这个账号（默认：全部儿童督导员）"
    )
    from caseworker.commands.sync import add_json_arg

    add_json_arg(r)
    r.set_defaults(func=_cmd_recover)
