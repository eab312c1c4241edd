"""`caseworker-district`: the district hub's command line (headless; SQLite or PostgreSQL).

Exit 0 on success, 2 with a one-line reason on refusal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caseworker.clikit import ArgumentParser, answer, command, emit_json, open_hub, run
from caseworker.domain.errors import CaseworkerError

if TYPE_CHECKING:
    from caseworker.district.hub import Hub

EXIT_OK = 0
EXIT_REFUSED = 2
_HAND_OVER = "请把登记文件和口令分开交给街道（口令当面或电话告知，不要写在 U 盘上）。"


def _cmd_gui(args: argparse.Namespace) -> int:
    # The console is found by name at run time: the headless hub never depends on Qt, and every
    # other command runs on a server without PySide6 (as `caseworker gui`).
    import importlib

    run_console = importlib.import_module("ui.district.app").run
    return int(run_console(args.home, args.db))


def _cmd_demo(args: argparse.Namespace) -> int:
    from caseworker.demo import DEMO_PASSWORD
    from caseworker.demo import district as demo_district

    home = args.home or Path("district-home")
    done = demo_district.build(home, residents=args.residents)
    if args.json:
        emit_json(
            {
                "home": str(done.home),
                "offices": done.offices,
                "ingested": done.ingested,
                "stick": str(done.stick),
                "conflicts": done.conflicts,
                "duplicates": done.duplicates,
                "accounts": [u for u, _n, _r in demo_district.ACCOUNTS],
                "password": DEMO_PASSWORD,
            }
        )
        return EXIT_OK
    print(f"演示区已生成：{done.home}（合成数据，非真实个人信息）")
    print(
        f"街道 {len(done.offices)} 个，已收件 {len(done.ingested)} 个；待收件的数据包在 {done.stick}"
    )
    print(f"冲突 {done.conflicts} 条，重复人员 {done.duplicates} 条待处理")
    print(
        "账号（密码均为 "
        + DEMO_PASSWORD
        + "）："
        + "，".join(f"{u}（{r.label}）" for u, _n, r in demo_district.ACCOUNTS)
    )
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from caseworker.district import service

    with open_hub(args) as hub:
        me = service.init(hub, args.name)
        return answer(
            args,
            {"name": me.name, "device_id": me.device_id},
            f"区级平台已初始化：{me.name}（设备 {me.device_id}）",
            f"数据库：{hub.engine.url.render_as_string(hide_password=True)}",
        )


def _cmd_office_add(args: argparse.Namespace) -> int:
    from caseworker.district import service

    communities = [c for c in (args.communities or "").replace("，", ",").split(",") if c.strip()]
    with open_hub(args) as hub:
        r = service.add_office(
            hub,
            code=args.code,
            name=args.name,
            communities=communities,
            out=args.out,
            existing=args.existing,
            passphrase=args.passphrase,
        )
    return answer(
        args,
        asdict(r),
        f"已登记街道：{r.name}（{r.code}），登记文件：{r.path}",
        f"登记口令：{r.passphrase}",
        _HAND_OVER,
    )


def _cmd_office_reissue(args: argparse.Namespace) -> int:
    from caseworker.district import service

    with open_hub(args) as hub:
        r = service.reissue_enrollment(
            hub, args.code, args.out, existing=args.existing, passphrase=args.passphrase
        )
    return answer(
        args,
        asdict(r),
        f"已重新签发 {r.name}（{r.code}）的登记文件：{r.path}",
        f"新的登记口令：{r.passphrase}",
        "原来的登记文件和口令已作废：用它登记的电脑发来的数据包不再导入。",
        _HAND_OVER,
    )


def _cmd_device(args: argparse.Namespace) -> int:
    from caseworker.district import console, service

    with open_hub(args) as hub:
        if args.device_command in ("add", "retire"):
            change = service.add_device if args.device_command == "add" else service.retire_device
            done = change(hub, args.office, args.device)
            return answer(
                args, asdict(done), f"街道 {done.office} 的设备 {done.device_id}：{done.state}"
            )
        entries = console.office_list(hub, service.DISTRICT)
    if args.office:
        entries = [e for e in entries if e.code == args.office.strip()]
        if not entries:
            raise CaseworkerError(f"没有登记代码为 {args.office.strip()} 的街道。")
    if args.json:
        emit_json(
            {
                "offices": [
                    {"code": e.code, "devices": [asdict(d) for d in e.devices]} for e in entries
                ]
            }
        )
        return EXIT_OK
    for e in entries:
        print(f"{e.code} {e.name}")
        for d in e.devices:
            print(f"  {d.device_id}  {d.state}")
    return EXIT_OK


def _cmd_ingest(args: argparse.Namespace) -> int:
    from caseworker.district import service

    with open_hub(args) as hub:
        if hub.sqlite_file is not None:
            from caseworker.outfile import check_room, database_size

            check_room(hub.home, database_size(hub.sqlite_file), "导入前的备份")
        results = service.ingest(hub, args.files)
        if args.json:
            emit_json({"bundles": [asdict(r) for r in results]})
        for r in [] if args.json else results:
            if r.refused:
                print(f"{r.path.name}：未导入 — {r.refused}")
                continue
            if r.already:
                print(f"{r.path.name}：{r.office}，已导入过，没有新内容")
                continue
            print(
                f"{r.path.name}：{r.office}，{r.changes} 条变更，新 {r.applied} 条，"
                f"跳过 {r.skipped} 条，冲突 {r.conflicts} 条"
                + (f"，未采用 {r.refused_changes} 条（见冲突列表）" if r.refused_changes else "")
                + (f"，照片 {r.photos} 张" if r.photos else "")
            )
    refused = [r for r in results if r.refused]
    if refused:
        raise CaseworkerError(
            f"{len(refused)} 个数据包未导入（见上面的原因），其余 {len(results) - len(refused)} 个已处理"
        )
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from caseworker.district import service

    with open_hub(args) as hub:
        r = service.export_for(hub, args.office, args.out)
    photos = f"另附照片 {r.photos} 张；还有 {r.photos_waiting} 张下次发送"
    return answer(
        args,
        asdict(r),
        f"已导出发给 {args.office} 的数据包：{r.path}（{r.changes} 条变更）",
        *([photos] if r.photos or r.photos_waiting else []),
    )


def _cmd_transfer(args: argparse.Namespace) -> int:
    from caseworker.district import transfer

    if bool(args.person) == bool(args.table or args.id):
        raise CaseworkerError(
            "请给出 --person 身份证号，或者 --table 表名 加 --id 记录编号（二选一）"
        )
    if bool(args.table) != bool(args.id):
        raise CaseworkerError("--table 和 --id 要一起给出")
    with open_hub(args) as hub:
        if args.person:
            done = transfer.transfer_person(
                hub, args.person, args.to, args.community, dry_run=args.dry_run, reason=args.reason
            )
        else:
            done = transfer.transfer_record(
                hub, args.table, args.id, args.to, args.community, dry_run=args.dry_run
            )
    if args.json:
        emit_json(transfer.summary(done))  # counts per table, not every record moved
        return EXIT_OK
    for line in transfer.describe(done):
        print(line)
    if done.dry_run:
        print("（预览，没有做任何改动；去掉 --dry-run 执行转移）")
    else:
        print("将随下一个数据包发给转入和转出的街道。")
    return EXIT_OK


def _cmd_correct(args: argparse.Namespace) -> int:
    from caseworker.district import service

    values: dict[str, str] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise CaseworkerError(f"--set 应写成 字段=值，收到“{item}”")
        values[key.strip()] = value
    with open_hub(args) as hub:
        stored = service.correct(hub, args.table, args.id, values)
    return answer(
        args,
        {"table": args.table, "id": args.id, "stored": stored},
        "已更正：" + "，".join(f"{k} = {v!r}" for k, v in stored.items()),
        "更正将随下一个数据包发给该记录所属的街道。",
    )


def _shown(value: object) -> str:
    """A setting's value as it is typed: a yes/no setting as 是 or 否."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _effective(args: argparse.Namespace):  # -> date | None
    from caseworker.services import dated

    return dated.parse_day(args.effective) if args.effective else None


