"""The report's visit figures counted in arrays (`_bulk_counts`) equal the person-by-person count
(`vectorised=False`, the rules as written) on generated rosters: random tiers, enrolment and
leaving dates, visits with and without a proposed next date, two visits of one person on one
day, visits not completed or deleted, deleted residents, a major change and a voided visit."""

from __future__ import annotations

import random
import sqlite3
from datetime import date, datetime, timedelta

import pytest

from caseworker.domain import periods
from caseworker.domain.elderly import (
    CHOSEN_CATEGORIES,
    MajorChange,
    Status,
    Tier,
    encode_categories,
)
from caseworker.domain.roles import Actor
from caseworker.services import accounts
from caseworker.services.elderly import changes, visits
from caseworker.services.reports.elderly import _stream, roster_counts, visit_counts
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident, ElderlyVisit
from db.ids import new_id
from tests.services._elderly import TODAY, make_id


def _generate(ws: Workspace, seed: int, people: int = 120) -> list[str]:
    """`people` residents and their visits written straight into the workspace's database (as
    the benchmark's generator does): every shape the figures distinguish, at random."""
    rng = random.Random(seed)
    with ws.reader() as s:
        communities = [c.id for c in accounts.communities(s)]
    now = datetime(2026, 11, 1, 9).isoformat(sep=" ")
    r_cols = [c.name for c in ElderlyResident.__table__.columns]
    v_cols = [c.name for c in ElderlyVisit.__table__.columns]
    residents, visit_rows, ids = [], [], []
    for n in range(people):
        rid = new_id()
        ids.append(rid)
        birth = date(1930 + rng.randrange(35), 1 + rng.randrange(12), 1 + rng.randrange(28))
        status = rng.choice([Status.ACTIVE, Status.ACTIVE, Status.ACTIVE, Status.HOSPITAL,
                             Status.MOVED, Status.DECEASED])  # fmt: skip
        enrolled = TODAY - timedelta(days=rng.randint(-20, 700))
        if n < 2:  # on the roster: the test gives them a major change and a voided visit
            status, enrolled = Status.ACTIVE, TODAY - timedelta(days=300)
        left = enrolled + timedelta(days=rng.randint(1, 500)) if status in (
            Status.MOVED, Status.DECEASED) else None  # fmt: skip
        row = dict.fromkeys(r_cols, "")
        row.update(
            id=rid,
            name=f"测试{n}",
            id_number=make_id(birth, n % 900 + 10),
            birth_date=birth.isoformat(),
            sex="男",
            community_id=rng.choice(communities),
            categories=encode_categories(rng.sample(CHOSEN_CATEGORIES, rng.randint(0, 3))),
            status=status.value,
            status_date=left.isoformat() if left else None,
            tier=rng.choice(list(Tier)).value,
            enrolled_on=enrolled.isoformat(),
            last_visit_on=None,
            next_due=None,
            duplicate_of=None,
            assigned_staff_id=None,
            created_at=now,
            updated_at=now,
            deleted_at=now if n >= 2 and rng.random() < 0.05 else None,
        )
        residents.append(tuple(row[c] for c in r_cols))
        day = enrolled + timedelta(days=rng.randint(-10, 60))
        for _ in range(rng.choice([0, 1, 3, 6, 12])):
            proposed = day + timedelta(days=rng.randint(-5, 120)) if rng.random() < 0.4 else None
            for _same_day in range(2 if rng.random() < 0.08 else 1):
                v = dict.fromkeys(v_cols, "")
                v.update(
                    id=new_id(),
                    resident_id=rid,
                    visit_date=day.isoformat(),
                    effective_date=day.isoformat(),
                    method="入户",
                    status="已完成" if rng.random() < 0.93 else "草稿",
                    completed_by="测试",
                    completed_at=now,
                    created_at=now,
                    updated_at=now,
                    visitor_staff_id=None,
                    next_visit_on=proposed.isoformat() if proposed else None,
                    deleted_at=now if rng.random() < 0.03 else None,
                )
                visit_rows.append(tuple(v[c] for c in v_cols))
                proposed = day + timedelta(days=rng.randint(1, 90))  # a twin: another date
            day += timedelta(days=rng.randint(5, 80))
    con = sqlite3.connect(ws.paths.db)
    with con:
        for table, cols, rows in (
            ("elderly_resident", r_cols, residents),
            ("elderly_visit", v_cols, visit_rows),
        ):
            marks = ",".join("?" * len(cols))
            con.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})", rows)
    con.close()
    return ids


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_array_count_is_the_person_by_person_count(
    office_ws: Workspace, worker: Actor, admin: Actor, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseworker.services.reports import elderly
    from tests.services._retrofit import supervisor

    if seed % 2:  # the people counted in slices: the slices' figures add up
        monkeypatch.setattr(elderly, "_CHUNK", 17)

    ids = _generate(office_ws, seed)
    # a major change and a voided visit: those people are counted person by person
    with office_ws.writer(worker) as s:
        changes.record(s, worker, ids[0], MajorChange.FALL, TODAY - timedelta(40), today=TODAY)
    with office_ws.writer(worker) as s:
        made = visits.complete(
            s, worker, visits.VisitDraft(ids[1], TODAY - timedelta(20), visitors=("李专干",)),
            today=TODAY,
        )  # fmt: skip
    chief = supervisor(office_ws)
    with office_ws.writer(chief) as s:
        visits.void(s, chief, made.id, "重复录入的表", today=TODAY)

    months = periods.last_months(TODAY, 14)
    for today in (TODAY, TODAY + timedelta(days=45), date(2026, 10, 31)):
        asked = [m for m in months if m <= today]
        with office_ws.reader() as s:
            fast = visit_counts(s, worker, asked, today=today)
            slow = visit_counts(s, worker, asked, today=today, vectorised=False)
            assert fast == slow, today
            assert sum(c.due for c in fast.values()) > 0
            for span in ((date(2026, 1, 1), today), (date(2026, 10, 1), date(2026, 10, 31))):
                a = _stream(s, worker, asked, today=today, span=span)
                b = _stream(s, worker, asked, today=today, span=span, vectorised=False)
                assert a == b, (today, span)
                tallied: dict[str, dict[str, int]] = {}
                _stream(s, worker, asked, today=today, span=span, roster=tallied)
                period = periods.Period("month", span[0], span[1])
                assert tallied == roster_counts(s, worker, period), (today, span)
