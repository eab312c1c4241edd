"""Programme 2 schema: retrofit catalogue (district changes only; the 30 national defaults
live in caseworker.domain.retrofit and are not seeded), contractors, cases, steps, items, photos.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 11:31:49.358754
"""

from db import migration_kit as kit

revision: str = "0009"
down_revision: str | None = "0008"


def upgrade() -> None:
    kit.create_table(
        "retrofit_catalogue_item",
        """
        code        str16
        part        str12
        name        str60
        unit        str8
        basic       bool
        price_fen   int
        cap_fen     int
        retired     bool
        sort_order  int
        record
        unique      code
        """,
    )
    kit.create_table(
        "retrofit_contractor",
        """
        office_id     str36 -> office
        name          str100
        contact_name  str60
        phone         str40
        licence_no    str60
        active        bool
        record
        index ix_retrofit_contractor_office_id office_id
        """,
    )
    kit.create_table(
        "retrofit_case",
        """
        case_no               str48
        community_id          str36 -> community
        resident_id           str36 null -> elderly_resident
        applicant_name        str60
        id_number             str18
        birth_date            date
        sex                   str2
        phone                 str40
        address               str200
        contact_name          str60
        contact_phone         str40
        categories            str120
        eligible              bool
        eligibility_reason    str200
        step                  str8
        applied_on            date
        application_note      text
        assessed_on           date null
        assessed_by_id        str36 null
        assessed_by_name      str60
        assessment_note       text
        approved_on           date null
        approved_by_name      str60
        household_cap_fen     int
        cost_fen              int
        subsidy_fen           int
        household_fen         int
        contractor_id         str36 null -> retrofit_contractor
        construction_start    date null
        planned_end           date null
        construction_done_on  date null
        accepted_on           date null
        accepted_by_name      str60
        signed_by             str60
        closed_on             date null
        closed_reason         str300
        record
        unique                case_no
        index ix_retrofit_case_community_step community_id step
        index ix_retrofit_case_id_number      id_number
        index ix_retrofit_case_planned_end    step planned_end
        index ix_retrofit_case_resident_id    resident_id
        index ix_retrofit_case_search         applicant_name address deleted_at
        index ix_retrofit_case_step_applied   step applied_on
        """,
    )
    kit.create_table(
        "retrofit_assessment_item",
        """
        case_id         str36 -> retrofit_case
        item_code       str16
        part            str12
        name            str60
        unit            str8
        basic           bool
        quantity_centi  int
        unit_price_fen  int
        unit_cap_fen    int
        room            str20
        note            str300
        sort_order      int
        record
        index ix_retrofit_assessment_item_case      case_id sort_order
        index ix_retrofit_assessment_item_item_code item_code
        """,
    )
    kit.create_table(
        "retrofit_case_event",
        """
        case_id     str36 -> retrofit_case
        action      str12
        from_step   str8
        to_step     str8
        on          date
        at          datetime
        actor_id    str36 null
        actor_name  str60
        note        text
        record
        index ix_retrofit_case_event_case case_id at
        """,
    )
    kit.create_table(
        "retrofit_photo",
        """
        case_id        str36 -> retrofit_case
        item_id        str36 null -> retrofit_assessment_item
        stage          str8
        sha256         str64
        thumb_sha256   str64
        width          int
        height         int
        size_bytes     int
        taken_at       datetime null
        original_name  str200
        caption        str200
        record
        index ix_retrofit_photo_case   case_id stage
        index ix_retrofit_photo_sha256 sha256
        """,
    )


def downgrade() -> None:
    kit.drop_tables(
        "retrofit_photo",
        "retrofit_case_event",
        "retrofit_assessment_item",
        "retrofit_case",
        "retrofit_contractor",
        "retrofit_catalogue_item",
    )
