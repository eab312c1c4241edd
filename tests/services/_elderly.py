"""Helpers for programme 1 service tests: a fixed today, communities, making residents."""

from __future__ import annotations

from datetime import date

from caseworker.domain import idnumber
from caseworker.domain.elderly import Category
from caseworker.domain.roles import Actor
from caseworker.services import accounts
from caseworker.services.elderly import roster
from caseworker.workspace import Workspace

TODAY = date(2026, 11, 18)  # a Wednesday


def community_ids(ws: Workspace) -> dict[str, str]:
    with ws.reader() as s:
        return {c.name: c.id for c in accounts.communities(s)}


def make_id(birth: date, seq: int = 11, area: str = "110105") -> str:
    return idnumber.make(area, birth, seq)


def add(
    ws: Workspace,
    actor: Actor,
    name: str,
    birth: date,
    *,
    community: str = "和平里社区",
    seq: int = 11,
    categories: frozenset[Category] = frozenset({Category.EMPTY_NEST}),
    address: str = "和平路1号",
    phone: str = "",
    enrolled_on: date | None = None,
    assigned_staff_id: str | None = None,
) -> roster.ResidentInfo:
    with ws.writer(actor) as s:
        result = roster.register(
            s,
            actor,
            roster.ResidentDraft(
                name=name,
                id_number=make_id(birth, seq),
                community_id=community_ids(ws)[community],
                categories=categories,
                address=address,
                phone=phone,
                enrolled_on=enrolled_on or date(2026, 1, 5),
                assigned_staff_id=assigned_staff_id,
            ),
            today=TODAY,
        )
    assert result.created
    return result.resident