def _cmd_settings(args: argparse.Namespace) -> int:
    from caseworker.domain.roles import Actor
    from caseworker.services import settings

    actor = Actor.system("district")
    effective = _effective(args)
    if args.cancel and effective is None:
        raise CaseworkerError(
            "--cancel 要和 --effective YYYY-MM-DD（要取消的修改的生效日期）一起给出"
        )
    if args.cancel and args.set:
        raise CaseworkerError("--cancel 和 --set 不能一起用")
    with open_hub(args) as hub:
        for item in args.set:
            key, sep, value = item.partition("=")
            if not sep:
                raise CaseworkerError(f"--set 应写成 参数=值，收到“{item}”")
            with hub.writer(actor) as s:
                try:
                    stored = settings.set_value(s, actor, key.strip(), value, effective=effective)
                except KeyError as exc:
                    raise CaseworkerError(str(exc.args[0])) from None
            if not args.json:
                when = f"自 {effective.isoformat()} 起" if effective else "即日起"
                print(
                    f"已设置：{key.strip()} = {_shown(stored)}，{when}生效（随下一个数据包发给各街道）"
                )
        if args.cancel:
            with hub.writer(actor) as s:
                try:
                    gone = settings.cancel_pending(s, actor, args.cancel.strip(), effective)
                except KeyError as exc:
                    raise CaseworkerError(str(exc.args[0])) from None
            if not args.json:
                print(f"已取消：{gone.key} 自 {gone.effective_from.isoformat()} 起的修改")
        with hub.reader() as s:
            rows = settings.get_all(s)
            waiting = settings.pending(s)
    if args.json:
        emit_json({"settings": [asdict(r) for r in rows], "pending": [asdict(p) for p in waiting]})
        return EXIT_OK
    for r in rows:
        mark = "" if r.value == r.default else f"（默认 {_shown(r.default)}）"
        print(f"  {r.key:<32} {r.label}：{_shown(r.value)}{r.unit}{mark}")
    if waiting:
        print("待生效的修改：")
    for p in waiting:
        print(
            f"  {p.effective_from.isoformat()} 起 {p.key} {p.label}：{_shown(p.value)}{p.unit}"
            f"（{p.changed_by or '—'} 设）"
        )
    return EXIT_OK


