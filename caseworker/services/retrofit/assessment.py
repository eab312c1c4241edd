"""The on-site assessment (入户评估): which catalogue items, how many, in which room, and what
they cost. Items change only while the case waits for its assessment; the whole list is saved
at once (changed rows updated, removed rows tombstoned, new rows added)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from caseworker.domain.errors import ValidationError
from caseworker.domain.retrofit import (
    EDITABLE_ASSESSMENT,
    MAX_QUANTITY,
    CatalogueItem,
    Line,
    Step,
    Totals,
    compute,
    is_whole,
)
from caseworker.domain.roles import Actor
from caseworker.services.elderly._common import clean
from caseworker.services.retrofit import catalogue
from caseworker.services.retrofit._common import can_edit, can_view
from caseworker.services.retrofit.cases import _item_rows, _load
from db.base import utcnow
from db.retrofit import RetrofitAssessmentItem

MAX_LINES = 60

ROOMS: tuple[str, ...] = ("客厅", "卧室", "卫生间", "厨房", "过道", "门口/楼道", "阳台", "其他")


@dataclass(frozen=True)
class ItemDraft:
    item_code: str
    quantity_centi: int
    room: str = ""
    note: str = ""
    id: str | None = None  # an existing line being changed


@dataclass(frozen=True)
class EditorData:
    """What the assessment editor needs in one read: the catalogue, the household's rule, the cap."""

    catalogue: tuple[CatalogueItem, ...]
    eligible: bool
    eligibility_reason: str
    household_cap_fen: int
    editable: bool


def editor_data(session: Session, actor: Actor, case_id: str) -> EditorData:
    can_view(actor)
    row = _load(session, case_id)
    return EditorData(
        tuple(catalogue.items(session)),
        row.eligible,
        row.eligibility_reason,
        row.household_cap_fen if row.approved_on else catalogue.household_cap_fen(session),
        Step(row.step) in EDITABLE_ASSESSMENT,
    )


def preview(
    items: list[tuple[CatalogueItem, int]], eligible: bool, household_cap_fen: int
) -> Totals:
    """The totals for (item, quantity) pairs, as the editor shows them while one types."""
    return compute(
        [Line(i.basic, q, i.price_fen, i.cap_fen if i.basic else 0) for i, q in items],
        eligible,
        household_cap_fen,
    )


def save_items(
    session: Session,
    actor: Actor,
    case_id: str,
    drafts: list[ItemDraft],
    *,
    today: date | None = None,
) -> int:
    """Replace the case's items with `drafts` (in their order). Returns how many lines remain."""
    can_edit(actor)
    row = _load(session, case_id)
    if Step(row.step) not in EDITABLE_ASSESSMENT:
        raise ValidationError(
            f"这户已是“{row.step}”，评估项目不能再修改（只有“{Step.ELIGIBLE.value}”时可以）"
        )
    if len(drafts) > MAX_LINES:
        raise ValidationError(f"一户最多 {MAX_LINES} 个改造项目")
    existing = {i.id: i for i in _item_rows(session, case_id)}
    kept: set[str] = set()
    for n, d in enumerate(drafts, start=1):
        if not (is_whole(d.quantity_centi) and 0 < d.quantity_centi <= MAX_QUANTITY):
            raise ValidationError(f"第 {n} 行：数量应大于 0 且不超过 999.99", field="quantity")
        cat = catalogue.item(session, d.item_code)
        current = existing.get(d.id) if d.id else None
        if cat.retired and (current is None or current.item_code != cat.code):
            raise ValidationError(f"第 {n} 行：“{cat.name}”已停用，不能新选")
        values = {
            "item_code": cat.code,
            "part": cat.part.value,
            "name": cat.name,
            "unit": cat.unit,
            "basic": cat.basic,
            "quantity_centi": d.quantity_centi,
            "unit_price_fen": cat.price_fen,
            "unit_cap_fen": cat.cap_fen if cat.basic else 0,
            "room": clean(d.room, "位置/房间", "room", 20),
            "note": clean(d.note, "说明", "note", 300),
            "sort_order": n,
        }
        # Who recorded the line: added it, or changed what was assessed (item, quantity, room,
        # note). Renumbering, or the catalogue's price or name following along, does not.
        recorder = {"recorded_by_id": actor.staff_id, "recorded_by_name": actor.display_name}
        if current is None:
            session.add(RetrofitAssessmentItem(case_id=case_id, **values, **recorder))
        else:
            kept.add(current.id)
            changed = [k for k, v in values.items() if getattr(current, k) != v]
            for key in changed:
                setattr(current, key, values[key])
            if set(changed) & {"item_code", "quantity_centi", "room", "note"}:
                for key, value in recorder.items():
                    if getattr(current, key) != value:
                        setattr(current, key, value)
    for rid, item in existing.items():
        if rid not in kept:
            item.deleted_at = utcnow()
    session.flush()
    return len(drafts)
