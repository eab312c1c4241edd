"""`caseworker scan FILES… [--json]`: read a batch of scanned paper forms and say, page by
page, which printed form and record each is, what its ticks say and what needs a look.

Nothing is saved: entering a page (and keeping its image as the signed original) happens in
the application's 导入扫描件, where the caseworker confirms each form.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK = 0


def _cmd_scan(args: argparse.Namespace) -> int:
    from caseworker.clikit import open_workspace
    from caseworker.domain.roles import Actor
    from caseworker.services import scans
    from caseworker.services.scans import STATUS_TEXT

    files = [Path(f) for f in args.files]
    results = []
    with open_workspace(args) as ws:
        for page in scans.read_files(ws, Actor.system("cli"), files):
            results.append(page.as_json())
            if not args.json:
                who = page.found.title if page.found else ""
                print(
                    f"{page.source.name} 第 {page.number} 页：{STATUS_TEXT[page.status]}"
                    f"{'　' + who if who else ''}　{page.note}"
                )
    counts = Counter(r["status"] for r in results)
    if args.json:
        from caseworker.commands.sync import emit_json

        emit_json({"pages": results, "counts": dict(counts), "total": len(results)})
    else:
        summary = "，".join(f"{STATUS_TEXT[k]} {v}" for k, v in counts.items())
        print(f"共 {len(results)} 页：{summary or '无'}")
    return EXIT_OK


def register(subparsers: Any, add_workspace_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    from caseworker.clikit import command

    scan = "识别扫描的纸质表（PDF/TIFF/JPEG/PNG）：每页对应的记录与勾选，不保存"
    with command(subparsers, "scan", scan, _cmd_scan, first=add_workspace_arg) as p:
        p.add_argument("files", nargs="+", metavar="FILE", help="扫描件文件")
