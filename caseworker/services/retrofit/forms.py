"""What goes on the printed retrofit forms: plain data for caseworker.printing.retrofit_forms,
and `print_case`, the one path by which the window and the command line print a case's form
(or a blank one) to a file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import CaseworkerError
from caseworker.domain.retrofit import HouseholdCategory, PhotoStage, quantity_text, yuan
from caseworker.domain.roles import Actor
from caseworker.printing import retrofit_forms as pdf
from caseworker.printing.retrofit_forms import FormEvent, FormLine, FormPhoto, RetrofitFormData
from caseworker.services import accounts
from caseworker.services.retrofit import cases, catalogue
from caseworker.services.retrofit._common import can_view
from db.photo_store import PhotoStore
from db.replica import Replica
from db.retrofit import RetrofitContractor


def _d(value: object) -> str:
    return "" if value is None else str(value)


def case_form(
    session: Session,
    actor: Actor,
    case_id: str,
    store: PhotoStore | None = None,
    *,
    full_id: bool = False,
) -> RetrofitFormData:
    """A case as printed. Photos are read from `store` (a missing file is left out and named in
    the caption of the others: the form still prints). The ID number is masked unless
    `full_id` (the archive copy)."""
    d = cases.detail(session, actor, case_id)
    c = d.case
    office = accounts.office(session)
    firm = session.get(RetrofitContractor, c.contractor_id) if c.contractor_id else None
    t = d.totals
    lines = tuple(
        FormLine(
            part=i.part,
            name=i.name,
            unit=i.unit,
            quantity=quantity_text(i.quantity_centi),
            unit_price=yuan(i.unit_price_fen),
            cost=yuan(m.cost_fen),
            subsidy=yuan(m.subsidy_fen),
            household=yuan(m.household_fen),
            room=i.room,
            note=i.note,
            basic=i.basic,
        )
        for i, m in zip(d.items, t.lines, strict=True)
    )
    cap_note = f"每户政府补贴上限 {yuan(t.household_cap_fen)} 元"
    if t.moved_to_household_fen:
        cap_note += f"，超出的 {yuan(t.moved_to_household_fen)} 元由家庭承担"
    before: list[FormPhoto] = []
    after: list[FormPhoto] = []
    if store is not None:
        for p in d.photos:
            try:
                data = store.read_bytes(p.sha256)
            except CaseworkerError:
                continue
            target = before if p.stage == PhotoStage.BEFORE.value else after
            target.append(FormPhoto(data, p.caption or p.original_name, p.stage))
    construction = ""
    if c.construction_start:
        construction = f"{c.construction_start} 至 {c.construction_done_on or c.planned_end}"
        construction += "" if c.construction_done_on else "（计划）"
    closed = ""
    if c.closed_on:
        closed = f"{c.closed_on} {c.step.value}" + (
            f"：{c.closed_reason}" if c.closed_reason else ""
        )
    return RetrofitFormData(
        office_name=office.name if office else "",
        case_no=c.case_no,
        name=c.person.name,
        sex=c.person.sex,
        age=str(c.age),
        id_number=c.person.id_number if full_id else c.person.id_number_masked,
        community=c.community_name,
        address=c.address,
        phone=c.person.phone,
        contact=" ".join(x for x in (c.contact_name, c.contact_phone) if x),
        categories="、".join(h.value for h in HouseholdCategory if h in c.categories) or "无",
        eligibility=("符合：" if c.eligible else "不符合：") + c.eligibility_reason,
        step=c.step.value,
        applied_on=_d(c.applied_on),
        assessed_on=_d(c.assessed_on),
        assessed_by=c.assessed_by_name,
        assessment_note=c.assessment_note,
        approved_on=_d(c.approved_on),
        approved_by=c.approved_by_name,
        contractor=firm.name if firm else "",
        contractor_contact=" ".join(x for x in (firm.contact_name, firm.phone) if x)
        if firm
        else "",
        construction=construction,
        accepted_on=_d(c.accepted_on),
        signed_by=c.signed_by,
        closed=closed,
        lines=lines,
        total_cost=yuan(t.cost_fen),
        total_subsidy=yuan(t.subsidy_fen),
        total_household=yuan(t.household_fen),
        cap_note=cap_note,
        prices_note=f"按 {c.approved_on} 审批时的价格" if c.approved_on else "",
        events=tuple(
            FormEvent(
                str(e.on),
                e.action,
                f"{e.from_step} → {e.to_step}" if e.from_step else e.to_step,
                e.actor_name,
                e.note,
            )
            for e in d.events
        ),
        photos_before=tuple(before),
        photos_after=tuple(after),
    )


def blank_catalogue(session: Session, actor: Actor) -> tuple[str, list[FormLine]]:
    """(office name, the catalogue as lines) for the blank assessment checklist."""
    can_view(actor)
    office = accounts.office(session)
    lines = [
        FormLine(i.part.value, i.name, i.unit, unit_price=yuan(i.price_fen), basic=i.basic)
        for i in catalogue.items(session)
    ]
    return (office.name if office else "", lines)


def case_id_by_number(session: Session, actor: Actor, case_no: str) -> str | None:
    """The id of the case with this number (for the command line)."""
    from db.retrofit import RetrofitCase

    can_view(actor)
    return session.scalar(select(RetrofitCase.id).where(RetrofitCase.case_no == case_no.strip()))


# kind → what it is called on paper
TITLES = {"assessment": "入户评估表", "acceptance": "验收单", "file": "改造档案"}


@dataclass(frozen=True)
class CasePrint:
    """What `print_case` wrote: the file, what it is, and a default name to save it under."""

    path: Path
    title: str
    filename: str
    case_no: str  # "" for a blank form
    name: str
    catalogue_items: int  # the blank assessment's catalogue lines (0 otherwise)


def print_case(
    replica: Replica,
    actor: Actor,
    kind: str,
    case_id: str | None,
    store: PhotoStore | None,
    out: Path,
) -> CasePrint:
    """Print a case's `kind` ("assessment", "acceptance" or "file") to the PDF `out`, or with
    `case_id` None the blank assessment (the catalogue with prices) or acceptance form. The
    form's code is chosen first and recorded, with where the acceptance's tick boxes landed,
    in one transaction just before the file takes its name (caseworker.outfile): a failed print
    leaves neither file nor code. The household's file is an archive print, not a form to type
    back: it carries no code."""
    from caseworker.outfile import write_bytes
    from caseworker.services import paper

    if kind not in TITLES or (case_id is None and kind == "file"):
        raise ValueError(f"no printed retrofit {kind} {'blank' if case_id is None else ''}")
    lines: list[FormLine] = []
    with replica.reader(actor) as s:
        if case_id is None:
            office, lines = blank_catalogue(s, actor)
            data = RetrofitFormData(office_name=office)
        else:
            data = case_form(s, actor, case_id, store, full_id=kind == "file")
    coded = f"retrofit_{kind}" + ("_blank" if case_id is None else "")
    prepared = (
        None if kind == "file" else paper.prepare(replica.engine, actor, coded, [(case_id, "")])
    )
    stamp = prepared.stamps[0] if prepared else None
    layout: pdf.Layout = []
    if kind == "file":
        made = pdf.render_file(data)
    elif kind == "acceptance":  # its tick boxes flow with the items: where they landed is kept
        made = pdf.render_acceptance(data, stamp, layout)
    elif case_id is None:
        made = pdf.render_blank_assessment(lines, data.office_name, stamp)
    else:
        made = pdf.render_assessment(data, stamp)
    title = TITLES[kind]
    filename = f"{data.case_no}-{title}.pdf" if case_id else f"空白{title}.pdf"
    # the transaction's BEGIN is deferred: no lock is held until the rows are written
    with replica.engine.begin() as conn:

        def record() -> None:
            if prepared is not None and stamp is not None:
                prepared.record(conn)
                if kind == "acceptance":
                    paper.record_layout(conn, stamp.form_id, layout)

        write_bytes(out, made, before_rename=record)
    items = len(lines) if kind == "assessment" else 0
    return CasePrint(out, title, filename, data.case_no, data.name, items)
