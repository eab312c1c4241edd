"""What a tick box's measures look like, box by box, on sets of generated scans (issue 25):
for choosing the reader's "surely empty" rule on one set and confirming it on another, never on
the set that showed a miss (the benchmark's seeds 1000-1019).

    python -m benchmarks.scan_ticks probe DIR --seed 20000 --pages 60 [--hard]
    python -m benchmarks.scan_ticks rules DIR [DIR…]

`probe` draws pages straight from tests/scan/generator.py (every other box a faint tick, the
rest empty; `--hard`: 150 dpi, the scanner's most blur, little noise, where a faint tick is
faintest), reads them with the reader and keeps, per box, its kind, how it was read and the
measures the candidate rules look at (DIR/boxes.npz, saved as it goes). `rules` counts, for
each candidate rule, the faint ticks it would read empty without asking and the empty boxes it
would ask in addition to the reading the probe recorded (so probe with the reader as it was
before the rule under study), scaled to 200 pages of the benchmark's mix.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

FEATURES = ("peak", "top4", "top8", "n06", "n08", "share", "noise", "heavy", "spread")


def _features(arr, t, template, black, th) -> np.ndarray:
    """The measures read_boxes takes (the same arithmetic), and a few it does not yet."""
    from caseworker.scan import reader

    n = len(template.boxes)
    smp = reader.box_samples(arr, t, template)
    vin, vring, on_print = smp.inside, smp.ring, smp.on_print
    paper_ = np.where(on_print, np.nan, vring)
    with np.errstate(all="ignore"):
        white = np.nanpercentile(paper_, 75, axis=1)
        noise = np.nanstd(paper_, axis=1)
    white = np.where(np.isnan(white), np.percentile(vring, 75, axis=1), white)
    span = np.maximum(white - black, 30.0)
    light = np.percentile(vin, 90, axis=1)
    shade = (white - light) / span
    heavy = shade >= th.heavy
    base = np.where(heavy, white, light)
    dark_in = (base[:, None] - vin) / span[:, None]
    share = (dark_in > th.ink).mean(axis=1)
    k = reader.INSIDE
    grid = dark_in.reshape(n, k, k)
    spots = (grid[:, 1:, 1:] + grid[:, :-1, 1:] + grid[:, 1:, :-1] + grid[:, :-1, :-1]) / 4
    flat = np.sort(spots.reshape(n, -1), axis=1)[:, ::-1]
    return np.stack(
        [
            flat[:, 0],
            flat[:, :4].mean(axis=1),
            flat[:, :8].mean(axis=1),
            (flat >= 0.06).sum(axis=1),
            (flat >= 0.08).sum(axis=1),
            share,
            np.nan_to_num(noise / span),
            heavy.astype(float),
            # the inside's own noise: its light part against its middle (a tick covers far
            # less than half of the inside, so the middle is still paper)
            (light - np.percentile(vin, 50, axis=1)) / span,
        ],
        1,
    )


# the benchmark's mix per 200 pages (its 2,000-page run: 9,600 boxes per 200 pages)
MIX_PER_200 = {"empty": 6214.2, "faint": 225.9}


def probe(out: Path, seed: int, pages: int, hard: bool = False) -> None:
    """Pages drawn straight from the generator (no workspace, no PDF): every other box a faint
    tick, the rest empty, 150/200/300 dpi and every scanner fault drawn as in the benchmark;
    read with the reader on its own as tests/scan/test_reader.py does. Much quicker than
    `make` + `read` for the two kinds the "surely empty" rule is about. `hard`: the scans
    where a faint tick is faintest (150 dpi, the most blur, little noise)."""
    from caseworker.printing import visit_forms
    from caseworker.printing.paper_marks import Stamp
    from caseworker.scan import pages as scan_pages
    from caseworker.scan import reader, templates
    from tests.scan.generator import Scanner, scan_of

    pdf = visit_forms.render_visit_forms([visit_forms.VisitFormData()], [Stamp("123", "0" * 12)])
    template = templates.for_kind("elderly_visit")
    n = len(template.boxes)
    captured: list[np.ndarray] = []
    original = reader.read_boxes

    def read_boxes(arr, t, template, black, th=reader.THRESHOLDS):
        captured.append(_features(arr, t, template, black, th))
        return original(arr, t, template, black, th)

    reader.read_boxes = read_boxes
    rows, feats = [], []
    try:
        for p in range(pages):
            rnd = random.Random(seed + p)
            kinds = ["faint" if (i + p) % 2 == 0 else "empty" for i in range(n)]
            if hard:
                fixed = Scanner(blur=1.1, noise=3.0)
                scan = scan_of(pdf, 0, rnd, kinds=kinds, dpi=150, scanner=fixed)
            else:
                scan = scan_of(pdf, 0, rnd, kinds=kinds)
            captured.clear()
            reading = reader.read_page(
                scan_pages._normal(scan.image), lambda code: template if code else None
            )
            if not reading.boxes or not captured:
                continue
            f = captured[-1]
            for j, (b, ticked, kind) in enumerate(
                zip(reading.boxes, scan.truth, kinds, strict=True)
            ):
                rows.append((kind, ticked, b.ticked, b.unsure, b.outside))
                feats.append(f[j])
            if p % 5 == 4 or p == pages - 1:  # saved as it goes: a slow machine can stop it
                _save(out, rows, feats)
                print(f"{out}: {len(rows)} boxes from {p + 1} pages", flush=True)
    finally:
        reader.read_boxes = original


def _save(out: Path, rows: list, feats: list) -> None:
    out.mkdir(parents=True, exist_ok=True)
    np.savez(
        out / "boxes.npz",
        kind=np.array([r[0] for r in rows]),
        truth=np.array([r[1] for r in rows]),
        ticked=np.array([r[2] for r in rows]),
        unsure=np.array([r[3] for r in rows]),
        outside=np.array([r[4] for r in rows]),
        features=np.array(feats),
    )


def rules(roots: list[Path]) -> None:
    for root in roots:
        d = np.load(root / "boxes.npz")
        cols = d["features"].shape[1]
        f = {name: d["features"][:, i] for i, name in enumerate(FEATURES[:cols])}
        kind, truth = d["kind"], d["truth"]
        ticked, unsure = d["ticked"], d["unsure"]
        wrong_silent = (ticked != truth) & ~unsure
        # a box the current rule takes as surely empty: not ticked, not asked, not heavy
        sure_empty = ~ticked & ~unsure & (f["heavy"] == 0) & (f["peak"] < 0.10)
        empty, faint = kind == "empty", kind == "faint"
        print(f"\n{root}: {len(kind)} boxes, {faint.sum()} faint, {empty.sum()} empty")
        print(f"  as read now: {wrong_silent.sum()} wrong and not asked")
        for k in sorted(set(kind.tolist())):
            m = kind == k
            print(
                f"    {k:12} {m.sum():6}  unsure {unsure[m].sum():5}  wrong {(ticked != truth)[m].sum():4}"
                f"  wrong&silent {wrong_silent[m].sum():3}"
            )
        names = [x for x in ("peak", "top4", "top8", "n06", "n08", "spread", "noise") if x in f]
        low = f["peak"] < 0.10
        print(f"  faint under 0.10: {(faint & low).sum()}; empty under 0.10: {(empty & low).sum()}")
        if "spread" in f:
            f["p/spread"] = f["peak"] / np.maximum(f["spread"], 1e-3)
            names.append("p/spread")
        for name in names:
            fe, ee = f[name][faint], f[name][empty]
            print(
                f"  {name:8}: faint min {fe.min():.3f} p1 {np.percentile(fe, 1):.3f}; "
                f"empty p99 {np.percentile(ee, 99):.3f} p99.9 {np.percentile(ee, 99.9):.3f} "
                f"max {ee.max():.3f}"
            )
        # candidate rules: a box stays "surely empty" only when it passes them all
        candidates: dict[str, np.ndarray] = {
            "peak<0.10 (now)": f["peak"] < 0.10,
            "peak<0.09": f["peak"] < 0.09,
            "peak<0.08": f["peak"] < 0.08,
        }
        for lim in (0.05, 0.06, 0.07):
            candidates[f"peak<0.10 & top4<{lim}"] = (f["peak"] < 0.10) & (f["top4"] < lim)
            candidates[f"peak<0.10 & top8<{lim}"] = (f["peak"] < 0.10) & (f["top8"] < lim)
        for lim in (5, 8):
            candidates[f"peak<0.10 & n06<{lim}"] = (f["peak"] < 0.10) & (f["n06"] < lim)
        if "spread" in f:  # the peak against the box's own noise
            z = f["peak"] / np.maximum(f["spread"], 1e-3)
            for lim in (3.0, 4.0, 5.0, 6.0, 8.0):
                candidates[f"peak<0.10 & peak/spread<{lim}"] = (f["peak"] < 0.10) & (z < lim)
            for lo in (0.05, 0.06, 0.07):
                for lim in (4.0, 5.0, 6.0):
                    candidates[f"peak<{lo} | (<0.10 & p/spread<{lim})"] = (f["peak"] < lo) | (
                        (f["peak"] < 0.10) & (z < lim)
                    )
        # the page's own noise: the lower quarter of its boxes' darkest spots (most boxes of a
        # form are empty; rows come 48 a page)
        per_page = f["peak"].reshape(-1, 48)
        floor = np.repeat(np.percentile(per_page, 25, axis=1), 48)
        f["floor"] = floor
        for m in (0.02, 0.03, 0.04, 0.05):
            candidates[f"peak<0.10 & peak<floor+{m}"] = (f["peak"] < 0.10) & (f["peak"] < floor + m)
        for k in (1.5, 1.75, 2.0):
            candidates[f"peak<0.10 & peak<{k}*floor"] = (f["peak"] < 0.10) & (f["peak"] < k * floor)
        z2 = f["peak"] / np.maximum(f["noise"], 1e-3)
        for lim in (3.0, 4.0, 5.0):
            candidates[f"peak<0.10 & peak/ring noise<{lim}"] = (f["peak"] < 0.10) & (z2 < lim)
        print(
            "  rule                        faint missed silently  faint/200p  "
            "empty asked more  per 200 pages"
        )
        n_faint, n_empty = max(1, faint.sum()), max(1, empty.sum())
        for label, keep in candidates.items():
            # under the rule, a surely-empty box that fails it is asked (not ticked, unsure)
            now_sure = sure_empty & keep
            missed = (faint & now_sure).sum()
            more = (empty & sure_empty & ~keep).sum()
            print(
                f"  {label:30} {missed:5} of {faint.sum():5}  {missed / n_faint * MIX_PER_200['faint']:8.2f}"
                f"  {more:6} ({more / n_empty:.2%})  {more / n_empty * MIX_PER_200['empty']:7.1f}"
            )


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scan_ticks")
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("probe")
    q.add_argument("root", type=Path)
    q.add_argument("--seed", type=int, required=True)
    q.add_argument("--pages", type=int, default=200)
    q.add_argument("--hard", action="store_true")
    c = sub.add_parser("rules")
    c.add_argument("roots", type=Path, nargs="+")
    a = p.parse_args()
    if a.cmd == "probe":
        if a.seed < 1020 and a.seed + a.pages > 1000:
            p.error("seeds 1000-1019 are the benchmark's set (the one that showed the miss)")
        probe(a.root, a.seed, a.pages, a.hard)
    else:
        rules(a.roots)


if __name__ == "__main__":
    main()
