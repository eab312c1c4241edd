"""Helpers for programme 3 service tests: child-role accounts logged in, children, cases."""

from __future__ import annotations

from datetime import date

from caseworker.domain import idnumber
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts
from caseworker.services.children import register
from caseworker.workspace import Workspace
from tests.conftest import STAFF_PASSWORD, login
from tests.services._elderly import community_ids

TODAY = date(2026, 11, 18)
SECRET = "孩子手臂有多处淤青，说是被继父用皮带打的"


def child_id_number(birth: date, seq: int = 21, area: str = "110105") -> str:
    return idnumber.make(area, birth, seq)


def add_child_staff(ws: Workspace) -> dict[str, Actor]:
    """A child supervisor and a child director for 和平里社区 and 安贞社区, all logged in."""
    ids = community_ids(ws)
    system = Actor.system("test")
    with ws.writer(system) as s:
        for username, name, role, community in (
            ("dudao", "王督导", Role.CHILD_SUPERVISOR, None),
            ("ertong1", "赵主任", Role.CHILD_DIRECTOR, ids["和平里社区"]),
            ("ertong2", "钱主任", Role.CHILD_DIRECTOR, ids["安贞社区"]),
        ):
            accounts.create_staff(
                s,
                system,
                accounts.StaffDraft(username, name, role, community),
                STAFF_PASSWORD,
                force_password_change=False,
            )
    out = {"dudao": login(ws, "dudao", STAFF_PASSWORD)}
    from caseworker.services.children import keys

    with ws.writer(out["dudao"]) as s:
        for h in keys.holders(s, out["dudao"]):
            if h.state != "已授权":
                keys.grant(s, out["dudao"], h.staff_id)
    out["ertong1"] = login(ws, "ertong1", STAFF_PASSWORD)
    out["ertong2"] = login(ws, "ertong2", STAFF_PASSWORD)
    return out


def add_child(
    ws: Workspace,
    actor: Actor,
    name: str,
    birth: date,
    *,
    community: str = "和平里社区",
    seq: int = 21,
    address: str = "和平路12号3单元401",
    notes: str = "",
) -> register.ChildInfo:
    with ws.writer(actor) as s:
        result = register.register(
            s,
            actor,
            register.ChildDraft(
                name=name,
                id_number=child_id_number(birth, seq),
                community_id=community_ids(ws)[community],
                address=address,
                school="和平里小学",
                notes=notes,
            ),
            today=TODAY,
        )
    assert result.created
    return result.child
