"""Printed paper forms and their codes: issued when a form is printed, found again when its
code is typed (a keyboard-wedge scanner) or read from a scan, and marked when typed back.

A printed form is a row of `printed_form` (local to the office: it is bookkeeping about paper
that never leaves the office, and a code is resolved only where it was printed). Issuing writes
on its own short transaction straight on the engine, so a print job that only reads (the
preview) can still number its pages; an issued form that is never printed costs one small row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.orm import Session

from caseworker.domain import form_code
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor
from caseworker.printing.paper_marks import Rect, Stamp
from db.models import Office, PrintedForm

# kind → (what it is called on paper, template and its version, programme)
KINDS: dict[str, tuple[str, str, str]] = {
    "elderly_visit": ("探访记录表", "visitform/2", "elderly"),
    "elderly_visit_blank": ("空白探访记录表", "visitform/2", "elderly"),
    "elderly_route": ("探访路线表", "routesheet/2", "elderly"),
    "retrofit_assessment": ("入户评估表", "retrofit-assess/2", "retrofit"),
    "retrofit_assessment_blank": ("空白入户评估表", "retrofit-assess/2", "retrofit"),
    "retrofit_acceptance": ("验收单", "retrofit-accept/2", "retrofit"),
    "retrofit_acceptance_blank": ("空白验收单", "retrofit-accept/2", "retrofit"),
    "child_visit": ("困境儿童回访记录表", "childvisit/3", "children"),
    "child_visit_blank": ("空白困境儿童回访记录表", "childvisit/3", "children"),
}


def _can_view(actor: Actor, kind: str) -> None:
    programme = KINDS[kind][2]
    if programme == "elderly":
        from caseworker.services.elderly._common import can_view
    elif programme == "retrofit":
        from caseworker.services.retrofit._common import can_view
    else:
        from caseworker.services.children._common import can_view
    can_view(actor)


def _office_tag(conn_or_session: object) -> str:
    office_id = conn_or_session.execute(  # type: ignore[attr-defined]
        select(Office.id).where(Office.deleted_at.is_(None)).limit(1)
    ).scalar()
    return form_code.office_tag(office_id)


def issue(
    bind: Engine | Session | Connection,
    actor: Actor,
    kind: str,
    targets: Sequence[tuple[str | None, str]],
    *,
    at: datetime | None = None,
) -> list[Stamp]:
    """A new printed-form id for each (record id or None, period) in `targets`, recorded with
    who printed it and when; one stamp each, in order. Given an engine it commits on its own
    short transaction; given a session (one that is already writing), within that session's."""
    if isinstance(bind, Session):
        conn = bind.connection()
        prepared = prepare(conn, actor, kind, targets, at=at)
        prepared.record(conn)
        return prepared.stamps
    if isinstance(bind, Connection):  # the caller commits (after its file was written)
        prepared = prepare(bind, actor, kind, targets, at=at)
        prepared.record(bind)
        return prepared.stamps
    with bind.begin() as conn:
        prepared = prepare(conn, actor, kind, targets, at=at)
        prepared.record(conn)
        return prepared.stamps


@dataclass
class Prepared:
    """Printed-form ids chosen for a batch but not yet recorded (`record`, once its file is
    whole): a cancelled or failed print leaves no row behind."""

    kind: str
    targets: Sequence[tuple[str | None, str]]
    stamps: list[Stamp]
    by: str
    when: datetime

    def record(self, conn: Connection) -> None:
        """Insert the batch's rows on `conn` (the caller's transaction), 500 a statement: no
        statement grows with the batch."""
        template = KINDS[self.kind][1]
        for start in range(0, len(self.stamps), 500):
            rows = [
                {
                    "id": stamp.form_id,
                    "kind": self.kind,
                    "record_id": record_id,
                    "period": period,
                    "template": template,
                    "printed_by": self.by[:60],
                    "printed_at": self.when,
                    "entered_by": "",
                    "original": "",
                    "layout": "",
                }
                for (record_id, period), stamp in zip(
                    self.targets[start : start + 500],
                    self.stamps[start : start + 500],
                    strict=True,
                )
            ]
            conn.execute(insert(PrintedForm), rows)


