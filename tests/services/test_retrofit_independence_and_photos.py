"""Programme 2 as the bureau runs it: the approver is never one who recorded the assessment
(the lines or its conclusion), and the assessment needs before photos, the acceptance after
photos of every accepted item, unless a supervisor records why not."""

from __future__ import annotations

from datetime import date

import pytest

from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.retrofit import Action, PhotoStage, Step
from caseworker.domain.roles import Actor
from caseworker.services.retrofit import cases
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY
from tests.services._retrofit import (
    assess,
    contractor,
    open_case,
    step,
    supervisor,
    take_photos,
)


def test_a_supervisor_who_typed_the_lines_may_not_approve_after_a_caseworker_submits(
    office_ws: Workspace, worker: Actor
) -> None:
    """The issue's case: 科长 typed the items, a caseworker pressed 提交评估, the 科长 approved."""
    chief = supervisor(office_ws)
    other = supervisor(office_ws, "chief2", "刘科长")
    case = open_case(office_ws, worker)
    step(office_ws, worker, case.id, Action.CHECK)
    assess(office_ws, chief, case.id, [("R13", 200), ("R17", 100)])
    step(office_ws, worker, case.id, Action.SUBMIT)
    with office_ws.reader() as s:
        info = cases.get(s, worker, case.id)
    assert info.assessed_by_id == worker.staff_id and set(info.assessors) == {"王科长", "李专干"}
    with pytest.raises(ValidationError, match="本人登记"):
        step(office_ws, chief, case.id, Action.APPROVE)
    assert step(office_ws, other, case.id, Action.APPROVE).step is Step.APPROVED


def test_renumbering_a_line_does_not_make_one_an_assessor(
    office_ws: Workspace, worker: Actor
) -> None:
    chief = supervisor(office_ws)
    case = open_case(office_ws, worker)
    step(office_ws, worker, case.id, Action.CHECK)
    assess(office_ws, worker, case.id, [("R13", 200), ("R17", 100)])
    with office_ws.reader() as s:
        lines = cases.detail(s, worker, case.id).items
    from caseworker.services.retrofit import assessment

    with office_ws.writer(chief) as s:  # the chief removes the first line: the other moves up
        assessment.save_items(
            s,
            chief,
            case.id,
            [assessment.ItemDraft("R17", 100, room="卫生间", id=lines[1].id)],
            today=TODAY,
        )
    step(office_ws, worker, case.id, Action.SUBMIT)
    assert step(office_ws, chief, case.id, Action.APPROVE).step is Step.APPROVED


def test_no_photos_no_step_unless_a_supervisor_says_why(
    office_ws: Workspace, worker: Actor
) -> None:
    chief = supervisor(office_ws)
    firm = contractor(office_ws, worker)
    case = open_case(office_ws, worker)
    step(office_ws, worker, case.id, Action.CHECK, on=date(2026, 10, 9))
    assess(office_ws, worker, case.id, [("R13", 200), ("R17", 100)])
    with pytest.raises(ValidationError, match="改造前照片"):
        step(office_ws, worker, case.id, Action.SUBMIT, photos=False)
    assert take_photos(office_ws, worker, case.id, PhotoStage.BEFORE) == 2
    step(office_ws, worker, case.id, Action.SUBMIT, photos=False, on=date(2026, 10, 12))
    step(office_ws, chief, case.id, Action.APPROVE, on=date(2026, 10, 15))
    step(
        office_ws,
        worker,
        case.id,
        Action.START,
        contractor_id=firm,
        start=date(2026, 10, 20),
        planned_end=date(2026, 11, 5),
    )
    step(office_ws, worker, case.id, Action.FINISH, on=date(2026, 11, 4))
    # the case: accepted with no photo after
    with pytest.raises(ValidationError, match="如厕洗浴扶手、淋浴椅"):
        step(office_ws, worker, case.id, Action.ACCEPT, signed_by="陈桂兰", photos=False)
    with office_ws.reader() as s:
        items = cases.detail(s, worker, case.id).items
    # one item photographed, the other not yet: still refused, naming the one missing
    import random
    import tempfile
    from pathlib import Path

    from caseworker.demo.retrofit import picture
    from caseworker.services.retrofit import photos
    from db.photo_store import PhotoStore

    with office_ws.writer(worker) as s, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "after.jpg"
        path.write_bytes(picture(random.Random(1), "扶手", True))
        photos.add(
            s,
            worker,
            PhotoStore(office_ws.paths.photos),
            case.id,
            photos.PhotoRequest(path, PhotoStage.AFTER, items[0].id),
        )
    with pytest.raises(ValidationError, match="淋浴椅") as err:
        step(office_ws, worker, case.id, Action.ACCEPT, signed_by="陈桂兰", photos=False)
    assert items[0].name not in str(err.value)
    # the household refused photos of the bathroom: only a supervisor may say so, with a reason
    with office_ws.writer(worker) as s, pytest.raises(PermissionDenied, match="科长"):
        cases.waive_photos(s, worker, case.id, PhotoStage.AFTER, "户主不同意拍照", today=TODAY)
    with office_ws.writer(chief) as s:
        with pytest.raises(ValidationError, match="原因"):
            cases.waive_photos(s, chief, case.id, PhotoStage.AFTER, "无", today=TODAY)
        info = cases.waive_photos(
            s, chief, case.id, PhotoStage.AFTER, "户主不同意拍摄卫生间", today=TODAY
        )
    assert info.photos_waived_after == "户主不同意拍摄卫生间（王科长，2026-11-18）"
    done = step(office_ws, worker, case.id, Action.ACCEPT, signed_by="陈桂兰", photos=False)
    assert done.step is Step.COMPLETED
