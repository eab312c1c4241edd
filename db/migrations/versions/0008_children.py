"""Programme 3 schema: children, guardians, conditions, cases, events, services, visits, view log, keys.

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-29 11:37:52.780635
"""

from db import migration_kit as kit

revision: str = "0008"
down_revision: str | None = "0005"


def upgrade() -> None:
    kit.create_table(
        "child_key_holder",
        """
        staff_id         str36
        public_key       str64
        private_wrapped  text
        key_id           str36 null
        data_key_sealed  text null
        granted_by       str60
        granted_at       datetime null
        updated_at       datetime
        primary          staff_id
        """,
    )
    kit.create_table(
        "child_office_key",
        """
        office_id      str36 -> office
        key_id         str36
        district_pub   str64
        district_wrap  text
        created_by     str60
        record
        unique         key_id
        index ix_child_office_key_office_id office_id
        """,
    )
    kit.create_table(
        "child",
        """
        name                str60
        id_number           str18
        birth_date          date
        sex                 str2
        community_id        str36 -> community
        address             str200
        phone               str40
        school              str100
        grade               str20
        living_arrangement  str20
        categories          str200
        categories_note     str300
        registered_on       date
        status              str8
        status_date         date null
        director_staff_id   str36 null -> staff
        notes               text
        record
        unique              id_number
        index ix_child_community_name community_id name
        index ix_child_name_address   name address deleted_at
        index ix_child_numbers        id_number phone deleted_at
        """,
    )
    kit.create_table(
        "child_case",
        """
        child_id          str36 -> child
        step              str8
        urgent            bool
        urgent_reasons    str60
        source            str12
        reported_on       date
        reporter          str100
        seen_text         text
        verified_on       date null
        verify_notes      text
        assessed_on       date null
        risk              str2
        needs             str100
        assessment_notes  text
        planned_on        date null
        last_visit_on     date null
        closed_on         date null
        close_reason      str12
        owner_staff_id    str36 null -> staff
        opened_by         str60
        record
        index ix_child_case_child child_id reported_on
        index ix_child_case_step  step urgent reported_on
        """,
    )
    kit.create_table(
        "child_guardian",
        """
        child_id          str36 -> child
        relation          str10
        name              str60
        id_number         str18
        phone             str40
        address           str200
        lives_with_child  bool
        is_guardian       bool
        record
        index ix_child_guardian_child_id child_id
        """,
    )
    kit.create_table(
        "child_view_log",
        """
        child_id    str36 -> child
        staff_id    str36 null
        staff_name  str60
        role        str24
        action      str20
        viewed_at   datetime
        record
        index ix_child_view_log_child     child_id viewed_at
        index ix_child_view_log_viewed_at viewed_at
        """,
    )
    kit.create_table(
        "child_case_event",
        """
        case_id     str36 -> child_case
        action      str12
        step_after  str8
        on_date     date
        actor_name  str60
        note        text
        record
        index ix_child_case_event_case_id case_id
        """,
    )
    kit.create_table(
        "child_condition",
        """
        child_id              str36 -> child
        guardian_id           str36 null -> child_guardian
        kind                  str20
        start_on              date null
        end_on                date null
        ended_on              date null
        ended_reason          str100
        disability_kind       str8
        disability_grade      int null
        evidence_kind         str30
        evidence_issuer       str100
        evidence_number       str60
        evidence_date         date
        evidence_description  text
        recorded_by           str60
        record
        index ix_child_condition_child_id child_id
        """,
    )
    kit.create_table(
        "child_plan_service",
        """
        case_id         str36 -> child_case
        kind            str12
        description     text
        owner_staff_id  str36 null -> staff
        owner_name      str60
        due_on          date
        status          str8
        outcome         text
        done_on         date null
        record
        index ix_child_plan_service_case_id    case_id
        index ix_child_plan_service_status_due status due_on
        """,
    )
    kit.create_table(
        "child_visit",
        """
        child_id          str36 -> child
        case_id           str36 null -> child_case
        visit_date        date
        method            str4
        visitor_staff_id  str36 null -> staff
        visitor_name      str60
        child_seen        bool
        safety_concern    bool
        notes             text
        next_visit_on     date null
        record
        index ix_child_visit_case_date  case_id visit_date
        index ix_child_visit_child_date child_id visit_date
        index ix_child_visit_date       visit_date
        """,
    )


def downgrade() -> None:
    kit.drop_tables(
        "child_visit",
        "child_plan_service",
        "child_condition",
        "child_case_event",
        "child_view_log",
        "child_guardian",
        "child_case",
        "child",
        "child_office_key",
        "child_key_holder",
    )
