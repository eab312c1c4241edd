"""更正 in the district console (区级平台, issue 24), offscreen with a real hub, a real office and
signed bundles: the clerk picks the office and 老年人台账, finds a resident by part of the name
with Enter, sees each column with whether it may be corrected (id locked, phone not), a wrong
date is one red line and changes nothing, and the corrected phone reaches the office with the
district's next bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from caseworker import demo
from caseworker.district import service
from caseworker.domain.roles import DistrictRole
from caseworker.sync import office
from db.elderly import ElderlyResident
from tests.sync.helpers import ADMIN, make_world, snapshot
from tests.ui.test_district_console import _add, _log_in

CODES = ["110101001", "110101002"]


@pytest.fixture
def world(tmp_path: Path):
    w = make_world(tmp_path, CODES)
    demo.build(w.offices[CODES[0]], residents=4, seed=1)
    service.ingest(w.hub, [w.office_to_district(c) for c in CODES])
    yield w
    w.close()


def test_a_clerk_corrects_a_column_and_the_office_receives_it(world, controller, qtbot) -> None:
    _add(world, "yewu", "李业务", DistrictRole.CLERK)
    controller.start()
    _log_in(controller, qtbot, "yewu")
    # the console opened the hub itself: on the offices' clock (see test_district_transfers.py)
    controller.hub.now_ms = world.clock
    tab = controller.window.page("queues").corrections
    a = world.offices[CODES[0]]
    with a.reader() as s:
        person = s.scalars(select(ElderlyResident).order_by(ElderlyResident.id)).first()
    tab.office.setCurrentIndex(tab.office.findData(CODES[0]))
    tab.table_name.setCurrentIndex(tab.table_name.findData("elderly_resident"))
    tab.search.setText(person.name[1:])
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    assert person.id in [r.id for r in tab.records]
    tab.record_list.selectRow([r.id for r in tab.records].index(person.id))
    rules = {r.name: r for r in tab.rules}
    # the locks shown before anything is typed: the id is the system's, the phone may change
    assert not rules["id"].correctable and rules["phone"].correctable
    offered = [tab.column.itemData(i) for i in range(tab.column.count())]
    assert "phone" in offered and "id" not in offered

    before = snapshot(world.hub.engine)
    # a birth date follows the ID number: never offered; a date of enrolment is
    assert "birth_date" not in offered and "name_pinyin" not in offered
    tab.column.setCurrentIndex(tab.column.findData("enrolled_on"))
    assert "日期" in tab.hint.text()
    tab.value.setText("下个月")
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert "应为日期" in tab.message.text() and "b00020" in tab.message.styleSheet()
    assert snapshot(world.hub.engine) == before

    tab.column.setCurrentIndex(tab.column.findData("phone"))
    tab.value.setText("13712345678")
    qtbot.keyClick(tab.value, Qt.Key.Key_Return)
    assert "已更正" in tab.message.text(), tab.message.text()
    qtbot.waitUntil(lambda: {r.name: r.value for r in tab.rules}["phone"] == "13712345678")
    # exactly as the command line's correction: in the office's next bundle
    office.import_bundle(a, ADMIN, world.district_to_office(CODES[0]))
    with a.reader() as s:
        assert s.get(ElderlyResident, person.id).phone == "13712345678"
