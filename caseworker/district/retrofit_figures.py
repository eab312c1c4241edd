"""`caseworker-district retrofit-figures`: the retrofit programme's figures per office for a
year or any period (households by step, completed, subsidy spent, household share, items
installed by kind, average days application → completion); `--json` for machines."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import date
from typing import Any

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.retrofit import quantity_text, yuan
from caseworker.domain.roles import Actor

EXIT_OK = 0


def _period(args: argparse.Namespace) -> tuple[date, date]:
    from caseworker.domain.dates import InvalidDate, parse_date

    if args.start or args.end:
        try:
            first = parse_date(args.start) if args.start else date(date.today().year, 1, 1)
            last = parse_date(args.end) if args.end else date.today()
        except InvalidDate as exc:
            raise CaseworkerError(str(exc)) from None
    else:
        year = args.year or date.today().year
        first, last = date(year, 1, 1), date(year, 12, 31)
    if last < first:
        raise CaseworkerError("结束日期不能早于开始日期")
    return first, last


def _cmd(args: argparse.Namespace) -> int:
    from caseworker.clikit import open_hub as _hub
    from caseworker.services.retrofit import figures

    first, last = _period(args)
    with _hub(args) as hub, hub.reader() as s:
        rows = figures.figures(s, Actor.system("district"), first, last)
    if args.json:
        doc = {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "offices": [asdict(r) for r in rows],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"居家适老化改造统计 {first} 至 {last}：{len(rows)} 个街道")
    total = [0, 0, 0, 0]
    for r in rows:
        avg = f"{r.average_days:.0f} 天" if r.average_days is not None else "—"
        print(
            f"{r.office_code} {r.office_name}：申请 {r.applied} 户，完成 {r.completed} 户，"
            f"费用 {yuan(r.cost_fen)} 元，政府补贴 {yuan(r.subsidy_fen)} 元，"
            f"家庭自付 {yuan(r.household_fen)} 元，申请到完成平均 {avg}"
        )
        steps = "，".join(f"{k} {v}" for k, v in r.by_step.items() if v)
        print(f"  按环节（本期申请）：{steps or '无'}")
        for i in r.items:
            print(
                f"  {i.code} {i.name}：{i.households} 户，{quantity_text(i.quantity_centi)} {i.unit}，{yuan(i.cost_fen)} 元"
            )
        total = [
            total[0] + r.completed,
            total[1] + r.subsidy_fen,
            total[2] + r.household_fen,
            total[3] + r.applied,
        ]
    print(
        f"合计：申请 {total[3]} 户，完成 {total[0]} 户，政府补贴 {yuan(total[1])} 元，家庭自付 {yuan(total[2])} 元"
    )
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser("retrofit-figures", help="适老化改造统计（按街道）")
    p.add_argument("--year", type=int, default=None, help="年度（默认今年）")
    p.add_argument("--from", dest="start", default=None, help="开始日期")
    p.add_argument("--to", dest="end", default=None, help="结束日期")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.set_defaults(func=_cmd)
