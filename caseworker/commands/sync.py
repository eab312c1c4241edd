"""`caseworker init --enrollment FILE` and `caseworker sync export|import|status|conflicts`."""

from __future__ import annotations

import argparse
import functools
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from caseworker.clikit import command, emit_json
from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import Actor

PASSPHRASE_ENV = "CASEWORKER_ENROLL_PASSPHRASE"
# The command line is run by the office's administrator at the PC itself.
CLI_ACTOR = Actor.system("sync-cli")


class Refused(CaseworkerError):
    pass


def _open(args: argparse.Namespace):  # -> Workspace
    from caseworker.workspace import Workspace

    return Workspace.open(args.workspace)


def room_for_backup(ws: Any, what: str) -> None:
    """Refuse before anything changes when the backups folder's disk cannot take a copy of the
    database (the backup a step takes first would fail half-way)."""
    from caseworker.outfile import check_room, database_size

    check_room(ws.paths.backups, database_size(ws.paths.db), what)


def _passphrase(args: argparse.Namespace) -> str:
    if args.passphrase:
        return args.passphrase
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    if sys.stdin.isatty():
        return getpass.getpass("登记口令（区里告诉您的）：")
    raise Refused(f"请用 --passphrase 或环境变量 {PASSPHRASE_ENV} 给出登记口令")


def _cmd_init(args: argparse.Namespace) -> int:
    from caseworker.sync import office

    if args.enrollment is None:
        raise Refused("请用 --enrollment 指定区里给的登记文件")
    with _open(args) as ws:
        result = office.enroll(ws, args.enrollment, _passphrase(args))
        if args.json:
            emit_json({**asdict(result), "workspace": ws.paths.root})
            return 0
        print(
            f"已登记：{result.office_name}（{result.office_code}），区级平台：{result.district_name}"
        )
        print(f"  收到记录：{result.records} 条")
        print(f"工作区：{ws.paths.root}")
    return 0


def _counts(title: str, counts: dict[str, int]) -> None:
    from caseworker.services.audit import TABLE_LABELS

    if counts:
        print(
            f"  {title}："
            + "，".join(f"{TABLE_LABELS.get(k, k)} {v}" for k, v in sorted(counts.items()))
        )


def _cmd_export(args: argparse.Namespace) -> int:
    from caseworker.sync import office

    with _open(args) as ws:
        status = office.clock_status(ws)
        if not status.ok:
            print(f"警告：{status.message}", file=sys.stderr)
        r = office.export_bundle(ws, CLI_ACTOR, args.out)
        if args.json:
            emit_json(asdict(r))
            return 0
        print(f"已导出数据包：{r.path}")
        print(f"  变更：{r.changes} 条")
        _counts("按数据表", r.counts)
        if r.photos or r.photos_waiting:
            print(
                f"  照片：{r.photos - r.originals} 张，扫描原件：{r.originals} 页"
                f"（共 {r.photo_bytes / 1e6:.1f} MB），下次再发：{r.photos_waiting} 个文件"
            )
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from caseworker.sync import office

    with _open(args) as ws:
        if not args.dry_run:
            room_for_backup(ws, "导入前的备份")
        r: Any = (
            office.preview_bundle(ws, CLI_ACTOR, args.file)
            if args.dry_run
            else office.import_bundle(ws, CLI_ACTOR, args.file)
        )
        if args.json:
            emit_json({**asdict(r), "dry_run": args.dry_run, "nothing_new": r.nothing_new})
            return 0
        verb = "预览（未做任何改动）" if args.dry_run else "已导入"
        print(
            f"{verb}：来自 {r.sender_name}，{r.created_at:%Y-%m-%d %H:%M} 生成，共 {r.changes} 条变更"
        )
        if r.nothing_new:
            print("  没有新内容" + ("（这个数据包已经导入过）" if r.already_imported else ""))
            return 0
        print(f"  新变更：{r.new_changes} 条，已有而跳过：{r.skipped} 条")
        _counts("新增", r.added)
        _counts("更新", r.updated)
        _counts("冲突（已记入冲突列表）", r.conflicts)
        if r.refused:
            print(f"  未采用（已记入冲突列表，可由科长处理）：{r.refused} 条")
            _counts("未采用的原因", _reasons(r.refused_reasons))
        if r.photos:
            print(f"  照片：{r.photos} 张，均已核对")
    return 0


def _reasons(by: dict[str, int]) -> dict[str, int]:
    """ "table:reason" counts as "表名（原因）" counts, for people."""
    from caseworker.services.audit import TABLE_LABELS
    from caseworker.sync.conflicts import REASONS

    out: dict[str, int] = {}
    for key, n in by.items():
        table, _, reason = key.partition(":")
        label = f"{TABLE_LABELS.get(table, table)}（{REASONS.get(reason, reason)}）"
        out[label] = out.get(label, 0) + n
    return out


