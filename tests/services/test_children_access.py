"""Confidentiality below the UI: every public children service called as every role and community.

Only child-protection roles read or write; a child director only in their own community (other
communities' records are not found, lists come back empty); assessment, plans, closure, the view
log and key grants are the child supervisor's; every other role gets counts only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from caseworker.domain.children import CloseReason, LeaveReason, Risk, ServiceStatus
from caseworker.domain.errors import NotFound, PermissionDenied
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.children import (
    cases,
    forms,
    keys,
    register,
    rotation,
    search,
    worklists,
)
from caseworker.workspace import Workspace
from tests.conftest import STAFF_PASSWORD, login
from tests.services._children import SECRET, TODAY, add_child, add_child_staff, child_id_number
from tests.services._elderly import community_ids


class _Rollback(Exception):
    pass


@dataclass
class World:
    ws: Workspace
    actors: dict[str, Actor]
    ids: dict[str, str]


@pytest.fixture
def world(office_ws: Workspace, admin: Actor, worker: Actor) -> World:
    ws = office_ws
    with ws.writer(admin) as s:
        accounts.create_staff(
            s,
            admin,
            accounts.StaffDraft("kezhang", "孙科长", Role.SUPERVISOR),
            STAFF_PASSWORD,
            force_password_change=False,
        )
    child_staff = add_child_staff(ws)
    sup = child_staff["dudao"]
    child = add_child(ws, sup, "周小雨", date(2014, 6, 2), notes=SECRET)
    ids: dict[str, str] = {"child": child.id}
    with ws.writer(sup) as s:
        father = register.add_guardian(s, sup, child.id, register.GuardianDraft("父亲", "周大"))
        ids["father"] = father.id
        ids["condition"] = register.add_condition(
            s,
            sup,
            child.id,
            register.ConditionDraft(
                father.id, "重病", date(2025, 5, 1), "医院诊断证明", "市人民医院", date(2025, 5, 2)
            ),
            today=TODAY,
        ).id

        def new_case(day: int) -> str:
            return cases.report(
                s,
                sup,
                cases.ReportDraft(child.id, "学校", date(2026, 11, day), SECRET),
                today=TODAY,
            ).id

        ids["reported"] = new_case(1)
        ids["verified"] = new_case(2)
        cases.verify(s, sup, ids["verified"], date(2026, 11, 3), True, "属实", today=TODAY)
        ids["assessed"] = new_case(3)
        cases.verify(s, sup, ids["assessed"], date(2026, 11, 4), True, "属实", today=TODAY)
        cases.assess(s, sup, ids["assessed"], date(2026, 11, 5), Risk.MEDIUM, [], "中", today=TODAY)
        ids["planned"] = new_case(4)
        cases.verify(s, sup, ids["planned"], date(2026, 11, 5), True, "属实", today=TODAY)
        cases.assess(s, sup, ids["planned"], date(2026, 11, 6), Risk.HIGH, [], "高", today=TODAY)
        ids["service"] = cases.plan(
            s,
            sup,
            ids["planned"],
            date(2026, 11, 6),
            [cases.ServiceDraft("心理介入", "每周一次", "王督导", date(2026, 11, 10))],
            today=TODAY,
        )[0].id
        ids["closed"] = new_case(5)
        cases.close(
            s, sup, ids["closed"], date(2026, 11, 6), CloseReason.MOVED_AWAY, "", today=TODAY
        )
    actors = {
        "admin": admin,
        "worker": worker,
        "kezhang": login(ws, "kezhang", STAFF_PASSWORD),
        **child_staff,
    }
    ids["hepingli"] = community_ids(ws)["和平里社区"]
    ids["ertong1"] = child_staff["ertong1"].staff_id or ""
    return World(ws, actors, ids)


D = date(2026, 11, 17)


def calls(ids: dict[str, str]) -> dict[str, tuple[Callable[[Any, Actor], Any], str]]:
    """service name → (call, kind). kind: "write"/"read" (record in 和平里社区), "supervisor"
    (child supervisor only; "-refused": allowed but refused here by a rule), "list" (scoped list), "figures" (counts for everyone)."""
    child, case = ids["child"], ids["planned"]
    draft = register.ChildDraft("吴小花", child_id_number(date(2016, 1, 1), 33), ids["hepingli"])
    cond = register.ConditionDraft(
        ids["father"], "失联", date(2026, 1, 2), "公安机关报案回执/证明", "派出所", date(2026, 1, 2)
    )
    return {
        "register.register": (lambda s, a: register.register(s, a, draft, today=TODAY), "write"),
        "register.update": (
            lambda s, a: register.update(
                s,
                a,
                child,
                register.ChildDraft(
                    "周小雨", child_id_number(date(2014, 6, 2)), ids["hepingli"], notes="改"
                ),
                today=TODAY,
            ),
            "write",
        ),
        "register.get": (lambda s, a: register.get(s, a, child, today=TODAY), "read"),
        "register.find_by_id_number": (
            lambda s, a: register.find_by_id_number(s, a, child_id_number(date(2014, 6, 2))),
            "list",
        ),
        "register.add_guardian": (
            lambda s, a: register.add_guardian(s, a, child, register.GuardianDraft("母亲", "刘")),
            "write",
        ),
        "register.update_guardian": (
            lambda s, a: register.update_guardian(
                s, a, ids["father"], register.GuardianDraft("父亲", "周大大")
            ),
            "write",
        ),
        "register.guardians_of": (lambda s, a: register.guardians_of(s, a, child), "read"),
        "register.add_condition": (
            lambda s, a: register.add_condition(s, a, child, cond, today=TODAY),
            "write",
        ),
        "register.end_condition": (
            lambda s, a: register.end_condition(s, a, ids["condition"], D, "康复", today=TODAY),
            "write",
        ),
        "register.categories_of": (
            lambda s, a: register.categories_of(s, a, child, today=TODAY),
            "read",
        ),
        "register.confirm_new": (
            lambda s, a: register.confirm_new(s, a, child, today=TODAY),
            "write",
        ),
        "register.remove_category": (
            lambda s, a: register.remove_category(s, a, child, "孤儿", "无", today=TODAY),
            "write-refused",
        ),
        "register.detail": (lambda s, a: register.detail(s, a, child, today=TODAY), "read"),
        "register.leave": (
            lambda s, a: register.leave(s, a, child, LeaveReason.MOVED_AWAY, TODAY, today=TODAY),
            "supervisor",
        ),
        "register.rejoin": (
            lambda s, a: register.rejoin(s, a, child, TODAY, "搬回", today=TODAY),
            "supervisor-refused",
        ),
        "cases.report": (
            lambda s, a: cases.report(
                s, a, cases.ReportDraft(child, "热线", D, "看到"), today=TODAY
            ),
            "write",
        ),
        "cases.verify": (
            lambda s, a: cases.verify(s, a, ids["reported"], D, True, "属实", today=TODAY),
            "write",
        ),
        "cases.assess": (
            lambda s, a: cases.assess(s, a, ids["verified"], D, Risk.LOW, [], "低", today=TODAY),
            "supervisor",
        ),
        "cases.plan": (
            lambda s, a: cases.plan(
                s,
                a,
                ids["assessed"],
                D,
                [cases.ServiceDraft("救助帮扶", "临时救助", "王督导", date(2026, 12, 1))],
                today=TODAY,
            ),
            "supervisor",
        ),
        "cases.finish_service": (
            lambda s, a: cases.finish_service(
                s, a, ids["service"], ServiceStatus.DONE, D, "已完成", today=TODAY
            ),
            "write",
        ),
        "cases.record_visit": (
            lambda s, a: cases.record_visit(
                s,
                a,
                cases.VisitDraft(child, D, "入户", "赵主任", "正常", case_id=case),
                today=TODAY,
            ),
            "write",
        ),
        "cases.visits_of": (lambda s, a: cases.visits_of(s, a, child), "read"),
        "cases.close": (
            lambda s, a: cases.close(s, a, case, D, CloseReason.RISK_REMOVED, "", today=TODAY),
            "supervisor",
        ),
        "cases.reopen": (
            lambda s, a: cases.reopen(s, a, ids["closed"], D, "又发现", today=TODAY),
            "supervisor",
        ),
        "cases.cases_of": (lambda s, a: cases.cases_of(s, a, child), "read"),
        "cases.detail": (lambda s, a: cases.detail(s, a, case), "read"),
        "search.count": (lambda s, a: search.count(s, a, search.ChildQuery()), "list"),
        "search.page": (lambda s, a: search.page(s, a, search.ChildQuery(), 0, 50), "list"),
        "search.first_page": (
            lambda s, a: search.first_page(s, a, search.ChildQuery(), 50),
            "list",
        ),
        "worklists.work_lists": (
            lambda s, a: worklists.work_lists(s, a, today=TODAY),
            "list",
        ),
        "worklists.case_list": (
            lambda s, a: worklists.case_list(s, a, "urgent", today=TODAY),
            "list",
        ),
        "worklists.services_overdue": (
            lambda s, a: worklists.services_overdue(s, a, today=TODAY),
            "list",
        ),
        "worklists.category_items": (
            lambda s, a: worklists.category_items(s, a, today=TODAY),
            "list",
        ),
        "worklists.leave_items": (
            lambda s, a: worklists.leave_items(s, a, today=TODAY),
            "list",
        ),
        "worklists.figures": (lambda s, a: worklists.figures(s, a, today=TODAY), "figures"),
        "worklists.view_log": (lambda s, a: worklists.view_log(s, a), "supervisor-list"),
        "keys.holders": (lambda s, a: keys.holders(s, a), "supervisor-list"),
        "forms.child_file_pdf": (lambda s, a: forms.child_file_pdf(s, a, child), "read"),
        "forms.case_summary_pdf": (lambda s, a: forms.case_summary_pdf(s, a, case), "read"),
        "forms.visit_form_data": (
            lambda s, a: forms.visit_form_data(s, a, date(2026, 11, 1), today=TODAY).child_ids,
            "list",
        ),
        "keys.grant": (lambda s, a: keys.grant(s, a, ids["ertong1"]), "supervisor"),
        "rotation.rotate": (lambda s, a: rotation.rotate(s, a), "supervisor"),
    }


def attempt(ws: Workspace, actor: Actor, fn: Callable[[Any, Actor], Any]) -> Any:
    """Run the call in a writer and roll it back, returning its result or its exception."""
    box: list[Any] = []
    try:
        with ws.writer(actor) as s:
            try:
                box.append(fn(s, actor))
            except Exception as exc:
                box.append(exc)
            raise _Rollback
    except _Rollback:
        pass
    return box[0]


def _is_empty(result: Any) -> bool:
    if result is None or result == 0:
        return True
    if isinstance(result, list):
        return not result
    if isinstance(result, tuple) and len(result) == 2:  # first_page: (count, rows)
        return result[0] == 0 and not result[1]
    if isinstance(result, worklists.WorkLists):
        return all(not getattr(result, f) for f in result.__dataclass_fields__)
    return False


def test_every_public_children_service_is_in_the_matrix() -> None:
    ids = {k: "x" for k in ("child", "planned", "hepingli", "father", "condition", "reported")}
    ids |= {k: "x" for k in ("verified", "assessed", "service", "closed", "ertong1")}
    listed = set(calls(ids))
    public = set()
    for module in (register, cases, search, worklists, keys, forms, rotation):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:2] == ["session", "actor"]:
                public.add(f"{module.__name__.rsplit('.', 1)[1]}.{name}")
    assert public == listed


def test_every_service_as_every_role_and_community(world: World) -> None:
    table = calls(world.ids)
    for who, actor in world.actors.items():
        for name, (fn, kind) in table.items():
            result = attempt(world.ws, actor, fn)
            where = f"{name} as {who}"
            if kind == "figures":
                assert isinstance(result, worklists.Figures), where
                continue
            if who in ("admin", "worker", "kezhang"):
                assert isinstance(result, PermissionDenied), where
            elif who == "dudao":
                if kind.endswith("refused"):
                    assert not isinstance(result, PermissionDenied | NotFound), where
                else:
                    assert not isinstance(result, Exception), f"{where}: {result!r}"
            elif who == "ertong1":  # director of 和平里社区, where the child lives
                if kind.startswith("supervisor"):
                    assert isinstance(result, PermissionDenied), where
                elif kind != "write-refused":
                    assert not isinstance(result, Exception), f"{where}: {result!r}"
            else:  # ertong2: director of 安贞社区
                if kind.startswith("supervisor"):
                    assert isinstance(result, PermissionDenied), where
                elif kind == "list":
                    assert _is_empty(result), f"{where}: {result!r}"
                elif kind == "write" and name == "register.register":
                    assert isinstance(result, PermissionDenied), where
                else:
                    assert isinstance(result, NotFound), f"{where}: {result!r}"


def test_other_roles_see_the_same_counts_as_the_supervisor_but_no_records(world: World) -> None:
    with world.ws.reader() as s:
        full = worklists.figures(s, world.actors["dudao"], today=TODAY)
        admin = worklists.figures(s, world.actors["admin"], today=TODAY)
        other = worklists.figures(s, world.actors["ertong2"], today=TODAY)
    assert admin.children == full.children == 1
    assert admin.open_cases_by_step == full.open_cases_by_step
    assert other.children == 0 and other.scoped_to == "安贞社区"


def test_lists_mask_id_numbers_and_addresses_the_page_shows_them(world: World) -> None:
    sup = world.actors["dudao"]
    with world.ws.reader() as s:
        rows = search.page(s, sup, search.ChildQuery(text="小雨"), 0, 10)
    assert len(rows) == 1
    full_id = child_id_number(date(2014, 6, 2))
    assert rows[0].id_number_masked == full_id[:6] + "********" + full_id[-4:]
    assert rows[0].address_masked == "和平路****"
    with world.ws.writer(sup) as s:
        page = register.detail(s, sup, world.ids["child"], today=TODAY)
    assert page.child.id_number == full_id and page.child.address == "和平路12号3单元401"


def test_every_open_is_logged_journaled_and_shown_to_the_supervisor(world: World) -> None:
    from sqlalchemy import func, select

    from db.models import JournalEntry

    director = world.actors["ertong1"]
    with world.ws.writer(director) as s:
        register.detail(s, director, world.ids["child"], today=TODAY)
        cases.detail(s, director, world.ids["planned"])
    with world.ws.reader() as s:
        rows = worklists.view_log(s, world.actors["dudao"], child_id=world.ids["child"])
        journaled = s.scalar(
            select(func.count()).where(JournalEntry.table_name == "child_view_log")
        )
    assert [(r.staff_name, r.action) for r in rows[:2]] == [
        ("赵主任", "打开个案"),
        ("赵主任", "打开档案"),
    ]
    assert journaled == len(rows) >= 2


def test_child_records_stay_out_of_the_general_audit_trail(world: World) -> None:
    from caseworker.services import audit

    with world.ws.reader() as s:
        rows = audit.page(s, world.actors["admin"], audit.AuditFilter(), 0, 10_000)
    assert rows and not any(r.table_name.startswith("child") for r in rows)
