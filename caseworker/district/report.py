"""`caseworker-district report`: the district's 统计报表, every office side by side with the
district total (or one office with `--office`), from the same code as an office's report."""

from __future__ import annotations

import argparse
from typing import Any

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.roles import Actor

EXIT_OK = 0


class _Refused(CaseworkerError):
    pass


def _cmd_report(args: argparse.Namespace) -> int:
    from caseworker.clikit import open_hub as _hub
    from caseworker.commands.tabular import _period, write_report
    from caseworker.outfile import check_out
    from caseworker.services import reports

    out = check_out(args.out, (".pdf", ".xlsx"))
    period = _period(args)
    with _hub(args) as hub, hub.reader() as session:
        report = reports.build(
            session,
            Actor.system("district"),
            period,
            by_office=args.office is None,
            office_code=args.office,
        )
    return write_report(report, out, args.json)


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="全区统计报表：各街道并列及全区合计（PDF 或 Excel）")
    p.add_argument("--month", help="月份 YYYY-MM（默认本月）")
    p.add_argument("--quarter", help="季度 YYYY-Q1..Q4")
    p.add_argument("--year", help="年份 YYYY")
    p.add_argument("--office", help="只统计一个街道（街道代码），按社区列出")
    p.add_argument("--out", required=True, help="输出文件：.pdf 或 .xlsx")
    p.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    p.set_defaults(func=_cmd_report)
