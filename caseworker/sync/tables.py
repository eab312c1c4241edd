"""What sync knows about the schema, read from `Base.metadata`: generic over every Journaled table.

For each journaled table: its SQLAlchemy Table, mapped class, the fields that travel, how to turn
a JSON value back into a column value, whether records can be merge-locked, and its place in
foreign-key order (parents before children).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    inspect,
    select,
)

import db.schema  # noqa: F401  (registers every model module)
from caseworker.domain.text import CONTROLS
from db.base import Base, Journaled

NOT_TRAVELLING = frozenset({"id", "created_at", "updated_at"})
# Never moved with a record that depends on them: an office's structure, accounts and directory
# (a caseworker whose community moves to another street stays with their office).
KEPT = frozenset({"office", "community", "staff", "retrofit_contractor", "child_office_key"})
CHUNK = 500
REDACTED = "<已隐去>"


def _identity(value: Any) -> Any:
    return value


def _to_datetime(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _to_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def sqlite_datetime(value: Any) -> Any:
    """An ISO datetime (str or datetime) in the text form SQLAlchemy stores in SQLite."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    text = value.replace("T", " ", 1)
    if len(text) == 19:
        return text + ".000000"
    if len(text) == 26:
        return text
    return _to_datetime(value).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_bool(value: Any) -> Any:
    return None if value is None else int(bool(value))


@dataclass(frozen=True, eq=False)
class TableInfo:
    name: str
    table: Table
    cls: type
    fields: frozenset[str]
    redacted: frozenset[str]
    decoders: dict[str, Callable[[Any], Any]]
    lockable: bool  # the class overrides Journaled.merge_locked
    order: int
    defaults: dict[str, Any]
    sqlite_encoders: dict[str, Callable[[Any], Any]]
    unlocked: frozenset[str] = frozenset()  # fields a merge may clear on a locked record
    district_key: str | None = None  # the district-wide natural key (see merge.hold_duplicates)

    @functools.cached_property
    def field_defaults(self) -> dict[str, Any]:
        """Every travelling field with its default (None when it has none)."""
        return {f: self.defaults.get(f) for f in self.fields}

    def decode(self, values: dict[str, Any]) -> dict[str, Any]:
        return {k: self.decoders.get(k, _identity)(v) for k, v in values.items()}

    def default(self, field: str) -> Any:
        return self.defaults.get(field)

    @functools.cached_property
    def specs(self) -> dict[str, tuple[int, int, bool]]:
        """Per travelling field: (kind, longest text, may be NULL), for `bad_value`."""
        return {f: _spec(self.table.c[f]) for f in self.fields}

    def bad_value(self, values: Iterable[tuple[str, Any]]) -> str | None:
        """The first field whose value does not fit its column (type, length, NULL; dates and
        times must parse; no control characters in text), or None. Runs on every value of every
        bundle before anything is written, so the common case (short text) is checked inline."""
        specs = self.specs
        controls = CONTROLS.search
        for name, value in values:
            spec = specs.get(name)
            if spec is None:
                return name
            kind, limit, nullable = spec
            if value is None:
                if nullable:
                    continue
                return name
            if kind == _TEXT:
                if type(value) is str and len(value) <= limit and controls(value) is None:
                    continue
                return name
            if not _fits(kind, value):
                return name
        return None

    def from_text(self, name: str, raw: str) -> Any:
        """A value typed at a command line, read by its column's type: text stays text (a phone
        number is never a number), integers, true/false, dates and times are parsed, and an
        empty value clears a column that may be empty. Raises ValueError with a Chinese reason."""
        col = self.table.c[name]
        ctype = col.type
        if raw == "" and col.nullable and not isinstance(ctype, String):
            return None
        if isinstance(ctype, Boolean):
            lowered = raw.strip().lower()
            if lowered in {"true", "1", "是", "yes"}:
                return True
            if lowered in {"false", "0", "否", "no"}:
                return False
            raise ValueError(f"字段 {name} 应为 是/否（true/false），收到“{raw}”")
        if isinstance(ctype, DateTime):
            try:
                return datetime.fromisoformat(raw.strip())
            except ValueError:
                raise ValueError(
                    f"字段 {name} 应为日期时间（如 2026-11-29 09:30），收到“{raw}”"
                ) from None
        if isinstance(ctype, Date):
            try:
                return date.fromisoformat(raw.strip())
            except ValueError:
                raise ValueError(f"字段 {name} 应为日期（如 2026-11-29），收到“{raw}”") from None
        if isinstance(ctype, Integer):
            try:
                return int(raw.strip())
            except ValueError:
                raise ValueError(f"字段 {name} 应为整数，收到“{raw}”") from None
        length = getattr(ctype, "length", None)
        if length is not None and len(raw) > length:
            raise ValueError(f"字段 {name} 最多 {length} 个字，收到 {len(raw)} 个")
        return raw

    def is_locked(self, values: dict[str, Any]) -> bool:
        if not self.lockable:
            return False
        obj = self.cls.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
        for key, value in self.decode(values).items():
            setattr(obj, key, value)
        return bool(obj.merge_locked())


