"""Programme 2 rules: catalogue defaults, eligibility, the case's steps, and exact money."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseworker.domain import retrofit as r
from caseworker.domain.retrofit import Action, Step
from caseworker.domain.retrofit import HouseholdCategory as H
from caseworker.domain.roles import PERMISSIONS, Permission, Role

TODAY = date(2026, 11, 18)


def test_catalogue_has_30_items_in_7_parts_with_7_basic() -> None:
    items = r.DEFAULT_CATALOGUE
    assert len(items) == 30
    assert {i.part for i in items} == set(r.Part)
    assert len({i.code for i in items}) == 30
    basic = {i.name for i in items if i.basic}
    assert basic == {
        "地面防滑处理",
        "高差处理（坡道）",
        "床边护栏（抓杆）",
        "如厕洗浴扶手",
        "淋浴椅",
        "手杖",
        "防走失装置",
    }
    for item in items:
        r.check_catalogue_item(item)  # every default is a valid item
        assert (item.cap_fen > 0) == item.basic


def test_catalogue_item_checks_say_why() -> None:
    good = r.DEFAULT_CATALOGUE[0]
    with pytest.raises(ValueError, match="补贴上限"):
        r.check_catalogue_item(r.CatalogueItem(**{**good.__dict__, "cap_fen": good.price_fen + 1}))
    with pytest.raises(ValueError, match="单价"):
        r.check_catalogue_item(r.CatalogueItem(**{**good.__dict__, "price_fen": 0}))
    optional = r.DEFAULT_CATALOGUE[2]
    with pytest.raises(ValueError, match="自费"):
        r.check_catalogue_item(r.CatalogueItem(**{**optional.__dict__, "cap_fen": 100}))


@pytest.mark.parametrize(
    ("cats", "birth", "eligible", "words"),
    [
        ({H.EXTREME_POVERTY}, date(1950, 1, 1), True, "特困"),
        ({H.MIN_ALLOWANCE}, date(1950, 1, 1), True, "低保"),
        ({H.LOW_INCOME, H.DISABLED}, date(1955, 1, 1), True, "失能"),
        ({H.LOW_INCOME}, date(1940, 1, 1), True, "高龄"),  # 86: advanced age from the ID
        ({H.LOW_INCOME}, date(1955, 1, 1), False, "自费"),
        ({H.DISABLED}, date(1950, 1, 1), False, "家庭承担"),
        ({H.EXTREME_POVERTY}, date(1970, 1, 1), False, "未满 60"),
    ],
)
def test_eligibility_rule_with_reason(cats, birth, eligible, words) -> None:
    result = r.eligibility(cats, birth, TODAY)
    assert result.eligible is eligible
    assert words in result.reason


def test_categories_round_trip() -> None:
    cats = frozenset({H.MIN_ALLOWANCE, H.HANDICAPPED})
    stored = r.encode_categories(cats)
    assert stored == ",低保,残疾,"
    assert r.decode_categories(stored) == cats
    assert r.decode_categories("") == frozenset()


SUP = PERMISSIONS[Role.SUPERVISOR]
WORKER = PERMISSIONS[Role.CASEWORKER]


def test_happy_path_and_who_may_do_each_step() -> None:
    step = Step.APPLIED
    for action, perms in [
        (Action.CHECK, WORKER),
        (Action.SUBMIT, WORKER),
        (Action.APPROVE, SUP),
        (Action.START, WORKER),
        (Action.FINISH, WORKER),
        (Action.ACCEPT, WORKER),
    ]:
        step = r.check_transition(step, action, perms, assessed_by_id="w", acting_staff_id="s")
    assert step is Step.COMPLETED and step.closed


def test_refusals_say_why() -> None:
    with pytest.raises(r.TransitionRefused, match="科长"):
        r.check_transition(Step.ASSESSED, Action.APPROVE, WORKER)
    with pytest.raises(r.TransitionRefused, match="不能“审批通过”"):
        r.check_transition(Step.ELIGIBLE, Action.APPROVE, SUP)
    with pytest.raises(r.TransitionRefused, match="原因"):
        r.check_transition(Step.APPLIED, Action.REJECT, WORKER, "  ")
    with pytest.raises(r.TransitionRefused, match="本人"):
        r.check_transition(
            Step.ASSESSED, Action.APPROVE, SUP, acting_staff_id="s1", assessed_by_id="s1"
        )
    # Acceptance that finds problems goes back to construction.
    assert r.check_transition(Step.INSPECTION, Action.FAIL, WORKER, "扶手松动") is Step.CONSTRUCTION


@given(
    st.sampled_from(list(Step)),
    st.sampled_from(list(Action)),
    st.sampled_from([None, WORKER, SUP]),
    st.sampled_from([None, "s1", "s2"]),
)
def test_no_step_leaves_a_closed_case_and_allowed_actions_agree(
    step: Step, action: Action, permissions, assessor: str | None
) -> None:
    """The buttons offer exactly what the rule accepts: a supervisor is not offered 审批通过 on
    an assessment of their own (issue 18: refused only after the click)."""
    who = {"acting_staff_id": "s1" if permissions is not None else None, "assessed_by_id": assessor}
    allowed = r.allowed_actions(step, permissions, **who)
    if step.closed:
        assert allowed == []
    if action is Action.APPLY:
        return
    try:
        r.check_transition(step, action, permissions, "原因", **who)
    except r.TransitionRefused:
        assert action not in allowed
    else:
        assert action in allowed


def test_every_transition_needs_a_retrofit_permission() -> None:
    for t in r.TRANSITIONS.values():
        assert t.permission in (Permission.RETROFIT_EDIT, Permission.RETROFIT_APPROVE)


def test_money_formatting_and_parsing() -> None:
    assert r.yuan(123456) == "1,234.56"
    assert r.yuan(5) == "0.05"
    assert r.parse_yuan("1,234.5") == 123450
    assert r.parse_yuan("１２３元") == 12300
    assert r.parse_quantity("2.5") == 250
    assert r.quantity_text(250) == "2.5"
    assert r.quantity_text(300) == "3"
    for bad in ("abc", "1.234", ""):
        with pytest.raises(ValueError):
            r.parse_yuan(bad)
    with pytest.raises(ValueError, match="大于 0"):
        r.parse_quantity("0")


def test_worked_example() -> None:
    lines = [
        r.Line(True, 1250, 8000, 8000),  # anti-slip 12.5 m² at 80 yuan: 1000 yuan, all subsidised
        r.Line(True, 300, 28000, 20000),  # 3 grab bars at 280, cap 200 each: 600 of 840
        r.Line(False, 100, 160000, 0),  # toilet conversion, optional: household pays
    ]
    t = r.compute(lines, True, 150000)  # household cap 1,500 yuan
    assert t.cost_fen == 100000 + 84000 + 160000
    assert t.subsidy_uncapped_fen == 100000 + 60000
    assert t.subsidy_fen == 150000
    assert t.moved_to_household_fen == 10000
    assert t.household_fen == t.cost_fen - 150000
    assert r.compute(lines, False, 150000).subsidy_fen == 0


line = st.builds(
    r.Line,
    basic=st.booleans(),
    quantity_centi=st.integers(1, r.MAX_QUANTITY),
    unit_price_fen=st.integers(1, 2_000_000),
    unit_cap_fen=st.integers(0, 2_000_000),
)


@given(st.lists(line, max_size=40), st.booleans(), st.integers(0, 10_000_000))
def test_totals_add_up_and_caps_hold(lines, eligible, cap) -> None:
    t = r.compute(lines, eligible, cap)
    assert t.cost_fen == sum(m.cost_fen for m in t.lines)
    assert t.subsidy_fen == sum(m.subsidy_fen for m in t.lines)
    assert t.household_fen == sum(m.household_fen for m in t.lines)
    assert t.subsidy_fen + t.household_fen == t.cost_fen
    assert 0 <= t.subsidy_fen <= cap
    assert t.subsidy_fen == min(cap, t.subsidy_uncapped_fen)
    for ln, m in zip(lines, t.lines, strict=True):
        assert isinstance(m.cost_fen, int) and isinstance(m.subsidy_fen, int)
        assert 0 <= m.subsidy_fen <= m.subsidy_uncapped_fen <= m.cost_fen
        assert m.subsidy_uncapped_fen <= r.line_cost(ln.quantity_centi, ln.unit_cap_fen)
        if not (eligible and ln.basic):
            assert m.subsidy_fen == 0


@given(st.integers(0, 10**9))
def test_yuan_round_trips(fen: int) -> None:
    assert r.parse_yuan(r.yuan(fen)) == fen


# -- independence: who recorded the assessment never approves it ----------------------------------


def test_the_approver_is_never_one_who_recorded_the_assessment() -> None:
    SUP = PERMISSIONS[Role.SUPERVISOR]
    # a supervisor typed the lines, a caseworker pressed 提交评估: still refused
    with pytest.raises(r.TransitionRefused, match="本人登记"):
        r.check_transition(
            Step.ASSESSED,
            Action.APPROVE,
            SUP,
            acting_staff_id="chief",
            assessed_by_id="worker",
            assessor_ids=["worker", "chief"],
        )
    assert (
        r.check_transition(
            Step.ASSESSED,
            Action.APPROVE,
            SUP,
            acting_staff_id="other",
            assessed_by_id="worker",
            assessor_ids=["worker", None],
        )
        is Step.APPROVED
    )
    assert r.assessors("w", ["a", None, "a", "b"]) == frozenset({"w", "a", "b"})
    assert r.assessors(None, [None]) == frozenset()


# -- photos: before at the assessment, after of every item at acceptance ---------------------------


def test_photos_each_step_needs_or_a_supervisors_reason() -> None:
    items = [("i1", "如厕洗浴扶手"), ("i2", "淋浴椅")]
    none = r.PhotoCount(0, {})
    assert "改造前照片" in r.missing_photos(r.PhotoStage.BEFORE, items, none, "")
    assert r.missing_photos(r.PhotoStage.BEFORE, items, r.PhotoCount(1, {}), "") == ""
    one = r.PhotoCount(3, {"i1": 2})
    lacking = r.missing_photos(r.PhotoStage.AFTER, items, one, "")
    assert "淋浴椅" in lacking and "如厕洗浴扶手" not in lacking
    both = r.PhotoCount(0, {"i1": 1, "i2": 1})
    assert r.missing_photos(r.PhotoStage.AFTER, items, both, "") == ""
    waived = r.waiver_text("户主不同意拍照", "王科长", date(2026, 11, 2))
    assert waived == "户主不同意拍照（王科长，2026-11-02）"
    assert r.missing_photos(r.PhotoStage.AFTER, items, none, waived) == ""
    assert r.missing_photos(r.PhotoStage.AFTER, items, none, "   ") != ""
