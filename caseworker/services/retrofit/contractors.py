"""The office's register of construction firms (施工单位): list, add, change, deactivate."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.roles import Actor
from caseworker.services import accounts
from caseworker.services.elderly._common import clean, clean_phone
from caseworker.services.retrofit._common import can_edit, can_view
from db.retrofit import RetrofitContractor


@dataclass(frozen=True)
class ContractorDraft:
    name: str
    contact_name: str = ""
    phone: str = ""
    licence_no: str = ""
    active: bool = True


@dataclass(frozen=True)
class ContractorInfo:
    id: str
    name: str
    contact_name: str
    phone: str
    licence_no: str
    active: bool


def _info(r: RetrofitContractor) -> ContractorInfo:
    return ContractorInfo(r.id, r.name, r.contact_name, r.phone, r.licence_no, r.active)


def _values(d: ContractorDraft) -> dict[str, object]:
    return {
        "name": clean(d.name, "施工单位名称", "name", 100, required=True),
        "contact_name": clean(d.contact_name, "联系人", "contact_name", 60),
        "phone": clean_phone(d.phone, "联系电话", "phone"),
        "licence_no": clean(d.licence_no, "资质/执照编号", "licence_no", 60),
        "active": bool(d.active),
    }


def listing(
    session: Session, actor: Actor, *, include_inactive: bool = False
) -> list[ContractorInfo]:
    can_view(actor)
    q = select(RetrofitContractor).where(RetrofitContractor.deleted_at.is_(None))
    if not include_inactive:
        q = q.where(RetrofitContractor.active.is_(True))
    return [_info(r) for r in session.scalars(q.order_by(RetrofitContractor.name))]


def add(session: Session, actor: Actor, draft: ContractorDraft) -> ContractorInfo:
    can_edit(actor)
    office = accounts.office(session)
    if office is None:
        raise ValidationError("请先完成街道设置")
    values = _values(draft)
    clash = session.scalar(
        select(RetrofitContractor.id).where(
            RetrofitContractor.name == values["name"], RetrofitContractor.deleted_at.is_(None)
        )
    )
    if clash is not None:
        raise ValidationError(f"施工单位“{values['name']}”已登记", field="name")
    row = RetrofitContractor(office_id=office.id, **values)
    session.add(row)
    session.flush()
    return _info(row)


def update(
    session: Session, actor: Actor, contractor_id: str, draft: ContractorDraft
) -> ContractorInfo:
    can_edit(actor)
    row = session.get(RetrofitContractor, contractor_id)
    if row is None or row.deleted_at is not None:
        raise NotFound("找不到这个施工单位")
    for key, value in _values(draft).items():
        if getattr(row, key) != value:
            setattr(row, key, value)
    session.flush()
    return _info(row)
