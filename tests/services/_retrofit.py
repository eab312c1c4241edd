"""Helpers for programme 2 service tests: a supervisor, a contractor, opening and moving cases."""

from __future__ import annotations

from datetime import date

from caseworker.domain.retrofit import Action, HouseholdCategory, PhotoStage
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.retrofit import assessment, cases, contractors
from caseworker.workspace import Workspace
from tests.conftest import STAFF_PASSWORD, login
from tests.services._elderly import TODAY, community_ids, make_id


def supervisor(ws: Workspace, username: str = "chief", name: str = "王科长") -> Actor:
    with ws.writer(Actor.system("test")) as s:
        accounts.create_staff(
            s,
            Actor.system("test"),
            accounts.StaffDraft(username, name, Role.SUPERVISOR),
            STAFF_PASSWORD,
            force_password_change=False,
        )
    return login(ws, username, STAFF_PASSWORD)


def contractor(ws: Workspace, actor: Actor, name: str = "安居适老装饰工程有限公司") -> str:
    with ws.writer(actor) as s:
        return contractors.add(
            s, actor, contractors.ContractorDraft(name, "赵经理", "13800001111", "JZ-2026-001")
        ).id


def open_case(
    ws: Workspace,
    actor: Actor,
    name: str = "陈桂兰",
    *,
    birth: date = date(1944, 3, 8),
    seq: int = 22,
    categories: frozenset[HouseholdCategory] = frozenset({HouseholdCategory.MIN_ALLOWANCE}),
    community: str = "和平里社区",
    applied_on: date = date(2026, 10, 8),
) -> cases.CaseInfo:
    with ws.writer(actor) as s:
        return cases.apply(
            s,
            actor,
            cases.ApplicationDraft(
                name=name,
                id_number=make_id(birth, seq),
                community_id=community_ids(ws)[community],
                address="和平里七区12号楼3单元501",
                phone="13911112222",
                categories=categories,
                applied_on=applied_on,
            ),
            today=TODAY,
        )


def take_photos(ws: Workspace, actor: Actor, case_id: str, stage: PhotoStage) -> int:
    """The photos a step needs, added as a caseworker does (real JPEGs through `photos.add`):
    two before photos, or one after photo naming each assessed item. Returns how many."""
    import random
    import tempfile
    from pathlib import Path

    from caseworker.demo.retrofit import picture
    from caseworker.services.retrofit import photos
    from db.photo_store import PhotoStore

    store = PhotoStore(ws.paths.photos)
    with ws.writer(actor) as s, tempfile.TemporaryDirectory() as tmp:
        have = cases.photo_count(s, actor, case_id)
        if stage is PhotoStage.BEFORE:
            targets: list[str | None] = [] if have.before else [None, None]
        else:
            items = cases.detail(s, actor, case_id, today=TODAY).items
            targets = [i.id for i in items if not have.after_by_item.get(i.id)]
        taken = have.before + sum(have.after_by_item.values())
        rng = random.Random(f"{case_id} {taken}")
        for n, item_id in enumerate(targets):
            path = Path(tmp) / f"IMG_{n}.jpg"
            label = f"{case_id} {stage.value} {taken + n}"
            path.write_bytes(picture(rng, label, stage is PhotoStage.AFTER))
            photos.add(s, actor, store, case_id, photos.PhotoRequest(path, stage, item_id))
    return len(targets)


def step(
    ws: Workspace,
    actor: Actor,
    case_id: str,
    action: Action,
    *,
    photos: bool = True,
    **kw: object,
) -> cases.CaseInfo:
    """Take one step as `actor`. 提交评估 and 验收通过 need photos: unless `photos=False`, the
    ones the step needs are added first (by `actor`), as a caseworker takes them on site."""
    needs = {Action.SUBMIT: PhotoStage.BEFORE, Action.ACCEPT: PhotoStage.AFTER}.get(action)
    if photos and needs is not None:
        take_photos(ws, actor, case_id, needs)
    with ws.writer(actor) as s:
        return cases.act(
            s,
            actor,
            case_id,
            cases.StepRequest(action, **kw),
            today=TODAY,  # type: ignore[arg-type]
        )


def assess(ws: Workspace, actor: Actor, case_id: str, lines: list[tuple[str, int]]) -> None:
    with ws.writer(actor) as s:
        assessment.save_items(
            s,
            actor,
            case_id,
            [assessment.ItemDraft(code, qty, room="卫生间") for code, qty in lines],
            today=TODAY,
        )
