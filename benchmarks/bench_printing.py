"""A month's visit forms of a whole district printed to a file: peak memory and time of
`write_visit_forms` (parts of 500 pages streamed into one PDF, caseworker.printing.in_parts)
against its floor, plain reportlab writing the same pages as one document (what printing did
before: every page kept in memory until the end).

`python -m benchmarks --only printing`. The forms are synthetic (seeded; the share of residents
due in a month as measured at 100,000: 75,563), so no workspace is built; gathering them from the
database is measured by bench_elderly. Product and floor each run in a process of their own,
alternating, and report their own peak RSS (the process's high-water mark), wall and CPU time:
the machine is shared, so CPU time is printed beside wall time. Target: < 300 MB at 100,000
residents (issue 23); NOT MET and exit 1 otherwise.

The children's month (困境儿童回访记录表, `children_forms.write_visit_forms`, in parts since
issue 22/23) is measured the same way against one reportlab document: every child of an office's
register due at once, 20,000 forms (the programme's scale); target < 300 MB.

CASEWORKER_BENCH_PRINT_RESIDENTS: the sizes, comma-separated (default 20000; "20000,100000"
for both). CASEWORKER_BENCH_PRINT_CHILDREN: the children's sizes (default 20000; 0: none).
CASEWORKER_BENCH_PRINT_PAIRS: product/floor pairs per size (default 1).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import Result

DUE_SHARE = 75_563 / 100_000  # residents due in a month, measured on the 100,000 demo office
TARGET_MB = 300

CHILD = r"""
import json, random, resource, sys, time
from pathlib import Path
from caseworker.domain import idnumber
from caseworker.printing.paper_marks import Stamp
from caseworker.printing.visit_forms import VisitFormData, render_visit_forms, write_visit_forms
from datetime import date

mode, count, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
rng = random.Random(23)
family = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
given = "秀英桂兰建国淑珍玉兰志强凤英德明春花永"
forms = []
for i in range(count):
    birth = date(1930 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28))
    number = idnumber.make("110105", birth, 10 + i % 980)
    forms.append(VisitFormData(
        office_name="朝阳门街道办事处", community_name=f"第{1 + i % 40}社区",
        month_label="2026年11月", resident_name=rng.choice(family) + rng.choice(given),
        sex=rng.choice("男女"), age=str(2026 - birth.year),
        id_number_masked=number[:6] + "********" + number[-4:],
        phone=f"13{rng.randrange(10**9):09d}", address=f"和平路{i % 300}号院{1 + i % 9}单元{i % 700}",
        categories=rng.choice(["独居", "空巢、高龄", "失能", "低保、独居"]),
        tier=rng.choice("ABC"), living_arrangement="独居", supporter="王建国（儿子）",
        supporter_phone=f"139{rng.randrange(10**8):08d}", last_visit="2026-10-12",
        due="2026-11-11（已逾期 7 天）", proposed_next="2026-12-11", resident_id=str(i)))
stamps = [Stamp("123", f"{rng.randrange(10**12):012d}") for _ in range(count)]
t0, c0 = time.perf_counter(), time.process_time()
if mode == "parts":
    pages = write_visit_forms(forms, stamps, out)
else:
    out.write_bytes(render_visit_forms(forms, stamps))
    pages = count
print(json.dumps({
    "wall_ms": (time.perf_counter() - t0) * 1000, "cpu_ms": (time.process_time() - c0) * 1000,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "pages": pages,
    "bytes": out.stat().st_size}))
"""


CHILDREN = r"""
import json, random, resource, sys, time
from datetime import datetime
from pathlib import Path
from caseworker.domain import idnumber
from caseworker.printing import children_forms as pf
from caseworker.printing.paper_marks import Stamp
from datetime import date

mode, count, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
rng = random.Random(22)
family = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
given = "小雨子涵梓萱浩然一诺欣怡宇轩思远"
printed = pf.Printed("王督导", datetime(2026, 11, 18, 9, 30), "朝阳门街道办事处")
forms = []
for i in range(count):
    birth = date(2009 + rng.randrange(16), 1 + rng.randrange(12), 1 + rng.randrange(28))
    number = idnumber.make("110105", birth, 10 + i % 980)
    forms.append(pf.VisitFormData(
        community=f"第{1 + i % 40}社区", child_name=rng.choice(family) + rng.choice(given),
        sex_age=f"{rng.choice('男女')} / {2026 - birth.year} 岁",
        id_masked=idnumber.mask(number), address=f"和平路{i % 300}号院{1 + i % 9}单元{i % 700}",
        guardian=f"{rng.choice(family)}建国（祖父）139{rng.randrange(10**8):08d}",
        categories=rng.choice(["留守儿童", "困境儿童、重病", "孤儿"]), risk=rng.choice("高中低"),
        last_visit="2026-10-12", due="2026-11-11"))