def prepare(
    bind: Engine | Connection,
    actor: Actor,
    kind: str,
    targets: Sequence[tuple[str | None, str]],
    *,
    at: datetime | None = None,
) -> Prepared:
    """New printed-form ids for `targets` (checked unused), not recorded yet."""
    if kind not in KINDS:
        raise ValueError(f"unknown printed form kind {kind}")
    _can_view(actor, kind)
    when = at or datetime.now()
    by = actor.display_name or actor.username or "system"
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return _prepare(conn, kind, targets, by, when)
    return _prepare(bind, kind, targets, by, when)


def _prepare(
    conn: Connection,
    kind: str,
    targets: Sequence[tuple[str | None, str]],
    by: str,
    when: datetime,
) -> Prepared:
    tag = _office_tag(conn)
    stamps: list[Stamp] = []
    taken: set[str] = set()
    for _target in targets:
        form_id = form_code.new_form_id()
        while (
            form_id in taken
            or conn.execute(select(PrintedForm.id).where(PrintedForm.id == form_id)).first()
        ):
            form_id = form_code.new_form_id()
        taken.add(form_id)
        stamps.append(Stamp(tag, form_id))
    return Prepared(kind, targets, stamps, by, when)


def print_batch(
    engine: Engine,
    actor: Actor,
    kind: str,
    targets: Sequence[tuple[str | None, str]],
    write: Callable[[list[Stamp], Callable[[], None]], int],
) -> int:
    """Print a batch of forms to a file: ids chosen first, `write(stamps, before_rename)` renders
    and writes the file (caseworker.printing.in_parts.write: minutes for a district's month),
    and the rows are recorded in one transaction when the file is whole, committed once it has
    its name. A cancelled or failed write records nothing; no lock is held while rendering (the
    transaction's BEGIN is deferred: SQLite takes its write lock at the first insert)."""
    prepared = prepare(engine, actor, kind, targets)
    with engine.begin() as conn:
        return write(prepared.stamps, lambda: prepared.record(conn))


@dataclass(frozen=True)
class Found:
    """What a code opens: the printed form, its page, and what was typed from it already."""

    code: str
    form_id: str
    page: int
    kind: str
    record_id: str | None
    period: str  # YYYY-MM for visit forms
    printed_by: str
    printed_at: datetime
    entered_ref: str | None  # the record already typed from this form (or for its month)
    entered_at: datetime | None
    original: str
    template: str = ""  # the template and its version the form was printed with

    @property
    def title(self) -> str:
        return KINDS[self.kind][0]

    @property
    def blank(self) -> bool:
        return self.record_id is None

    @property
    def month(self) -> date | None:
        if not self.period:
            return None
        year, month = self.period.split("-")
        return date(int(year), int(month), 1)


def looks_like_code(text: str) -> bool:
    return form_code.parse(text) is not None


def resolve(session: Session, actor: Actor, text: str) -> Found:
    """The printed form a typed or scanned code names; refused with a reason for a code that is
    not valid, from another office, or not printed here."""
    code = form_code.parse(text)
    if code is None:
        raise ValidationError("这不是本系统打印的表格编码（应为 20 位数字，校验位不符）")
    if code.office_tag != _office_tag(session):
        raise ValidationError("这张表是其他街道/工作站打印的，不能在本工作台录入")
    row = session.get(PrintedForm, code.form_id)
    if row is None:
        raise ValidationError("本工作台没有打印过这张表（编码不在打印记录中），请按姓名查找")
    _can_view(actor, row.kind)
    entered_ref, entered_at = row.entered_ref, row.entered_at
    if entered_ref is None and row.record_id is not None:
        entered_ref = _entered_for_period(session, actor, row)
    return Found(
        code.text,
        row.id,
        code.page,
        row.kind,
        row.record_id,
        row.period,
        row.printed_by,
        row.printed_at,
        entered_ref,
        entered_at,
        row.original,
        row.template,
    )


