"""The command line: `caseworker [gui|demo|check|backup|restore|...] [--workspace DIR]`.

Exit code 0 on success, 2 on bad input or refusal with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import functools
import importlib
from pathlib import Path

from caseworker.clikit import ArgumentParser, command, emit_json, open_workspace, run
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
        type=_folder,
        default=None if top else argparse.SUPPRESS,
        help="工作区文件夹（默认：环境变量 CASEWORKER_WORKSPACE 或本机用户数据目录）",
    )


def _folder(text: str) -> Path:
    """A folder argument; an empty one would silently mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("不能为空")
    return Path(text)


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
        if args.json:
            emit_json(
                {
                    "office": report.office_name,
                    "communities": report.communities,
                    "counts": dict(report.counts),
                    "staff": [list(s) for s in report.staff],
                    "password": demo.DEMO_PASSWORD,
                    "workspace": ws.paths.root,
                }
            )
            return EXIT_OK
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
        if args.json:
            emit_json(
                {
                    "workspace": ws.paths.root,
                    "schema": HEAD,
                    "schema_status": ws.schema_status,
                    "device_id": ws.device_id,
                    "initialised": ws.is_initialised(),
                    "last_backup": last.path if last else None,
                    "problems": problems,
                    "ok": not problems,
                }
            )
        else:
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
            for p in problems:
                print(f"问题：{p}")  # stdout: stderr holds the refusal's one line
        if problems:
            raise Refused(f"完整性检查发现 {len(problems)} 个问题")
        if not args.json:
            print("完整性检查：通过")
    if getattr(args, "photo", None):
        print(_photo_check(args.photo))
    return EXIT_OK


def _photo_check(path: Path) -> str:
    """Import a photo into a throwaway store: proves this program reads its format (HEIC)."""
    import tempfile

    from db.photo_store import PhotoStore

    with tempfile.TemporaryDirectory() as tmp:
        stored = PhotoStore(Path(tmp)).import_file(path)
    return f"照片可以导入：{Path(path).name}（存为 {stored.width}×{stored.height} JPEG）"


def _cmd_backup(args: argparse.Namespace) -> int:
    if args.out is not None:
        from caseworker.outfile import check_out

        check_out(args.out, overwrite=False)  # a missing folder is not created silently
    with open_workspace(args) as ws:
        path = ws.backup("manual", out=args.out)
        if args.json:
            emit_json({"path": path, "size": path.stat().st_size})
            return EXIT_OK
        print(f"已备份到 {path}")
        warning = ws.space_warning()
        if warning:
            print(f"注意：{warning}")  # stdout: stderr is for a refusal's one line
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace) -> int:
    from caseworker.outfile import check_room, database_size
    from caseworker.sync import restored
    from caseworker.workspace import DB_NAME, default_root, restore

    root = args.workspace if args.workspace is not None else default_root()
    check_room(Path(root), database_size(Path(root) / DB_NAME), "恢复前的备份")
    kept = restore(root, args.file)
    # an enrolled office gets back from the district what reached it after the backup
    owed = restored.waiting_in(Path(root) / DB_NAME)
    if args.json:
        emit_json(
            {"restored_from": args.file, "previous_kept_at": kept, "district_round_trip": owed}
        )
        return EXIT_OK
    print(f"已从 {args.file} 恢复；原数据库已另存为 {kept}")
    if owed:
        print(
            "备份之后交给区里的数据会由区里补回：请导出数据包交区里导入，再导入区里发回的数据包。"
        )
    return EXIT_OK


def _cmd_compact(args: argparse.Namespace) -> int:
    from caseworker.compact import compact
    from caseworker.workspace import default_root

    root = args.workspace if args.workspace is not None else default_root()
    done = compact(Path(root), progress=None if args.json else print)
    if args.json:
        emit_json(
            {
                "before_bytes": done.before_bytes,
                "after_bytes": done.after_bytes,
                "packed_rows": done.packed_rows,
                "seconds": round(done.seconds, 1),
                "previous_kept_at": done.kept,
            }
        )
        return EXIT_OK
    mb = 1024 * 1024
    print(
        f"整理完成：{done.before_bytes / mb:.0f} MB → {done.after_bytes / mb:.0f} MB，"
        f"压缩了 {done.packed_rows} 条操作日志，用时 {done.seconds:.0f} 秒；"
        f"原数据库已另存为 {done.kept}"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="caseworker",
        description="街道民政工作台：老年人探访、适老化改造、儿童关爱（离线，U 盘同步）",
    )
    add_workspace_arg(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="命令")

    office = functools.partial(command, sub, first=add_workspace_arg)
    with office("gui", "打开工作台（默认）", _cmd_gui, json=False):
        pass  # the workspace only
    with office("demo", "生成演示数据（合成数据，非真实个人信息）", _cmd_demo) as p:
        p.add_argument("--residents", type=int, default=2000, help="老年人数量（默认 2000）")
        p.add_argument("--seed", type=int, default=1, help="随机种子：种子相同，数据相同")
    with office("check", "检查数据库完整性和版本", _cmd_check) as p:
        p.add_argument(
            "--photo", type=Path, default=None, help="再检查一张照片（JPEG/PNG/HEIC）能否导入"
        )
    with office("backup", "立即备份数据库", _cmd_backup) as p:
        p.add_argument(
            "--out", type=Path, default=None, help="备份文件路径（默认：工作区 backups/）"
        )
    with office("restore", "从备份文件恢复（先自动备份当前数据库）", _cmd_restore) as p:
        p.add_argument("file", type=Path, help="备份文件")
    compact = "整理数据库：压缩旧的操作日志，收回空闲空间（先自动备份）"
    with office("compact", compact, _cmd_compact):
        pass  # the workspace only

    from caseworker.commands import MODULES

    for name in MODULES:
        importlib.import_module(name).register(sub, add_workspace_arg)
    return parser


def _compose(func: object) -> None:
    """The composition root, once a command is chosen: load the services, which register what
    the layers below call by registry (the programmes' after-merge hooks for sync, the settings
    reader for the workspace's backup retention). Not while building the parser (`--help` stays
    light) and not for the GUI, which loads them behind its login window (ui.app)."""
    if func is not _cmd_gui:
        import caseworker.services  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    # `--workspace` may stand before or after the sub-command; no command opens the GUI. Every
    # failure is exit 2 and one Chinese line (caseworker.clikit).
    return run("caseworker", build_parser(), argv, default=_cmd_gui, compose=_compose)
