"""`caseworker-district catalogue list|set-price|add|retire|pending|cancel`: the district keeps
the retrofit catalogue (items, prices, subsidy caps); changes travel to every office with the
next bundles. `set-price` and `retire` take `--effective YYYY-MM-DD` (default today: at once; a
past day is refused); a change dated later is pending until its day (`pending`, `cancel`).

Prices are typed in yuan ("80", "80.5") and stored in fen. Exit 0, or 2 with one Chinese line.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.retrofit import CatalogueItem, Part, parse_yuan, yuan
from caseworker.domain.roles import Actor

EXIT_OK = 0
EFFECTIVE_HELP = "生效日期（默认今天，即时生效；不能早于今天）"


def _fen(text: str, what: str) -> int:
    try:
        return parse_yuan(text)
    except ValueError as exc:
        raise CaseworkerError(f"{what}：{exc}") from None


def _line(i: CatalogueItem) -> str:
    kind = f"基础，补贴上限 {yuan(i.cap_fen)} 元/{i.unit}" if i.basic else "可选"
    mark = "（已停用）" if i.retired else ""
    return (
        f"  {i.code:<5} {i.part.value:<5} {i.name}{mark}：{yuan(i.price_fen)} 元/{i.unit}，{kind}"
    )


def _as_json(i: CatalogueItem) -> dict[str, Any]:
    return {
        "code": i.code,
        "part": i.part.value,
        "name": i.name,
        "unit": i.unit,
        "basic": i.basic,
        "price_fen": i.price_fen,
        "cap_fen": i.cap_fen,
        "retired": i.retired,
    }


def _hub(args: argparse.Namespace):  # -> Hub
    from caseworker.clikit import open_hub

    return open_hub(args)


def _cmd_list(args: argparse.Namespace) -> int:
    from caseworker.services.retrofit import catalogue

    with _hub(args) as hub, hub.reader() as s:
        rows = catalogue.items(s, include_retired=args.all)
        cap = catalogue.household_cap_fen(s)
        waiting = catalogue.pending(s)
    if args.json:
        print(
            json.dumps(
                {
                    "household_cap_fen": cap,
                    "items": [_as_json(i) for i in rows],
                    "pending": [_pending_json(p) for p in waiting],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return EXIT_OK
    print(f"适老化改造项目目录（今天起适用）：{len(rows)} 项；每户政府补贴上限 {yuan(cap)} 元")
    for i in rows:
        print(_line(i))
    if waiting:
        print(f"另有 {len(waiting)} 项待生效的修改，见 caseworker-district catalogue pending。")
    print(
        "每户补贴上限用 caseworker-district settings --set retrofit.household_cap_yuan=金额 修改。"
    )
    return EXIT_OK


def _effective(args: argparse.Namespace) -> date | None:
    from caseworker.services import dated

    text = getattr(args, "effective", None)
    return dated.parse_day(text) if text else None


def _write(args: argparse.Namespace, change) -> int:  # change: (session, actor) -> CatalogueItem
    actor = Actor.system("district")
    effective = _effective(args)
    with _hub(args) as hub, hub.writer(actor) as s:
        item = change(s, actor)
    if args.json:
        out = _as_json(item)
        out["effective_from"] = effective.isoformat() if effective else None
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return EXIT_OK
    when = f"自 {effective.isoformat()} 起生效" if effective else "即日起生效"
    print(f"已保存，{when}（随下一个数据包发给各街道；已审批的改造户保持审批时的价格）：")
    print(_line(item))
    return EXIT_OK


def _pending_json(p: Any) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "change": p.change,
        "effective_from": p.effective_from.isoformat(),
        "changed_by": p.changed_by,
        "changed_at": p.changed_at.isoformat(),
    }


def _cmd_pending(args: argparse.Namespace) -> int:
    from caseworker.services.retrofit import catalogue

    with _hub(args) as hub, hub.reader() as s:
        rows = catalogue.pending(s)
    if args.json:
        print(json.dumps({"pending": [_pending_json(p) for p in rows]}, ensure_ascii=False))
        return EXIT_OK
    print(f"待生效的目录修改：{len(rows)} 项")
    for p in rows:
        print(
            f"  {p.effective_from.isoformat()} 起 {p.code} {p.name}：{p.change}（{p.changed_by or '—'} 设）"
        )
    return EXIT_OK


def _cmd_cancel(args: argparse.Namespace) -> int:
    from caseworker.services import dated
    from caseworker.services.retrofit import catalogue

    day = dated.parse_day(args.effective)
    actor = Actor.system("district")
    with _hub(args) as hub, hub.writer(actor) as s:
        gone = catalogue.cancel_pending(s, actor, args.code, day)
    if args.json:
        print(json.dumps(_pending_json(gone), ensure_ascii=False))
        return EXIT_OK
    print(
        f"已取消：{gone.code} {gone.name} 自 {gone.effective_from.isoformat()} 起的修改（{gone.change}）"
    )
    return EXIT_OK


def _cmd_set_price(args: argparse.Namespace) -> int:
    from caseworker.services.retrofit import catalogue

    price = _fen(args.price, "单价")
    cap = None if args.cap is None else _fen(args.cap, "补贴上限")
    day = _effective(args)
    return _write(
        args, lambda s, a: catalogue.set_price(s, a, args.code, price, cap, effective=day)
    )


def _cmd_add(args: argparse.Namespace) -> int:
    from caseworker.services.retrofit import catalogue

    try:
        part = Part(args.part)
    except ValueError:
        raise CaseworkerError(
            f"类别应为 {'、'.join(p.value for p in Part)} 之一，收到“{args.part}”"
        ) from None
    price = _fen(args.price, "单价")
    cap = _fen(args.cap, "补贴上限") if args.cap else 0
    if cap and not args.basic:
        raise CaseworkerError("只有基础项目（--basic）才设补贴上限")
    return _write(
        args,
        lambda s, a: catalogue.add(
            s,
            a,
            code=args.code,
            part=part,
            name=args.name,
            unit=args.unit,
            price_fen=price,
            basic=args.basic,
            cap_fen=cap,
        ),
    )


def _cmd_retire(args: argparse.Namespace) -> int:
    from caseworker.services.retrofit import catalogue

    day = _effective(args)
    return _write(
        args,
        lambda s, a: catalogue.retire(s, a, args.code, restore=args.restore, effective=day),
    )


def register(sub: Any) -> None:
    """Add `catalogue …` to caseworker-district's sub-commands."""
    cat = sub.add_parser("catalogue", help="适老化改造项目目录（价格、补贴上限）")
    csub = cat.add_subparsers(dest="catalogue_command", metavar="操作", required=True)

    p = csub.add_parser("list", help="列出目录")
    p.add_argument("--all", action="store_true", help="包括已停用的项目")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_list)

    p = csub.add_parser("set-price", help="修改一个项目的单价（和补贴上限）")
    p.add_argument("code", help="项目编号，如 R01")
    p.add_argument("--price", required=True, help="单价（元）")
    p.add_argument("--cap", default=None, help="基础项目每单位补贴上限（元）")
    p.add_argument("--effective", default=None, metavar="YYYY-MM-DD", help=EFFECTIVE_HELP)
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_set_price)

    p = csub.add_parser("add", help="新增一个项目")
    p.add_argument("--code", required=True)
    p.add_argument("--part", required=True, help="类别：" + "、".join(x.value for x in Part))
    p.add_argument("--name", required=True)
    p.add_argument("--unit", required=True, help="计量单位，如 个、米、平方米")
    p.add_argument("--price", required=True, help="单价（元）")
    p.add_argument("--basic", action="store_true", help="基础项目（政府补贴）")
    p.add_argument("--cap", default=None, help="基础项目每单位补贴上限（元）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_add)

    p = csub.add_parser("retire", help="停用一个项目（已用过它的改造户不受影响）")
    p.add_argument("code")
    p.add_argument("--restore", action="store_true", help="恢复已停用的项目")
    p.add_argument("--effective", default=None, metavar="YYYY-MM-DD", help=EFFECTIVE_HELP)
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_retire)

    p = csub.add_parser("pending", help="列出以后某天生效的目录修改")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_pending)

    p = csub.add_parser("cancel", help="取消一项以后某天生效的修改（生效前）")
    p.add_argument("code", help="项目编号")
    p.add_argument(
        "--effective", required=True, metavar="YYYY-MM-DD", help="要取消的修改的生效日期"
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd_cancel)