def _entered_for_period(session: Session, actor: Actor, row: PrintedForm) -> str | None:
    """What was typed for the form's record some other way (by name, on its page): the form is
    already entered even though nobody typed its code. A visit for the person or child in the
    form's month (a child visit on or after the day the form was printed counts too); the
    retrofit case's assessment or acceptance, once made."""
    record = row.record_id or ""
    if row.kind == "elderly_visit" and row.period:
        from caseworker.services.elderly import visits

        year, month = (int(p) for p in row.period.split("-"))
        for v in visits.history(session, actor, record):
            if not v.voided and (v.visit_date.year, v.visit_date.month) == (year, month):
                return v.id
    elif row.kind == "child_visit":
        from db.children import ChildVisit

        since = row.printed_at.date()
        if row.period:
            year, month = (int(p) for p in row.period.split("-"))
            since = min(since, date(year, month, 1))
        return session.scalar(
            select(ChildVisit.id)
            .where(
                ChildVisit.case_id == record,
                ChildVisit.deleted_at.is_(None),
                ChildVisit.visit_date >= since,
            )
            .order_by(ChildVisit.visit_date, ChildVisit.id)
            .limit(1)
        )
    elif row.kind in ("retrofit_assessment", "retrofit_acceptance"):
        from db.retrofit import RetrofitCase

        column = (
            RetrofitCase.assessed_on
            if row.kind == "retrofit_assessment"
            else RetrofitCase.accepted_on
        )
        done = session.execute(
            select(RetrofitCase.id).where(
                RetrofitCase.id == record, RetrofitCase.deleted_at.is_(None), column.is_not(None)
            )
        ).scalar()
        return done
    return None


def mark_entered(
    engine: Engine,
    actor: Actor,
    form_id: str,
    entered_ref: str,
    *,
    original: str = "",
    at: datetime | None = None,
) -> None:
    """Record that `entered_ref` was typed from printed form `form_id` (and where its page
    image is kept). Called after the record itself was saved."""
    values: dict[str, object] = {
        "entered_ref": entered_ref,
        "entered_by": (actor.display_name or actor.username or "")[:60],
        "entered_at": at or datetime.now(),
    }
    if original:
        values["original"] = original
    with engine.begin() as conn:
        conn.execute(update(PrintedForm).where(PrintedForm.id == form_id).values(**values))


def record_layout(
    bind: Engine | Connection, form_id: str, boxes: Sequence[tuple[int, str, str, Rect]]
) -> None:
    """Where a flowing form drew its tick boxes (page, field, choice, rectangle in points),
    recorded with its printed form once the PDF is made, for the scan reader."""
    value = json.dumps([[n, f, c, r.x, r.y, r.w, r.h] for n, f, c, r in boxes])
    stmt = update(PrintedForm).where(PrintedForm.id == form_id).values(layout=value)
    if isinstance(bind, Connection):
        bind.execute(stmt)
        return
    with bind.begin() as conn:
        conn.execute(stmt)


def layout_of(session: Session, form_id: str) -> list[tuple[int, str, str, Rect]]:
    """The tick boxes recorded for a printed form ([] when its layout is fixed, or unknown)."""
    text = session.scalar(select(PrintedForm.layout).where(PrintedForm.id == form_id)) or ""
    try:
        rows = json.loads(text) if text else []
        return [(int(n), str(f), str(c), Rect(*map(float, r))) for n, f, c, *r in rows]
    except (ValueError, TypeError):
        return []  # a damaged value: the page is matched, its ticks typed


def period_of(month: date | None) -> str:
    return "" if month is None else f"{month:%Y-%m}"


def visit_form_targets(
    forms: Sequence[object], month: date | None
) -> tuple[str, list[tuple[str | None, str]]]:
    """The kind and targets of elderly visit forms (caseworker.printing.visit_forms.
    VisitFormData), one each; a form without a resident is a blank one."""
    targets = [(getattr(f, "resident_id", "") or None, period_of(month)) for f in forms]
    if targets and all(rid is None for rid, _ in targets):
        return "elderly_visit_blank", targets
    return "elderly_visit", targets


def issue_visit_forms(
    engine: Engine | Session | Connection, actor: Actor, forms: Sequence[object], month: date | None
) -> list[Stamp]:
    """Stamps for elderly visit forms, one each, recorded now (see `visit_form_targets`)."""
    kind, targets = visit_form_targets(forms, month)
    return issue(engine, actor, kind, targets)


def issue_one(
    engine: Engine | Session | Connection,
    actor: Actor,
    kind: str,
    record_id: str | None = None,
    period: str = "",
) -> Stamp:
    return issue(engine, actor, kind, [(record_id, period)])[0]
