"""Programme 3 tables: children, guardians, conditions with evidence, cases, services, visits,
the view log, and the office's child-data key.

Every travelling table reaches `office` through required foreign keys (child → community →
office), so sync sends it only to its own office and the district. Narrative columns (listed in
`ENCRYPTED_COLUMNS` below) hold ciphertext sealed by `caseworker.services.children.keys`
(`seal_text`), never text: the file, its journal and its backups carry no readable narrative.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Journaled

# The narrative columns of each table, sealed under the office's child-data key: a schema fact,
# read by the register's services, the key rotation, the district's transfer and the demo.
ENCRYPTED_COLUMNS: dict[str, frozenset[str]] = {
    "child": frozenset({"notes"}),
    "child_condition": frozenset({"evidence_description"}),
    "child_case": frozenset({"seen_text", "verify_notes", "assessment_notes"}),
    "child_case_event": frozenset({"note"}),
    "child_plan_service": frozenset({"description", "outcome"}),
    "child_visit": frozenset({"notes"}),
}


class Child(Journaled, Base):
    """A child on the register (儿童台账). The ID number is the district-wide key."""

    __tablename__ = "child"
    __table_args__ = (
        Index("ix_child_name_address", "name", "address", "deleted_at"),
        Index("ix_child_community_name", "community_id", "name"),
        # Sorting by name in pinyin order (homophones by name), covering what a search checks
        # (the id too: a guardian's match is `id IN (…)`, else every row is read from the table);
        # a child director's register walks the second one (their community only).
        Index(
            "ix_child_pinyin", "name_pinyin", "name", "name_letters", "address", "deleted_at", "id"
        ),
        Index("ix_child_community_pinyin", "community_id", "name_pinyin", "name"),
        Index("ix_child_numbers", "id_number", "phone", "deleted_at"),
    )

    name: Mapped[str] = mapped_column(String(60))
    # Kept with the name by the register service (caseworker/domain/pinyin.py); journaled, so
    # every replica sorts and searches alike.
    name_pinyin: Mapped[str] = mapped_column(String(200), default="")  # "han xiao xue"
    name_letters: Mapped[str] = mapped_column(String(260), default="")  # "hxx hanxiaoxue"
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(2))
    community_id: Mapped[str] = mapped_column(ForeignKey("community.id"))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    school: Mapped[str] = mapped_column(String(100), default="")
    grade: Mapped[str] = mapped_column(String(20), default="")
    living_arrangement: Mapped[str] = mapped_column(String(20), default="")
    categories: Mapped[str] = mapped_column(String(200), default="")  # recorded (confirmed)
    categories_note: Mapped[str] = mapped_column(String(300), default="")  # last review's reason
    registered_on: Mapped[date] = mapped_column(Date)
    # 在册, or 离册 from `status_date` (the first day off the register) for `left_reason`
    status: Mapped[str] = mapped_column(String(8), default="在册")
    status_date: Mapped[date | None] = mapped_column(Date, default=None)
    left_reason: Mapped[str] = mapped_column(String(12), default="")
    left_note: Mapped[str] = mapped_column(String(300), default="")
    director_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")  # encrypted


class ChildGuardian(Journaled, Base):
    """A parent or guardian of a child, with the relation."""

    __tablename__ = "child_guardian"
    __table_args__ = (
        # The register's search by a parent's name, pinyin or phone reads only this index.
        Index(
            "ix_child_guardian_search", "name", "name_letters", "phone", "deleted_at", "child_id"
        ),
    )
    child_id: Mapped[str] = mapped_column(ForeignKey("child.id"), index=True)
    relation: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60))
    name_letters: Mapped[str] = mapped_column(String(260), default="")  # the register's search
    id_number: Mapped[str] = mapped_column(String(18), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    lives_with_child: Mapped[bool] = mapped_column(Boolean, default=False)
    is_guardian: Mapped[bool] = mapped_column(Boolean, default=False)


class ChildCondition(Journaled, Base):
    """A condition of a parent (guardian_id set) or a fact about the child (guardian_id None),
    with its dates and evidence (kind, issuing body, document number, date)."""

    __tablename__ = "child_condition"
    child_id: Mapped[str] = mapped_column(ForeignKey("child.id"), index=True)
    guardian_id: Mapped[str | None] = mapped_column(ForeignKey("child_guardian.id"), default=None)
    kind: Mapped[str] = mapped_column(String(20))
    start_on: Mapped[date | None] = mapped_column(Date, default=None)
    end_on: Mapped[date | None] = mapped_column(Date, default=None)
    ended_on: Mapped[date | None] = mapped_column(Date, default=None)
    ended_reason: Mapped[str] = mapped_column(String(100), default="")
    disability_kind: Mapped[str] = mapped_column(String(8), default="")
    disability_grade: Mapped[int | None] = mapped_column(Integer, default=None)
    evidence_kind: Mapped[str] = mapped_column(String(30))
    evidence_issuer: Mapped[str] = mapped_column(String(100))
    evidence_number: Mapped[str] = mapped_column(String(60), default="")
    evidence_date: Mapped[date] = mapped_column(Date)
    evidence_description: Mapped[str] = mapped_column(Text, default="")  # encrypted
    recorded_by: Mapped[str] = mapped_column(String(60), default="")


class ChildCase(Journaled, Base):
    """A protection case: 发现报告 → 核实 → 评估 → 帮扶计划 → 回访 → 结案 (or reopened)."""

    __tablename__ = "child_case"
    __table_args__ = (
        Index("ix_child_case_child", "child_id", "reported_on"),
        Index("ix_child_case_step", "step", "urgent", "reported_on"),
    )
    child_id: Mapped[str] = mapped_column(ForeignKey("child.id"))
    step: Mapped[str] = mapped_column(String(8))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_reasons: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[str] = mapped_column(String(12))
    reported_on: Mapped[date] = mapped_column(Date)
    reporter: Mapped[str] = mapped_column(String(100), default="")
    seen_text: Mapped[str] = mapped_column(Text, default="")  # encrypted: what was seen
    verified_on: Mapped[date | None] = mapped_column(Date, default=None)
    verify_notes: Mapped[str] = mapped_column(Text, default="")  # encrypted
    assessed_on: Mapped[date | None] = mapped_column(Date, default=None)
    risk: Mapped[str] = mapped_column(String(2), default="")
    needs: Mapped[str] = mapped_column(String(100), default="")
    assessment_notes: Mapped[str] = mapped_column(Text, default="")  # encrypted
    planned_on: Mapped[date | None] = mapped_column(Date, default=None)
    last_visit_on: Mapped[date | None] = mapped_column(Date, default=None)
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    close_reason: Mapped[str] = mapped_column(String(12), default="")
    owner_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    opened_by: Mapped[str] = mapped_column(String(60), default="")


class ChildCaseEvent(Journaled, Base):
    """One step of a case's timeline: what was done, on which day, by whom, with a note."""

    __tablename__ = "child_case_event"
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    step_after: Mapped[str] = mapped_column(String(8))
    on_date: Mapped[date] = mapped_column(Date)
    actor_name: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(Text, default="")  # encrypted


