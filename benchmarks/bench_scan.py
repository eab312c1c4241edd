"""Scanned paper forms: accuracy and speed of reading a batch (issue 25).

Generates realistic scans (tests/scan/generator.py) of the product's own pre-filled visit
forms, printed with their codes from a demo workspace: 150/200/300 dpi, grayscale and colour,
rotation ±5° and upside down, skew, scale ±3%, blur, noise, JPEG, uneven light, fold shadows,
varied ticks and the cases that are not ticks. The pages go into multi-page PDFs as a
scanner's scan-to-USB writes them, then `caseworker.services.scans.read_files` reads them all.

Targets: no page matched to a wrong record (an unreadable one is asked, never guessed); tick
boxes read right >= 99.5%; every box read wrong is among those marked unsure; >= 5 pages/s
(floor: rendering the pages alone); peak memory for a 300-page PDF no higher than for a
30-page one (+64 MB). CASEWORKER_BENCH_SCAN_PAGES sets the number of pages (default 2,000).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks import Result

PAGES = int(os.environ.get("CASEWORKER_BENCH_SCAN_PAGES", "2000"))
PER_FILE = 100


def _generate(args: tuple[bytes, int, int, str]) -> list[tuple[int, list[bool]]]:
    """One file of scans (runs in a worker process): [(form index, truth)] in page order."""
    from tests.scan.generator import pdf_of_images, scan_of

    pdf, n_forms, seed, out = args
    rnd = random.Random(seed)
    picks = [rnd.randrange(n_forms) for _ in range(PER_FILE)]
    truths: list[tuple[int, list[bool]]] = []

    def images():
        for i in picks:
            s = scan_of(pdf, i, rnd)
            truths.append((i, s.truth))
            yield s.image

    pdf_of_images(images(), out)
    return truths


def _peak_rss_mb(pdf: Path, ws: Path) -> float:
    code = (
        "import resource,sys;from pathlib import Path;"
        "from caseworker.workspace import Workspace;from caseworker.domain.roles import Actor;"
        "from caseworker.services import scans;"
        f"ws=Workspace.open({str(ws)!r});"
        f"n=sum(1 for _ in scans.read_files(ws, Actor.system('t'), [Path({str(pdf)!r})]));"
        "ws.close();print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(r.stdout.strip().splitlines()[-1])


def run() -> list[Result]:
    from concurrent.futures import ProcessPoolExecutor

    from caseworker.domain.roles import Actor
    from caseworker.printing.visit_forms import render_visit_forms
    from caseworker.scan import pages as scan_pages
    from caseworker.services import paper, scans
    from caseworker.services.elderly import forms
    from caseworker.workspace import Workspace

    actor = Actor.system("bench")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "caseworker", "demo", "--workspace", str(root / "ws")],
            check=True,
            capture_output=True,
        )
        ws = Workspace.open(root / "ws")
        month = date.today().replace(day=1)
        with ws.reader() as s:
            data = forms.month_forms(s, actor, month)[:200]
        stamps = paper.issue_visit_forms(ws.engine, actor, data, month)
        pdf = render_visit_forms(data, stamps)
        files = [root / f"batch{i:02d}.pdf" for i in range(max(1, PAGES // PER_FILE))]
        t = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:
            truths = list(
                pool.map(
                    _generate, [(pdf, len(data), 1000 + i, str(f)) for i, f in enumerate(files)]
                )
            )
        gen_s = time.perf_counter() - t
        truth = [x for part in truths for x in part]

        t = time.perf_counter()
        n_floor = sum(1 for f in files for _ in scan_pages.pages(f))
        floor_s = time.perf_counter() - t

        t = time.perf_counter()
        results = list(scans.read_files(ws, actor, files))
        read_s = time.perf_counter() - t
        wrong_match = asked = 0
        boxes = right = wrong_sure = unsure = 0
        for page, (form_i, ticks) in zip(results, truth, strict=True):
            if page.found is None:
                asked += 1
                continue
            if page.found.record_id != data[form_i].resident_id:
                wrong_match += 1
            if not page.reading.boxes:
                asked += 1
                continue
            for b, ticked in zip(page.reading.boxes, ticks, strict=True):
                boxes += 1
                right += b.ticked == ticked
                unsure += b.unsure
                wrong_sure += b.ticked != ticked and not b.unsure
        n = len(results)
        rate = n / read_s
        accuracy = right / max(1, boxes)

        small = root / "p30.pdf"
        big = root / "p300.pdf"
        from pypdfium2 import PdfDocument

        src = PdfDocument(str(files[0]))
        for out, count in ((small, 30), (big, 300)):
            doc = PdfDocument.new()
            for k in range(count):
                doc.import_pages(src, [k % len(src)])
            doc.save(str(out))
            doc.close()
        src.close()
        ws.close()
        rss_small = _peak_rss_mb(small, root / "ws")
        rss_big = _peak_rss_mb(big, root / "ws")

    note = f"{n} pages generated in {gen_s:.0f} s"
    return [
        Result(
            f"scan: pages read ({n})",
            read_s * 1000 / n,
            floor_s * 1000 / max(1, n_floor),
            ">= 5 pages/s",
            rate >= 5,
            f"{rate:.1f} pages/s; {note}",
        ),
        Result(
            "scan: pages matched to a wrong record",
            float(wrong_match),
            None,
            "0",
            wrong_match == 0,
            f"{asked} of {n} pages asked (code or corners unreadable)",
        ),
        Result(
            "scan: tick boxes read right (%)",
            accuracy * 100,
            None,
            ">= 99.5",
            accuracy >= 0.995,
            f"{boxes} boxes, {unsure} marked unsure ({unsure / max(1, boxes):.1%})",
        ),
        Result(
            "scan: boxes read wrong and not marked unsure",
            float(wrong_sure),
            None,
            "0",
            wrong_sure == 0,
        ),
        Result(
            "scan: peak memory, 300-page PDF (MB)",
            rss_big,
            rss_small,
            "<= 30-page + 64 MB",
            rss_big <= rss_small + 64,
            f"30 pages: {rss_small:.0f} MB",
        ),
    ]