MAX_TEXT = 200_000  # a Text column's longest value from a bundle (a visit's notes are far less)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


_TEXT, _BOOL, _INT, _DATETIME, _DATE_KIND = range(5)


def _spec(col: Column[Any]) -> tuple[int, int, bool]:
    ctype = col.type
    if isinstance(ctype, Boolean):
        kind = _BOOL
    elif isinstance(ctype, Integer):  # BigInteger too
        kind = _INT
    elif isinstance(ctype, DateTime):
        kind = _DATETIME
    elif isinstance(ctype, Date):
        kind = _DATE_KIND
    else:
        kind = _TEXT
    return kind, getattr(ctype, "length", None) or MAX_TEXT, bool(col.nullable)


def _fits(kind: int, v: Any) -> bool:
    if kind == _BOOL:
        return isinstance(v, bool) or (type(v) is int and v in (0, 1))
    if kind == _INT:
        return type(v) is int and -(2**63) <= v < 2**63
    if kind == _DATETIME:
        return isinstance(v, str) and len(v) <= 32 and _reads(datetime.fromisoformat, v)
    return isinstance(v, str) and _DATE.fullmatch(v) is not None and _reads(date.fromisoformat, v)


def _reads(parse: Callable[[str], object], text: str) -> bool:
    """Whether `parse` (`date.fromisoformat`, `datetime.fromisoformat`) accepts `text`."""
    try:
        parse(text)
    except ValueError:
        return False
    return True


@functools.cache
def registry() -> dict[str, TableInfo]:
    order = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
    found: dict[str, TableInfo] = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if not issubclass(cls, Journaled) or not getattr(cls, "__travels__", True):
            continue  # not journaled, or a replica's own (the hub's accounts: district_staff)
        table = mapper.local_table
        assert isinstance(table, Table)
        skip = NOT_TRAVELLING | cls.__journal_exclude__
        fields = frozenset(c.key for c in mapper.column_attrs if c.key not in skip)
        decoders: dict[str, Callable[[Any], Any]] = {}
        encoders: dict[str, Callable[[Any], Any]] = {}
        defaults: dict[str, Any] = {}
        for col in table.columns:
            if isinstance(col.type, DateTime):
                decoders[col.name] = _to_datetime
                encoders[col.name] = sqlite_datetime
            elif isinstance(col.type, Date):
                decoders[col.name] = _to_date
            elif isinstance(col.type, Boolean):
                encoders[col.name] = _sqlite_bool
            if col.default is not None and getattr(col.default, "is_scalar", False):
                defaults[col.name] = col.default.arg
        found[table.name] = TableInfo(
            table.name,
            table,
            cls,
            fields,
            frozenset(cls.__journal_redact__),
            decoders,
            cls.merge_locked is not Journaled.merge_locked,
            order[table.name],
            defaults,
            encoders,
            frozenset(cls.__merge_unlocked__),
            getattr(cls, "__district_key__", None),
        )
    return found


def info(name: str) -> TableInfo | None:
    return registry().get(name)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def dependents(
    conn: Connection, roots: Iterable[tuple[str, str]], kept: frozenset[str] = KEPT
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """The roots and every record that refers to them, directly or through others, found a
    table and a chunk of ids at a time (statements stay bounded whatever the size); and the
    links (table, id, column) from `kept` records to moved ones, which do not move."""
    present = set(inspect(conn).get_table_names())
    out = list(dict.fromkeys(roots))
    seen = set(out)
    kept_links: list[tuple[str, str, str]] = []
    frontier: dict[str, list[str]] = defaultdict(list)
    for tname, rid in out:
        frontier[tname].append(rid)
    while frontier:
        nxt: dict[str, list[str]] = defaultdict(list)
        for tname, ids in frontier.items():
            for child in Base.metadata.sorted_tables:
                if child.name not in present or "id" not in child.c:
                    continue
                for fk in child.foreign_keys:
                    if fk.column.table.name != tname:
                        continue
                    for part in _chunks(sorted(ids)):
                        for cid in conn.execute(
                            select(child.c.id).where(fk.parent.in_(part))
                        ).scalars():
                            if child.name in kept:
                                kept_links.append((child.name, cid, fk.parent.name))
                                continue
                            item = (child.name, cid)
                            if item not in seen:
                                seen.add(item)
                                out.append(item)
                                nxt[child.name].append(cid)
        frontier = nxt
    return out, kept_links
