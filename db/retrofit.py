"""Programme 2 tables: the district's catalogue, contractors, retrofit cases, their steps,
assessed items (with the prices they were approved with) and photo metadata.

The catalogue has no path to `office`: it is district-wide and travels to every office, like
settings. Everything else reaches `office` through required keys (case → community → office,
contractor → office), so it travels only to its own office. Photo bytes live in the workspace's
`photos/` folder (db.photo_store); the rows here say which exist.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Journaled


class RetrofitCatalogueItem(Journaled, Base):
    """The district's version of a catalogue item: a changed default or an added item.

    Items the district never touched come from `caseworker.domain.retrofit.DEFAULT_CATALOGUE`;
    a row here replaces the default with the same code. The id is `stable_id("retrofit_item",
    code)`, so every replica agrees on it. Retired items stay (old cases refer to their code)."""

    __tablename__ = "retrofit_catalogue_item"
    code: Mapped[str] = mapped_column(String(16), unique=True)
    part: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(8))
    basic: Mapped[bool] = mapped_column(Boolean, default=False)
    price_fen: Mapped[int] = mapped_column(Integer)
    cap_fen: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class RetrofitContractor(Journaled, Base):
    """A construction firm (施工单位) the office works with."""

    __tablename__ = "retrofit_contractor"
    office_id: Mapped[str] = mapped_column(ForeignKey("office.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    licence_no: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RetrofitCase(Journaled, Base):
    """One household's retrofit (改造户), from application to acceptance or closure.

    The applicant's details are kept on the case (an application may come from someone not on
    the elderly roster); `resident_id` links to the roster when the person is there."""

    __tablename__ = "retrofit_case"
    __table_args__ = (
        Index("ix_retrofit_case_step_applied", "step", "applied_on"),
        Index("ix_retrofit_case_community_step", "community_id", "step"),
        Index("ix_retrofit_case_planned_end", "step", "planned_end"),
        Index("ix_retrofit_case_search", "applicant_name", "name_letters", "address", "deleted_at"),
    )

    # unique across the district, kept so by the hub (caseworker/district/renumber.py)
    case_no: Mapped[str] = mapped_column(String(48), index=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("community.id"))
    resident_id: Mapped[str | None] = mapped_column(
        ForeignKey("elderly_resident.id"), default=None, index=True
    )
    applicant_name: Mapped[str] = mapped_column(String(60))
    # The name's pinyin for searching ("aqs anqiushi"), kept by the case service with the name
    # (caseworker/domain/pinyin.py); journaled, so it travels with the name.
    name_letters: Mapped[str] = mapped_column(String(260), default="")
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    categories: Mapped[str] = mapped_column(String(120), default="")
    eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    eligibility_reason: Mapped[str] = mapped_column(String(200), default="")
    step: Mapped[str] = mapped_column(String(8))
    applied_on: Mapped[date] = mapped_column(Date)
    application_note: Mapped[str] = mapped_column(Text, default="")
    assessed_on: Mapped[date | None] = mapped_column(Date, default=None)
    assessed_by_id: Mapped[str | None] = mapped_column(String(36), default=None)
    assessed_by_name: Mapped[str] = mapped_column(String(60), default="")
    assessment_note: Mapped[str] = mapped_column(Text, default="")
    approved_on: Mapped[date | None] = mapped_column(Date, default=None)
    approved_by_name: Mapped[str] = mapped_column(String(60), default="")
    household_cap_fen: Mapped[int] = mapped_column(Integer, default=0)
    cost_fen: Mapped[int] = mapped_column(Integer, default=0)
    subsidy_fen: Mapped[int] = mapped_column(Integer, default=0)
    household_fen: Mapped[int] = mapped_column(Integer, default=0)
    contractor_id: Mapped[str | None] = mapped_column(
        ForeignKey("retrofit_contractor.id"), default=None
    )
    construction_start: Mapped[date | None] = mapped_column(Date, default=None)
    planned_end: Mapped[date | None] = mapped_column(Date, default=None)
    construction_done_on: Mapped[date | None] = mapped_column(Date, default=None)
    accepted_on: Mapped[date | None] = mapped_column(Date, default=None)
    accepted_by_name: Mapped[str] = mapped_column(String(60), default="")
    signed_by: Mapped[str] = mapped_column(String(60), default="")  # who signed the paper form
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    closed_reason: Mapped[str] = mapped_column(String(300), default="")
    # Why the before / after photos are missing, as a supervisor recorded it ("" = none waived):
    # "reason（name，date）". Without photos or such a note the step is refused.
    photos_waived_before: Mapped[str] = mapped_column(String(300), default="")
    photos_waived_after: Mapped[str] = mapped_column(String(300), default="")


class RetrofitCaseEvent(Journaled, Base):
    """One step taken on a case: the timeline (who, when, from which step to which, why)."""

    __tablename__ = "retrofit_case_event"
    __table_args__ = (Index("ix_retrofit_case_event_case", "case_id", "at"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("retrofit_case.id"))
    action: Mapped[str] = mapped_column(String(12))
    from_step: Mapped[str] = mapped_column(String(8), default="")
    to_step: Mapped[str] = mapped_column(String(8))
    on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[str | None] = mapped_column(String(36), default=None)
    actor_name: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(Text, default="")


class RetrofitAssessmentItem(Journaled, Base):
    """One item on the assessment: what, where, how many, and the price and cap it carries.

    Prices are copied from the catalogue while the assessment is made and frozen at approval:
    a later price change at the district never changes an approved case."""

    __tablename__ = "retrofit_assessment_item"
    __table_args__ = (Index("ix_retrofit_assessment_item_case", "case_id", "sort_order"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("retrofit_case.id"))
    item_code: Mapped[str] = mapped_column(String(16), index=True)
    part: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(8))
    basic: Mapped[bool] = mapped_column(Boolean, default=False)
    quantity_centi: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    unit_cap_fen: Mapped[int] = mapped_column(Integer, default=0)
    room: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Who recorded the line (added or last changed it): an assessor of the case, who may not
    # approve it.
    recorded_by_id: Mapped[str | None] = mapped_column(String(36), default=None)
    recorded_by_name: Mapped[str] = mapped_column(String(60), default="")


class RetrofitPhoto(Journaled, Base):
    """A before/after photo of a case (optionally of one item). The bytes are in photos/ under
    their sha256; `thumb_sha256` names the thumbnail."""

    __tablename__ = "retrofit_photo"
    __table_args__ = (Index("ix_retrofit_photo_case", "case_id", "stage"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("retrofit_case.id"))
    item_id: Mapped[str | None] = mapped_column(
        ForeignKey("retrofit_assessment_item.id"), default=None
    )
    stage: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    thumb_sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    caption: Mapped[str] = mapped_column(String(200), default="")
