"""Demo filler for programme 1: a roster spread over the communities and 12 months of visits.

Written in one transaction as journaled records, inserted in batches by `db.journal.insert_many`
(the same records and journal rows as ORM objects would give, at a fraction of the cost: a
district-sized demo of 100,000 residents must build in minutes), with the derived schedule
computed at the end. Some residents fall behind (overdue), a few referrals are
still open, a few residents moved away or died. Same seed, same content (relative to today).
"""

from __future__ import annotations

import bisect
import itertools
import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from caseworker.demo import FILLERS, DemoReport
from caseworker.demo.names import address, birth_for_age, id_number, person_name, phone
from caseworker.domain.elderly import (
    CHOSEN_CATEGORIES,
    LIVING_ARRANGEMENTS,
    Category,
    Status,
    Tier,
    encode_categories,
    suggest_tier,
    with_derived,
)
from caseworker.domain.person import name_columns
from caseworker.domain.roles import Actor, Role
from caseworker.domain.visit_form import CHOICE_FIELDS, REFERRAL_TARGETS, Method, VisitStatus
from caseworker.services import accounts
from caseworker.services.elderly.schedule import intervals, recompute
from caseworker.workspace import Workspace
from db.base import Journaled
from db.elderly import ElderlyReferral, ElderlyResident, ElderlyVisit
from db.ids import new_ids
from db.journal import insert_many
from db.models import Staff

CATEGORY_ODDS: dict[Category, float] = {
    Category.EXTREME_POVERTY: 0.06,
    Category.MIN_ALLOWANCE: 0.18,
    Category.LOW_INCOME: 0.12,
    Category.LIVING_ALONE: 0.30,
    Category.EMPTY_NEST: 0.35,
    Category.LEFT_BEHIND: 0.05,
    Category.DISABLED: 0.15,
    Category.SEVERELY_DISABLED: 0.05,
    Category.FAMILY_PLANNING_SPECIAL: 0.03,
}
RELATIONS = ("儿子", "女儿", "儿媳", "女婿", "侄子", "外甥女")
ILLNESSES = ("高血压", "糖尿病", "冠心病", "慢性支气管炎", "关节炎", "脑梗后遗症", "白内障")
PROBLEMS = (
    "卫生间地面湿滑，有跌倒风险",
    "独自在家，近期情绪低落",
    "药品快用完，子女未及时购买",
    "冬季取暖费用有困难",
    "燃气软管老化",
)
# Visits per `insert_many` call: memory stays flat whatever the number of residents.
CHUNK = 10_000
ACTIONS = ("现场提醒注意安全，联系赡养人", "已告知社区网格员", "协助预约社区医生上门")


def _categories(rng: random.Random) -> frozenset[Category]:
    cats = {c for c, p in CATEGORY_ODDS.items() if rng.random() < p}
    if not cats:
        cats.add(rng.choice(CHOSEN_CATEGORIES))
    if Category.LIVING_ALONE in cats:
        cats.discard(Category.EMPTY_NEST)
    return frozenset(cats)


# The first choice of each field six times as likely; cumulative once. `_answers` draws exactly
# as `rng.choices(choices, cum_weights=cum)` would (same content), without its per-call set-up.
_CUMULATIVE = [
    (f.name, f.choices, list(itertools.accumulate([6] + [1] * (len(f.choices) - 1))))
    for f in CHOICE_FIELDS
]
_ANSWER_NAMES = tuple(name for name, _, _ in _CUMULATIVE)
_ANSWER_DRAWS = tuple((choices, cum, cum[-1], len(cum) - 1) for _, choices, cum in _CUMULATIVE)
_METHODS = [m.value for m in Method]
_METHOD_CUM = list(itertools.accumulate([8, 3, 1]))


def _answers(rng: random.Random) -> dict[str, str]:
    draw = rng.random
    return dict(
        zip(
            _ANSWER_NAMES,
            [
                choices[bisect.bisect(cum, draw() * total, 0, hi)]
                for choices, cum, total, hi in _ANSWER_DRAWS
            ],
            strict=True,
        )
    )


def _flush(ws: Workspace, *groups: tuple[type[Journaled], list[dict[str, Any]]]) -> None:
    """Insert in foreign-key order (residents, visits, referrals), then start new batches.

    One transaction per batch: the WAL stays small (a district-sized demo in one transaction
    would first write the whole database into the WAL, doubling the disk it takes), and memory
    stays flat. Each batch holds whole residents with their visits and referrals."""
    with ws.writer(Actor.system("demo")) as s:
        for model, group in groups:
            insert_many(s, model, group)
            group.clear()


