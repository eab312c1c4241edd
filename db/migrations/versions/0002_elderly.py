"""Programme 1 schema: elderly roster, visits, visit amendments, referrals (tables only).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 03:04:03.970718
"""

from db import migration_kit as kit

revision: str = "0002"
down_revision: str | None = "0001"


def upgrade() -> None:
    kit.create_table(
        "elderly_resident",
        """
        name                str60
        id_number           str18
        birth_date          date
        sex                 str2
        phone               str40
        address             str200
        community_id        str36 -> community
        assigned_staff_id   str36 null -> staff
        categories          str200
        living_arrangement  str40
        health_notes        text
        supporter_name      str60
        supporter_relation  str20
        supporter_phone     str40
        emergency_name      str60
        emergency_phone     str40
        status              str8
        status_date         date null
        status_note         str200
        tier                str8
        tier_reason         str200
        enrolled_on         date
        notes               text
        last_visit_on       date null
        next_due            date null
        record
        unique              id_number
        index ix_elderly_resident_assigned      assigned_staff_id next_due
        index ix_elderly_resident_community_due community_id next_due
        index ix_elderly_resident_name_address  name address deleted_at
        index ix_elderly_resident_numbers       id_number phone supporter_phone emergency_phone deleted_at
        index ix_elderly_resident_next_due      next_due
        """,
    )
    kit.create_table(
        "elderly_visit",
        """
        resident_id           str36 -> elderly_resident
        visit_date            date
        visitors              str200
        visitor_staff_id      str36 null -> staff
        method                str4
        status                str8
        completed_at          datetime null
        completed_by          str60
        health_communication  str20
        health_mobility       str20
        health_reaction       str20
        health_mental         str20
        health_illness        text
        health_notes          text
        living_food           str20
        living_clothing       str20
        living_housing        str20
        living_medical_cost   str20
        living_benefits       str20
        living_notes          text
        family_contact        str20
        family_notes          text
        safety_hazards        str100
        safety_notes          text
        needs_services        str100
        needs_notes           text
        problems              text
        actions               text
        next_visit_on         date null
        effective_date        date null
        record
        index ix_elderly_visit_effective_date effective_date
        index ix_elderly_visit_resident_date  resident_id effective_date
        index ix_elderly_visit_visitor        visitor_staff_id effective_date
        """,
    )
    kit.create_table(
        "elderly_referral",
        """
        visit_id        str36 -> elderly_visit
        resident_id     str36 -> elderly_resident
        target          str40
        description     text
        due_on          date
        owner_staff_id  str36 null -> staff
        owner_name      str60
        status          str8
        outcome         text
        closed_on       date null
        record
        index ix_elderly_referral_resident_id resident_id
        index ix_elderly_referral_status_due  status due_on
        index ix_elderly_referral_visit_id    visit_id
        """,
    )
    kit.create_table(
        "elderly_visit_amendment",
        """
        visit_id         str36 -> elderly_visit
        field            str40
        old_value        text
        new_value        text
        reason           str300
        amended_by_id    str36 null
        amended_by_name  str60
        amended_at       datetime
        record
        index ix_elderly_visit_amendment_visit_id visit_id
        """,
    )


def downgrade() -> None:
    kit.drop_tables(
        "elderly_visit_amendment",
        "elderly_referral",
        "elderly_visit",
        "elderly_resident",
    )
