"""Programme 1 at district scale: 100,000 residents and 1,000,000 visits.

Generates the workspace once with raw SQL (cached under the temp folder, or
$CASEWORKER_BENCH_CACHE), then measures what a caseworker waits for: opening the roster, search
keystrokes, the overdue list, the month's visit rates, printing 1,000 pre-filled forms, and the
memory with the roster open. Each list figure stands beside the same SQL replayed through raw
sqlite3 (captured from the service call); printing beside plain reportlab pages with the same
font and the same text.
"""

from __future__ import annotations

import io
import random
import sqlite3
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks import Result, SqlCapture, median_ms, replay
from benchmarks.workspaces import PASSWORD, generated, start_office

RESIDENTS = 100_000
VISITS = 1_000_000
VERSION = "v5"  # v5: the covering person-and-date visit index (migration 0014)
TODAY = date.today()


def cache_dir() -> Path:
    return generated(f"elderly-{RESIDENTS}-{VISITS}-{VERSION}")


# -- generation ------------------------------------------------------------------------------


def _generate(root: Path) -> None:
    from caseworker.demo.names import address, birth_for_age, person_name, phone
    from caseworker.domain import idnumber
    from caseworker.domain.elderly import (
        CHOSEN_CATEGORIES,
        encode_categories,
        suggest_tier,
        with_derived,
    )
    from caseworker.domain.pinyin import of_name
    from caseworker.domain.roles import Actor, Role
    from caseworker.services import accounts
    from caseworker.services.elderly.schedule import recompute
    from caseworker.workspace import Workspace
    from db.elderly import ElderlyResident, ElderlyVisit
    from db.ids import new_id

    rng = random.Random(2026)
    system = Actor.system("bench")
    with Workspace.open(root) as ws:
        with ws.writer(system) as s:
            start_office(s, system)
            for i in range(8):
                accounts.create_staff(
                    s,
                    system,
                    accounts.StaffDraft(f"w{i}", person_name(rng, "女"), Role.CASEWORKER),
                    PASSWORD,
                    force_password_change=False,
                )
            comms = [(c.id, c.name) for c in accounts.communities(s)]
            staff = [
                (x.id, x.display_name)
                for x in accounts.list_staff(s, system)
                if x.role is Role.CASEWORKER
            ]
        now = datetime.now()
        r_cols = [c.name for c in ElderlyResident.__table__.columns]
        v_cols = [c.name for c in ElderlyVisit.__table__.columns]
        con = sqlite3.connect(ws.paths.db)
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA foreign_keys=OFF")
        seen: set[str] = set()
        residents: list[tuple[str, str, str]] = []  # id, tier, visitor
        rows = []
        cat_pool = list(CHOSEN_CATEGORIES)
        for _ in range(RESIDENTS):
            sex = rng.choice("男女")
            birth = birth_for_age(rng, TODAY, 60, 99)
            while True:
                idn = idnumber.make(
                    rng.choice(("110105", "110106", "110108")), birth, rng.randrange(1000)
                )
                if idn not in seen:
                    break
            seen.add(idn)
            cats = frozenset(rng.sample(cat_pool, rng.randint(1, 3)))
            tier = suggest_tier(with_derived(cats, birth, TODAY)).tier.value
            cid, cname = rng.choice(comms)
            sid, _sname = rng.choice(staff)
            rid = new_id()
            residents.append((rid, tier, sid))
            name = person_name(rng, sex)
            spoken = of_name(name)
            values = {
                "id": rid,
                "name": name,
                "name_pinyin": spoken.sort_key,
                "name_letters": spoken.letters,
                "id_number": idn,
                "birth_date": birth.isoformat(),
                "sex": "男" if int(idn[16]) % 2 else "女",
                "phone": phone(rng),
                "address": address(rng, cname),
                "community_id": cid,
                "assigned_staff_id": sid,
                "categories": encode_categories(cats),
                "living_arrangement": "",
                "health_notes": "",
                "supporter_name": person_name(rng, "男"),
                "supporter_relation": "儿子",
                "supporter_phone": phone(rng),
                "emergency_name": "",
                "emergency_phone": "",
                "status": "在册",
                "status_date": None,
                "status_note": "",
                "tier": tier,
                "tier_reason": "",
                "enrolled_on": (TODAY - timedelta(days=rng.randint(30, 2000))).isoformat(),
                "notes": "",
                "last_visit_on": None,
                "next_due": None,
                "duplicate_of": None,
                "created_at": now.isoformat(sep=" "),
                "updated_at": now.isoformat(sep=" "),
                "deleted_at": None,
            }
            rows.append(tuple(values[c] for c in r_cols))
        con.executemany(
            f"INSERT INTO elderly_resident ({','.join(r_cols)}) VALUES ({','.join('?' * len(r_cols))})",
            rows,
        )
        con.commit()
        base = {c: "" for c in v_cols}
        base.update(
            method="入户",
            status="已完成",
            completed_by="基准",
            completed_at=now.isoformat(sep=" "),
            created_at=now.isoformat(sep=" "),
            updated_at=now.isoformat(sep=" "),
            deleted_at=None,
            next_visit_on=None,
            health_mental="良好",
        )
        per = VISITS // RESIDENTS
        batch = []
        for rid, _tier, sid in residents:
            start = rng.randint(0, 40)
            for k in range(per):
                day = (TODAY - timedelta(days=start + k * 36)).isoformat()
                base.update(
                    id=new_id(),
                    resident_id=rid,
                    visit_date=day,
                    effective_date=day,
                    visitor_staff_id=sid,
                    visitors="专干",
                )
                batch.append(tuple(base[c] for c in v_cols))
            if len(batch) >= 100_000:
                con.executemany(
                    f"INSERT INTO elderly_visit ({','.join(v_cols)}) VALUES ({','.join('?' * len(v_cols))})",
                    batch,
                )
                batch.clear()
        if batch:
            con.executemany(
                f"INSERT INTO elderly_visit ({','.join(v_cols)}) VALUES ({','.join('?' * len(v_cols))})",
                batch,
            )
        con.commit()
        con.execute("ANALYZE")
        con.close()
        with ws.writer(system) as s:
            recompute(s)
    (root / "READY").write_text(VERSION)