def fill(ws: Workspace, rng: random.Random, residents: int, report: DemoReport) -> None:
    today = date.today()
    now = datetime.now()
    with ws.writer(Actor.system("demo")) as s:
        comms = accounts.communities(s)
        workers = list(
            s.execute(
                select(Staff.id, Staff.display_name).where(
                    Staff.role.in_([Role.CASEWORKER.value, Role.SUPERVISOR.value])
                )
            )
        )
        days = intervals(s)
    seen: set[str] = set()
    visits = referrals = open_refs = 0
    batch: list[dict[str, Any]] = []  # residents, then visits, then referrals (FK order)
    later: list[dict[str, Any]] = []
    last: list[dict[str, Any]] = []
    ids: list[str] = []  # a batch of fresh ids, taken from the end
    for n in range(residents):
        if len(ids) < 64:
            ids = new_ids(CHUNK)[::-1]
        sex = "女" if rng.random() < 0.58 else "男"
        birth = birth_for_age(rng, today, 60, 70 if rng.random() < 0.4 else 99)
        idn = id_number(rng, birth, sex)
        while idn in seen:
            idn = id_number(rng, birth, sex)
        seen.add(idn)
        community = comms[n % len(comms)] if rng.random() < 0.7 else rng.choice(comms)
        chosen = _categories(rng)
        suggestion = suggest_tier(with_derived(chosen, birth, today))
        tier, tier_reason = suggestion.tier, ""
        if rng.random() < 0.04 and tier is not Tier.HIGH_RISK:
            tier, tier_reason = Tier.HIGH_RISK, "近期摔倒住院，出院后需每周探访"
        enrolled = today - timedelta(days=rng.randint(20, 1800))
        status, status_date = Status.ACTIVE, None
        roll = rng.random()
        if roll < 0.03:
            status, status_date = Status.DECEASED, today - timedelta(days=rng.randint(5, 300))
        elif roll < 0.05:
            status, status_date = Status.MOVED, today - timedelta(days=rng.randint(5, 300))
        elif roll < 0.08:
            status, status_date = Status.HOSPITAL, today - timedelta(days=rng.randint(1, 20))
        if status_date is not None and status_date < enrolled:
            enrolled = status_date - timedelta(days=30)
        worker = rng.choice(workers) if workers else None
        sup_name = person_name(rng, rng.choice("男女"))
        name = person_name(rng, sex)
        resident = dict(
            id=ids.pop(),
            name=name,
            **name_columns(name),
            id_number=idn,
            birth_date=birth,
            sex=sex,
            phone=phone(rng) if rng.random() < 0.8 else "",
            address=address(rng, community.name),
            community_id=community.id,
            assigned_staff_id=worker[0] if worker else None,
            categories=encode_categories(chosen),
            living_arrangement=(
                "独自居住"
                if Category.LIVING_ALONE in chosen
                else rng.choice(LIVING_ARRANGEMENTS[1:])
            ),
            health_notes="、".join(rng.sample(ILLNESSES, rng.randint(0, 3))),
            supporter_name=sup_name,
            supporter_relation=rng.choice(RELATIONS),
            supporter_phone=phone(rng),
            emergency_name=person_name(rng, rng.choice("男女")),
            emergency_phone=phone(rng),
            status=status.value,
            status_date=status_date,
            status_note="",
            tier=tier.value,
            tier_reason=tier_reason,
            enrolled_on=enrolled,
            notes="",
        )
        batch.append(resident)
        # Twelve months of visits; some residents fall behind in recent months.
        step = days[tier.value]
        stop = status_date or today
        lapse = rng.random() < 0.18
        if lapse:
            stop = stop - timedelta(days=rng.randint(step, step * 3))
        day = max(enrolled, today - timedelta(days=365)) + timedelta(days=rng.randint(0, step))
        same = dict(  # what every visit of this resident shares
            resident_id=resident["id"],
            visitors=worker[1] if worker else "社区网格员",
            visitor_staff_id=worker[0] if worker else None,
            status=VisitStatus.COMPLETED.value,
            completed_at=now,
            completed_by=worker[1] if worker else "演示",
        )
        while day <= stop:
            visit = _answers(rng)
            problem = rng.random() < 0.06
            visit.update(same)
            visit.update(
                visit_date=day,
                effective_date=day,
                method=_METHODS[bisect.bisect(_METHOD_CUM, rng.random() * 12, 0, 2)],
                problems=rng.choice(PROBLEMS) if problem else "",
                actions=rng.choice(ACTIONS) if problem else "",
            )
            if problem:  # its referral names it; other visits get theirs from insert_many
                visit["id"] = ids.pop() if ids else new_ids(1)[0]
            later.append(visit)
            visits += 1
            if problem:
                due = day + timedelta(days=rng.randint(7, 30))
                closed = due < today - timedelta(days=20) or rng.random() < 0.3
                last.append(
                    dict(
                        visit_id=visit["id"],
                        resident_id=resident["id"],
                        target=rng.choice(REFERRAL_TARGETS),
                        description=visit["problems"],
                        due_on=due,
                        owner_staff_id=worker[0] if worker else None,
                        owner_name=worker[1] if worker else "",
                        status="已办结" if closed else "待办",
                        outcome="已协调解决" if closed else "",
                        closed_on=min(due, today) if closed else None,
                    )
                )
                referrals += 1
                open_refs += 0 if closed else 1
            day += timedelta(days=max(1, step + rng.randint(-step // 5, step // 6)))
        if len(later) > CHUNK:
            _flush(ws, (ElderlyResident, batch), (ElderlyVisit, later), (ElderlyReferral, last))
    _flush(ws, (ElderlyResident, batch), (ElderlyVisit, later), (ElderlyReferral, last))
    with ws.writer(Actor.system("demo")) as s:
        recompute(s)
    report.counts["老年人"] = residents
    report.counts["探访记录"] = visits
    report.counts["转介（未办结）"] = open_refs
    report.counts["转介（合计）"] = referrals


FILLERS.append(fill)
