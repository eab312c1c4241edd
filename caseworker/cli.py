"""The command line: `caseworker [gui|demo|check|backup|restore|...] [--workspace DIR]`.

Exit code 0 on success, 2 on bad input or refusal with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

from caseworker.domain.errors import CaseworkerError

EXIT_OK = 0
EXIT_REFUSED = 2


class Refused(CaseworkerError):
    """A command-line refusal with a one-line reason."""


def add_workspace_arg(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    """`--workspace` may stand before or after the sub-command. Sub-commands leave it unset when
    not given (SUPPRESS), or their default would overwrite a value given before them."""
    p.add_argument(
        "--workspace",
        metavar="DIR",
        type=Path,
        default=None if top else argparse.SUPPRESS,
        help="工作区文件夹（默认：环境变量 CASEWORKER_WORKSPACE 或本机用户数据目录）",
    )


def open_workspace(args: argparse.Namespace):  # -> Workspace
    from caseworker.workspace import Workspace

    return Workspace.open(args.workspace)


def _cmd_gui(args: argparse.Namespace) -> int:
    # The GUI is found by name at run time: the headless core never depends on Qt, and every
    # other command runs on a machine without PySide6 (tests/services/test_layers.py checks it).
    run = importlib.import_module("ui.app").run
    return run(args.workspace)


def _cmd_demo(args: argparse.Namespace) -> int:
    from caseworker import demo

    if args.residents < 0 or args.residents > 1_000_000:
        raise Refused("--residents 应在 0 到 1000000 之间")
    with open_workspace(args) as ws:
        report = demo.build(ws, residents=args.residents, seed=args.seed)
        print(f"演示数据已生成：{report.office_name}，{report.communities} 个社区/村")
        for key, value in report.counts.items():
            print(f"  {key}: {value}")
        print(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）：")
        for username, name, role in report.staff:
            print(f"  {username:<10} {name:<6} {role}")
        print(f"工作区：{ws.paths.root}")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from caseworker.workspace import DB_NAME, default_root
    from db.schema import HEAD
    from db.verify import verify

    root = Path(args.workspace) if args.workspace is not None else default_root()
    verified = (root / DB_NAME).exists()
    if verified:  # the full check first: a damaged or altered file is never opened
        found = verify(root / DB_NAME)
        if found:
            for p in found:
                print(f"问题：{p}")
            raise Refused(f"完整性检查：不通过（{len(found)} 个问题：{found[0]}）")
    with open_workspace(args) as ws:
        problems = ws.mark_checked() if verified else ws.integrity_problems()
        last = ws.last_backup()
        print(f"工作区：{ws.paths.root}")
        print(
            f"数据库版本：{HEAD}（{ {'current': '已是最新', 'created': '新建', 'migrated': '已升级'}[ws.schema_status] }）"
        )
        print(f"设备编号：{ws.device_id}")
        print(f"已设置街道：{'是' if ws.is_initialised() else '否'}")
        print(
            f"最近备份：{last.taken_at:%Y-%m-%d %H:%M}（{last.path.name}）"
            if last
            else "最近备份：无"
        )
        if problems:
            for p in problems:
                print(f"问题：{p}", file=sys.stderr)
            raise Refused(f"完整性检查发现 {len(problems)} 个问题")
        print("完整性检查：通过")
    return EXIT_OK


def _cmd_backup(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        path = ws.backup("manual", out=args.out)
        print(f"已备份到 {path}")
        warning = ws.space_warning()
        if warning:
            print(f"注意：{warning}", file=sys.stderr)
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace) -> int:
    from caseworker.workspace import default_root, restore

    root = args.workspace if args.workspace is not None else default_root()
    kept = restore(root, args.file)
    print(f"已从 {args.file} 恢复；原数据库已另存为 {kept}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caseworker",
        description="街道民政工作台：老年人探访、适老化改造、儿童关爱（离线，U 盘同步）",
    )
    add_workspace_arg(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="命令")

    p = sub.add_parser("gui", help="打开工作台（默认）")
    add_workspace_arg(p)
    p.set_defaults(func=_cmd_gui)

    p = sub.add_parser("demo", help="生成演示数据（合成数据，非真实个人信息）")
    add_workspace_arg(p)
    p.add_argument("--residents", type=int, default=2000, help="老年人数量（默认 2000）")
    p.add_argument("--seed", type=int, default=1, help="随机种子：种子相同，数据相同")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("check", help="检查数据库完整性和版本")
    add_workspace_arg(p)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("backup", help="立即备份数据库")
    add_workspace_arg(p)
    p.add_argument("--out", type=Path, default=None, help="备份文件路径（默认：工作区 backups/）")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("restore", help="从备份文件恢复（先自动备份当前数据库）")
    add_workspace_arg(p)
    p.add_argument("file", type=Path, help="备份文件")
    p.set_defaults(func=_cmd_restore)

    from caseworker.commands import MODULES

    for name in MODULES:
        importlib.import_module(name).register(sub, add_workspace_arg)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # `--workspace` may stand before or after the sub-command.
    func: Callable[[argparse.Namespace], int] = getattr(args, "func", _cmd_gui)
    try:
        return func(args)
    except CaseworkerError as exc:
        print(f"caseworker: {exc}".replace("\n", " "), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("caseworker: 已取消", file=sys.stderr)
        return EXIT_REFUSED
