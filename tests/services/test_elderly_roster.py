"""The elderly roster service: register, duplicates, refusals, tier overrides, status, detail."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from caseworker.domain.elderly import Category, Status, Tier
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.roles import Actor, Role
from caseworker.services.elderly import roster
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from db.models import JournalEntry
from tests.services._elderly import TODAY, add, community_ids, make_id


def test_register_derives_birth_sex_age_and_tier(office_ws: Workspace, worker: Actor) -> None:
    info = add(
        office_ws,
        worker,
        "王秀英",
        date(1944, 5, 6),
        seq=12,
        categories=frozenset({Category.LIVING_ALONE, Category.DISABLED}),
    )
    assert info.birth_date == date(1944, 5, 6)
    assert info.sex == "女"
    assert info.age == 82
    assert Category.ADVANCED_AGE in info.categories
    assert info.tier is Tier.HIGH_RISK and info.suggested_tier is Tier.HIGH_RISK
    assert info.next_due == date(2026, 1, 5)  # never visited: due since enrolment
    assert info.id_number_masked.startswith("110105") and "*" in info.id_number_masked


def test_same_id_returns_the_existing_person(office_ws: Workspace, worker: Actor) -> None:
    first = add(office_ws, worker, "李建国", date(1950, 1, 2))
    lower_x_spelling = make_id(date(1950, 1, 2)).lower().replace("1", "１", 1)
    with office_ws.writer(worker) as s:
        again = roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "李建国二", lower_x_spelling, community_ids(office_ws)["安贞社区"]
            ),
            today=TODAY,
        )
    assert not again.created
    assert again.resident.id == first.id and again.resident.name == "李建国"
    with office_ws.reader() as s:
        assert s.scalar(select(func.count()).select_from(ElderlyResident)) == 1


@pytest.mark.parametrize(
    ("id_text", "needle"),
    [
        (make_id(date(1970, 3, 3)), "未满 60 周岁"),
        (
            make_id(date(1950, 3, 3))[:-1] + ("0" if make_id(date(1950, 3, 3))[-1] != "0" else "1"),
            "校验位",
        ),
        ("11010519500230001X", "不存在"),
    ],
)
def test_bad_ids_are_refused_with_the_reason(
    office_ws: Workspace, worker: Actor, id_text: str, needle: str
) -> None:
    with pytest.raises(ValidationError, match=needle) as err, office_ws.writer(worker) as s:
        roster.register(
            s,
            worker,
            roster.ResidentDraft("张三", id_text, community_ids(office_ws)["安贞社区"]),
            today=TODAY,
        )
    assert err.value.field == "id_number"
    with office_ws.reader() as s:
        assert s.scalar(select(func.count()).select_from(ElderlyResident)) == 0


def test_admin_may_view_but_not_edit(office_ws: Workspace, admin: Actor) -> None:
    with pytest.raises(PermissionDenied), office_ws.writer(admin) as s:
        roster.register(
            s,
            admin,
            roster.ResidentDraft(
                "张三", make_id(date(1950, 1, 1)), community_ids(office_ws)["安贞社区"]
            ),
            today=TODAY,
        )


def test_tier_override_needs_a_reason_that_is_kept(office_ws: Workspace, worker: Actor) -> None:
    info = add(office_ws, worker, "赵大爷", date(1950, 2, 2))
    assert info.tier is Tier.KEY
    with pytest.raises(ValidationError, match="请写明原因") as err, office_ws.writer(worker) as s:
        roster.set_tier(s, worker, info.id, Tier.HIGH_RISK, "  ", today=TODAY)
    assert err.value.field == "tier_reason"
    with office_ws.writer(worker) as s:
        changed = roster.set_tier(s, worker, info.id, Tier.HIGH_RISK, "上月摔倒住院", today=TODAY)
    assert changed.tier is Tier.HIGH_RISK and changed.tier_reason == "上月摔倒住院"
    assert changed.suggested_tier is Tier.KEY
    # An override survives a change of categories; the suggestion follows them.
    with office_ws.writer(worker) as s:
        draft = roster.ResidentDraft(
            "赵大爷",
            make_id(date(1950, 2, 2)),
            info.community_id,
            categories=frozenset({Category.MIN_ALLOWANCE}),
        )
        after = roster.update(s, worker, info.id, draft, today=TODAY)
    assert after.tier is Tier.HIGH_RISK and after.suggested_tier is Tier.GENERAL
    with office_ws.reader() as s:
        reasons = s.scalars(
            select(JournalEntry.new_value).where(
                JournalEntry.record_id == info.id, JournalEntry.field == "tier_reason"
            )
        ).all()
    assert any("上月摔倒住院" in (r or "") for r in reasons)


def test_followed_suggestion_tracks_category_changes(office_ws: Workspace, worker: Actor) -> None:
    info = add(
        office_ws,
        worker,
        "钱奶奶",
        date(1950, 2, 2),
        categories=frozenset({Category.MIN_ALLOWANCE}),
    )
    assert info.tier is Tier.GENERAL and info.next_due == date(2026, 1, 5)
    with office_ws.writer(worker) as s:
        draft = roster.ResidentDraft(
            "钱奶奶",
            make_id(date(1950, 2, 2)),
            info.community_id,
            categories=frozenset({Category.LIVING_ALONE}),
        )
        after = roster.update(s, worker, info.id, draft, today=TODAY)
    assert after.tier is Tier.KEY


def test_moved_and_deceased_stop_scheduling_but_keep_history(
    office_ws: Workspace, worker: Actor
) -> None:
    info = add(office_ws, worker, "孙爷爷", date(1940, 7, 7))
    with office_ws.writer(worker) as s:
        gone = roster.set_status(
            s, worker, info.id, Status.DECEASED, date(2026, 11, 1), "病故", today=TODAY
        )
    assert gone.next_due is None and gone.status is Status.DECEASED
    with pytest.raises(ValidationError) as err, office_ws.writer(worker) as s:
        roster.set_status(s, worker, info.id, Status.MOVED, date(2026, 12, 1), today=TODAY)
    assert err.value.field == "status_date"
    with office_ws.writer(worker) as s:
        back = roster.set_status(
            s, worker, info.id, Status.ACTIVE, date(2026, 11, 2), "登记错误", today=TODAY
        )
    assert back.next_due is not None
    with office_ws.reader() as s:
        detail = roster.detail(s, worker, info.id, today=TODAY)
    ops = [(h.op, h.field) for h in detail.history]
    assert ops[0] == ("insert", None)
    assert ("update", "status") in ops and ("update", "status_date") in ops
    assert detail.history[0].table_label == "老年人台账"


def test_update_refuses_an_id_that_belongs_to_someone_else(
    office_ws: Workspace, worker: Actor
) -> None:
    add(office_ws, worker, "甲", date(1950, 1, 1), seq=11)
    b = add(office_ws, worker, "乙", date(1951, 1, 1), seq=13)
    with pytest.raises(ValidationError, match="已登记为 甲") as err, office_ws.writer(worker) as s:
        roster.update(
            s,
            worker,
            b.id,
            roster.ResidentDraft("乙", make_id(date(1950, 1, 1), 11), b.community_id),
            today=TODAY,
        )
    assert err.value.field == "id_number"


def test_find_by_id_number_accepts_any_spelling(office_ws: Workspace, worker: Actor) -> None:
    info = add(office_ws, worker, "周", date(1950, 1, 1))
    spaced = " ".join(make_id(date(1950, 1, 1)))
    with office_ws.reader() as s:
        assert roster.find_by_id_number(s, worker, spaced, today=TODAY).id == info.id  # type: ignore[union-attr]
        assert roster.find_by_id_number(s, worker, "123", today=TODAY) is None


def test_phone_with_letters_is_refused(office_ws: Workspace, worker: Actor) -> None:
    with pytest.raises(ValidationError) as err, office_ws.writer(worker) as s:
        roster.register(
            s,
            worker,
            roster.ResidentDraft(
                "吴",
                make_id(date(1950, 1, 1)),
                community_ids(office_ws)["安贞社区"],
                phone="138abc",
            ),
            today=TODAY,
        )
    assert err.value.field == "phone"


def test_staff_choices_list_active_staff_for_anyone_who_may_view(
    office_ws: Workspace, worker: Actor
) -> None:
    with office_ws.reader() as s:
        names = [c.name for c in roster.staff_choices(s, worker)]
    assert worker.display_name in names
    outsider = Actor("x", "x", "x", Role.CHILD_DIRECTOR)
    with office_ws.reader() as s, pytest.raises(PermissionDenied):
        roster.staff_choices(s, outsider)
