"""Names in pinyin order (as Excel sorts them), found by pinyin initials or full pinyin, and the
0005 migration filling the pinyin of residents already on file."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.domain import pinyin
from caseworker.domain.elderly import CHOSEN_CATEGORIES
from caseworker.domain.roles import Actor
from caseworker.services.elderly import roster, search
from caseworker.workspace import Workspace
from db.elderly import ElderlyResident
from tests.services._elderly import TODAY, add


@pytest.mark.parametrize(
    ("name", "sort_key", "initials"),
    [
        ("王小红", "wang xiao hong", "wxh"),
        ("单雄信", "shan xiong xin", "sxx"),  # 单 as a surname is shàn, not dān
        ("曾国藩", "zeng guo fan", "zgf"),  # not céng
        ("解缙", "xie jin", "xj"),  # not jiě
        ("欧阳春花", "ou yang chun hua", "oych"),
        ("吕 桂芝", "lv gui zhi", "lgz"),  # stray space; ü typed as v
    ],
)
def test_pinyin_of_names(name: str, sort_key: str, initials: str) -> None:
    got = pinyin.of_name(name)
    assert (got.sort_key, got.initials) == (sort_key, initials)


NAMES = ["王小红", "丁一", "万家乐", "严冬", "单雄信", "曾国藩", "阿秀"]


@pytest.fixture
def people(office_ws: Workspace, worker: Actor) -> dict[str, roster.ResidentInfo]:
    return {
        name: add(office_ws, worker, name, date(1940 + i, 3, 3), seq=31 + i)
        for i, name in enumerate(NAMES)
    }


def test_the_roster_sorts_by_pinyin(office_ws: Workspace, worker: Actor, people: dict) -> None:
    with office_ws.reader() as s:
        rows = search.page(s, worker, search.RosterQuery(sort="name"), 0, 50, today=TODAY)
        back = search.page(
            s, worker, search.RosterQuery(sort="name", descending=True), 0, 50, today=TODAY
        )
    # 单 (surname) is shan. By character code the order would be 丁 万 严 单 曾 王 阿.
    expected = ["阿秀", "丁一", "单雄信", "万家乐", "王小红", "严冬", "曾国藩"]
    assert [r.name for r in rows] == expected
    assert [r.name for r in back] == expected[::-1]


def test_pinyin_initials_and_full_pinyin_find_the_person(
    office_ws: Workspace, worker: Actor, people: dict
) -> None:
    with office_ws.reader() as s:

        def find(text: str) -> list[str]:
            query = search.RosterQuery(text=text)
            rows = search.page(s, worker, query, 0, 50, today=TODAY)
            assert search.count(s, worker, query, today=TODAY) == len(rows)
            return [r.name for r in rows]

        assert find("wxh") == ["王小红"]
        assert find("WangXiaoHong") == ["王小红"]
        assert find("wang xiao") == ["王小红"]
        assert find("xiaohong") == ["王小红"]
        assert find("shanx") == ["单雄信"]
        assert find("zgf") == ["曾国藩"]
        assert find("qq") == []


def test_renaming_keeps_the_pinyin(office_ws: Workspace, worker: Actor, people: dict) -> None:
    person = people["严冬"]
    with office_ws.writer(worker) as s:
        draft = roster.ResidentDraft(
            name="解冬",
            id_number=person.id_number,
            community_id=person.community_id,
            categories=person.categories & frozenset(CHOSEN_CATEGORIES),
            address=person.address,
        )
        roster.update(s, worker, person.id, draft, today=TODAY)
    with office_ws.reader() as s:
        row = s.get(ElderlyResident, person.id)
        assert (row.name_pinyin, row.name_letters) == ("xie dong", "xd xiedong")


def test_the_migration_fills_the_pinyin_of_residents_on_file(
    office_ws: Workspace, worker: Actor, people: dict
) -> None:
    """Take a workspace back to 0003 (columns gone), reopen it: 0005 fills them in again."""
    from alembic import command

    from db.schema import _alembic_config, migration_connection

    with migration_connection(office_ws.engine) as conn:
        command.downgrade(_alembic_config(conn), "0003")
    db: Path = office_ws.paths.db
    root = office_ws.paths.root
    office_ws.close()
    con = sqlite3.connect(db)
    cols = {r[1] for r in con.execute("PRAGMA table_info(elderly_resident)")}
    con.close()
    assert "name_pinyin" not in cols
    with Workspace.open(root) as ws:
        assert ws.schema_status == "migrated"
        with ws.reader() as s:
            got = dict(s.execute(select(ElderlyResident.name, ElderlyResident.name_letters)).all())
        assert got["单雄信"] == "sxx shanxiongxin" and got["王小红"] == "wxh wangxiaohong"
        assert ws.integrity_problems() == []


def test_the_migration_fills_the_pinyin_of_retrofit_cases_on_file(
    office_ws: Workspace, worker: Actor
) -> None:
    """Take a workspace back to 0013 (no name_letters on retrofit_case), reopen it: 0014 fills
    them in, and the case list finds the applicant by initials."""
    from alembic import command

    from caseworker.services.retrofit import search
    from db.retrofit import RetrofitCase
    from db.schema import _alembic_config, migration_connection
    from tests.services._retrofit import open_case

    made = open_case(office_ws, worker, "安秋实", seq=71)
    with migration_connection(office_ws.engine) as conn:
        command.downgrade(_alembic_config(conn), "0013")
    root = office_ws.paths.root
    office_ws.close()
    con = sqlite3.connect(root / "caseworker.sqlite3")
    cols = {r[1] for r in con.execute("PRAGMA table_info(retrofit_case)")}
    con.close()
    assert "name_letters" not in cols
    with Workspace.open(root) as ws:
        assert ws.schema_status == "migrated"
        with ws.reader() as s:
            assert s.get(RetrofitCase, made.id).name_letters == "aqs anqiushi"
            found = search.page(s, worker, search.CaseQuery(text="aqs"), 0, 10)
        assert [r.id for r in found] == [made.id]
        assert ws.integrity_problems() == []


def test_the_migration_fills_the_pinyin_an_older_roster_import_left_empty(
    office_ws: Workspace, worker: Actor, people: dict
) -> None:
    """Residents an older roster import wrote without pinyin (blanked here as it wrote them):
    back to 0021 and reopened, 0022 fills them, and initials and sort find them again."""
    from alembic import command

    from db.schema import _alembic_config, migration_connection

    root = office_ws.paths.root
    with migration_connection(office_ws.engine) as conn:
        command.downgrade(_alembic_config(conn), "0021")
    office_ws.close()
    con = sqlite3.connect(root / "caseworker.sqlite3")
    with con:
        con.execute(
            "UPDATE elderly_resident SET name_pinyin = '', name_letters = '' "
            "WHERE name IN ('单雄信', '王小红')"
        )
    con.close()
    with Workspace.open(root) as ws:
        assert ws.schema_status == "migrated"
        with ws.reader() as s:
            got = dict(s.execute(select(ElderlyResident.name, ElderlyResident.name_letters)).all())
            found = search.page(s, worker, search.RosterQuery(text="sxx"), 0, 10, today=TODAY)
            ordered = search.page(s, worker, search.RosterQuery(sort="name"), 0, 50, today=TODAY)
        assert got["单雄信"] == "sxx shanxiongxin" and got["王小红"] == "wxh wangxiaohong"
        assert [r.name for r in found] == ["单雄信"]
        assert [r.name for r in ordered][:3] == ["阿秀", "丁一", "单雄信"]
        assert ws.integrity_problems() == []
