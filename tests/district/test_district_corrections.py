"""更正 from the console's service (caseworker.district.corrections), headless: a clerk finds an
office's record by part of a name or the whole ID number (never another office's), sees which
columns may be corrected and why the others may not (a completed visit is locked), a wrong value
is refused in Chinese and changes nothing, and a correction reaches the office in its next
bundle exactly as `caseworker-district correct` does, journaled as the clerk."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from caseworker import demo
from caseworker.district import corrections, service
from caseworker.domain.errors import PermissionDenied, ValidationError
from caseworker.domain.visit_form import VisitStatus
from caseworker.sync import office
from db.elderly import ElderlyResident, ElderlyVisit
from db.journal_packing import id_to_disk
from tests.district.test_district_devices import _people
from tests.sync.helpers import ADMIN, make_world, snapshot


def test_a_clerk_finds_a_record_sees_the_locks_and_corrects_it(tmp_path: Path, hub_url) -> None:
    w = make_world(tmp_path, ["A", "B"], db_url=hub_url)
    try:
        a = w.offices["A"]
        demo.build(a, residents=6, seed=1)
        service.ingest(w.hub, [w.office_to_district("A"), w.office_to_district("B")])
        admin, clerk = _people(w.hub)
        names = dict(corrections.correctable_tables())
        assert names["elderly_resident"] == "老年人台账" and "elderly_visit" in names
        assert not [t for t in names if t.startswith("child")]  # children: not the clerk's

        with a.reader() as s:
            person = s.scalars(select(ElderlyResident).order_by(ElderlyResident.id)).first()
            done = s.scalars(
                select(ElderlyVisit).where(ElderlyVisit.status == VisitStatus.COMPLETED.value)
            ).first()
        for typed in (person.name[1:], person.id_number):
            rows, _more = corrections.find_records(w.hub, clerk, "A", "elderly_resident", typed)
            assert person.id in [r.id for r in rows], typed
            assert person.id_number not in " ".join(r.label for r in rows)  # masked
        rows, _more = corrections.find_records(w.hub, clerk, "B", "elderly_resident", "")
        assert rows == []  # office B has no resident of A's
        page, more = corrections.find_records(w.hub, clerk, "A", "elderly_resident", "", limit=4)
        assert len(page) == 4 and more
        with pytest.raises(PermissionDenied):
            corrections.find_records(w.hub, admin, "A", "elderly_resident", "")

        rules = {
            r.name: r for r in corrections.column_rules(w.hub, clerk, "elderly_resident", person.id)
        }
        assert not rules["id"].correctable and "系统字段" in rules["id"].why
        assert rules["phone"].correctable and rules["enrolled_on"].kind.startswith("日期")
        assert "可留空" in rules["phone"].why and "不能为空" in rules["enrolled_on"].why
        # what follows from another column is never typed; a closed list is shown
        assert not rules["birth_date"].correctable and "身份证号" in rules["birth_date"].why
        assert not rules["name_pinyin"].correctable and "姓名" in rules["name_pinyin"].why
        assert rules["tier"].correctable and "高风险、重点、一般" in rules["tier"].why
        assert rules["id_number"].value != person.id_number  # masked on screen
        assert done is not None  # the demo has completed visits
        if done is not None:
            locked = corrections.column_rules(w.hub, clerk, "elderly_visit", done.id)
            assert not any(r.correctable and r.name == "health_notes" for r in locked)
            assert any("锁定" in r.why for r in locked)

        before = snapshot(w.hub.engine)
        for column, typed, why in (
            ("enrolled_on", "昨天", "应为日期"),
            ("birth_date", "1950-01-01", "由身份证号决定"),
            ("name_letters", "abc", "由姓名自动生成"),
            ("name", "   ", "姓名不能为空"),
            ("id_number", "", "身份证号不能为空"),
            ("tier", "很高", "只能是 高风险、重点、一般"),
            ("status", "出国", "只能是"),
            ("categories", "独居,富裕", "“富裕”不是可选的类别"),
            ("id_number", "110101199001011234", "身份证号不正确"),
            ("id", "x", "不能更正"),
            ("phone", "1" * 41, "最多 40 个字"),
        ):
            with pytest.raises(ValidationError, match=why):
                corrections.correct(w.hub, clerk, "elderly_resident", person.id, column, typed)
        if done is not None:
            with pytest.raises(ValidationError, match="锁定"):
                corrections.correct(w.hub, clerk, "elderly_visit", done.id, "health_notes", "改")
        assert snapshot(w.hub.engine) == before

        stored = corrections.correct(
            w.hub, clerk, "elderly_resident", person.id, "phone", "13912345678"
        )
        assert stored == {"phone": "13912345678"}
        with w.hub.engine.connect() as conn:
            who = conn.execute(
                text(
                    "SELECT actor_name FROM journal WHERE record_id = :id AND field = 'phone' "
                    "AND device_id = :hub"
                ),
                {"id": person.id, "hub": id_to_disk(w.hub.device_id)},  # 16 bytes on disk (0025)
            ).all()
        assert who == [("李业务",)]
        # a name brings its pinyin (sorting and initials search at the office); an ID number
        # its birth date and sex; categories are stored as the screens store them
        stored = corrections.correct(w.hub, clerk, "elderly_resident", person.id, "name", "欧阳修")
        assert stored["name_pinyin"] == "ou yang xiu" and stored["name_letters"].startswith("oyx")
        new_id = "110101194502170022"  # a woman born 1945-02-17 (check digit valid)
        stored = corrections.correct(
            w.hub, clerk, "elderly_resident", person.id, "id_number", new_id
        )
        assert str(stored["birth_date"]) == "1945-02-17" and stored["sex"] == "女"
        stored = corrections.correct(
            w.hub, clerk, "elderly_resident", person.id, "categories", "独居、低保"
        )
        assert stored["categories"] == ",低保,独居,"  # catalogue order, as the roster stores
        # the office takes it in with the district's next bundle
        office.import_bundle(a, ADMIN, w.district_to_office("A"))
        with a.reader() as s:
            back = s.get(ElderlyResident, person.id)
            assert back.phone == "13912345678" and back.name == "欧阳修"
            assert back.name_pinyin == "ou yang xiu" and back.sex == "女"
    finally:
        w.close()