def ensure_db() -> Path:
    root = cache_dir()
    if not (root / "READY").exists():
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        t0 = time.perf_counter()
        print(f"  generating {RESIDENTS:,} residents and {VISITS:,} visits in {root} …", flush=True)
        _generate(root)
        print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return root


# -- measuring -------------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run() -> list[Result]:
    root = ensure_db()
    from caseworker.domain.pinyin import of_name
    from caseworker.domain.roles import Actor
    from caseworker.services.elderly import forms, schedule, search
    from caseworker.workspace import Workspace

    actor = Actor.system("bench")
    results: list[Result] = []
    ws = Workspace.open(root)
    raw = sqlite3.connect(ws.paths.db)
    cap = SqlCapture(ws.engine)
    session_cm = ws.reader()
    s = session_cm.__enter__()
    try:

        def roster_call(text: str = "") -> Callable[[], Any]:
            query = search.RosterQuery(text=text)

            def call() -> Any:
                return search.count(s, actor, query, today=TODAY), search.page(
                    s, actor, query, 0, 50, today=TODAY
                )

            return call

        def list_case(name: str, fn: Callable[[], Any], limit_ms: float, note: str = "") -> None:
            statements = cap.capture(fn)
            ms = median_ms(fn)
            floor = median_ms(replay(raw, statements))
            results.append(Result(name, ms, floor, f"< {limit_ms:.0f} ms", ms < limit_ms, note))

        list_case("roster open: count + first page (50)", roster_call(), 100)
        rss = _rss_mb()
        sample = search.page(s, actor, search.RosterQuery(sort="name"), 5000, 1)[0]
        suffix = s.execute(
            text("SELECT substr(id_number, 15) FROM elderly_resident LIMIT 1 OFFSET 777")
        ).scalar()
        for label, needle in (
            ("search 1 char (surname)", sample.name[0]),
            ("search 2 chars", sample.name[:2]),
            ("search 3+ chars (address part)", sample.address[2:7]),
            ("search ID suffix (4 digits)", suffix),
            ("search pinyin initials", of_name(sample.name).initials),
            ("search full pinyin", of_name(sample.name).compact),
            ("search pinyin, 1 letter", of_name(sample.name).initials[0]),
        ):
            list_case(f"{label} '{needle}'", roster_call(needle), 100)
        list_case(
            "overdue list: count + first page",
            lambda: (
                schedule.overdue_count(s, actor, today=TODAY),
                schedule.overdue_list(s, actor, limit=50, today=TODAY),
            ),
            100,
        )
        list_case(
            "month's visit rates (current month)",
            lambda: schedule.visit_rates(s, actor, TODAY, today=TODAY),
            300,
        )
        results.append(
            Result(
                "memory (RSS) with the roster open",
                rss,
                None,
                "< 400 MB",
                rss < 400,
                "MB, not ms",
            )
        )
        ids = [r.id for r in search.page(s, actor, search.RosterQuery(sort="address"), 0, 1000)]
        t0 = time.perf_counter()
        data = forms.selection_forms(s, actor, ids, today=TODAY)
        data_ms = (time.perf_counter() - t0) * 1000
    finally:
        session_cm.__exit__(None, None, None)
    results.extend(_printing(data, data_ms))
    raw.close()
    ws.close()
    return results


def _printing(data: list[Any], data_ms: float) -> list[Result]:
    from dataclasses import astuple

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from caseworker.printing.fonts import register
    from caseworker.printing.visit_forms import TITLE, render_visit_forms

    font = register()

    def plain() -> bytes:
        buf = io.BytesIO()
        c = Canvas(buf, pagesize=A4, pageCompression=1, initialFontName=font)
        for n, form in enumerate(data, start=1):
            c.setFont(font, 18)
            c.drawCentredString(297, 790, TITLE)
            c.setFont(font, 10)
            y = 760
            for value in astuple(form):
                if value:
                    c.drawString(40, y, str(value)[:60])
                    y -= 14
            c.drawString(500, 22, f"第 {n} 页")
            c.showPage()
        c.save()
        return buf.getvalue()

    ms = median_ms(lambda: render_visit_forms(data), repeat=3)
    floor = median_ms(plain, repeat=3)
    return [
        Result(
            f"print {len(data)} pre-filled forms",
            ms,
            floor,
            "< 3x plain reportlab",
            ms < 3 * floor,
            f"+{data_ms:.0f} ms to gather the data",
        )
    ]