def _cmd_status(args: argparse.Namespace) -> int:
    from caseworker.district import service

    with open_hub(args) as hub:
        rows = service.status(hub)
    if args.json:
        emit_json(
            {
                "offices": [
                    {**asdict(s), "in_sync": not s.pending and not s.unacknowledged} for s in rows
                ]
            }
        )
        return EXIT_OK
    print(f"街道：{len(rows)} 个")
    for s in rows:
        last_in = f"{s.last_received:%Y-%m-%d %H:%M}" if s.last_received else "从未"
        state = (
            "已同步，无待发"
            if not s.pending and not s.unacknowledged
            else f"待发 {s.pending} 条，未确认数据包 {s.unacknowledged} 个"
        )
        print(f"  {s.code} {s.name}：最近收到 {last_in}，{state}，冲突 {s.conflicts} 条")
    return EXIT_OK


def _cmd_children(args: argparse.Namespace) -> int:
    from caseworker.services.children.worklists import office_figures

    with open_hub(args) as hub, hub.reader() as session:
        rows = office_figures(session)
    if args.json:
        emit_json({"offices": [asdict(r) for r in rows]})
        return EXIT_OK
    print(f"儿童关爱（仅统计数字）：{len(rows)} 个街道")
    for r in rows:
        cats = "，".join(f"{k} {v}" for k, v in r.by_category.items())
        risks = "，".join(f"{k}风险 {v}" for k, v in r.open_by_risk.items())
        print(
            f"  {r.office_code} {r.office_name}：在册儿童 {r.children} 名（{cats}）；"
            f"在办个案 {r.open_cases} 件，紧急 {r.urgent_open} 件（{risks}）"
        )
    return EXIT_OK


