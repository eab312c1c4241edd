"""Regenerate page 1 of each 统计报表 PDF as a PNG in docs/screenshots/ (needs `pdftoppm`).

.venv/bin/python docs/screenshots/capture_reports.py [WORKSPACE]
(without WORKSPACE a fresh demo workspace is made first, as `caseworker demo` makes it).

Writes report-month.png, report-quarter.png, report-year.png (the office's report, as the
section chief makes it: every section) and report-children-director.png (a community child
director's: their community only, 保密), each page 1 at 80 dpi. The reports are made by the
same code as `caseworker report --out F.pdf`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

OUT = Path(__file__).resolve().parent


def _pngs(pdf: Path, name: str) -> Path:
    """Page 1 of `pdf` as docs/screenshots/<name>.png."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", str(pdf), f"{tmp}/p"],
            check=True,
        )
        page = next(Path(tmp).glob("p*.png"))
        target = OUT / f"{name}.png"
        shutil.copyfile(page, target)
    return target


def main(root: Path | None = None) -> list[Path]:
    from caseworker import demo
    from caseworker.domain import periods
    from caseworker.printing.report_pdf import write_pdf
    from caseworker.services import accounts, reports
    from caseworker.workspace import Workspace

    if root is None:
        root = Path(tempfile.mkdtemp(prefix="cw-report-shots-")) / "ws"
        with Workspace.open(root) as ws:
            demo.build(ws, residents=2000, seed=1)
    today = date.today()
    out: list[Path] = []
    tmp = Path(tempfile.mkdtemp(prefix="cw-report-pdfs-"))
    with Workspace.open(root) as ws:
        for user in ("kezhang", "ertong01"):
            from caseworker.domain.roles import Actor

            with ws.writer(Actor.system("login")) as s:
                actor = accounts.authenticate(s, user, "demo1234").actor
            assert actor is not None
            kinds = (
                [
                    ("month", periods.month(today)),
                    ("quarter", periods.quarter(today.year, (today.month - 1) // 3 + 1)),
                    ("year", periods.year(today.year)),
                ]
                if user == "kezhang"
                else [("children-director", periods.month(today))]
            )
            for name, period in kinds:
                with ws.reader() as s:
                    report = reports.build(s, actor, period, today=today)
                pdf = write_pdf(report, tmp / f"{name}.pdf")
                out.append(_pngs(pdf, f"report-{name}"))
    return out


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else None):
        print(path)
