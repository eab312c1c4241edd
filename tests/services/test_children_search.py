"""The child register's search: pinyin (initials and full) on the child's and the guardians'
names, pinyin order, ID digits first, all inside the actor's scope; and migration 0012 filling
the pinyin of children and guardians already on file."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from caseworker.domain.roles import Actor
from caseworker.services.children import register, search
from caseworker.workspace import Workspace
from db.children import Child, ChildGuardian
from tests.services._children import TODAY, add_child, child_id_number


@pytest.fixture
def staff(child_staff: dict[str, Actor]) -> dict[str, Actor]:
    return child_staff  # add_child_staff(office_ws), from its template


@pytest.fixture
def kids(office_ws: Workspace, staff: dict[str, Actor]) -> dict[str, str]:
    sup = staff["dudao"]
    out = {}
    for i, (name, community) in enumerate(
        [
            ("韩小雪", "和平里社区"),
            ("万晓东", "和平里社区"),
            ("单雨桐", "和平里社区"),
            ("王小红", "安贞社区"),
            ("曾可馨", "安贞社区"),
        ]
    ):
        out[name] = add_child(
            office_ws, sup, name, date(2014, 3, 1 + i), community=community, seq=21 + 2 * i
        ).id
    with office_ws.writer(sup) as s:
        register.add_guardian(
            s, sup, out["王小红"], register.GuardianDraft("父亲", "欧阳建国", phone="13900001111")
        )
        register.add_guardian(s, sup, out["韩小雪"], register.GuardianDraft("母亲", "李秀英"))
    return out


def _names(ws: Workspace, actor: Actor, text: str = "", **kw) -> list[str]:
    q = search.ChildQuery(text=text, **kw)
    with ws.reader() as s:
        rows = search.page(s, actor, q, 0, 50, today=TODAY)
        assert search.count(s, actor, q) == len(rows)
    return [r.name for r in rows]


def test_pinyin_initials_and_full_pinyin_find_the_child(
    office_ws: Workspace, staff: dict[str, Actor], kids: dict[str, str]
) -> None:
    sup = staff["dudao"]
    assert _names(office_ws, sup, "hxx") == ["韩小雪"]
    assert _names(office_ws, sup, "HanXiaoxue") == ["韩小雪"]
    assert _names(office_ws, sup, "xiaoxue") == ["韩小雪"]
    assert _names(office_ws, sup, "syt") == ["单雨桐"]  # 单 read as a surname: shàn
    assert _names(office_ws, sup, "zeng") == ["曾可馨"]
    assert _names(office_ws, sup, "dyt") == []
    assert _names(office_ws, sup, "小") == ["韩小雪", "王小红"]  # characters still work


def test_a_guardians_name_pinyin_or_phone_finds_the_child(
    office_ws: Workspace, staff: dict[str, Actor], kids: dict[str, str]
) -> None:
    sup = staff["dudao"]
    assert _names(office_ws, sup, "欧阳") == ["王小红"]
    assert _names(office_ws, sup, "oyjg") == ["王小红"]
    assert _names(office_ws, sup, "lixiuying") == ["韩小雪"]
    assert _names(office_ws, sup, "00001111") == ["王小红"]
    with office_ws.writer(sup) as s:  # a corrected name is found by its new pinyin only
        gid = s.scalar(select(ChildGuardian.id).where(ChildGuardian.name == "李秀英"))
        register.update_guardian(s, sup, gid, register.GuardianDraft("母亲", "吕秀英"))
    assert _names(office_ws, sup, "lixiuying") == []
    assert _names(office_ws, sup, "lvxiuying") == ["韩小雪"]


def test_the_register_sorts_by_pinyin_within_the_directors_community(
    office_ws: Workspace, staff: dict[str, Actor], kids: dict[str, str]
) -> None:
    # 韩 han < 单 shan < 万 wan < 王 wang < 曾 zeng
    assert _names(office_ws, staff["dudao"]) == ["韩小雪", "单雨桐", "万晓东", "王小红", "曾可馨"]
    assert _names(office_ws, staff["dudao"], descending=True)[0] == "曾可馨"
    director = staff["ertong1"]  # 和平里社区 only, whatever is typed
    assert _names(office_ws, director) == ["韩小雪", "单雨桐", "万晓东"]
    assert _names(office_ws, director, "wxh") == []
    assert _names(office_ws, director, "oyjg") == []
    assert _names(office_ws, director, "13900001111") == []
    assert _names(office_ws, staff["ertong2"], "x") == ["王小红", "曾可馨"]


def test_id_digits_list_those_children_first(
    office_ws: Workspace, staff: dict[str, Actor], kids: dict[str, str]
) -> None:
    last4 = child_id_number(date(2014, 3, 4), 27)[-4:]
    assert _names(office_ws, staff["dudao"], last4)[0] == "王小红"


def test_renaming_keeps_the_pinyin(
    office_ws: Workspace, staff: dict[str, Actor], kids: dict[str, str]
) -> None:
    sup = staff["dudao"]
    with office_ws.writer(sup) as s:
        info = register.get(s, sup, kids["万晓东"], today=TODAY)
        draft = register.ChildDraft(
            name="解东东",
            id_number=info.id_number,
            community_id=info.community_id,
            address=info.address,
            school=info.school,
        )
        register.update(s, sup, info.id, draft, today=TODAY)
    with office_ws.reader() as s:
        row = s.get(Child, kids["万晓东"])
        assert (row.name_pinyin, row.name_letters) == ("xie dong dong", "xdd xiedongdong")


def test_the_migration_fills_the_pinyin_of_children_and_guardians_on_file(
    office_ws: Workspace, staff: dict[str, Actor], kids: dict[str, str]
) -> None:
    """Take the workspace back to 0009 (columns gone), reopen it: 0012 fills them in again."""
    from alembic import command

    from db.schema import _alembic_config, migration_connection

    with migration_connection(office_ws.engine) as conn:
        command.downgrade(_alembic_config(conn), "0009")
    db: Path = office_ws.paths.db
    root = office_ws.paths.root
    office_ws.close()
    con = sqlite3.connect(db)
    cols = {r[1] for r in con.execute("PRAGMA table_info(child)")}
    con.close()
    assert "name_pinyin" not in cols and "name_letters" not in cols
    with Workspace.open(root) as ws:
        assert ws.schema_status == "migrated"
        with ws.reader() as s:
            got = dict(s.execute(select(Child.name, Child.name_letters)).all())
            pin = dict(s.execute(select(Child.name, Child.name_pinyin)).all())
            guardian = s.scalar(
                select(ChildGuardian.name_letters).where(ChildGuardian.name == "欧阳建国")
            )
        assert got["单雨桐"] == "syt shanyutong" and pin["曾可馨"] == "zeng ke xin"
        assert guardian == "oyjg ouyangjianguo"
        assert ws.integrity_problems() == []
