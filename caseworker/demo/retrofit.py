"""Demo filler for programme 2: contractors and retrofit households at every step, with
synthetic before/after photos (drawn with Pillow: no real homes).

The first cases are made through the services, as staff would (so the rules, the journal and
the money are the real ones): some from the elderly roster, some not; some rejected, withdrawn,
stopped, and some construction overdue. A district-sized demo's other cases are copies of those
for new applicants (`caseworker.demo.bulk`). Same seed, same content (relative to today).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.demo import FILLERS, DemoReport, bulk
from caseworker.demo.names import address, birth_for_age, id_number, person_name, phone
from caseworker.domain.elderly import Category
from caseworker.domain.elderly import decode_categories as decode_elderly
from caseworker.domain.errors import ValidationError
from caseworker.domain.person import name_columns
from caseworker.domain.retrofit import (
    CHOSEN_HOUSEHOLD_CATEGORIES,
    Action,
    CatalogueItem,
    HouseholdCategory,
    PhotoStage,
    Step,
)
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.retrofit import assessment, cases, catalogue, contractors, photos
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from db.models import Staff
from db.photo_store import PhotoStore
from db.retrofit import RetrofitAssessmentItem, RetrofitCase, RetrofitCaseEvent

FIRMS = (
    ("安居适老装饰工程有限公司", "赵建华", "JZ-2024-0117"),
    ("康乐无障碍设施有限公司", "孙丽", "WZA-2023-0562"),
    ("颐家建筑装饰工程有限公司", "周海", "JZ-2025-0033"),
)
# Where each case stops, with its weight.
ENDS: tuple[tuple[Step, int], ...] = (
    (Step.APPLIED, 8),
    (Step.ELIGIBLE, 12),
    (Step.ASSESSED, 10),
    (Step.APPROVED, 8),
    (Step.CONSTRUCTION, 15),
    (Step.INSPECTION, 8),
    (Step.COMPLETED, 30),
    (Step.REJECTED, 4),
    (Step.WITHDRAWN, 3),
    (Step.TERMINATED, 2),
)
ROOMS = {
    "地面": "过道",
    "通道/门": "门口/楼道",
    "卧室": "卧室",
    "如厕洗浴": "卫生间",
    "厨房": "厨房",
}
MAX_WITH_PHOTOS = 24  # photos are drawn for the first cases only (drawing takes time)


def _actors(ws: Workspace) -> tuple[list[Actor], Actor]:
    with ws.reader() as s:
        rows = s.execute(
            select(Staff.id, Staff.username, Staff.display_name, Staff.role).where(
                Staff.role.in_([Role.CASEWORKER.value, Role.SUPERVISOR.value])
            )
        ).all()
    workers = [Actor(i, u, n, Role(r)) for i, u, n, r in rows if r == Role.CASEWORKER.value]
    chiefs = [Actor(i, u, n, Role(r)) for i, u, n, r in rows if r == Role.SUPERVISOR.value]
    system = Actor.system("demo")
    return workers or [system], chiefs[0] if chiefs else system


def picture(rng: random.Random, label: str, after: bool) -> bytes:
    """A synthetic room: wall, floor, a door and (after) grab bars and an anti-slip floor."""
    from PIL import Image, ImageDraw

    w, h = 1200, 900
    wall = tuple(rng.randint(170, 235) for _ in range(3))
    img = Image.new("RGB", (w, h), wall)
    d = ImageDraw.Draw(img)
    floor_top = rng.randint(560, 640)
    floor = (120, 110, 100) if not after else (90, 120, 95)
    d.rectangle((0, floor_top, w, h), fill=floor)
    if after:  # anti-slip pattern
        for x in range(0, w, 40):
            d.line((x, floor_top, x - 120, h), fill=(70, 100, 75), width=3)
    door_x = rng.randint(80, 700)
    d.rectangle((door_x, 180, door_x + 260, floor_top), fill=(150, 105, 70), outline=(60, 40, 30))
    d.ellipse((door_x + 220, 380, door_x + 240, 400), fill=(220, 200, 80))
    if after:
        y = rng.randint(380, 460)
        d.rounded_rectangle(
            (w - 420, y, w - 60, y + 24), 10, fill=(235, 235, 235), outline=(90, 90, 90)
        )
        d.rectangle((w - 430, y - 40, w - 410, y + 64), fill=(140, 140, 140))
        d.rectangle((w - 70, y - 40, w - 50, y + 64), fill=(140, 140, 140))
    d.rectangle((0, 0, w, 60), fill=(40, 40, 40))
    d.text((20, 20), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def _categories(rng: random.Random) -> frozenset[HouseholdCategory]:
    roll = rng.random()
    if roll < 0.15:
        return frozenset({HouseholdCategory.EXTREME_POVERTY})
    if roll < 0.55:
        extra = {HouseholdCategory.DISABLED} if rng.random() < 0.3 else set()
        return frozenset({HouseholdCategory.MIN_ALLOWANCE, *extra})
    if roll < 0.85:
        return frozenset(
            {HouseholdCategory.LOW_INCOME, rng.choice(CHOSEN_HOUSEHOLD_CATEGORIES[3:])}
        )
    return frozenset({rng.choice(CHOSEN_HOUSEHOLD_CATEGORIES)})


def fill(ws: Workspace, rng: random.Random, residents: int, report: DemoReport) -> None:
    today = date.today()
    n_cases = max(12, min(400, residents // 20))
    workers, chief = _actors(ws)
    store = PhotoStore(ws.paths.photos)
    with ws.writer(workers[0]) as s:
        firms = [
            contractors.add(s, workers[0], contractors.ContractorDraft(n, c, phone(rng), lic)).id
            for n, c, lic in FIRMS
        ]
        communities = accounts.communities(s)
        poor = s.execute(
            select(ElderlyResident.id, ElderlyResident.categories)
            .where(
                ElderlyResident.categories.like("%低%") | ElderlyResident.categories.like("%特困%")
            )
            .order_by(ElderlyResident.id_number)
        ).all()
        items = [i for i in catalogue.items(s)]
    from_roster = [
        rid
        for rid, cats in poor
        if decode_elderly(cats)
        & {Category.MIN_ALLOWANCE, Category.EXTREME_POVERTY, Category.LOW_INCOME}
    ]
    rng.shuffle(from_roster)
    basic = [i for i in items if i.basic]
    optional = [i for i in items if not i.basic]
    demo = _Demo(ws, rng, store, chief, firms, basic, optional, today)
    counts = dict.fromkeys(Step, 0)
    templates: list[tuple[str, Step]] = []
    for n in range(min(n_cases, SERVICE_CASES)):
        # The first cases visit every step once (a small demo still shows each list).
        end = (
            ENDS[n][0]
            if n < len(ENDS)
            else rng.choices([e for e, _ in ENDS], [w for _, w in ENDS])[0]
        )
        worker = workers[n % len(workers)]
        applied = today - timedelta(
            days=rng.randint(45, 300) if end is not Step.APPLIED else rng.randint(0, 12)
        )
        with ws.writer(worker) as s:
            if n % 2 == 0 and from_roster:
                draft = cases.prefill_from_resident(s, worker, from_roster.pop())
            else:
                community = rng.choice(communities)
                sex = rng.choice("男女")
                birth = birth_for_age(rng, today, 62, 94)
                draft = cases.ApplicationDraft(
                    name=person_name(rng, sex),
                    id_number=id_number(rng, birth, sex),
                    community_id=community.id,
                    phone=phone(rng),
                    address=address(rng, community.name),
                    contact_name=person_name(rng, rng.choice("男女")),
                    contact_phone=phone(rng),
                    categories=_categories(rng),
                )
            draft = cases.ApplicationDraft(
                **{
                    **draft.__dict__,
                    "applied_on": applied,
                    "note": "老人行动不便，卫生间湿滑，申请改造",
                }
            )
            try:
                case = cases.apply(s, worker, draft, today=today)
            except ValidationError:  # the same person drawn twice: skip
                continue
        _walk(demo, case, end, worker, n < MAX_WITH_PHOTOS, n < len(ENDS))
        counts[end] += 1
        templates.append((case.id, end))
    if n_cases > SERVICE_CASES and templates:
        with ws.writer(workers[0]) as s:
            for end in _copies(s, rng, templates, n_cases - SERVICE_CASES, today):
                counts[end] += 1
    report.counts["改造户"] = sum(counts.values())
    for st in (Step.COMPLETED, Step.CONSTRUCTION, Step.REJECTED, Step.WITHDRAWN):
        report.counts[f"改造户（{st.value}）"] = counts[st]
    report.counts["施工单位"] = len(firms)


# The first cases go through the services (every step, photos for the first ones); the rest
# are copies of them (caseworker/demo/bulk.py) for a new applicant, with their own case number.
SERVICE_CASES = 40
ORDER = (RetrofitCase, RetrofitCaseEvent, RetrofitAssessmentItem)


def _template(s: Session, case_id: str) -> bulk.Tree:
    """A case the services made, with its timeline and assessed items (not its photos)."""
    tree: bulk.Tree = [
        (RetrofitCase, r) for r in bulk.load(s, RetrofitCase, RetrofitCase.id == case_id)
    ]
    for model in (RetrofitCaseEvent, RetrofitAssessmentItem):
        tree += [(model, r) for r in bulk.load(s, model, model.case_id == case_id)]
    return tree


def _copies(
    s: Session, rng: random.Random, templates: list[tuple[str, Step]], count: int, today: date
) -> list[Step]:
    """`count` more cases, each ending where a weighted draw says, copied from a template that
    ended there, for a new applicant (linked to the roster when on it, as `cases.apply` does)
    and the next case number of its year. Returns the steps the copies are at."""
    by_end: dict[Step, list[bulk.Tree]] = {}
    for case_id, end in templates:
        by_end.setdefault(end, []).append(_template(s, case_id))
    ends = [e for e, _ in ENDS if e in by_end]
    weights = [w for e, w in ENDS if e in by_end]
    places = {c.id: c.name for c in accounts.communities(s)}
    office = accounts.office(s)
    prefix = f"{office.code if office else 'GZ'}-"
    taken = set(s.scalars(select(RetrofitCase.case_no)))
    seen = set(s.scalars(select(RetrofitCase.id_number)))
    ids = bulk.IdPool()
    out = bulk.Batches(s, ORDER, 5_000)
    made: list[Step] = []
    for n in range(count):
        end = rng.choices(ends, weights)[0]
        pool = by_end[end]
        tree = bulk.copy_tree(pool[n % len(pool)], ids)
        case = tree[0][1]
        sex = rng.choice("男女")
        birth = birth_for_age(rng, today, 62, 94)
        idn = id_number(rng, birth, sex)
        while idn in seen:
            idn = id_number(rng, birth, sex)
        seen.add(idn)
        name = person_name(rng, sex)
        year = f"{prefix}{case['applied_on'].year}-"
        number = 1 + sum(1 for no in taken if no.startswith(year))
        while f"{year}{number:04d}" in taken:
            number += 1
        taken.add(f"{year}{number:04d}")
        case.update(
            case_no=f"{year}{number:04d}",
            resident_id=s.scalar(
                select(ElderlyResident.id).where(ElderlyResident.id_number == idn)
            ),
            applicant_name=name,
            **name_columns(name, sort_key=False),
            id_number=idn,
            birth_date=birth,
            sex=sex,
            phone=phone(rng),
            address=address(rng, places[case["community_id"]]),
            contact_name=person_name(rng, rng.choice("男女")),
            contact_phone=phone(rng),
            signed_by=name if case["signed_by"] else "",
        )
        out.add(tree)
        made.append(end)
    out.flush()
    return made


@dataclass(frozen=True)
class _Demo:
    """What every case's walk draws on: the office, the approver, firms and items, the day."""

    ws: Workspace
    rng: random.Random
    store: PhotoStore
    chief: Actor
    firms: list[str]
    basic: list[CatalogueItem]
    optional: list[CatalogueItem]
    today: date


