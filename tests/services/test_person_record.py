"""One person record for the three programmes: the same person on the roster and applying for a
retrofit is the same `Person`, and the screens' records and the printed forms show its facts."""

from __future__ import annotations

from datetime import date

from caseworker.domain.person import Person
from caseworker.domain.roles import Actor
from caseworker.services.elderly import forms as elderly_forms
from caseworker.services.retrofit import forms as retrofit_forms
from caseworker.workspace import Workspace
from tests.services._elderly import TODAY, add, make_id
from tests.services._retrofit import open_case


def test_a_resident_and_an_applicant_are_the_same_person(
    office_ws: Workspace, worker: Actor
) -> None:
    resident = add(office_ws, worker, "陈桂兰", date(1944, 3, 8), seq=22, phone="13911112222")
    case = open_case(office_ws, worker, "陈桂兰", birth=date(1944, 3, 8), seq=22)
    expected = Person(
        "陈桂兰", make_id(date(1944, 3, 8), 22), date(1944, 3, 8), "女", "13911112222"
    )
    assert resident.person == case.person == expected
    assert resident.age == case.age == expected.age_on(TODAY) == 82
    assert resident.id_number_masked == case.id_number_masked == expected.id_number_masked
    with office_ws.reader() as s:
        [visit] = elderly_forms.selection_forms(s, worker, [resident.id], today=TODAY)
        printed = retrofit_forms.case_form(s, worker, case.id)
    assert (visit.resident_name, visit.sex, visit.age, visit.id_number_masked, visit.phone) == (
        printed.name,
        printed.sex,
        printed.age,
        printed.id_number,
        printed.phone,
    )
    assert visit.id_number_masked == expected.id_number_masked