def _cmd_children_recover(args: argparse.Namespace) -> int:
    from caseworker.services.children.recovery import write_recovery_file
    from caseworker.sync.identity import load_identity

    with open_hub(args) as hub, hub.reader() as session:
        me = load_identity(session.connection(), hub.key_file)
        r = write_recovery_file(session, me, args.office, args.out)
    return answer(
        args,
        {"office": r.office_code, "path": r.path},
        f"已生成 {r.office_name}（{r.office_code}）的儿童档案密钥恢复文件：{r.path}",
        "只有该街道的电脑能打开它。请由街道的系统管理员用 caseworker children recover 导入。",
    )


def _resolve_or_page(
    args: argparse.Namespace,
    actions: tuple[tuple[str, int | None], ...],
    resolve: Callable[[Hub, int, str], Any],
    resolved: Callable[[Any, str], str],
    page: Callable[[Hub, int | None], tuple[list[Any], int]],
    *,
    key: str,
    title: str,
    line: Callable[[Any], str],
    order: str = "",
    hint: str = "",
) -> int:
    """A hub list the clerk works through from the command line (`conflicts`, `duplicates`):
    one of `actions` given (name, record id) settles that record; otherwise a page of the list
    (--limit 0: all of it, --offset: from where), never a district's thousands at once."""
    with open_hub(args) as hub:
        for action, rid in actions:
            if rid is not None:
                done = resolve(hub, rid, action)
                return answer(args, asdict(done), resolved(done, action))
        rows, total = page(hub, None if args.limit == 0 else args.limit)
    if args.json:
        emit_json({"total": total, key: [asdict(r) for r in rows]})
        return EXIT_OK
    shown = f"（显示第 {args.offset + 1}–{args.offset + len(rows)} 条{order}）" if rows else ""
    print(f"{title}：{total} 条{shown}")
    for r in rows:
        print(f"  {line(r)}")
    if rows and hint and not args.all:
        print(hint)
    return EXIT_OK


def _cmd_conflicts(args: argparse.Namespace) -> int:
    from caseworker.district import service

    status = None if args.all else "open"

    def page(hub: Hub, limit: int | None) -> tuple[list[Any], int]:
        rows = service.conflicts(hub, status, limit=limit, offset=args.offset)
        return rows, service.conflict_count(hub, status)

    return _resolve_or_page(
        args,
        (("keep", args.keep), ("reverse", args.reverse)),
        service.resolve_conflict,
        lambda done, action: (
            f"冲突 #{done.id} 已处理：{'保留现值' if action == 'keep' else '已恢复被覆盖的值'}"
        ),
        page,
        key="conflicts",
        title="冲突",
        order="，最新的在前",
        line=lambda c: (
            f"#{c.id} {c.table_name}.{c.field or '*'} 保留 {c.kept_value!r}，被覆盖 {c.lost_value!r}"
            f"（{c.source or '?'} {c.lost_actor}）— {c.reason_label} [{c.status}]"
        ),
    )


def _cmd_duplicates(args: argparse.Namespace) -> int:
    from caseworker.district import duplicates

    def page(hub: Hub, limit: int | None) -> tuple[list[Any], int]:
        open_only = not args.all
        rows = duplicates.list_cases(hub, open_only=open_only, offset=args.offset, limit=limit)
        return rows, duplicates.count_cases(hub, open_only=open_only)

    return _resolve_or_page(
        args,
        (("earlier", args.keep_earlier), ("later", args.keep_later)),
        duplicates.resolve,
        lambda done, keep: (
            f"重复人员 #{done.id} 已处理：保留 "
            f"{done.earlier_office if keep == 'earlier' else done.later_office} "
            "的记录，另一条已注销（随数据包通知两个街道）"
        ),
        page,
        key="duplicates",
        title="重复人员（同一身份证号在两个街道的台账上）",
        line=lambda r: (
            f"#{r.id} {r.name} {r.id_number_masked}：先登记于 {r.earlier_office}，"
            f"后登记于 {r.later_office} [{r.status}]"
        ),
        hint="处理：--keep-earlier ID 保留先登记的记录，--keep-later ID 保留后登记的记录",
    )


