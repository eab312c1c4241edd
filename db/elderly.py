"""Programme 1 tables: the elderly roster, home visits, their amendments and referrals.

Derived scheduling columns (`last_visit_on`, `next_due`, `effective_date`) are local bookkeeping:
excluded from the journal and recomputed from the journaled facts by
`caseworker.services.elderly.schedule.recompute` (sync must call it for the residents it touched).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from caseworker.domain.visit_form import VisitStatus
from db.base import Base, Journaled


class ElderlyResident(Journaled, Base):
    """An elderly person on the roster (老年人台账). The ID number is the district-wide key."""

    __tablename__ = "elderly_resident"
    __table_args__ = (
        # The work lists' counts and the month's visit rate (工作台, read before the roster is
        # shown) are answered by these alone, without a resident's row (migration 0026): the
        # community's index holds every column `schedule.visit_rates` reads for the current
        # month, and each carries deleted_at, which every count filters on.
        Index(
            "ix_elderly_resident_community_due",
            "community_id",
            "next_due",
            "deleted_at",
            "enrolled_on",
            "status",
            "status_date",
            "last_visit_on",
        ),
        Index("ix_elderly_resident_next_due", "next_due", "deleted_at"),
        # Covering indexes for search: LIKE '%…%' is checked on the index entries, so a search
        # reads a small index rather than every row (and the first serves sorting by name).
        Index("ix_elderly_resident_name_address", "name", "address", "deleted_at"),
        Index(
            "ix_elderly_resident_numbers",
            "id_number",
            "phone",
            "supporter_phone",
            "emergency_phone",
            "deleted_at",
        ),
        Index("ix_elderly_resident_assigned", "assigned_staff_id", "next_due", "deleted_at"),
        # The ID number is the district-wide key: unique among the records not held as a
        # cross-office duplicate (see caseworker/district/duplicates.py).
        Index(
            "uq_elderly_resident_id_number",
            "id_number",
            unique=True,
            sqlite_where=text("duplicate_of IS NULL"),
            postgresql_where=text("duplicate_of IS NULL"),
        ),
        # Sorting by name (pinyin order, homophones grouped by name) and covering every column
        # a search checks, so a search sorted by name walks this one index.
        Index(
            "ix_elderly_resident_pinyin",
            "name_pinyin",
            "name",
            "name_letters",
            "address",
            "deleted_at",
        ),
    )
    __journal_exclude__: ClassVar[frozenset[str]] = frozenset(
        {"last_visit_on", "next_due", "duplicate_of"}
    )
    __district_key__: ClassVar[str] = "id_number"

    name: Mapped[str] = mapped_column(String(60))
    # Kept by the roster service with the name (caseworker/domain/pinyin.py); journaled, so it
    # travels with the name and every replica sorts alike.
    name_pinyin: Mapped[str] = mapped_column(String(200), default="")  # "wang xiao hong"
    name_letters: Mapped[str] = mapped_column(String(260), default="")  # "wxh wangxiaohong"
    id_number: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    community_id: Mapped[str] = mapped_column(ForeignKey("community.id"))
    assigned_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    categories: Mapped[str] = mapped_column(String(200), default="")
    living_arrangement: Mapped[str] = mapped_column(String(40), default="")
    health_notes: Mapped[str] = mapped_column(Text, default="")
    supporter_name: Mapped[str] = mapped_column(String(60), default="")
    supporter_relation: Mapped[str] = mapped_column(String(20), default="")
    supporter_phone: Mapped[str] = mapped_column(String(40), default="")
    emergency_name: Mapped[str] = mapped_column(String(60), default="")
    emergency_phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(8), default="在册")
    status_date: Mapped[date | None] = mapped_column(Date, default=None)
    status_note: Mapped[str] = mapped_column(String(200), default="")
    tier: Mapped[str] = mapped_column(String(8))
    tier_reason: Mapped[str] = mapped_column(String(200), default="")
    enrolled_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    # Local, derived (see module docstring).
    last_visit_on: Mapped[date | None] = mapped_column(Date, default=None)
    next_due: Mapped[date | None] = mapped_column(Date, default=None)
    # Local: set when a merge brought in a second record with an ID number another record
    # already holds (a person on two offices' rosters); the id of that earlier record.
    duplicate_of: Mapped[str | None] = mapped_column(String(36), default=None)


class ElderlyVisit(Journaled, Base):
    """A home visit (探访记录). A completed visit is a legal record: never edited, only amended."""

    __tablename__ = "elderly_visit"
    __table_args__ = (
        # Covering what the visit figures read in person and date order (the 统计报表 reads a
        # million visits this way: from the index alone, without a lookup per visit).
        Index(
            "ix_elderly_visit_resident_date",
            "resident_id",
            "effective_date",
            "id",
            "status",
            "deleted_at",
            "next_visit_on",
        ),
        Index("ix_elderly_visit_effective_date", "effective_date"),
        Index("ix_elderly_visit_visitor", "visitor_staff_id", "effective_date"),
    )
    __journal_exclude__: ClassVar[frozenset[str]] = frozenset({"effective_date"})
    # the visitor's name stays in `visitors`; the link to their account may be cleared in transit
    __merge_unlocked__: ClassVar[frozenset[str]] = frozenset({"visitor_staff_id"})

    resident_id: Mapped[str] = mapped_column(ForeignKey("elderly_resident.id"))
    visit_date: Mapped[date] = mapped_column(Date)
    visitors: Mapped[str] = mapped_column(String(200), default="")
    visitor_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    method: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(8), default=VisitStatus.DRAFT.value)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    completed_by: Mapped[str] = mapped_column(String(60), default="")
    health_communication: Mapped[str] = mapped_column(String(20), default="")
    health_mobility: Mapped[str] = mapped_column(String(20), default="")
    health_reaction: Mapped[str] = mapped_column(String(20), default="")
    health_mental: Mapped[str] = mapped_column(String(20), default="")
    health_illness: Mapped[str] = mapped_column(Text, default="")
    health_notes: Mapped[str] = mapped_column(Text, default="")
    living_food: Mapped[str] = mapped_column(String(20), default="")
    living_clothing: Mapped[str] = mapped_column(String(20), default="")
    living_housing: Mapped[str] = mapped_column(String(20), default="")
    living_medical_cost: Mapped[str] = mapped_column(String(20), default="")
    living_benefits: Mapped[str] = mapped_column(String(20), default="")
    living_notes: Mapped[str] = mapped_column(Text, default="")
    family_contact: Mapped[str] = mapped_column(String(20), default="")
    family_notes: Mapped[str] = mapped_column(Text, default="")
    safety_hazards: Mapped[str] = mapped_column(String(100), default="")
    safety_notes: Mapped[str] = mapped_column(Text, default="")
    needs_services: Mapped[str] = mapped_column(String(100), default="")
    needs_notes: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    next_visit_on: Mapped[date | None] = mapped_column(Date, default=None)
    # Local, derived: the visit date with amendments applied (used by lists and schedules).
    effective_date: Mapped[date | None] = mapped_column(Date, default=None)

    def merge_locked(self) -> bool:
        return self.status == VisitStatus.COMPLETED.value


class ElderlyVisitAmendment(Journaled, Base):
    """A correction to a completed visit: which field, the value before and after, who and why.

    The visit row itself keeps the original; the amended value is the newest amendment's."""

    __tablename__ = "elderly_visit_amendment"
    visit_id: Mapped[str] = mapped_column(ForeignKey("elderly_visit.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(300))
    amended_by_id: Mapped[str | None] = mapped_column(String(36), default=None)
    amended_by_name: Mapped[str] = mapped_column(String(60))
    amended_at: Mapped[datetime] = mapped_column(DateTime)


class ElderlyReferral(Journaled, Base):
    """A referral (转介) raised at a visit, tracked until it is closed."""

    __tablename__ = "elderly_referral"
    __table_args__ = (
        # Open referrals counted and paged (工作台) on this index alone (migration 0026): the
        # page's ids in (due_on, id) order, then only that page's rows are read.
        Index(
            "ix_elderly_referral_status_due",
            "status",
            "due_on",
            "id",
            "deleted_at",
            "owner_staff_id",
            "resident_id",
        ),
    )

    visit_id: Mapped[str] = mapped_column(ForeignKey("elderly_visit.id"), index=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("elderly_resident.id"), index=True)
    target: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    owner_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    owner_name: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(8), default="待办")
    outcome: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)


class ElderlyChange(Journaled, Base):
    """A major change in a person's situation (跌倒, 住院, 失去照料人, 家属联系不上), recorded in a
    visit, a referral's outcome, a change of status or by itself. A visit is due the day after
    it became known, until a later visit answers it (`caseworker.domain.elderly`)."""

    __tablename__ = "elderly_change"
    __table_args__ = (Index("ix_elderly_change_resident", "resident_id", "known_on"),)

    resident_id: Mapped[str] = mapped_column(ForeignKey("elderly_resident.id"))
    kind: Mapped[str] = mapped_column(String(12))
    known_on: Mapped[date] = mapped_column(Date)  # the day the office learned of it
    occurred_on: Mapped[date | None] = mapped_column(Date, default=None)  # as told, if known
    source: Mapped[str] = mapped_column(String(8))
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("elderly_visit.id"), default=None)
    referral_id: Mapped[str | None] = mapped_column(ForeignKey("elderly_referral.id"), default=None)
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[str | None] = mapped_column(String(36), default=None)
    recorded_by_name: Mapped[str] = mapped_column(String(60), default="")
