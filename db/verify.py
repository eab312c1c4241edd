"""Is a file a genuine workspace database of its revision? Header, structure, integrity, keys, journal.

`verify(path)` compares the file with a fresh database migrated to the same revision (built once
per process in a temporary folder): exactly the same tables, columns and indexes, no trigger or
view the schema does not define; then `PRAGMA integrity_check`, `PRAGMA foreign_key_check`, and
that every journaled record has journal rows (one indexed anti-join per journaled table, linear in
the rows). Each problem is one Chinese line; an empty list means the file passed.

`quick_shape_problems(conn)` is the cheap part run at every open (milliseconds): no trigger or
view, and every table of the models present with its columns.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Table

from db import search_index

HEADER = b"SQLite format 3\x00"
# Triggers and views allowed beside those of the search index (`db.search_index.TRIGGERS`, checked
# by their text); a migration that adds another lists its name here.
ALLOWED_TRIGGERS_AND_VIEWS: frozenset[str] = frozenset()
_MAX_LISTED = 3

Column = tuple[str, str, int, int]  # name, declared type, notnull, primary-key position
IndexShape = tuple[str, int, int, tuple[str, ...]]  # table, unique, partial, columns


@dataclass(frozen=True)
class Shape:
    """The structure of a database: what must match, name by name."""

    tables: dict[str, tuple[Column, ...]]
    indexes: dict[str, IndexShape]
    others: dict[str, tuple[str, str]]  # triggers and views: name -> (type, sql)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def shape_of(con: sqlite3.Connection) -> Shape:
    """Read the structure of an open database (sqlite_* internals left out)."""
    tables: dict[str, tuple[Column, ...]] = {}
    indexes: dict[str, IndexShape] = {}
    others: dict[str, tuple[str, str]] = {}
    rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    for kind, name, _tbl, sql in rows:
        if name.startswith("sqlite_"):
            continue
        if kind == "table":
            cols = con.execute(f"PRAGMA table_xinfo({_q(name)})").fetchall()
            tables[name] = tuple(
                sorted((c[1], str(c[2]).upper(), int(c[3]), int(c[5])) for c in cols)
            )
            for _seq, iname, unique, origin, partial in con.execute(
                f"PRAGMA index_list({_q(name)})"
            ).fetchall():
                if origin == "pk":
                    continue
                icols = con.execute(f"PRAGMA index_info({_q(iname)})").fetchall()
                key = iname if origin == "c" else f"{name}:{origin}:{iname.rsplit('_', 1)[-1]}"
                indexes[key] = (
                    name,
                    int(unique),
                    int(partial),
                    tuple(str(c[2]) for c in sorted(icols)),
                )
        elif kind in ("trigger", "view"):
            others[name] = (kind, " ".join(str(sql or "").split()))
    return Shape(tables, indexes, others)


_expected: dict[str, Shape] = {}
_expected_lock = threading.Lock()


def expected_shape(revision: str) -> Shape:
    """The structure of a fresh database migrated to `revision` (built once per process)."""
    with _expected_lock:
        if revision in _expected:
            return _expected[revision]
        from alembic import command
        from sqlalchemy import create_engine

        from db.schema import _alembic_config

        with tempfile.TemporaryDirectory(prefix="caseworker-shape-") as tmp:
            engine = create_engine(f"sqlite:///{Path(tmp) / 'fresh.sqlite3'}")
            try:
                with engine.begin() as conn:
                    command.upgrade(_alembic_config(conn), revision)
                raw = engine.raw_connection()
                try:
                    shape = shape_of(raw.driver_connection)  # type: ignore[arg-type]
                finally:
                    raw.close()
            finally:
                engine.dispose()
        _expected[revision] = shape
        return shape


def compare(found: Shape, expected: Shape) -> list[str]:
    """What differs between a file's structure and the expected one, in Chinese."""
    problems: list[str] = []

    def listed(names: set[str]) -> str:
        shown = sorted(names)[:_MAX_LISTED]
        more = "等" if len(names) > _MAX_LISTED else ""
        return "、".join(shown) + more

    missing = set(expected.tables) - set(found.tables)
    extra = set(found.tables) - set(expected.tables)
    if missing:
        problems.append(f"缺少数据表 {len(missing)} 个：{listed(missing)}")
    if extra:
        problems.append(f"多出不属于工作台的数据表：{listed(extra)}")
    for name in sorted(set(expected.tables) & set(found.tables)):
        want = {c[0]: c for c in expected.tables[name]}
        have = {c[0]: c for c in found.tables[name]}
        if set(want) - set(have):
            problems.append(f"数据表 {name} 缺少字段：{listed(set(want) - set(have))}")
        if set(have) - set(want):
            problems.append(f"数据表 {name} 多出字段：{listed(set(have) - set(want))}")
        changed = {k for k in set(want) & set(have) if want[k] != have[k]}
        if changed:
            problems.append(f"数据表 {name} 的字段定义被改动：{listed(changed)}")
    missing_ix = set(expected.indexes) - set(found.indexes)
    extra_ix = set(found.indexes) - set(expected.indexes)
    changed_ix = {
        k
        for k in set(expected.indexes) & set(found.indexes)
        if expected.indexes[k] != found.indexes[k]
    }
    if missing_ix:
        problems.append(f"缺少索引：{listed(missing_ix)}")
    if extra_ix:
        problems.append(f"多出不属于工作台的索引：{listed(extra_ix)}")
    if changed_ix:
        problems.append(f"索引定义被改动：{listed(changed_ix)}")
    foreign = {
        n
        for n, v in found.others.items()
        if expected.others.get(n) != v and n not in ALLOWED_TRIGGERS_AND_VIEWS
    }
    if foreign:
        kinds = {found.others[n][0] for n in foreign}
        what = "触发器" if kinds == {"trigger"} else "视图" if kinds == {"view"} else "触发器或视图"
        problems.append(f"含有工作台不会创建的{what}：{listed(foreign)}")
    return problems


