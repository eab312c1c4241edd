"""What goes on printed visit forms and route sheets: plain data for caseworker.printing, and
`print_forms`, the one path by which the window and the command line print visit forms.

Who is printed for a month: residents still scheduled whose next visit is due on or before
the month's last day (overdue ones included), in route order (community, then address).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from caseworker.domain import schedule as rules
from caseworker.domain.person import Person
from caseworker.domain.roles import Actor
from caseworker.domain.visit_form import ReferralStatus
from caseworker.printing.route_sheet import RouteRow, RouteSheetData
from caseworker.printing.visit_forms import VisitFormData
from caseworker.services import accounts
from caseworker.services.elderly._common import can_view, today_or
from caseworker.services.elderly.schedule import intervals
from db.base import table_of
from db.elderly import ElderlyReferral, ElderlyResident
from db.models import Community
from db.replica import Replica

R = table_of(ElderlyResident).c


def _base() -> Select:
    return (
        select(
            R.id,
            R.name,
            R.sex,
            R.birth_date,
            R.id_number,
            R.phone,
            R.address,
            R.categories,
            R.tier,
            R.living_arrangement,
            R.supporter_name,
            R.supporter_relation,
            R.supporter_phone,
            R.emergency_name,
            R.emergency_phone,
            R.health_notes,
            R.last_visit_on,
            R.next_due,
            Community.name,
        )
        .select_from(ElderlyResident)
        .join(Community, Community.id == R.community_id)
        .where(R.deleted_at.is_(None))
    )


def _due_in(month: date, community_id: str | None, assigned_staff_id: str | None = None) -> Select:
    _first, last = rules.month_of(month)
    q = _base().where(R.next_due.is_not(None), R.next_due <= last)
    if community_id:
        q = q.where(R.community_id == community_id)
    if assigned_staff_id:
        q = q.where(R.assigned_staff_id == assigned_staff_id)
    return q.order_by(Community.sort_order, Community.name, R.address, R.name, R.id)


def _open_referrals(session: Session, ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    F = ElderlyReferral
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for rid, target, due in session.execute(
            select(F.resident_id, F.target, F.due_on)
            .where(
                F.resident_id.in_(chunk),
                F.status != ReferralStatus.CLOSED.value,
                F.deleted_at.is_(None),
            )
            .order_by(F.due_on)
        ):
            out.setdefault(rid, []).append(f"{target}（{due:%m-%d}）")
    return out


def _month_label(month: date) -> str:
    return f"{month.year}年{month.month}月"


def _forms(
    session: Session, q: Select, month: date, today: date
) -> list[tuple[str, VisitFormData]]:
    office = accounts.office(session)
    office_name = office.name if office else ""
    days = intervals(session)
    rows = session.execute(q).all()
    refs = _open_referrals(session, [r[0] for r in rows])
    out = []
    for (
        rid,
        name,
        sex,
        birth,
        idn,
        phone,
        address,
        cats,
        tier,
        living,
        sup_name,
        sup_rel,
        sup_phone,
        em_name,
        em_phone,
        health,
        last,
        due,
        cname,
    ) in rows:
        overdue = rules.days_overdue(due, today)
        due_text = "" if due is None else f"{due:%Y-%m-%d}"
        if overdue:
            due_text += f"（已逾期 {overdue} 天）"
        proposed = ""
        if due is not None:
            proposed = f"{rules.propose_next_visit(max(due, today), days[tier]):%Y-%m-%d}"
        person = Person(name, idn, birth, sex, phone)
        form = VisitFormData(
            office_name=office_name,
            community_name=cname,
            month_label=_month_label(month),
            resident_name=person.name,
            sex=person.sex,
            age=str(person.age_on(today)),
            id_number_masked=person.id_number_masked,
            phone=person.phone,
            address=address,
            categories="、".join(p for p in cats.split(",") if p),
            tier=tier,
            living_arrangement=living,
            supporter=f"{sup_name}（{sup_rel}）" if sup_name and sup_rel else sup_name,
            supporter_phone=sup_phone,
            emergency_contact=em_name,
            emergency_phone=em_phone,
            health_notes=health,
            last_visit="" if last is None else f"{last:%Y-%m-%d}",
            due=due_text,
            open_referrals="；".join(refs.get(rid, [])),
            proposed_next=proposed,
            resident_id=rid,
        )
        out.append((rid, form))
    return out


def month_forms(
    session: Session,
    actor: Actor,
    month: date,
    *,
    community_id: str | None = None,
    assigned_staff_id: str | None = None,
    today: date | None = None,
) -> list[VisitFormData]:
    """Pre-filled forms for everyone due by the end of `month` (in one community, with one
    person responsible, when given), in route order."""
    can_view(actor)
    due = _due_in(month, community_id, assigned_staff_id)
    return [f for _rid, f in _forms(session, due, month, today_or(today))]


def selection_forms(
    session: Session,
    actor: Actor,
    resident_ids: Sequence[str],
    *,
    today: date | None = None,
) -> list[VisitFormData]:
    """Pre-filled forms for any residents (e.g. the rows selected in the roster), in the
    order given."""
    can_view(actor)
    day = today_or(today)
    forms: dict[str, VisitFormData] = {}
    ids = list(dict.fromkeys(resident_ids))
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        forms.update(_forms(session, _base().where(R.id.in_(chunk)), day, day))
    return [forms[i] for i in ids if i in forms]


def route_sheets(
    session: Session,
    actor: Actor,
    month: date,
    *,
    community_id: str | None = None,
    assigned_staff_id: str | None = None,
    today: date | None = None,
) -> list[RouteSheetData]:
    """One route sheet per community (only communities with someone due)."""
    can_view(actor)
    day = today_or(today)
    office = accounts.office(session)
    sheets: dict[str, list[RouteRow]] = {}
    for row in session.execute(_due_in(month, community_id, assigned_staff_id)):
        (_rid, name, sex, birth, idn, phone, address, *_rest) = row
        tier, last, due, cname = row[8], row[16], row[17], row[18]
        person = Person(name, idn, birth, sex, phone)
        sheets.setdefault(cname, []).append(
            RouteRow(
                person.name,
                person.sex,
                str(person.age_on(day)),
                address,
                person.phone,
                tier,
                f"{due:%Y-%m-%d}",
                "" if last is None else f"{last:%Y-%m-%d}",
            )
        )
    return [
        RouteSheetData(
            office.name if office else "",
            cname,
            _month_label(month),
            f"{day:%Y-%m-%d}",
            tuple(rows),
        )
        for cname, rows in sheets.items()
    ]


def print_forms(
    replica: Replica,
    actor: Actor,
    forms: Sequence[VisitFormData],
    month: date | None,
    out: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Print visit forms (`month_forms`, `selection_forms`, or blank ones) to the PDF `out` in
    parts (caseworker.printing.in_parts: memory flat at a district's 75,563 forms); the codes
    are recorded once the file is whole, committed once it has its name, and a cancelled
    (`progress` raises) or failed print leaves neither file nor rows. Returns the pages."""
    from caseworker.printing.visit_forms import write_visit_forms
    from caseworker.services import paper

    kind, targets = paper.visit_form_targets(forms, month)
    return paper.print_batch(
        replica.engine,
        actor,
        kind,
        targets,
        lambda stamps, recorded: write_visit_forms(
            forms, stamps, out, progress=progress, before_rename=recorded
        ),
    )