class ChildPlanService(Journaled, Base):
    """A service of a case's plan (帮扶计划): kind, owner, due date, outcome."""

    __tablename__ = "child_plan_service"
    __table_args__ = (Index("ix_child_plan_service_status_due", "status", "due_on"),)
    case_id: Mapped[str] = mapped_column(ForeignKey("child_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(Text, default="")  # encrypted
    owner_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    owner_name: Mapped[str] = mapped_column(String(60))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="待办")
    outcome: Mapped[str] = mapped_column(Text, default="")  # encrypted
    done_on: Mapped[date | None] = mapped_column(Date, default=None)


class ChildVisit(Journaled, Base):
    """A visit to a child (回访), usually by the community child director."""

    __tablename__ = "child_visit"
    __table_args__ = (
        Index("ix_child_visit_child_date", "child_id", "visit_date"),
        Index("ix_child_visit_case_date", "case_id", "visit_date"),
        Index("ix_child_visit_date", "visit_date"),
    )
    child_id: Mapped[str] = mapped_column(ForeignKey("child.id"))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("child_case.id"), default=None)
    visit_date: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(4))
    visitor_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    visitor_name: Mapped[str] = mapped_column(String(60))
    child_seen: Mapped[bool] = mapped_column(Boolean, default=True)
    safety_concern: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")  # encrypted
    next_visit_on: Mapped[date | None] = mapped_column(Date, default=None)


class ChildViewLog(Journaled, Base):
    """Who opened or printed which child's record, when. Journaled, so it travels."""

    __tablename__ = "child_view_log"
    __table_args__ = (
        Index("ix_child_view_log_child", "child_id", "viewed_at"),
        Index("ix_child_view_log_viewed_at", "viewed_at"),
    )
    child_id: Mapped[str] = mapped_column(ForeignKey("child.id"))
    staff_id: Mapped[str | None] = mapped_column(String(36), default=None)
    staff_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(24), default="")
    action: Mapped[str] = mapped_column(String(20))
    viewed_at: Mapped[datetime] = mapped_column(DateTime)


class ChildOfficeKey(Journaled, Base):
    """The office's child-data key: its id and its wrap for the district (sealed to the
    district's X25519 key). The key itself is never stored in the clear."""

    __tablename__ = "child_office_key"
    office_id: Mapped[str] = mapped_column(ForeignKey("office.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(36), unique=True)
    district_pub: Mapped[str] = mapped_column(String(64), default="")
    district_wrap: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(60), default="")


class ChildKeyHolder(Base):
    """A child-role account's key pair (private key wrapped with a key derived from its
    password) and the office key sealed to it once granted. Local: never journaled or synced."""

    __tablename__ = "child_key_holder"
    staff_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    private_wrapped: Mapped[str] = mapped_column(Text)  # JSON: scrypt salt/n, nonce, ct
    key_id: Mapped[str | None] = mapped_column(String(36), default=None)
    data_key_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    granted_by: Mapped[str] = mapped_column(String(60), default="")
    granted_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
