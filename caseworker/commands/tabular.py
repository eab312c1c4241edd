"""`caseworker import roster|children|retrofit FILE`, `caseworker export LIST --out F.xlsx`:
the programmes' 台账 in, lists out."""

from __future__ import annotations

import argparse
import getpass
import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import Actor

EXIT_OK = 0
PROGRAMMES = ("elderly",)  # retrofit and children add theirs as they land


class _Refused(CaseworkerError):
    pass


def _cmd_import_roster(args: argparse.Namespace) -> int:
    from caseworker.services.elderly import roster_import as ri

    return _run_import(args, ri, ri.ELDERLY, "人")


def _cmd_import_children(args: argparse.Namespace) -> int:
    """The child register: a child-protection account only (--user), and logged per child."""
    from caseworker.services.children import register_import

    return _run_import(args, register_import, register_import.SPEC, "名儿童", child=True)


def _cmd_import_retrofit(args: argparse.Namespace) -> int:
    from caseworker.services.retrofit import case_import

    return _run_import(args, case_import, case_import.SPEC, "户")


def _run_import(  # noqa: C901
    args: argparse.Namespace, importer: Any, spec: Any, unit: str, *, child: bool = False
) -> int:
    """One import command for every programme: the same preview, row report, backup and
    all-or-nothing apply (each importer has `preview`, `apply_file`, `save_report`)."""
    from caseworker.clikit import open_workspace
    from caseworker.services.elderly import roster_import as ri

    if args.report is not None:  # checked before anything is imported
        from caseworker.outfile import check_out

        check_out(args.report, (".xlsx",))
    pairs: dict[str, str] = {}
    for given in args.community or []:
        text, sep, name = given.partition("=")
        if not sep or not text.strip() or not name.strip():
            raise _Refused(f"--community 应写成“文件中的名称=本街道的社区/村”：{given}")
        pairs[text.strip()] = name.strip()
    with open_workspace(args) as ws:
        actor = _actor(ws, args)
        if child and actor.role is None:
            raise _Refused("儿童台账是保密的，须用儿童督导员或儿童主任的账号导入：--user 用户名")
        with ws.reader() as session:
            chosen = (
                ri.community_choices(session, actor, pairs, check=importer.can_edit)
                if pairs
                else {}
            )
        options = ri.ImportOptions(policy=ri.ExistingPolicy(args.existing), communities=chosen)
        if args.dry_run:
            with ws.reader() as session:
                p = importer.preview(session, actor, args.file, options)
            result = ri.ImportResult(p, 0, 0)
        else:
            from caseworker.commands.sync import room_for_backup

            room_for_backup(ws, "导入前的备份")
            result = importer.apply_file(ws, actor, args.file, options)
    p = result.preview
    if not any(s.header_row for s in p.sheets):
        raise _Refused(f"{p.file_name} 中没有找到表头（姓名、身份证号等），未导入任何内容。")
    if args.report is not None:
        importer.save_report(p, args.report)
    if args.json:
        print(json.dumps(_as_json(result, args.dry_run), ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"文件：{p.file_name}（{p.kind}{'，' + p.encoding if p.encoding else ''}）")
    for s in p.sheets:
        where = f"表头在第 {s.header_row} 行，{s.rows} 行数据" if s.header_row else ""
        print(f"  工作表“{s.name}”：{where}{'；' if where and s.note else ''}{s.note}")
        cols = [f"{c.label}→{spec.label_of(c.field)}" for c in s.columns if c.field]
        if cols:
            print(f"    列：{'，'.join(cols)}")
    print(f"结果：{p.summary()}")
    for r in p.rows:
        if r.status in (ri.RowStatus.REJECTED, ri.RowStatus.DUPLICATE):
            print(f"  {r.sheet} 第 {r.row} 行 {r.name}：{r.status.value}，{r.reason}")
        elif r.changes and r.status is not ri.RowStatus.SAME:
            diff = "；".join(f"{c.label} {c.old or '（空）'} → {c.new}" for c in r.changes)
            print(f"  {r.sheet} 第 {r.row} 行 {r.name}：{r.status.value}，{diff}")
        if r.warnings and r.status in (ri.RowStatus.NEW, ri.RowStatus.UPDATE):
            print(f"  {r.sheet} 第 {r.row} 行 {r.name}：提示：{'；'.join(r.warnings)}")
    if p.unknown_communities:
        names = "、".join(f"“{n}”（{k} 行）" for n, k in p.unknown_communities)
        print(
            f"这些社区名不是本街道的社区/村：{names}。"
            "可用 --community 名称=社区 指定各对应哪个社区/村，再导入一次。"
        )
    if args.dry_run:
        print(
            f"预览（未写入）：将新增 {p.counts[ri.RowStatus.NEW]} {unit}，"
            f"更新 {p.counts[ri.RowStatus.UPDATE]} {unit}"
        )
    else:
        print(result.message())
        if result.backup is not None:
            print(f"导入前已备份：{result.backup}")
    if args.report is not None:
        print(f"导入报告已保存：{args.report}")
    return EXIT_OK


def _as_json(result: Any, dry_run: bool) -> dict[str, Any]:
    p = result.preview
    return {
        "file": p.file_name,
        "kind": p.kind,
        "encoding": p.encoding,
        "dry_run": dry_run,
        "created": result.created,
        "updated": result.updated,
        "counts": {s.value: n for s, n in p.counts.items()},
        "unknown_communities": dict(p.unknown_communities),
        "sheets": [
            {
                "name": s.name,
                "header_row": s.header_row,
                "rows": s.rows,
                "note": s.note,
                "columns": {c.label: c.field for c in s.columns},
            }
            for s in p.sheets
        ],
        "rows": [
            {
                "sheet": r.sheet,
                "row": r.row,
                "status": r.status.value,
                "reason": r.reason,
                "name": r.name,
                "id_number": r.id_number,
                "community": r.community_name,
                "changes": [[c.label, c.old, c.new] for c in r.changes],
                "warnings": list(r.warnings),
            }
            for r in p.rows
            if r.reason != "空行"
        ],
    }


def _month(text: str | None) -> date | None:
    from caseworker.clikit import typed
    from caseworker.domain.schedule import parse_month

    return typed(text, parse_month)


def _day(text: str | None) -> date | None:
    from caseworker.clikit import typed
    from caseworker.domain.dates import parse_date

    return typed(text, parse_date)


PASSWORD_ENV = "CASEWORKER_PASSWORD"


def _actor(ws: Any, args: argparse.Namespace) -> Actor:
    """The system actor, or with `--user` that account after its password (from the
    CASEWORKER_PASSWORD environment variable, else asked): its rights then apply."""
    if not getattr(args, "user", None):
        return Actor.system("cli")
    return login_actor(ws, args.user)


def login_actor(ws: Any, user: str | None, needed: str = "") -> Actor:
    """The account `user` after its password (CASEWORKER_PASSWORD, else asked), as a login: a
    wrong password counts towards the lockout like the login window's. `needed` says why a
    command that reads or changes what only some accounts may is refused without `--user`."""
    from caseworker.services import accounts

    if not user:
        raise _Refused(f"{needed}，须用有此权限的账号：--user 用户名（密码取自 {PASSWORD_ENV}）")
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        try:
            password = getpass.getpass(f"{user} 的密码：")
        except EOFError:
            raise _Refused(f"没有输入 {user} 的密码（可用环境变量 {PASSWORD_ENV}）") from None
    with ws.writer(Actor.system("login")) as session:
        result = accounts.authenticate(session, user, password)
    if result.actor is None:
        raise _Refused(result.message)
    return result.actor


# Lists that are not the system actor's to export from the command line: who changed what (the
# audit trail) and values that lost a merge are for accounts with that right, like child lists.
SIGNED_IN_LISTS = {"audit": "导出操作日志", "conflicts": "导出同步冲突列表"}


def _cmd_export(args: argparse.Namespace) -> int:
    from caseworker.clikit import open_workspace
    from caseworker.services import exports

    if args.list not in exports.LISTS:
        raise _Refused(f"没有名为“{args.list}”的列表。可导出：{'、'.join(exports.LISTS)}")
    spec = exports.LISTS[args.list]
    with open_workspace(args) as ws:
        if args.list in SIGNED_IN_LISTS:
            actor = login_actor(ws, args.user, SIGNED_IN_LISTS[args.list])
        else:
            actor = _actor(ws, args)
        if spec.logged and actor.role is None:
            raise _Refused(
                "儿童关爱名单是保密的，须用儿童督导员或儿童主任的账号导出：--user 用户名"
            )
        with ws.reader() as session:
            flt = _export_filter(session, args)
        if spec.logged:  # a child list is a view: logged per child, in one transaction
            with ws.writer(actor) as session:
                result = exports.export(session, actor, args.list, args.out, flt)
        else:
            with ws.reader() as session:
                result = exports.export(session, actor, args.list, args.out, flt)
    if args.json:
        from caseworker.commands.sync import emit_json

        emit_json(
            {"list": args.list, "title": result.title, "rows": result.rows, "path": result.path}
        )
        return EXIT_OK
    print(f"已导出“{result.title}” {result.rows} 行：{result.path}")
    return EXIT_OK


def _export_filter(session: Any, args: argparse.Namespace) -> Any:
    from caseworker.commands.elderly_print import _community_id
    from caseworker.domain.children import ChildCategory
    from caseworker.domain.elderly import Category, Status, Tier
    from caseworker.domain.retrofit import HouseholdCategory, Step
    from caseworker.services import exports
    from caseworker.services.audit import AuditFilter
    from caseworker.services.children.search import ChildQuery
    from caseworker.services.elderly.search import RosterQuery
    from caseworker.services.retrofit.search import CaseQuery

    def choice(kind: Callable[[str], Any], text: str | None, label: str) -> Any:
        if text is None:
            return None
        try:
            return kind(text)
        except ValueError:
            raise _Refused(f"{label}“{text}”不存在") from None

    programme = args.list.split("-", 1)[0]
    cid = _community_id(session, args.community)
    words = [w for w in (args.community, args.text, args.tier, args.category, args.status) if w]
    if args.year:
        words.append(f"{args.year}年申请")
    return exports.ExportFilter(
        roster=RosterQuery(
            text=args.text or "",
            community_id=cid,
            tier=choice(Tier, args.tier, "探访等级"),
            category=choice(Category, args.category, "类别") if programme == "elderly" else None,
            status=choice(Status, args.status, "状态") if programme == "elderly" else None,
            overdue_only=args.overdue,
        ),
        audit=AuditFilter(date_from=_day(args.date_from), date_to=_day(args.date_to)),
        community_id=cid,
        retrofit=CaseQuery(
            text=args.text or "",
            community_id=cid,
            step=choice(Step, args.status, "环节") if programme == "retrofit" else None,
            category=choice(HouseholdCategory, args.category, "类别")
            if programme == "retrofit"
            else None,
            year=_year(args.year),
        ),
        children=ChildQuery(
            text=args.text or "",
            community_id=cid,
            category=choice(ChildCategory, args.category, "类别")
            if programme == "children"
            else None,
            open_case_only=args.open_only,
        ),
        month=_month(args.month),
        date_from=_day(args.date_from),
        date_to=_day(args.date_to),
        description="，".join(words),
    )


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    if not (text.isdigit() and len(text) == 4):
        raise _Refused(f"年份应为四位数字，例如 2026：{text}")
    return int(text)


def _period(args: argparse.Namespace) -> Any:
    from caseworker.domain import periods

    given = [t for t in (args.month, args.quarter, args.year) if t]
    if len(given) > 1:
        raise _Refused("--month、--quarter、--year 只能选一个")
    try:
        if args.quarter:
            return periods.parse(args.quarter)
        if args.year:
            return periods.parse(args.year)
        if args.month:
            return periods.parse(args.month)
    except ValueError as exc:
        raise _Refused(str(exc)) from None
    return periods.month(date.today())


def _cmd_report(args: argparse.Namespace) -> int:
    from caseworker.clikit import open_workspace
    from caseworker.outfile import check_out
    from caseworker.services import reports

    out = check_out(args.out, (".pdf", ".xlsx"))
    period = _period(args)
    with open_workspace(args) as ws:
        actor = _actor(ws, args)
        with ws.reader() as session:
            report = reports.build(session, actor, period)
    return write_report(report, out, args.json)


def write_report(report: Any, out: Path, as_json: bool) -> int:
    """Write 统计报表 to `out` (PDF or Excel by its suffix) and say so: its headline figures
    as text, or as one JSON object with --json. The office's `report` and the district's."""
    if out.suffix.lower() == ".pdf":
        from caseworker.printing.report_pdf import write_pdf

        write_pdf(report, out)
    else:
        from caseworker.services.reports.output import write_xlsx

        write_xlsx(report, out)
    if as_json:
        from caseworker.commands.sync import emit_json

        emit_json(report_json(report, out))
        return EXIT_OK
    print(f"已生成{report.title}：{out}")
    for section in report.sections:
        print(f"  {section.title}：" + "，".join(f"{k} {v}" for k, v in section.headline))
    return EXIT_OK


def report_json(report: Any, out: Path) -> dict[str, Any]:
    """统计报表's headline figures as one object (for --json)."""
    return {
        "title": report.title,
        "path": out,
        "sections": [
            {"title": s.title, "headline": {str(k): v for k, v in s.headline}}
            for s in report.sections
        ],
    }


class _ListNames(str):
    """The `list` argument's help, naming the lists only when help is shown: the registry
    imports every service (SQLAlchemy and the models, about a second cold), and every command,
    `caseworker gui` first, builds this parser before it starts."""

    def __mod__(self, params: object) -> str:
        from caseworker.services.exports import LISTS

        return "列表：" + "、".join(LISTS)


def _import_options(q: argparse.ArgumentParser, existing: str) -> None:
    """What every `import` takes: a dry run, the row report, JSON, what to do with records
    already there (`existing` names them), and the file's community names mapped."""
    q.add_argument("--dry-run", action="store_true", help="只预览，不写入")
    q.add_argument("--report", type=Path, help="把逐行报告保存为 .xlsx（未导入的行标红）")
    q.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    q.add_argument(
        "--existing",
        choices=("update", "skip", "mark"),
        default="update",
        help=f"{existing}：update 更新（默认）、skip 跳过、mark 不改只标出差异",
    )
    q.add_argument(
        "--community",
        action="append",
        metavar="名称=社区",
        help="文件里的社区名（工作表名或“社区”一栏）对应本街道的哪个社区/村，可写多次",
    )


def register(subparsers: Any, add_workspace_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = subparsers.add_parser("import", help="导入 Excel 台账")
    sub = p.add_subparsers(dest="import_command", metavar="内容", required=True)
    q = sub.add_parser("roster", help="导入台账（.xlsx / .xls / .csv），先预览，全部成功或全部不写")
    add_workspace_arg(q)
    q.add_argument("file", type=Path, help="台账文件")
    q.add_argument("--programme", choices=PROGRAMMES, default="elderly", help="哪个项目的台账")
    _import_options(q, "已在台账的人")
    q.set_defaults(func=_cmd_import_roster)
    for name, func, what, extra in (
        (
            "children",
            _cmd_import_children,
            "导入儿童台账（儿童、父母和监护人、情形与证明、类别）；须 --user 儿童督导员或儿童主任",
            "（必需）",
        ),
        (
            "retrofit",
            _cmd_import_retrofit,
            "导入适老化改造台账（申请和以往年度已完成的户及金额）",
            "",
        ),
    ):
        q = sub.add_parser(name, help=what + "；先预览，全部成功或全部不写")
        add_workspace_arg(q)
        q.add_argument("file", type=Path, help="台账文件（.xlsx / .xls / .csv）")
        _import_options(q, "已有记录")
        q.add_argument(
            "--user",
            help=f"以此账号导入{extra}：按其权限；密码取自环境变量 {PASSWORD_ENV}，否则提示输入",
        )
        q.set_defaults(func=func)

    p = subparsers.add_parser("export", help="把列表导出为 Excel（.xlsx）")
    add_workspace_arg(p)
    p.add_argument("list", help=_ListNames("列表"))
    p.add_argument("--out", required=True, help="输出 .xlsx 文件")
    p.add_argument("--community", help="社区/村名称")
    p.add_argument("--text", help="台账：按姓名、住址、身份证号、电话查找")
    p.add_argument("--tier", help="台账：探访等级（高风险/重点/一般）")
    p.add_argument("--category", help="类别（老年人台账、改造档案、儿童台账各按本项目的类别）")
    p.add_argument("--status", help="老年人台账：状态（在册/住院/迁出/去世）；改造档案：环节")
    p.add_argument("--overdue", action="store_true", help="台账：只导出逾期未访的人")
    p.add_argument("--month", help="应探访名单：月份 YYYY-MM（默认本月）")
    p.add_argument("--from", dest="date_from", help="探访记录、操作日志：起始日期")
    p.add_argument("--to", dest="date_to", help="探访记录、操作日志：截止日期")
    p.add_argument("--year", help="适老化改造档案：申请年份 YYYY")
    p.add_argument("--open-only", action="store_true", help="儿童台账、个案：只导出有在办个案的")
    p.add_argument(
        "--user",
        help=f"以此账号导出（按其权限；密码取自环境变量 {PASSWORD_ENV}，否则提示输入）；"
        "儿童关爱名单必须指定",
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    p.set_defaults(func=_cmd_export)

    p = subparsers.add_parser("report", help="统计报表（月报、季报、年报）：PDF 或 Excel")
    add_workspace_arg(p)
    p.add_argument("--month", help="月份 YYYY-MM（默认本月）")
    p.add_argument("--quarter", help="季度 YYYY-Q1..Q4")
    p.add_argument("--year", help="年份 YYYY")
    p.add_argument("--out", required=True, help="输出文件：.pdf 或 .xlsx")
    p.add_argument("--user", help=f"以此账号的权限统计（密码取自环境变量 {PASSWORD_ENV}）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    p.set_defaults(func=_cmd_report)