def _cmd_status(args: argparse.Namespace) -> int:
    from caseworker.sync import office

    with _open(args) as ws:
        p = office.pending(ws, CLI_ACTOR)
        in_sync = p.in_sync
        restore = p.restore_waiting
        dups = office.duplicate_notices(ws, CLI_ACTOR)
        c = office.clock_status(ws)
        if args.json:
            emit_json(
                {
                    "pending": p.changes,
                    "by_table": p.by_table,
                    "oldest": p.oldest,
                    "unacknowledged_bundles": p.unacknowledged_bundles,
                    "in_sync": in_sync,
                    "restore_waiting": asdict(restore) if restore else None,
                    "clock_ok": c.ok,
                    "clock_message": c.message,
                    "duplicates": [asdict(d) for d in dups],
                    "recent": [asdict(b) for b in office.history(ws, CLI_ACTOR, limit=10)],
                }
            )
            return 0
        if in_sync:
            print("已同步，无待发：区里已确认收到本机的全部修改。")
        if restore is not None:
            print(
                f"本机于 {restore.restored_at:%Y-%m-%d %H:%M} 从备份 {restore.backup} 恢复，"
                "正在等待区里补回恢复后缺少的数据：请导出数据包交区里导入，再导入区里发回的数据包。"
            )
        print(f"等待区里确认的变更：{p.changes} 条；未确认的数据包：{p.unacknowledged_bundles} 个")
        _counts("按数据表", p.by_table)
        for b in office.history(ws, CLI_ACTOR, limit=10):
            kind = "发出" if b.direction == "sent" else "收到"
            ack = "，已确认" if b.acknowledged_at else ""
            print(f"  {b.recorded_at:%Y-%m-%d %H:%M} {kind} {b.peer_name} {b.changes} 条{ack}")
        for d in dups:
            print(f"  重复人员：本街道的一条记录也在“{d.other_office}”的台账上，待区里处理")
        print("时钟：正常" if c.ok else f"时钟：{c.message}")
    return 0


def _cmd_conflicts(args: argparse.Namespace) -> int:
    """The conflicts list holds values of every programme that lost a merge: listed for, and
    decided by, an account with that right (the same rules as the 数据同步 page), never the
    system actor."""
    from caseworker.commands.tabular import login_actor
    from caseworker.sync.conflicts import list_conflicts, resolve

    with _open(args) as ws:
        actor = login_actor(ws, args.user, "查看和处理同步冲突")
        for action, cid in (("keep", args.keep), ("reverse", args.reverse)):
            if cid is None:
                continue
            with ws.writer(actor) as s:
                done = resolve(s, actor, cid, action)
            if args.json:
                emit_json(asdict(done))
                return 0
            print(
                f"冲突 #{done.id} 已处理：{'保留现值' if action == 'keep' else '已恢复被覆盖的值'}"
            )
            return 0
        with ws.reader(actor) as s:
            rows = list_conflicts(s, actor, None if args.all else "open")
    if args.json:
        emit_json({"conflicts": [asdict(c) for c in rows]})
        return 0
    print(f"冲突：{len(rows)} 条")
    for c in rows:
        print(
            f"  #{c.id} {c.table_name}.{c.field or '*'} 保留 {c.kept_value!r}，"
            f"被覆盖 {c.lost_value!r}（{c.lost_actor}）— {c.reason_label} [{c.status}]"
        )
    return 0


def register(
    sub: argparse._SubParsersAction, add_workspace_arg: Callable[[argparse.ArgumentParser], None]
) -> None:
    with command(
        sub, "init", "用区里的登记文件登记本工作区", _cmd_init, first=add_workspace_arg
    ) as p:
        p.add_argument("--enrollment", type=Path, metavar="FILE", help="区里给的登记文件")
        p.add_argument("--passphrase", default=None, help="登记口令（也可用环境变量或交互输入）")

    p = sub.add_parser("sync", help="与区级平台交换数据包（U 盘）")
    add_workspace_arg(p)
    ss = p.add_subparsers(dest="sync_command", metavar="操作", required=True)
    step = functools.partial(command, ss, first=add_workspace_arg)
    with step("export", "导出发给区里的数据包", _cmd_export) as e:
        e.add_argument("--out", type=Path, required=True, help="数据包文件（或 U 盘上的文件夹）")
    with step("import", "导入区里发来的数据包", _cmd_import) as i:
        i.add_argument("file", type=Path)
        i.add_argument("--dry-run", action="store_true", help="只预览，不做任何改动")
    with step("status", "同步状态：等待确认的变更、最近的数据包", _cmd_status):
        pass  # the workspace only
    with step("conflicts", "冲突列表", _cmd_conflicts) as c:
        c.add_argument("--all", action="store_true", help="包括已处理的")
        g = c.add_mutually_exclusive_group()
        g.add_argument("--keep", type=int, metavar="ID", help="保留现值，关闭这条冲突")
        g.add_argument(
            "--reverse", type=int, metavar="ID", help="恢复被覆盖的值（作为新的修改同步）"
        )
        c.add_argument(
            "--user",
            required=False,
            help="以此账号查看或处理（须有同步或处理冲突的权限；密码取自环境变量 "
            "CASEWORKER_PASSWORD 或提示输入）",
        )
