"""Helpers for programme 2 service tests: a supervisor, a contractor, opening and moving cases."""

from __future__ import annotations

from datetime import date

from caseworker.domain.retrofit import Action, HouseholdCategory
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


def step(ws: Workspace, actor: Actor, case_id: str, action: Action, **kw: object) -> cases.CaseInfo:
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
