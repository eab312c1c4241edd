"""The district's bundle back to an office at size: a whole community moved between offices.

An office A with a community of N residents (13 visits each by default: about a year) syncs;
the district moves the community to office B (`transfer_record(hub, "community", …)`); each
office imports the district's bundle with `caseworker sync import` in a process of its own
(peak memory: VmHWM). Prints one table; the figures are in docs/sync.md.

    python -m benchmarks --only transfer
    CASEWORKER_BENCH_TRANSFER=20000,13 python -m benchmarks --only transfer   # residents,visits
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks import FIGURE, Result
from caseworker.domain.roles import Actor

IMPORT = """
import json, sys
from caseworker.cli import main
code = main(["--workspace", sys.argv[1], "sync", "import", sys.argv[2], "--json"])
with open("/proc/self/status", encoding="ascii") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
print(json.dumps({"code": code, "peak_mb": peak}))
"""


ADMIN = Actor.system("test")


class _World:
    """A hub and two enrolled offices A and B on real files (as tests/sync/helpers does)."""

    def __init__(self, root: Path) -> None:
        from caseworker.district import service
        from caseworker.district.hub import Hub
        from caseworker.sync import office
        from caseworker.workspace import Workspace

        self.root = root
        (root / "stick").mkdir(parents=True)
        self.hub = Hub.open(root / "district")
        service.init(self.hub, "测试区民政局")
        self.offices = {}
        for code in ("A", "B"):
            enroll = root / "stick" / f"{code}.cwenroll"
            service.add_office(
                self.hub,
                code=code,
                name=f"{code}街道办事处",
                communities=[f"{code}和平社区"],
                out=enroll,
                passphrase="bench-pass-2026",
            )
            self.offices[code] = Workspace.open(root / f"office-{code}")
            office.enroll(self.offices[code], enroll, "bench-pass-2026")
        self._n = 0

    def _path(self, stem: str) -> Path:
        self._n += 1
        return self.root / "stick" / f"{self._n:03d}-{stem}.cwbundle"

    def office_to_district(self, code: str) -> Path:
        from caseworker.sync import office

        out = self._path(f"{code}-up")
        office.export_bundle(self.offices[code], ADMIN, out)
        return out

    def district_to_office(self, code: str) -> Path:
        from caseworker.district import service

        out = self._path(f"{code}-down")
        service.export_for(self.hub, code, out)
        return out

    def close(self) -> None:
        for ws in self.offices.values():
            ws.close()
        self.hub.close()


def run() -> list[Result]:
    from sqlalchemy import select

    from caseworker.district import service, transfer
    from caseworker.domain import idnumber
    from caseworker.sync import office
    from caseworker.workspace import Workspace
    from db.elderly import ElderlyResident, ElderlyVisit
    from db.models import Community

    residents, visits = (
        int(x) for x in os.environ.get("CASEWORKER_BENCH_TRANSFER", "20000,13").split(",")
    )
    root = Path(tempfile.mkdtemp(prefix="caseworker-bench-transfer-"))
    w = _World(root)
    rows: list[tuple[str, float, str]] = []
    a = w.offices["A"]
    with a.writer(ADMIN) as s:
        office_id = s.scalar(select(Community.office_id).limit(1))
        moving = Community(office_id=office_id, name="A新区社区", kind="社区", sort_order=9)
        s.add(moving)
        s.flush()
        community = moving.id
    for start in range(0, residents, 2000):
        with a.writer(ADMIN) as s:
            for i in range(start, min(residents, start + 2000)):
                born = date(1930, 1, 1) + timedelta(days=i % 10_000)
                r = ElderlyResident(
                    name=f"迁居老人{i}",
                    id_number=idnumber.make("110105", born, 100 + 2 * (i // 10_000)),
                    birth_date=born,
                    sex="男" if i % 2 else "女",
                    community_id=community,
                    tier="一般",
                    status="在册",
                    enrolled_on=date(2026, 1, 5),
                )
                s.add(r)
                s.flush()
                for k in range(visits):
                    s.add(
                        ElderlyVisit(
                            resident_id=r.id,
                            visit_date=date(2026, 1 + k % 12, 3),
                            method="入户",
                            visitors="孙专干",
                        )
                    )
    service.ingest(w.hub, [w.office_to_district("A")])
    office.import_bundle(a, ADMIN, w.district_to_office("A"))
    office.import_bundle(w.offices["B"], ADMIN, w.district_to_office("B"))
    started = time.perf_counter()
    done = transfer.transfer_record(w.hub, "community", community, "B")
    rows.append(("transfer at the hub", time.perf_counter() - started, f"{done.total} records"))
    for code in ("B", "A"):
        ws = w.offices[code]
        started = time.perf_counter()
        bundle = w.district_to_office(code)
        size = bundle.stat().st_size / 1e6
        rows.append((f"district bundle to {code}", time.perf_counter() - started, f"{size:.1f} MB"))
        ws.close()
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", IMPORT, str(ws.paths.root), str(bundle)],
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.perf_counter() - started
        lines = out.stdout.strip().splitlines()
        result = json.loads("\n".join(lines[:-1]))
        peak = json.loads(lines[-1])["peak_mb"]
        rows.append(
            (
                f"{code} imports it",
                seconds,
                f"peak {peak:.0f} MB, {result['new_changes']} changes, refused {result['refused']}",
            )
        )
        w.offices[code] = Workspace.open(ws.paths.root)
    w.close()
    print(f"community of {residents} residents, {visits} visits each, moved from A to B")
    return [
        Result(f"transfer {residents:,}: {name}", seconds * 1000, None, FIGURE, True, note)
        for name, seconds, note in rows
    ]


def main() -> None:
    for r in run():
        print(f"  {r.name:<40} {r.ms / 1000:8.1f} s  {r.note}")