def _count_arg(text: str) -> int:
    """--limit/--offset: a whole number, 0 or more (a usage error in Chinese otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为 0 或更大的整数，收到“{text}”") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"应为 0 或更大的整数，收到“{text}”")
    return value


def _enrollment_args(p: argparse.ArgumentParser, existing: str) -> None:
    """What a new enrollment file is made with (`office add`, `office reissue`)."""
    p.add_argument("--existing", action="store_true", help=existing)
    p.add_argument("--passphrase", default=None, help="登记口令（默认随机生成）")
    p.add_argument("--out", type=Path, required=True)


def _paging_args(p: argparse.ArgumentParser, offset: str) -> None:
    """A page of a hub list (`conflicts`, `duplicates`): whole numbers, 0 or more."""
    p.add_argument("--all", action="store_true", help="包括已处理的")
    p.add_argument(
        "--limit",
        type=_count_arg,
        default=200,
        metavar="N",
        help="最多列出 N 条（默认 200；0 为全部）",
    )
    p.add_argument("--offset", type=_count_arg, default=0, metavar="N", help=offset)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="caseworker-district", description="区级民政数据平台")
    parser.add_argument("--home", type=Path, default=None, help="平台文件夹（密钥、默认数据库）")
    parser.add_argument("--db", default=None, help="数据库 URL，例如 postgresql://user@host/db")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    sub.add_parser("gui", help="打开区级平台的窗口（不写命令时默认）").set_defaults(func=_cmd_gui)
    demo = "生成演示区（合成数据：几个街道、已导入的数据包、冲突和重复人员）"
    with command(sub, "demo", demo, _cmd_demo) as p:
        p.add_argument("--residents", type=int, default=120, help="每个街道的老人数（默认 120）")
    with command(sub, "init", "初始化区级平台（生成密钥）", _cmd_init) as p:
        p.add_argument("--name", required=True, help="区民政局名称")

    office = sub.add_parser("office", help="街道登记")
    osub = office.add_subparsers(dest="office_command", metavar="操作", required=True)
    with command(osub, "add", "登记一个街道，写出它的登记文件", _cmd_office_add) as p:
        p.add_argument("--code", required=True)
        p.add_argument("--name", required=True)
        p.add_argument("--communities", default="", help="社区/村名称，用逗号分隔")
        _enrollment_args(p, "街道已经在用工作台、已有数据")
    reissue = "重新签发一个已登记街道的登记文件和口令（原来的作废）"
    with command(osub, "reissue", reissue, _cmd_office_reissue) as p:
        p.add_argument("--code", required=True)
        _enrollment_args(p, "接收的电脑上已有本街道的数据")

    device = sub.add_parser("device", help="街道的设备：列出、添加、停用")
    dsub = device.add_subparsers(dest="device_command", metavar="操作", required=True)
    with command(dsub, "list", "各街道的设备", _cmd_device) as p:
        p.add_argument("--office", default=None, metavar="CODE", help="只列这个街道")
    for name, text in (
        ("add", "把一台电脑的设备编号登记给街道，或恢复区里停用的设备"),
        ("retire", "停用街道的一台设备：它以后写的数据包不再导入"),
    ):
        with command(dsub, name, text, _cmd_device) as p:
            p.add_argument("--office", required=True, metavar="CODE", help="街道代码")
            p.add_argument(
                "--device", required=True, metavar="编号", help="设备编号（停用时可只写前 8 位）"
            )

    with command(sub, "ingest", "导入街道发来的数据包", _cmd_ingest) as p:
        p.add_argument("files", type=Path, nargs="+")
    with command(sub, "export", "导出发给一个街道的数据包", _cmd_export) as p:
        p.add_argument("--office", required=True, help="街道代码")
        p.add_argument("--out", type=Path, required=True)

    transfer = "把迁居的人员（老人、改造户、儿童，按身份证号）连同其全部记录转到另一个街道"
    with command(sub, "transfer", transfer, _cmd_transfer) as p:
        p.add_argument(
            "--person", default=None, metavar="身份证号", help="要转移的人员（各项目一起）"
        )
        p.add_argument("--table", default=None, help="或：只转移这张表的一条记录（连同下属记录）")
        p.add_argument("--id", default=None, help="与 --table 一起：记录编号")
        p.add_argument("--to", required=True, help="转入街道代码")
        p.add_argument("--community", default=None, help="转入的社区或村")
        p.add_argument(
            "--reason", default="", help="转移原因（与 --person 一起，记入区级转移记录）"
        )
        p.add_argument("--dry-run", action="store_true", help="只预览会转移什么，不做改动")

    with command(sub, "correct", "更正一条记录的字段（随数据包发给所属街道）", _cmd_correct) as p:
        p.add_argument("--table", required=True)
        p.add_argument("--id", required=True)
        p.add_argument("--set", action="append", default=[], metavar="字段=值", required=True)

    with command(sub, "settings", "全区参数（探访间隔等）；--set 参数=值 修改", _cmd_settings) as p:
        p.add_argument("--set", action="append", default=[], metavar="参数=值")
        p.add_argument(
            "--effective",
            default=None,
            metavar="YYYY-MM-DD",
            help="生效日期（默认今天，不能早于今天）",
        )
        p.add_argument(
            "--cancel",
            default=None,
            metavar="参数",
            help="取消该参数在 --effective 那天的待生效修改",
        )

    with command(sub, "status", "各街道的同步状态", _cmd_status):
        pass  # no options of its own

    children = "各街道儿童关爱统计（只有数字）；recover 恢复街道密钥"
    with command(sub, "children", children, _cmd_children) as p:
        csub = p.add_subparsers(dest="children_command", metavar="操作")
    recover = "为丢失全部儿童岗位密码的街道生成密钥恢复文件"
    with command(csub, "recover", recover, _cmd_children_recover) as p:
        p.add_argument("--office", required=True, metavar="CODE", help="街道代码")
        p.add_argument("--out", type=Path, required=True, help="恢复文件（或 U 盘上的文件夹）")

    with command(sub, "conflicts", "冲突列表；--keep/--reverse 处理一条", _cmd_conflicts) as p:
        _paging_args(p, "跳过最新的 N 条")
        g = p.add_mutually_exclusive_group()
        g.add_argument("--keep", type=int, metavar="ID", help="保留现值，关闭这条冲突")
        g.add_argument(
            "--reverse", type=int, metavar="ID", help="恢复被覆盖的值（作为新的修改同步出去）"
        )
    duplicates = "重复人员（同一身份证号在两个街道）；处理一条"
    with command(sub, "duplicates", duplicates, _cmd_duplicates) as p:
        _paging_args(p, "跳过最早发现的 N 条")
        g = p.add_mutually_exclusive_group()
        g.add_argument("--keep-earlier", type=int, metavar="ID", help="保留先登记的记录")
        g.add_argument("--keep-later", type=int, metavar="ID", help="保留后登记的记录")
    from caseworker.district.report import register as register_report

    register_report(sub)
    from caseworker.district import catalogue as retrofit_catalogue

    retrofit_catalogue.register(sub)
    from caseworker.district import retrofit_figures

    retrofit_figures.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Every failure is exit 2 and one Chinese line (caseworker.clikit).
    return run("caseworker-district", build_parser(), argv, default=_cmd_gui)


if __name__ == "__main__":
    sys.exit(main())