stamps = [Stamp("123", f"{rng.randrange(10**12):012d}") for _ in range(count)]
t0, c0 = time.perf_counter(), time.process_time()
if mode == "parts":
    pages = pf.write_visit_forms(forms, stamps, printed, out)
else:
    out.write_bytes(pf.render([pf.visit_form(f) for f in forms], printed, stamps))
    pages = count
print(json.dumps({
    "wall_ms": (time.perf_counter() - t0) * 1000, "cpu_ms": (time.process_time() - c0) * 1000,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "pages": pages,
    "bytes": out.stat().st_size}))
"""


def _once(mode: str, pages: int, folder: Path, script: str = CHILD) -> dict[str, float]:
    out = folder / f"{mode}.pdf"
    done = subprocess.run(
        [sys.executable, "-c", script, mode, str(pages), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    out.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(runs: list[dict[str, float]], key: str) -> float:
    return min(r[key] for r in runs)


def run() -> list[Result]:
    sizes = [int(s) for s in os.environ.get("CASEWORKER_BENCH_PRINT_RESIDENTS", "20000").split(",")]
    pairs = int(os.environ.get("CASEWORKER_BENCH_PRINT_PAIRS", "1"))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="caseworker-bench-print-") as tmp:
        for residents in sizes:
            pages = round(residents * DUE_SHARE)
            product: list[dict[str, float]] = []
            floor: list[dict[str, float]] = []
            for _ in range(pairs):  # alternating: the machine's load falls on both alike
                product.append(_once("parts", pages, Path(tmp)))
                floor.append(_once("one", pages, Path(tmp)))
            rss, floor_rss = _best(product, "rss_mb"), _best(floor, "rss_mb")
            ok = all(r["pages"] == pages for r in product)
            if residents >= 100_000:
                ok = ok and rss < TARGET_MB
            results.append(
                Result(
                    f"month's visit forms {residents:,} ({pages:,} pages): peak MB",
                    rss,
                    floor_rss,
                    f"< {TARGET_MB} MB at 100,000",
                    ok,
                    "MB, not ms; floor: one reportlab document",
                )
            )
            results.append(
                Result(
                    f"month's visit forms {residents:,} ({pages:,} pages): CPU",
                    _best(product, "cpu_ms"),
                    _best(floor, "cpu_ms"),
                    "< 1.3x one document",
                    _best(product, "cpu_ms") < 1.3 * _best(floor, "cpu_ms"),
                    f"wall {_best(product, 'wall_ms') / 1000:.0f} s vs "
                    f"{_best(floor, 'wall_ms') / 1000:.0f} s (shared machine)",
                )
            )
        children = os.environ.get("CASEWORKER_BENCH_PRINT_CHILDREN", "20000")
        for count in [int(s) for s in children.split(",") if int(s)]:
            results.extend(_children(count, pairs, Path(tmp)))
    return results


def _children(count: int, pairs: int, folder: Path) -> list[Result]:
    """The children's month: `count` forms in parts against one document, alternating."""
    product: list[dict[str, float]] = []
    floor: list[dict[str, float]] = []
    for _ in range(pairs):
        product.append(_once("parts", count, folder, CHILDREN))
        floor.append(_once("one", count, folder, CHILDREN))
    rss, floor_rss = _best(product, "rss_mb"), _best(floor, "rss_mb")
    cpu, floor_cpu = _best(product, "cpu_ms"), _best(floor, "cpu_ms")
    return [
        Result(
            f"children's visit forms {count:,}: peak MB",
            rss,
            floor_rss,
            f"< {TARGET_MB} MB",
            all(r["pages"] == count for r in product) and rss < TARGET_MB,
            "MB, not ms; floor: one reportlab document",
        ),
        Result(
            f"children's visit forms {count:,}: CPU",
            cpu,
            floor_cpu,
            "< 1.3x one document",
            cpu < 1.3 * floor_cpu,
            f"wall {_best(product, 'wall_ms') / 1000:.0f} s vs "
            f"{_best(floor, 'wall_ms') / 1000:.0f} s (shared machine)",
        ),
    ]
