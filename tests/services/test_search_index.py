"""The search index (db/search_index.py, caseworker/services/person_search.py): on generated
registers of the three programmes, every search answers exactly what the plain LIKE query of
before the index answered (the same rows, the same order, the same counts), whichever way the
index is used; the triggers keep it through inserts, updates, tombstones, deletes and REPLACE;
a child director's search never leaves their community; the migration builds it for a workspace
already on file; a restored file with a doctored trigger is refused."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy import text as text_
from sqlalchemy.orm import Session

from caseworker.domain import idnumber
from caseworker.domain.roles import Actor, Role
from caseworker.services import accounts, person_search, pinyin
from caseworker.services.children import search as child_search
from caseworker.services.elderly import search as roster_search
from caseworker.services.retrofit import search as case_search
from caseworker.workspace import Workspace
from db import search_index
from db.children import Child, ChildGuardian
from db.elderly import ElderlyResident
from db.ids import new_id
from db.retrofit import RetrofitCase
from tests.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, login
from tests.examples import examples
from tests.services._children import TODAY, add_child, add_child_staff
from tests.services._elderly import add
from tests.services._retrofit import open_case

# -- today's search, verbatim (person_search.clause before the index): the reference -----------

# one case of each parametrized test in `dev.py test --fast`, all of them in the full suite
SLOW_PARAM = pytest.mark.slow


def _old_like(column: Any, pattern: str) -> ColumnElement[bool]:
    return column.like(pattern, escape="\\")


def _old_clause(text: str, cols: person_search.PersonColumns, related: Any = None) -> Any:
    like_escape = person_search.like_escape
    raw = " ".join(text.split())
    if not raw:
        return None
    compact = idnumber.normalise(raw)
    if len(compact) in (15, 18) and compact[:-1].isdigit():
        try:
            return cols.id_number == idnumber.parse(compact).value
        except idnumber.InvalidIdNumber:
            pass
    if person_search.is_number_search(compact):
        digits = like_escape(compact)
        found = [_old_like(cols.id_number, f"%{digits}")]
        found += [_old_like(p, f"%{digits}%") for p in cols.phones]
        if len(compact) >= 4:
            found += [_old_like(p, f"%{digits}%") for p in cols.more_phones]
            if related is not None:
                found.append(related("phone", f"%{digits}%"))
        return or_(*found)
    pattern = f"%{like_escape(raw)}%"
    if pinyin.is_pinyin_query(raw):
        letters = f"%{like_escape(''.join(raw.split()).lower())}%"
        found = [_old_like(cols.name_letters, letters), _old_like(cols.address, pattern)]
        if related is not None:
            found.append(related("name_letters", letters))
        return or_(*found)
    found = [_old_like(cols.name, pattern), _old_like(cols.address, pattern)]
    if related is not None:
        found.append(related("name", pattern))
    return or_(*found)


def _old_guardian_match(column: str, pattern: str) -> ColumnElement[bool]:
    g = ChildGuardian.__table__.c
    return Child.__table__.c.id.in_(
        select(g.child_id).where(g[column].like(pattern, escape="\\"), g.deleted_at.is_(None))
    )


def _old_where(table: str, text: str) -> Any:
    if table == "elderly_resident":
        return _old_clause(text, roster_search._COLUMNS)
    if table == "child":
        return _old_clause(text, child_search._COLUMNS, _old_guardian_match)
    person = _old_clause(text, case_search.PERSON)
    raw = " ".join(text.split())
    return or_(
        person,
        RetrofitCase.__table__.c.case_no.like(f"%{person_search.like_escape(raw)}%", escape="\\"),
    )


_COLS = {
    "elderly_resident": roster_search._COLUMNS,
    "child": child_search._COLUMNS,
    "retrofit_case": case_search.PERSON,
}
_MODEL = {"elderly_resident": ElderlyResident, "child": Child, "retrofit_case": RetrofitCase}

# -- generated registers -----------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳"
GIVEN = "小红明华秀英建国伟芳娜静丽强磊军洋勇艳杰涛超"
PLACES = [
    "和平路",
    "安贞里",
    "12号",
    "3号楼",
    "B座",
    "b座",
    "5单元",
    "401室",
    "柳芳村",
    "东 区",
    "100%",
    "a_b",
    "c\\d",
    "Ａ栋",  # full-width: LIKE does not fold it, the index does
    "É苑",
    "é苑",
    "XY巷",
]
ALPHABET = "".join(sorted(set(SURNAMES + GIVEN + "".join(PLACES) + "0123456789xXwlzh ")))


def _name(rng: random.Random) -> str:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(0, 2)))
    return name if rng.random() > 0.05 else name + rng.choice(["Anna", "É", "Ｌ"])


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return ""
    return "1" + "".join(rng.choice("0123456789") for _ in range(10))


def _insert_like(con: sqlite3.Connection, table: str, template_id: str, values: dict) -> str:
    row = con.execute(f"SELECT * FROM {table} WHERE id = ?", (template_id,)).fetchone()
    cols = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    data = dict(zip(cols, row, strict=True))
    data.update(values, id=new_id())
    con.execute(
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [data[c] for c in cols],
    )
    return data["id"]


@pytest.fixture(scope="module")
def registers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, dict]]:
    """A workspace with about 300 residents, 250 children (with guardians) and 200 cases of
    generated names, addresses, ID numbers and phones, then updated, tombstoned and deleted."""
    root = tmp_path_factory.mktemp("search") / "ws"
    ws = Workspace.open(root)
    system = Actor.system("test")
    with ws.writer(system) as s:
        accounts.initialise_office(
            s,
            system,
            office_code="110105001",
            office_name="测试街道办事处",
            district_name="测试区",
            community_names=["和平里社区", "安贞社区", "柳芳村"],
            admin=accounts.StaffDraft("admin", "张管理", Role.ADMIN),
            admin_password=ADMIN_PASSWORD,
        )
        accounts.create_staff(
            s,
            system,
            accounts.StaffDraft("worker", "李专干", Role.CASEWORKER),
            STAFF_PASSWORD,
            force_password_change=False,
        )
    staff = add_child_staff(ws)
    staff["worker"] = worker = login(ws, "worker", STAFF_PASSWORD)
    templates = {
        "elderly_resident": add(ws, worker, "陈桂兰", date(1944, 3, 8)).id,
        "child": add_child(ws, staff["dudao"], "韩小雪", date(2014, 3, 1)).id,
        "retrofit_case": open_case(ws, worker).id,
    }
    with ws.writer(staff["dudao"]) as s:
        from caseworker.services.children import register

        register.add_guardian(
            s, staff["dudao"], templates["child"], register.GuardianDraft("母亲", "李秀英")
        )
        guardian_template = s.scalar(select(ChildGuardian.id))
    rng = random.Random(23)
    con = sqlite3.connect(ws.paths.db)
    communities = [r[0] for r in con.execute("SELECT id FROM community")]
    seq = iter(range(100, 999))
    children: list[str] = [templates["child"]]
    for table, n in (("elderly_resident", 300), ("child", 250), ("retrofit_case", 200)):
        for _ in range(n):
            name = _name(rng)
            born = date(1940, 1, 1) if table != "child" else date(2013, 1, 1)
            values: dict[str, Any] = {
                "name_letters": pinyin.of_name(name).letters,
                "address": "".join(rng.choice(PLACES) for _ in range(rng.randint(1, 4))),
                "id_number": idnumber.make(
                    rng.choice(("110105", "110106")),
                    born.replace(day=rng.randint(1, 28)),
                    next(seq),
                ),
                "phone": _phone(rng),
                "community_id": rng.choice(communities),
            }
            if table == "retrofit_case":
                values.update(
                    applicant_name=name,
                    contact_phone=_phone(rng),
                    case_no=f"GZ2026-{rng.randint(1, 999):03d}",
                )
            else:
                values["name"] = name
            if table == "elderly_resident":
                values.update(supporter_phone=_phone(rng), emergency_phone=_phone(rng))
            made = _insert_like(con, table, templates[table], values)
            if table == "child":
                children.append(made)
    for _ in range(200):
        name = _name(rng)
        _insert_like(
            con,
            "child_guardian",
            guardian_template,
            {
                "child_id": rng.choice(children),
                "name": name,
                "name_letters": pinyin.of_name(name).letters,
                "phone": _phone(rng),
            },
        )
    # the triggers at work: updates, tombstones, hard deletes and a REPLACE
    for table in ("elderly_resident", "child", "retrofit_case", "child_guardian"):
        ids = [r[0] for r in con.execute(f"SELECT id FROM {table} ORDER BY id")]
        name_col = "applicant_name" if table == "retrofit_case" else "name"
        for rid in rng.sample(ids, 20):
            con.execute(
                f"UPDATE {table} SET {name_col} = ?, phone = ? WHERE id = ?",
                (_name(rng), _phone(rng), rid),
            )
        for rid in rng.sample(ids, 10):
            con.execute(
                f"UPDATE {table} SET deleted_at = '2026-11-01 00:00:00' WHERE id = ?", (rid,)
            )
    # a guardian's text lives in their child's index row: guardians moved to another child,
    # renamed (pinyin alone too), brought back from a tombstone, replaced and deleted
    guardians = [r[0] for r in con.execute("SELECT id FROM child_guardian ORDER BY id")]
    for gid in rng.sample(guardians, 15):
        con.execute(
            "UPDATE child_guardian SET child_id = ? WHERE id = ?", (rng.choice(children), gid)
        )
    for gid in rng.sample(guardians, 10):
        name = _name(rng)
        con.execute(
            "UPDATE child_guardian SET name_letters = ? WHERE id = ?",
            (pinyin.of_name(name).letters, gid),
        )
    con.execute(
        "UPDATE child_guardian SET deleted_at = NULL WHERE id IN "
        "(SELECT id FROM child_guardian WHERE deleted_at IS NOT NULL LIMIT 3)"
    )
    for gid in rng.sample(guardians, 5):
        con.execute(
            "INSERT OR REPLACE INTO child_guardian SELECT * FROM child_guardian WHERE id = ?",
            (gid,),
        )
    con.execute("PRAGMA foreign_keys = OFF")
    gone = con.execute("SELECT id FROM elderly_resident ORDER BY id DESC LIMIT 3").fetchall()
    con.executemany("DELETE FROM elderly_resident WHERE id = ?", gone)
    con.executemany("DELETE FROM child_guardian WHERE id = ?", [(g,) for g in guardians[:6]])
    con.commit()
    con.close()
    yield ws, staff
    ws.close()


def _ids(ws: Workspace | Session, table: str, where: Any) -> set[str]:
    """The ids `where` finds, read in its own session or in the one given (a loop of thousands
    of reads in one session: each session's start and end cost as much as a read)."""
    c = _MODEL[table].__table__.c
    if isinstance(ws, Session):
        return set(ws.scalars(select(c.id).where(c.deleted_at.is_(None), where)))
    with ws.reader() as s:
        return _ids(s, table, where)


def _queries(ws: Workspace) -> list[str]:
    """What a caseworker types: every prefix of real names, addresses, pinyin, ID endings and
    phones (as typed, one character at a time), and a few that match nothing."""
    rng = random.Random(7)
    con = sqlite3.connect(f"file:{ws.paths.db}?mode=ro", uri=True)
    values = []
    for table, name in (
        ("elderly_resident", "name"),
        ("child", "name"),
        ("retrofit_case", "applicant_name"),
    ):
        rows = con.execute(
            f"SELECT {name}, name_letters, address, id_number, phone FROM {table} ORDER BY id"
        ).fetchall()
        for row in rng.sample(rows, 12):
            nm, letters, address, idn, phone = row
            start = rng.randrange(max(1, len(address) - 3))
            values += [nm, letters.split()[-1] if letters else "", address[start : start + 6]]
            values += [idn[-6:], idn, phone[3:9], letters.split()[0] if letters else ""]
    con.close()
    typed = {v[:k] for v in values for k in range(1, len(v) + 1)}
    typed |= {
        "",
        " ",
        "%",
        "_",
        "\\",
        "100%",
        "a_b",
        "ＡＢ",
        "Ａ",
        "é",
        "É苑",
        "B座",
        "b座",
        "XY",
        "xy",
    }
    typed |= {"11010519", "110105194403080000", "GZ2026", "zzzzq", "1", "12", "x", "X"}
    return sorted(typed)


@pytest.mark.parametrize(
    "dense",
    [person_search.DENSE, pytest.param(10**9, marks=SLOW_PARAM), pytest.param(1, marks=SLOW_PARAM)],
)
def test_every_search_finds_what_the_like_query_found(
    registers: tuple[Workspace, dict], monkeypatch: pytest.MonkeyPatch, dense: int
) -> None:
    """The index narrows (always: 10**9; never: 1; as shipped) and the rows are the same."""
    ws, _staff = registers
    monkeypatch.setattr(person_search, "DENSE", dense)
    monkeypatch.setattr(person_search, "DENSE_DIGITS", dense)
    with ws.reader() as s:
        assert person_search.index_present(s)
    narrowed = asked = 0
    with ws.reader() as s:  # reads only: one session for the thousands of them
        for text in _queries(ws):
            for table, cols in _COLS.items():
                found = person_search.plan(s, text, cols)
                want = _ids(s, table, _old_where(table, text)) if text.strip() else None
                got = _ids(s, table, found.where) if found.where is not None else None
                assert got == want, (table, text)
                asked += bool(text.strip())
                narrowed += found.narrowed
                if dense == 1 and found.narrowed:  # only where the index holds no candidate
                    assert got == set()
    if dense == 10**9:  # the index answered (all but 1-2 digits and cased non-ASCII letters)
        assert narrowed > 0.85 * asked


@settings(max_examples=examples(150))
@given(text=st.text(alphabet=ALPHABET, min_size=1, max_size=7))
def test_any_typed_text_finds_what_the_like_query_found(
    registers: tuple[Workspace, dict], text: str
) -> None:
    ws, _staff = registers
    for table, cols in _COLS.items():
        with ws.reader() as s:
            found = person_search.plan(s, text, cols)
        if found.where is None:
            assert not text.strip()
            continue
        assert _ids(ws, table, found.where) == _ids(ws, table, _old_where(table, text)), (
            table,
            text,
        )


def _pages(ws: Workspace, staff: dict, text: str) -> dict[str, Any]:
    sup, worker = staff["dudao"], staff["worker"]
    out: dict[str, Any] = {}
    with ws.reader() as s:
        for sort in ("name", "address", "id_number"):
            q = roster_search.RosterQuery(text=text, sort=sort)
            rows = roster_search.page(s, worker, q, 0, 1000, today=TODAY)
            out[f"roster {sort}"] = [r.id for r in rows]
            out[f"roster {sort} count"] = roster_search.count(s, worker, q, today=TODAY)
            out[f"roster {sort} capped"] = roster_search.count(s, worker, q, today=TODAY, cap=5)
            out[f"roster {sort} pages"] = [
                r.id
                for start in range(0, len(rows) + 7, 7)
                for r in roster_search.page(s, worker, q, start, 7, today=TODAY)
            ]
            assert out[f"roster {sort} pages"] == out[f"roster {sort}"]
            assert out[f"roster {sort} capped"] == min(len(rows), 6), (
                text,
                sort,
                out[f"roster {sort} count"],
                len(roster_search.page(s, worker, q, 0, 1000, today=TODAY)),
                person_search.plan(s, text, roster_search._COLUMNS, split=True),
            )
            for cap in (5, None):
                total, first = roster_search.first_page(s, worker, q, 7, today=TODAY, cap=cap)
                want = out[f"roster {sort} capped" if cap else f"roster {sort} count"]
                assert (total, [r.id for r in first]) == (want, out[f"roster {sort}"][:7]), (
                    text,
                    sort,
                    cap,
                )
            cq = child_search.ChildQuery(text=text, sort=sort, register="")
            out[f"children {sort}"] = [r.id for r in child_search.page(s, sup, cq, 0, 1000)]
            out[f"children {sort} count"] = child_search.count(s, sup, cq)
            out[f"children {sort} capped"] = child_search.count(s, sup, cq, cap=5)
            out[f"children {sort} pages"] = [
                r.id
                for start in range(0, len(out[f"children {sort}"]) + 7, 7)
                for r in child_search.page(s, sup, cq, start, 7)
            ]
            assert out[f"children {sort} pages"] == out[f"children {sort}"]
            # the count and first page read together (one statement when narrowed)
            for cap in (5, None):
                total, first = child_search.first_page(s, sup, cq, 7, cap=cap)
                want = out[f"children {sort} capped" if cap else f"children {sort} count"]
                assert (total, [r.id for r in first]) == (want, out[f"children {sort}"][:7]), (
                    text,
                    sort,
                    cap,
                )
        for sort in ("applied_on", "name"):
            rq = case_search.CaseQuery(text=text, sort=sort)
            out[f"cases {sort}"] = [
                r.id for r in case_search.page(s, worker, rq, 0, 1000, today=TODAY)
            ]
            out[f"cases {sort} count"] = case_search.count(s, worker, rq, today=TODAY)
            out[f"cases {sort} capped"] = case_search.count(s, worker, rq, today=TODAY, cap=5)
            for cap in (5, None):
                total, first = case_search.first_page(s, worker, rq, 7, today=TODAY, cap=cap)
                want = out[f"cases {sort} capped" if cap else f"cases {sort} count"]
                assert (total, [r.id for r in first]) == (want, out[f"cases {sort}"][:7]), (
                    text,
                    sort,
                    cap,
                )
    return out


# Every case slow: the heaviest test of the fast set (a tenth of its time alone, 2026-12-07);
# the index's rows are checked there by the test above, its pages here in the full suite.
@pytest.mark.slow
@pytest.mark.parametrize("dense", [10**9, 1, 40])
def test_pages_and_counts_are_the_same_with_and_without_the_index(
    registers: tuple[Workspace, dict], monkeypatch: pytest.MonkeyPatch, dense: int
) -> None:
    """The services' pages (in every sort order: ID endings first for digits, also read in two
    parts for a common digit search, from any offset) and counts (capped: first among the
    index's candidates), with the index narrowing every search (10**9), none (1: every search
    common), some (40), and with no index at all (a SQLite without FTS5)."""
    ws, staff = registers
    texts = [t for t in _queries(ws) if t.strip()][::3]
    for name in ("DENSE", "DENSE_DIGITS"):
        monkeypatch.setattr(person_search, name, dense)
    monkeypatch.setattr(person_search, "SAMPLE", 30)
    with_index = {t: _pages(ws, staff, t) for t in texts}
    monkeypatch.setattr(person_search, "index_present", lambda session: False)
    for t in texts:
        assert _pages(ws, staff, t) == with_index[t], t


def test_a_search_common_but_not_dense_walks_the_list_and_skips_what_is_no_candidate(
    registers: tuple[Workspace, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search with `DENSE` to `FILTERED` x `DENSE` candidates (`1338`: 3,500 of 100,000
    residents): its page walks the list's order (the sort's index) testing each entry against
    the index's candidates before its row is read, its capped count reads the candidates by
    rowid; the rows, order and counts are those of the LIKE query (no index at all)."""
    from sqlalchemy import event

    ws, staff = registers
    monkeypatch.setattr(person_search, "DENSE", 6)
    monkeypatch.setattr(person_search, "DENSE_DIGITS", 6)
    monkeypatch.setattr(person_search, "SAMPLE", 30)
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        statements.append((statement, params))

    con = sqlite3.connect(f"file:{ws.paths.db}?mode=ro", uri=True)
    walked: list[str] = []
    texts = [t for t in _queries(ws) if t.strip()]
    for text in texts:
        with ws.reader() as s:
            found = person_search.plan(s, text, roster_search._COLUMNS)
            n = roster_search.count(s, staff["worker"], roster_search.RosterQuery(text=text))
        short_digits = person_search.is_number_search(text) and len(text.strip()) <= 2
        cased = any(not c.isascii() and c.lower() != c.upper() for c in text)
        if found.narrowed or found.sample is not None or n < 6 or short_digits or cased:
            continue  # rare (narrowed), dense, or the index not asked
        statements.clear()
        event.listen(ws.engine, "before_cursor_execute", keep)
        try:
            with ws.reader() as s:
                q = roster_search.RosterQuery(text=text, sort="name")
                roster_search.count(s, staff["worker"], q, today=TODAY, cap=1000)
                roster_search.page(s, staff["worker"], q, 0, 200, today=TODAY)
        finally:
            event.remove(ws.engine, "before_cursor_execute", keep)
        plans = {
            sql: " | ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params))
            for sql, params in statements
            if "elderly_resident.rowid IN" in sql
        }
        counted = [p for sql, p in plans.items() if "count" in sql.split("FROM")[0]]
        paged = [p for sql, p in plans.items() if "count" not in sql.split("FROM")[0]]
        assert counted and all("INTEGER PRIMARY KEY" in p for p in counted), (text, plans)
        # (a digit search's first part, the ID endings, may be narrowed: read by rowid)
        assert any(
            "SCAN elderly_resident USING INDEX ix_elderly_resident_pinyin" in p
            and "LIST SUBQUERY" in p
            for p in paged
        ), (text, plans)
        walked.append(text)
    con.close()
    assert len(walked) >= 3, walked
    with_index = {t: _pages(ws, staff, t) for t in walked}
    monkeypatch.setattr(person_search, "index_present", lambda session: False)
    for t in walked:
        assert _pages(ws, staff, t) == with_index[t], t


def test_a_split_digit_page_reads_the_names_once(
    registers: tuple[Workspace, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A common digit search's roster page is read in two parts (ID endings first): the
    community and staff names are read once for the page, not again for each part."""
    from sqlalchemy import event

    ws, staff = registers
    monkeypatch.setattr(person_search, "DENSE_DIGITS", 1)  # every digit search common
    statements: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    q = roster_search.RosterQuery(text="13")
    with ws.reader() as s:
        assert person_search.plan(s, q.text, roster_search._COLUMNS, split=True).parts
        want = [r.id for r in roster_search.page(s, staff["worker"], q, 0, 50, today=TODAY)]
    event.listen(ws.engine, "before_cursor_execute", keep)
    try:
        with ws.reader() as s:
            got = [r.id for r in roster_search.page(s, staff["worker"], q, 0, 50, today=TODAY)]
    finally:
        event.remove(ws.engine, "before_cursor_execute", keep)
    assert got == want and got
    assert sum("FROM community" in sql for sql in statements) == 1, statements


def test_a_narrowed_search_is_counted_and_paged_in_one_statement(
    registers: tuple[Workspace, dict],
) -> None:
    """`first_page` of the three programmes: a search the index narrows reads its count and
    first page in one statement (the two of `count` and `page` found the same rows twice), with
    the same answer as they give; a common search is still counted and paged apart."""
    from sqlalchemy import event

    ws, staff = registers
    sup, worker = staff["dudao"], staff["worker"]
    statements: list[str] = []

    def keep(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    with ws.reader() as s:
        name = s.scalar(select(ElderlyResident.name).limit(1))
        child = s.scalar(select(Child.name).limit(1))
        applicant = s.scalar(select(RetrofitCase.applicant_name).limit(1))
    assert name and child and applicant
    reads: dict[str, Any] = {
        "roster": lambda s, text, cap: roster_search.first_page(
            s, worker, roster_search.RosterQuery(text=text), 7, today=TODAY, cap=cap
        ),
        "children": lambda s, text, cap: child_search.first_page(
            s, sup, child_search.ChildQuery(text=text, register=""), 7, cap=cap
        ),
        "cases": lambda s, text, cap: case_search.first_page(
            s, worker, case_search.CaseQuery(text=text), 7, today=TODAY, cap=cap
        ),
    }
    apart: dict[str, Any] = {
        "roster": lambda s, text, cap: (
            roster_search.count(
                s, worker, roster_search.RosterQuery(text=text), today=TODAY, cap=cap
            ),
            roster_search.page(s, worker, roster_search.RosterQuery(text=text), 0, 7, today=TODAY),
        ),
        "children": lambda s, text, cap: (
            child_search.count(s, sup, child_search.ChildQuery(text=text, register=""), cap=cap),
            child_search.page(s, sup, child_search.ChildQuery(text=text, register=""), 0, 7),
        ),
        "cases": lambda s, text, cap: (
            case_search.count(s, worker, case_search.CaseQuery(text=text), today=TODAY, cap=cap),
            case_search.page(s, worker, case_search.CaseQuery(text=text), 0, 7, today=TODAY),
        ),
    }
    for what, text in (("roster", name), ("children", child), ("cases", applicant)):
        with ws.reader() as s:
            want = apart[what](s, text, 1)
            assert want[0] >= 1, (what, text)
            found = reads[what](s, text, 1)  # the probe's count, kept in the session
            statements.clear()
            event.listen(ws.engine, "before_cursor_execute", keep)
            try:
                found = reads[what](s, text, 1)
            finally:
                event.remove(ws.engine, "before_cursor_execute", keep)
        assert (found[0], [r.id for r in found[1]]) == (want[0], [r.id for r in want[1]])
        searching = [sql for sql in statements if " LIKE " in sql]
        assert len(searching) == 1, (what, searching)
        assert "OVER ()" in searching[0], searching[0]


def test_the_triggers_kept_the_index_as_a_rebuild_would(registers: tuple[Workspace, dict]) -> None:
    ws, _staff = registers
    con = sqlite3.connect(ws.paths.db)
    try:
        kept = {
            t: con.execute(
                f"SELECT rowid, * FROM {search_index.fts_table(t)} ORDER BY rowid"
            ).fetchall()
            for t in search_index.INDEXED
        }
        con.execute("BEGIN")
        search_index.rebuild(con)
        rebuilt = {
            t: con.execute(
                f"SELECT rowid, * FROM {search_index.fts_table(t)} ORDER BY rowid"
            ).fetchall()
            for t in search_index.INDEXED
        }
        con.execute("ROLLBACK")
    finally:
        con.close()
    assert kept == rebuilt
    assert len(kept["elderly_resident"]) == 298  # 301 made, 3 deleted


def test_a_replaced_row_leaves_no_stale_entry_that_breaks_a_write(tmp_path: Path) -> None:
    """INSERT OR REPLACE fires no delete trigger; the rowid it frees may come back: the index's
    insert replaces what it finds there, so the writer's insert never fails. A guardian
    replaced rewrites their child's row with the guardian's new values."""
    ws = Workspace.open(tmp_path / "ws")
    ws.close()
    con = sqlite3.connect(tmp_path / "ws" / "caseworker.sqlite3")
    con.execute("PRAGMA foreign_keys = OFF")
    child = (
        "INSERT OR REPLACE INTO child (rowid, id, name, name_pinyin, name_letters, sex, "
        "birth_date, id_number, community_id, address, phone, school, grade, "
        "living_arrangement, categories, categories_note, registered_on, status, notes, "
        "created_at, updated_at) VALUES (1, 'c', ?, '', ?, '女', '2015-01-01', ?, 'x', '', ?, "
        "'', '', '', ',', '', '2020-01-01', '', '', 'x', 'x')"
    )
    con.execute(child, ("韩小雪", "hxx hanxiaoxue", "110105201501010011", "137"))
    guardian = (
        "INSERT OR REPLACE INTO child_guardian (rowid, id, child_id, relation, name, "
        "name_letters, id_number, phone, address, lives_with_child, is_guardian, created_at, "
        "updated_at) VALUES (1, 'g1', 'c', '母亲', ?, ?, '', ?, '', 0, 0, 'x', 'x')"
    )
    con.execute(guardian, ("李秀英", "lxy lixiuying", "139"))
    con.execute(guardian, ("王芳", "wf wangfang", "138"))
    con.execute(child, ("韩晓雪", "hxx hanxiaoxue", "110105201501010011", "136"))
    cols = ", ".join(search_index.INDEXED["child"])
    rows = con.execute(f"SELECT rowid, {cols} FROM child_search").fetchall()
    con.commit()
    con.close()
    pad = search_index.PAD
    assert rows == [
        (
            1,
            *(v + pad for v in ("韩晓雪", "hxx hanxiaoxue", "", "11", "136")),
            *(v + pad for v in ("王芳", "wf wangfang", "138")),
        )
    ]


def test_each_childs_index_row_holds_its_live_guardians(registers: tuple[Workspace, dict]) -> None:
    """The child's row of the index holds the names, pinyin and phones of the child's live
    guardians (after the fixture's adds, edits, moves, tombstones, replaces and deletes): a
    keystroke asks one index for children, never the guardians' table for guardians."""
    ws, _staff = registers
    con = sqlite3.connect(ws.paths.db)
    try:
        indexed = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT child.id, s.guardian_name, s.guardian_letters, s.guardian_phone "
                "FROM child JOIN child_search s ON s.rowid = child.rowid"
            )
        }
        live: dict[str, list[tuple[str, str, str]]] = {}
        for cid, *values in con.execute(
            "SELECT child_id, name, name_letters, phone FROM child_guardian "
            "WHERE deleted_at IS NULL ORDER BY rowid"
        ):
            live.setdefault(cid, []).append(tuple(values))  # type: ignore[arg-type]
        moved = con.execute(
            "SELECT count(DISTINCT child_id) FROM child_guardian WHERE deleted_at IS NULL"
        ).fetchone()[0]
    finally:
        con.close()
    pad = search_index.PAD
    want = {
        cid: tuple("".join(g[i] + pad for g in live.get(cid, [])) for i in range(3))
        for cid in indexed
    }
    assert indexed == want
    assert moved > 100 and sum(bool(v[0]) for v in indexed.values()) == moved


def test_a_common_search_of_the_child_register_reads_no_guardians_but_its_childrens(
    registers: tuple[Workspace, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keystroke common enough to walk the register (every search, here) reads no guardian
    but those of the children it looks at (by the guardians' `child_id` index), never the
    whole guardians' table or an index of guardians; the answer is the LIKE query's."""
    from sqlalchemy import event

    ws, staff = registers
    monkeypatch.setattr(person_search, "DENSE", 1)
    monkeypatch.setattr(person_search, "DENSE_DIGITS", 1)
    statements: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        statements.append((statement, params))

    con = sqlite3.connect(f"file:{ws.paths.db}?mode=ro", uri=True)
    texts = ("l", "li", "lxy", "x", "王", "李秀", "1380", "wang")
    try:
        for text in texts:
            statements.clear()
            q = child_search.ChildQuery(text=text, register="")
            event.listen(ws.engine, "before_cursor_execute", keep)
            try:
                with ws.reader() as s:
                    total, _rows = child_search.first_page(s, staff["dudao"], q, 7, cap=20)
            finally:
                event.remove(ws.engine, "before_cursor_execute", keep)
            plans = [
                r[3]
                for sql, params in statements
                if "child_guardian" in sql
                for r in con.execute("EXPLAIN QUERY PLAN " + sql, params)
            ]
            assert plans, text
            touching = [p for p in plans if "child_guardian" in p]
            assert all("ix_child_guardian_child_id (child_id=?)" in p for p in touching), (
                text,
                touching,
            )
            with ws.reader() as s:
                want = child_search.count(s, staff["dudao"], q)
            assert total == min(want, 21) and want == len(
                _ids(ws, "child", _old_where("child", text))
            ), text
    finally:
        con.close()


def test_a_child_director_searches_only_their_community(
    registers: tuple[Workspace, dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is asked about every child, but the scope sits in the same statement: a name
    or a guardian's phone known only in another community finds nothing, and counts nothing."""
    ws, staff = registers
    con = sqlite3.connect(ws.paths.db)
    communities = dict(con.execute("SELECT name, id FROM community"))
    template = con.execute("SELECT id FROM child WHERE deleted_at IS NULL LIMIT 1").fetchone()[0]
    mine = _insert_like(
        con,
        "child",
        template,
        {
            "name": "欧阳娜娜",
            "name_letters": "oynn ouyangnana",
            "community_id": communities["和平里社区"],
            "phone": "13700001234",
            "id_number": idnumber.make("110105", date(2015, 5, 5), 901),
        },
    )
    theirs = _insert_like(
        con,
        "child",
        template,
        {
            "name": "欧阳娜娜",
            "name_letters": "oynn ouyangnana",
            "community_id": communities["安贞社区"],
            "phone": "13700005678",
            "id_number": idnumber.make("110105", date(2015, 5, 6), 902),
        },
    )
    con.commit()
    con.close()
    for dense in (person_search.DENSE, 10**9, 1):
        monkeypatch.setattr(person_search, "DENSE", dense)
        monkeypatch.setattr(person_search, "DENSE_DIGITS", dense)
        for text in ("欧阳娜娜", "娜娜", "oynn", "ouyangnana", "13700005678", "5678", "0000"):
            with ws.reader() as s:
                q = child_search.ChildQuery(text=text, register="")
                one = {r.id for r in child_search.page(s, staff["ertong1"], q, 0, 1000)}
                two = {r.id for r in child_search.page(s, staff["ertong2"], q, 0, 1000)}
                assert theirs not in one and mine not in two, text
                assert child_search.count(s, staff["ertong1"], q) == len(one)
                assert child_search.count(s, staff["ertong1"], q, cap=1000) == len(one)
        with ws.reader() as s:
            q = child_search.ChildQuery(text="欧阳娜娜", register="")
            assert [r.id for r in child_search.page(s, staff["ertong1"], q, 0, 10)] == [mine]


def test_the_migration_builds_the_index_of_a_workspace_on_file(tmp_path: Path) -> None:
    """A workspace at 0017 with residents on file: opening it runs 0018, which builds the index
    from them; downgrading removes every trace."""
    from alembic import command

    from db.schema import _alembic_config

    ws = Workspace.open(tmp_path / "ws")
    system = Actor.system("test")
    with ws.writer(system) as s:
        accounts.initialise_office(
            s,
            system,
            office_code="110105001",
            office_name="测试街道办事处",
            district_name="测试区",
            community_names=["和平里社区"],
            admin=accounts.StaffDraft("admin", "张管理", Role.ADMIN),
            admin_password=ADMIN_PASSWORD,
        )
        accounts.create_staff(
            s,
            system,
            accounts.StaffDraft("worker", "李专干", Role.CASEWORKER),
            STAFF_PASSWORD,
            force_password_change=False,
        )
    admin = login(ws, "worker", STAFF_PASSWORD)
    made = add(ws, admin, "欧阳建国", date(1944, 3, 8), address="柳芳北里7号楼").id
    with ws.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0017")
    ws.close()
    con = sqlite3.connect(tmp_path / "ws" / "caseworker.sqlite3")
    left = con.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE '%search_%' AND name NOT LIKE 'ix_%'"
    ).fetchall()
    con.close()
    assert left == []
    with Workspace.open(tmp_path / "ws") as ws2:
        assert ws2.schema_status == "migrated"
        with ws2.reader() as s:
            assert person_search.index_present(s)
            for text in ("欧阳", "柳芳北里", "ouyang", "oyjg"):
                found = person_search.plan(s, text, roster_search._COLUMNS)
                assert found.narrowed, text
                rows = roster_search.page(s, admin, roster_search.RosterQuery(text=text), 0, 10)
                assert [r.id for r in rows] == [made], text
        assert ws2.integrity_problems() == []


def test_a_restored_file_with_a_doctored_index_trigger_is_refused(tmp_path: Path) -> None:
    from db import verify

    ws = Workspace.open(tmp_path / "ws")
    ws.close()
    path = tmp_path / "ws" / "caseworker.sqlite3"
    con = sqlite3.connect(path)
    assert verify.quick_shape_problems(con) == []
    con.execute("DROP TRIGGER child_search_insert")
    con.execute(
        "CREATE TRIGGER child_search_insert AFTER INSERT ON child BEGIN "
        "DELETE FROM elderly_resident; END"
    )
    con.commit()
    problems = verify.quick_shape_problems(con)
    con.close()
    assert problems and "child_search_insert" in problems[0]
    assert any("child_search_insert" in p for p in verify.verify(path))


def test_this_python_has_fts5_with_the_trigram_tokenizer() -> None:
    """The office PC's Python (and this one) must have it: without it every search scans."""
    con = sqlite3.connect(":memory:")
    assert search_index.supported(con), sqlite3.sqlite_version


def test_guardians_merged_by_sync_are_in_their_childs_index_row(tmp_path: Path) -> None:
    """The district's copy (SQLite) keeps its own index through sync's merge: guardians added,
    renamed, tombstoned and added again in the office arrive, and each child's index row holds
    its live guardians; every search there finds what the LIKE query finds."""
    from datetime import datetime

    from caseworker.district import service
    from caseworker.services.children import register
    from tests.sync.helpers import child_supervisor, make_world

    world = make_world(tmp_path, ["A"])
    try:
        ws = world.offices["A"]
        sup, community = child_supervisor(ws, password=STAFF_PASSWORD)
        with ws.writer(sup) as s:
            made = [
                register.register(
                    s,
                    sup,
                    register.ChildDraft(
                        name, idnumber.make("110105", date(2015, 9, 9), 51 + i), community
                    ),
                ).child.id
                for i, name in enumerate(("韩小雪", "周明"))
            ]
            mother = register.add_guardian(
                s, sup, made[0], register.GuardianDraft("母亲", "李秀英", phone="13900001111")
            ).id
            father = register.add_guardian(
                s, sup, made[0], register.GuardianDraft("父亲", "王建国")
            ).id
            register.add_guardian(s, sup, made[1], register.GuardianDraft("母亲", "赵丽"))
        service.ingest(world.hub, [world.office_to_district("A")])
        with ws.writer(sup) as s:
            register.update_guardian(
                s, sup, mother, register.GuardianDraft("母亲", "李秀兰", phone="13700002222")
            )
            row = s.get(ChildGuardian, father)
            assert row is not None
            row.deleted_at = datetime(2026, 12, 1, 9, 0)
            register.add_guardian(s, sup, made[1], register.GuardianDraft("外祖母", "欧阳芳"))
        service.ingest(world.hub, [world.office_to_district("A")])

        hub = world.hub
        with hub.reader() as s:
            assert person_search.index_present(s)
            held = dict(
                s.execute(
                    text_(
                        "SELECT child.id, s.guardian_name FROM child "
                        "JOIN child_search s ON s.rowid = child.rowid"
                    )
                ).all()
            )
        pad = search_index.PAD
        assert held == {made[0]: "李秀兰" + pad, made[1]: "赵丽" + pad + "欧阳芳" + pad}
        for typed in (
            "李秀兰",
            "李秀英",
            "王建国",
            "欧阳",
            "oyf",
            "lxl",
            "2222",
            "1111",
            "赵",
            "x",
        ):
            with hub.reader() as s:
                found = person_search.plan(s, typed, child_search._COLUMNS)
                got = set(
                    s.scalars(select(Child.id).where(Child.deleted_at.is_(None), found.where))
                )
                want = set(
                    s.scalars(
                        select(Child.id).where(
                            Child.deleted_at.is_(None), _old_where("child", typed)
                        )
                    )
                )
            assert got == want, typed
        with hub.reader() as s:
            names = {
                t: s.scalars(
                    select(Child.id).where(person_search.plan(s, t, child_search._COLUMNS).where)
                ).all()
                for t in ("李秀兰", "李秀英", "王建国", "欧阳芳")
            }
        assert names == {"李秀兰": [made[0]], "李秀英": [], "王建国": [], "欧阳芳": [made[1]]}
    finally:
        world.close()


def test_migration_0024_puts_the_guardians_in_their_childs_index_row(tmp_path: Path) -> None:
    """A workspace at 0023 (the guardians with an index of their own) with children and
    guardians on file: opening it runs 0024, which rebuilds the child's index with the
    guardians' text in it and drops the guardians' own; the downgrade puts the old layout back
    (its triggers' text as 0023's program has them)."""
    from alembic import command

    from caseworker.services.children import register
    from db.schema import _alembic_config

    ws = Workspace.open(tmp_path / "ws")
    system = Actor.system("test")
    with ws.writer(system) as s:
        accounts.initialise_office(
            s,
            system,
            office_code="110105001",
            office_name="测试街道办事处",
            district_name="测试区",
            community_names=["和平里社区", "安贞社区"],
            admin=accounts.StaffDraft("admin", "张管理", Role.ADMIN),
            admin_password=ADMIN_PASSWORD,
        )
    staff = add_child_staff(ws)
    child = add_child(ws, staff["dudao"], "韩小雪", date(2014, 3, 1)).id
    with ws.writer(staff["dudao"]) as s:
        register.add_guardian(
            s,
            staff["dudao"],
            child,
            register.GuardianDraft("母亲", "欧阳秀英", phone="13911112222"),
        )

    def layout() -> tuple[set[str], str]:
        con = sqlite3.connect(tmp_path / "ws" / "caseworker.sqlite3")
        try:
            names = {
                r[0]
                for r in con.execute("SELECT name FROM sqlite_master WHERE name LIKE '%search%'")
            }
            sql = con.execute(
                "SELECT sql FROM sqlite_master WHERE name = 'child_guardian_search_insert'"
            ).fetchone()[0]
        finally:
            con.close()
        return names, sql

    with ws.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0023")
    ws.close()
    names, trigger = layout()
    assert {"child_guardian_search", "child_guardian_search_terms"} <= names
    assert "INSERT OR REPLACE INTO child_guardian_search " in trigger
    with Workspace.open(tmp_path / "ws") as ws2:
        assert ws2.schema_status == "migrated"
        with ws2.reader() as s:
            assert person_search.index_present(s)
            for text in ("欧阳", "oyxy", "ouyang", "1111"):
                q = child_search.ChildQuery(text=text, register="")
                assert [r.id for r in child_search.page(s, staff["dudao"], q, 0, 10)] == [child]
        assert ws2.integrity_problems() == []
    names, trigger = layout()
    assert "child_guardian_search" not in names and "child_guardian_search_terms" not in names
    assert "INSERT OR REPLACE INTO child_search " in trigger