def _walk(  # noqa: C901
    demo: _Demo,
    case: cases.CaseInfo,
    end: Step,
    worker: Actor,
    with_photos: bool,
    first_round: bool,
) -> None:
    """Take the case along the path to `end`, with dates in order and never after today."""
    ws, rng, store, chief, firms = demo.ws, demo.rng, demo.store, demo.chief, demo.firms
    basic, optional, today = demo.basic, demo.optional, demo.today
    day = case.applied_on

    def later(lo: int, hi: int) -> date:
        nonlocal day
        day = min(today, day + timedelta(days=rng.randint(lo, hi)))
        return day

    def act(actor: Actor, action: Action, **kw) -> None:
        with ws.writer(actor) as s:
            cases.act(s, actor, case.id, cases.StepRequest(action, **kw), today=today)

    if end is Step.REJECTED:
        act(worker, Action.REJECT, on=later(2, 8), reason="户籍不在本街道，请到户籍地申请")
        return
    if end is Step.WITHDRAWN:
        act(worker, Action.WITHDRAW, on=later(2, 20), reason="子女决定自行改造")
        return
    if end is Step.APPLIED:
        return
    act(worker, Action.CHECK, on=later(1, 6))
    if end is Step.ELIGIBLE:
        return
    chosen = rng.sample(basic, rng.randint(2, 5)) + rng.sample(optional, rng.randint(0, 3))
    with ws.writer(worker) as s:
        assessment.save_items(
            s,
            worker,
            case.id,
            [
                assessment.ItemDraft(
                    i.code,
                    rng.choice([800, 1000, 1250, 1500])
                    if i.unit == "平方米"
                    else rng.randint(1, 3) * 100,
                    ROOMS.get(i.part.value, "客厅"),
                    "",
                )
                for i in chosen
            ],
            today=today,
        )
        if with_photos:
            for k in range(2):
                _photo(
                    s, worker, store, rng, case, PhotoStage.BEFORE, f"{case.case_no} before {k + 1}"
                )
    if not with_photos:  # photos are drawn for the first cases only: the others say why not
        _waive(ws, chief, case.id, PhotoStage.BEFORE, day, "户主不同意拍摄室内照片")
    act(worker, Action.SUBMIT, on=later(2, 10), reason="卫生间无扶手，地面湿滑")
    if end is Step.ASSESSED:
        return
    act(chief, Action.APPROVE, on=later(1, 7))
    if end is Step.APPROVED:
        return
    if end is Step.TERMINATED:
        act(chief, Action.TERMINATE, on=later(3, 15), reason="老人入住养老机构，终止改造")
        return
    start = later(3, 12)
    overdue = end is Step.CONSTRUCTION and (first_round or rng.random() < 0.5)
    planned = start + timedelta(days=rng.randint(10, 25))
    if end is Step.CONSTRUCTION and not overdue:
        planned = max(planned, today + timedelta(days=rng.randint(2, 20)))
    act(
        worker,
        Action.START,
        contractor_id=rng.choice(firms),
        start=start,
        planned_end=planned,
        on=start,
    )
    if end is Step.CONSTRUCTION:
        return
    act(worker, Action.FINISH, on=later(5, 20))
    if with_photos:  # one after photo of each item (acceptance needs them)
        with ws.writer(worker) as s:
            for item in cases.detail(s, worker, case.id, today=today).items:
                label = f"{case.case_no} after {item.name}"
                _photo(s, worker, store, rng, case, PhotoStage.AFTER, label, item.id)
    else:
        _waive(ws, chief, case.id, PhotoStage.AFTER, day, "户主不同意拍摄室内照片")
    if end is Step.INSPECTION:
        return
    act(worker, Action.ACCEPT, on=later(1, 10), signed_by=case.name)


def _waive(ws, chief, case_id, stage, on, reason) -> None:
    with ws.writer(chief) as s:
        cases.waive_photos(s, chief, case_id, stage, reason, today=on)


def _photo(s, actor, store, rng, case, stage, label, item_id=None) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"IMG_{rng.randint(1000, 9999)}.jpg"
        path.write_bytes(picture(rng, label, stage is PhotoStage.AFTER))
        request = photos.PhotoRequest(path, stage, item_id, caption=label[:200])
        photos.add(s, actor, store, case.id, request)


FILLERS.append(fill)