def header_problem(path: Path) -> str | None:
    """A file that is not a SQLite database, or is shorter than its header says (truncated)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError:
        return f"无法读取文件 {path.name}"
    if size == 0:
        return f"{path.name} 是空文件"
    if len(head) < 100 or not head.startswith(HEADER):
        return f"{path.name} 不是有效的数据库文件"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    change = int.from_bytes(head[24:28], "big")
    valid_for = int.from_bytes(head[92:96], "big")
    if pages and change == valid_for and size < pages * page_size:
        return (
            f"{path.name} 不完整（应有 {pages * page_size:,} 字节，只有 {size:,} 字节），"
            "可能复制时被中断"
        )
    return None


def _journaled_tables() -> list[str]:
    import db.schema  # noqa: F401  (registers every model)
    from db.base import Base, Journaled

    return sorted(
        m.class_.__tablename__
        for m in Base.registry.mappers
        if issubclass(m.class_, Journaled) and hasattr(m.class_, "__tablename__")
    )


def journal_problems(con: sqlite3.Connection, tables: set[str]) -> list[str]:
    """Journaled records without a single journal row (an indexed anti-join per table)."""
    if "journal" not in tables:
        return []
    problems: list[str] = []
    for name in _journaled_tables():
        if name not in tables:
            continue
        missing = con.execute(
            f"SELECT count(*) FROM {_q(name)} AS r WHERE NOT EXISTS "
            "(SELECT 1 FROM journal AS j WHERE j.table_name = ? AND j.record_id = r.id)",
            (name,),
        ).fetchone()[0]
        if missing:
            problems.append(f"日志不完整：数据表 {name} 有 {missing} 条记录没有任何变更日志")
    return problems


def verify(path: Path, *, revision_required: bool = True) -> list[str]:
    """Every problem found in the database file at `path` (read only); empty when it passes."""
    path = Path(path)
    bad = header_problem(path)
    if bad:
        return [bad]
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return [f"{path.name} 无法打开"]
    try:
        return _verify_open(con, path, revision_required)
    except sqlite3.DatabaseError as exc:
        return [f"{path.name} 已损坏，无法读取（{_sqlite_reason(exc)}）"]
    finally:
        con.close()


def _sqlite_reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "malformed" in text or "corrupt" in text:
        return "文件结构损坏"
    if "not a database" in text or "encrypted" in text:
        return "不是数据库文件"
    if "locked" in text or "busy" in text:
        return "文件正被占用"
    return "SQLite 错误"


def _verify_open(con: sqlite3.Connection, path: Path, revision_required: bool) -> list[str]:
    from db.schema import known_revisions

    names = {
        r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    }
    if "alembic_version" not in names:
        return [f"{path.name} 不是工作台的数据库（没有版本信息）"]
    rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
    if len(rows) != 1:
        return [f"{path.name} 的版本信息不完整"]
    revision = str(rows[0][0])
    if revision not in known_revisions():
        return [f"{path.name} 的数据库版本（{revision}）比本程序新"]
    problems = compare(shape_of(con), expected_shape(revision))
    if problems:
        return problems  # a file of the wrong shape is not read further
    integrity = [str(r[0]) for r in con.execute("PRAGMA integrity_check(20)").fetchall()]
    if integrity != ["ok"]:
        return [f"完整性检查未通过：{'; '.join(integrity[:_MAX_LISTED])}"]
    fk = con.execute("PRAGMA foreign_key_check").fetchmany(_MAX_LISTED + 1)
    for table, rowid, parent, _i in fk[:_MAX_LISTED]:
        problems.append(f"外键错误：表 {table} 第 {rowid} 行引用的 {parent} 不存在")
    problems += journal_problems(con, names)
    return problems


def _app_tables() -> list[Table]:
    """The tables of the program's own models (`db.*`), not ones a test registers beside them."""
    import db.schema as schema
    from db.base import Base

    own = {
        m.local_table.name
        for m in Base.registry.mappers
        if m.class_.__module__.startswith("db.") and isinstance(m.local_table, Table)
    }
    return [t for t in schema.metadata.sorted_tables if t.name in own]


def quick_shape_problems(con: sqlite3.Connection) -> list[str]:
    """At every open, in milliseconds: no foreign trigger or view, every model table present with
    its columns (a hollow file or one with a dropped column is refused before anything reads it)."""
    problems: list[str] = []
    rows = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')"
    ).fetchall()
    # The search index's triggers (db/search_index.py) pass only with their exact text: a
    # restored file with a trigger of that name doing something else is refused.
    foreign = sorted(
        name
        for name, sql in rows
        if name not in ALLOWED_TRIGGERS_AND_VIEWS
        and " ".join(str(sql or "").split())
        != " ".join(search_index.TRIGGERS.get(name, "").split())
    )
    if foreign:
        problems.append(f"含有工作台不会创建的触发器或视图：{'、'.join(foreign[:_MAX_LISTED])}")
    present = {
        r[0]: None
        for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    }
    for table in _app_tables():
        if table.name not in present:
            problems.append(f"缺少数据表：{table.name}")
            break
        cols = {c[1] for c in con.execute(f"PRAGMA table_info({_q(table.name)})").fetchall()}
        missing = [c.name for c in table.columns if c.name not in cols]
        if missing:
            problems.append(f"数据表 {table.name} 缺少字段：{'、'.join(missing[:_MAX_LISTED])}")
            break
    return problems
