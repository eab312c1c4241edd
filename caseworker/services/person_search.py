"""What a typed search means on a register of people, as one SQL clause, and how the search index
answers it without reading every row: shared by the elderly roster, the child register and the
retrofit cases (each passes its own columns and keeps its own filters and scope).

What a search matches (the `LIKE` clause, `clause`):
- A whole ID number (any accepted spelling) matches that number exactly.
- Digits (or digits ending in X) match the end of the ID number and any part of the phones;
  the phones in `more_phones` (a supporter's, an emergency contact's) only from 4 digits.
- Latin letters match the name's pinyin (`wxh` initials or `wangxiaohong` / `xiaohong` full, in
  the stored `name_letters`) or the address (3号楼B座); Chinese names hold no Latin letters.
- Anything else matches any part of the name or the address (LIKE '%…%', so 1-2 characters work).
- `extra` columns (a retrofit case number) match any part of what is typed, whatever it is.
- `related` people (a child's parents and guardians) find their record by their name, pinyin
  or phone (from 4 digits).

How it is answered (`plan`): the search index (`db/search_index.py`, FTS5 trigram) gives the
rowids that *can* match: a trigram query for 3 characters or more, a range of the index's terms
for 1-2 characters. When they are few (under `DENSE`), the statement reads only those rows and
still applies the `LIKE` clause, so the results are the `LIKE` query's exactly; when they are
many, the search is common enough that walking the list in its order finds a page at once, and
the statement is the plain `LIKE` scan; between the two (`FILTERED`), the walk in the list's order
tests each entry against the candidates before it reads the row, and a capped count reads the
candidates by rowid. Counts are capped by the callers (`capped_count`), so a
keystroke never counts 100,000 rows; a narrowed search's count and first page are one
statement (`counted_page`, each programme's `first_page`). Without the index (PostgreSQL, a SQLite without FTS5) every
search is the plain scan: the same results, slower.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, not_, or_, select, text
from sqlalchemy.orm import Session

from caseworker.domain import idnumber, pinyin
from caseworker.domain.person import BornOn
from caseworker.domain.search import cap_search
from db import search_index

# At most this many index entries are read to decide whether a search is rare enough to be
# answered from the index; above it the search is common and scanning in order finds a page.
DENSE = 2000
DENSE_DIGITS = 3000
# A common search's capped count looks among this many of the index's candidates first.
SAMPLE = 2500
# A common search with fewer candidates than this many times its `DENSE` count is "common but
# not dense" (`1338`: 3 % of residents, 3,500 candidates): the walk in the list's order still
# finds its page, but tests each index entry's rowid against the candidates before it reads the
# row, so the rows it skips are never read (measured at 100,000 residents: 4.3 ms against 14.7).
# Not where related people are searched too (a child's guardians): their candidates cost a
# lookup of the child each, more than the walk saves (measured: 11.9 ms against 8.5 for `fe`).
# The probe reads up to this many times `DENSE` entries: 4 made a dense `f` 2 ms slower.
FILTERED = 2
# A count shown while typing stops here ("1,000+"): `capped_count(..., COUNT_CAP)`.
COUNT_CAP = 1000


@dataclass(frozen=True)
class ListQuery:
    """What every list's query starts with: the text typed in its search box, capped here for
    every caller (`caseworker.domain.search`)."""

    text: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", cap_search(self.text))


@dataclass(frozen=True)
class PersonRow(BornOn):
    """What a line of a register of people starts with (the ID number masked)."""

    id: str
    name: str
    sex: str
    birth_date: date
    id_number_masked: str
    community_name: str


@dataclass(frozen=True)
class RelatedPeople:
    """People of another table whose match finds the record (a child's parents and guardians)."""

    owner: Any  # the related table's column holding the record's id
    name: Any
    name_letters: Any
    phone: Any
    live: Any  # the clause of the related rows that count (not deleted)


@dataclass(frozen=True)
class PersonColumns:
    """The columns a search looks at."""

    name: Any
    name_letters: Any
    address: Any
    id_number: Any
    phones: Sequence[Any]
    more_phones: Sequence[Any] = ()
    extra: Sequence[Any] = ()  # matched with any part of the raw text (a case number)
    key: Any = None  # the record's id (what `related.owner` holds)
    related: RelatedPeople | None = None


def like_escape(text: str) -> str:
    """Escape LIKE wildcards; use with `escape='\\\\'`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(column: Any, pattern: str) -> ColumnElement[bool]:
    return column.like(pattern, escape="\\")


def is_number_search(text: str) -> bool:
    """Digits, or digits ending in X (the end of an ID number, or a phone)."""
    compact = idnumber.normalise(" ".join(text.split()))
    return bool(compact) and (compact.isdigit() or (compact[:-1].isdigit() and compact[-1] == "X"))


@dataclass
class _Terms:
    """What the typed text means: LIKE parts per table, and what the index is asked."""

    own: list[ColumnElement[bool]] = field(default_factory=list)
    related: list[tuple[Any, str]] = field(default_factory=list)  # (related column, pattern)
    # (table, columns, needle): the rows of `table` whose `columns` contain `needle`
    probes: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    dense: int | None = None  # how many candidates make the search common (None: DENSE)
    common: bool = False  # common without asking (1-2 digits are in most phone numbers)
    by_key: bool = False  # a whole ID number: its unique index finds it, the index is not asked


def _terms(text: str, cols: PersonColumns) -> _Terms | None:
    raw = " ".join(text.split())
    if not raw:
        return None
    t = _Terms()
    own = cols.name.table.name
    rel = cols.related
    # the related people's text is in the record's own index row (`search_index.RELATED`)
    held = search_index.RELATED.get(own)
    indexed_as = {v: k for k, v in held.columns.items()} if held is not None else {}

    def probe(columns: Sequence[Any], needle: str) -> None:
        if columns:
            t.probes.append((own, tuple(c.name for c in columns), needle))

    def related(column: Any, pattern: str, needle: str) -> None:
        # asked of the record's index column holding it (no such column: the index cannot say)
        at = indexed_as.get(column.name)
        t.related.append((column, pattern))
        t.probes.append((own if at is not None else "", (at or column.name,), needle))

    for c in cols.extra:
        t.own.append(_like(c, f"%{like_escape(raw)}%"))
    probe(cols.extra, raw)
    compact = idnumber.normalise(raw)
    if len(compact) in (15, 18) and compact[:-1].isdigit():
        value = idnumber.value_of(compact)
        if value is not None:
            t.own.append(cols.id_number == value)
            probe([cols.id_number], _suffix_needle(value))
            t.by_key = not cols.extra
            return t
    if is_number_search(compact):
        digits = like_escape(compact)
        # A digit search's candidates are many rows read one by one (phones are in no index
        # of the list's order): the index's candidates are used up to a higher count.
        t.dense = DENSE_DIGITS
        # 1-2 digits are in a quarter of all phone numbers or more: common, and asking the
        # index would read a term range as long as the table
        t.common = len(compact) <= 2
        t.own.append(_like(cols.id_number, f"%{digits}"))
        probe([cols.id_number], _suffix_needle(compact))
        t.own += [_like(p, f"%{digits}%") for p in cols.phones]
        probe(cols.phones, compact)
        if len(compact) >= 4:
            t.own += [_like(p, f"%{digits}%") for p in cols.more_phones]
            probe(cols.more_phones, compact)
            if rel is not None:
                related(rel.phone, f"%{digits}%", compact)
        return t
    pattern = f"%{like_escape(raw)}%"
    if pinyin.is_pinyin_query(raw):
        letters = "".join(raw.split()).lower()
        t.own += [
            _like(cols.name_letters, f"%{like_escape(letters)}%"),
            _like(cols.address, pattern),
        ]
        probe([cols.name_letters], letters)
        probe([cols.address], raw)
        if rel is not None:
            related(rel.name_letters, f"%{like_escape(letters)}%", letters)
        return t
    t.own += [_like(cols.name, pattern), _like(cols.address, pattern)]
    probe([cols.name, cols.address], raw)
    if rel is not None:
        related(rel.name, pattern, raw)
    return t


def _suffix_needle(digits: str) -> str:
    """What the index is asked for "the ID number ends in `digits`": their last two followed by
    the index's padding (the index holds only an ID number's last two digits, see
    `db/search_index.py`)."""
    return (digits + search_index.PAD[0])[-3:]


def _related_clause(
    cols: PersonColumns, column: Any, pattern: str, indexed: bool
) -> ColumnElement[bool]:
    """Records one of whose related people matches. Without the index, a subquery of every
    related person's LIKE (never a list of ids: one scan of their covering index per
    statement). With it, the statement reads only records the index gave as candidates or
    walks a page's worth of the list: a look at each such record's own related people (a
    child's two or three guardians, by the guardians' `child_id` index) costs less than
    reading all of them (40,000 guardians of 20,000 children: 5 ms a statement), and less than
    a list of every record whose index row holds the text (`f`: 8,600 index entries, 4-9 ms
    to build; measured at 20,000 children). The index narrows, the LIKE decides."""
    rel = cols.related
    assert rel is not None and cols.key is not None
    if not indexed:
        return cols.key.in_(select(rel.owner).where(_like(column, pattern), rel.live))
    theirs = select(rel.owner).where(rel.owner == cols.key, rel.live, _like(column, pattern))
    return theirs.exists()


def clause(text: str, cols: PersonColumns) -> Any | None:
    """The WHERE clause of a typed search, as a scan of the table (None when nothing is typed)."""
    t = _terms(text, cols)
    if t is None:
        return None
    return or_(*t.own, *(_related_clause(cols, c, p, False) for c, p in t.related))


# -- the index -----------------------------------------------------------------------------------

_has_index: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def index_present(session: Session) -> bool:
    """Whether this database holds the search index (checked once per engine)."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    known = _has_index.get(engine)
    if known is None:
        known = engine.dialect.name == "sqlite" and bool(
            session.scalar(text(search_index.PRESENT_SQL))
        )
        _has_index[engine] = known
    return known


def _fold(needle: str) -> str | None:
    """The needle as the trigram tokenizer stores it (ASCII letters folded), or None when a
    character's folding is not certain (a cased non-ASCII letter): such a search scans."""
    out = []
    for ch in needle:
        if ch.isascii():
            out.append(ch.lower())
        elif ch.lower() != ch or ch.upper() != ch:
            return None
        else:
            out.append(ch)
    return "".join(out)


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


class _Sql:
    """Candidate rowid statements, with their parameters named uniquely."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def text(self, sql: str) -> Any:
        """`sql` as a text clause with the parameters it uses."""
        used = set(re.findall(r":(ps_\d+)\b", sql))
        return text(sql).bindparams(**{k: v for k, v in self.params.items() if k in used})

    def param(self, value: Any) -> str:
        name = f"ps_{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def rowids(self, table: str, probes: list[tuple[tuple[str, ...], str]]) -> list[str] | None:
        parts = []
        fts, terms = search_index.fts_table(table), search_index.terms_table(table)
        for columns, needle in probes:
            if len(needle) >= 3:
                # trigrams covering the needle (detail=column keeps no positions: AND, then LIKE)
                starts = sorted({*range(0, len(needle) - 2, 3), len(needle) - 3})
                grams = " AND ".join(_quote(needle[i : i + 3]) for i in starts)
                match = f"{{{' '.join(columns)}}} : ({grams})"
                parts.append(f"SELECT rowid FROM {fts} WHERE {fts} MATCH {self.param(match)}")
            else:
                folded = _fold(needle)
                if folded is None:
                    return None
                cols = ", ".join(self.param(c) for c in columns)
                parts.append(
                    f"SELECT doc FROM {terms} WHERE term >= {self.param(folded)} "
                    f"AND term < {self.param(folded + chr(0x10FFFF))} AND col IN ({cols})"
                )
        return parts


@dataclass(frozen=True)
class Search:
    """A typed search planned for one statement."""

    where: Any | None  # the WHERE clause (None: nothing typed)
    narrowed: bool = False  # the index gave the candidates: sort them, walk no other index
    # A common search: the index's first candidates (a clause to add), where a capped count
    # finds its cap at once (`capped_count`).
    sample: Any | None = None
    # A common digit search: the page is `parts[0]` (the ID numbers ending in the digits) then
    # `parts[1]` (the others), each walked in the list's order (`page_in_parts`).
    parts: tuple[Search, Search] | None = None
    part: bool = False  # one of `parts`: ordered by the list's order alone


def plan(
    session: Session,
    text_: str,
    cols: PersonColumns,
    *,
    split: bool = False,
    counting: bool = False,
) -> Search:
    """The search as a WHERE clause, narrowed by the index when the index says it is rare.

    `split`: a common digit search comes back in two parts to page one after the other, so
    that neither sorts every match (a page of people whose ID ends in the digits, first).
    `counting`: for a capped count (no order): a search common but not dense reads its
    candidates by rowid (the first 1,001 matches among 3,500 candidates) instead of walking
    the list's order past them.

    Kept in the session like the probe's count (`_probe_count`): a keystroke's first page
    plans the same search for its page and again for its count; built once, its clauses are
    the same either way (measured: 0.3-0.6 ms of Python a plan)."""
    key = (text_, id(cols), split, counting)
    # (the columns kept beside the plan: while kept, their id cannot be another object's)
    kept: dict[Any, tuple[PersonColumns, Search]] = session.info.setdefault(
        "person_search_plans", {}
    )
    if key not in kept or kept[key][0] is not cols:
        if len(kept) >= _PROBES_KEPT:
            kept.clear()
        kept[key] = (cols, _plan(session, text_, cols, split=split, counting=counting))
    return kept[key][1]


def _plan(
    session: Session, text_: str, cols: PersonColumns, *, split: bool, counting: bool
) -> Search:
    t = _terms(text_, cols)
    if t is None:
        return Search(None)
    if t.by_key or not index_present(session):
        return Search(_exact(t, cols, False))
    whole = _planned(session, t, cols, counting=counting)
    suffix = id_suffix_match(text_, cols.id_number)
    if not split or whole.narrowed or suffix is None:
        return whole
    assert whole.where is not None  # the text has terms (t above), so the search has a WHERE
    compact = idnumber.normalise(" ".join(text_.split()))
    first = _Terms(own=[suffix], dense=DENSE_DIGITS, common=len(compact) == 1)
    first.probes.append((cols.name.table.name, (cols.id_number.name,), _suffix_needle(compact)))
    head = replace(_planned(session, first, cols), part=True)
    rest = Search(and_(whole.where, not_(suffix)), sample=whole.sample, part=True)
    return replace(whole, parts=(head, rest))


def _exact(t: _Terms, cols: PersonColumns, indexed: bool) -> Any:
    """The search's LIKE clause; `indexed`: for a statement the index planned (its related
    people looked up per record, `_related_clause`)."""
    return or_(*t.own, *(_related_clause(cols, c, p, indexed) for c, p in t.related))


def _planned(session: Session, t: _Terms, cols: PersonColumns, counting: bool = False) -> Search:
    found = None if t.common else _narrow(session, t, cols)
    if found is None:
        return Search(_exact(t, cols, False))
    rows, dense, walked = found
    every, tested = walked if walked is not None else (None, None)
    exact = _exact(t, cols, True)
    if every is not None and counting:  # common but not dense: read them by rowid to the cap
        return Search(and_(every, exact), narrowed=True)
    if tested is not None:  # a page: walk the list's order, skip the entries not candidates
        return Search(and_(tested, exact))
    if dense:  # common: walking the list in its order finds a page at once
        return Search(exact, sample=rows)
    return Search(and_(rows, exact), narrowed=True)


_PROBES_KEPT = 64  # per session: a caseworker's keystrokes in one window's session


def _probe_count(session: Session, sql: _Sql, statement: str) -> int:
    """How many candidates the index holds (up to the statement's LIMIT), kept in the session:
    a keystroke's count and page (and a common digit search's two parts) plan the same search,
    and asked again the index reads the same terms again (1-3 ms each at 100,000 residents).
    The number only chooses the plan; every plan applies the same LIKE to rows read in the
    statement itself, so a number gone stale (a write since, in the same session) can make a
    statement slower, never its rows different."""
    key = (statement, tuple(sorted(sql.params.items())))
    kept: dict[Any, int] = session.info.setdefault("person_search_probes", {})
    if key not in kept:
        if len(kept) >= _PROBES_KEPT:
            kept.clear()
        kept[key] = session.scalar(sql.text(statement)) or 0
    return kept[key]


def _merged(probes: list[tuple[tuple[str, ...], str]]) -> list[tuple[tuple[str, ...], str]]:
    """One probe per needle, over all the columns it is asked of: a range of the sorted terms
    (1-2 characters) reads every column's entries of the range whichever it keeps, and a
    trigram's list names the columns of each row, so asking once for all of them reads the
    index once (`f` on the child register: its pinyin, address and guardians' pinyin in one
    read of the `f…` terms instead of three; a phone's digits in the three phones at once).
    The candidates are the same rows or more (a trigram in one column, another in the next):
    the LIKE decides."""
    merged: dict[str, list[str]] = {}
    for columns, needle in probes:
        kept = merged.setdefault(needle, [])
        kept += [c for c in columns if c not in kept]
    return [(tuple(columns), needle) for needle, columns in merged.items()]


def _narrow(
    session: Session, t: _Terms, cols: PersonColumns
) -> tuple[Any, bool, tuple[Any, Any] | None] | None:
    """The rows that can match (a clause, related people's text included: it is in the
    record's own index row, `search_index.RELATED`), whether they are many (then the first clause holds only the first
    `SAMPLE` of them), and for a search that is many but not `FILTERED` times many, all of them
    as two clauses: to read them by rowid, and to test each entry of the list's order walked
    (`+rowid IN (…)`: not a way in, so the planner walks the order's index); None: the index
    cannot say."""
    sql = _Sql()
    own = cols.name.table.name
    if any(table != own for table, _c, _n in t.probes):
        return None  # related people not in this table's index rows
    mine = sql.rowids(own, _merged([(c, n) for _t, c, n in t.probes]))
    if not mine:
        return None
    union = " UNION ALL ".join(mine)
    many = DENSE if t.dense is None else t.dense
    seen = _probe_count(session, sql, f"SELECT count(*) FROM ({union} LIMIT {many * FILTERED})")
    dense = seen >= many
    walked = None
    if dense:
        rows = sql.text(f"{own}.rowid IN (SELECT * FROM ({union}) LIMIT {SAMPLE})")
        if seen < many * FILTERED:  # the count reads them by rowid; the page, where it helps
            # unary plus: the planner may not use this term to find rows (it would sort every
            # match instead of walking the list's order); SQLite tests it on the index entry
            # before it reads the row (a deferred seek)
            walked = (sql.text(f"{own}.rowid IN ({union})"), sql.text(f"+{own}.rowid IN ({union})"))
    else:
        rows = sql.text(f"{own}.rowid IN ({union})")
    return rows, dense, walked


def capped_count(session: Session, stmt: Select, cap: int | None, found: Search) -> int:
    """The rows of `stmt` counted up to `cap` + 1 (more than `cap` means "cap+"), or all of them
    when `cap` is None. `stmt` is a SELECT of the rows (any columns) with `found` applied.

    A common search is counted first among the index's first candidates: when the cap is
    reached there, the scan is never run (it would read half the table to find 1,001 of a
    search matching 2% of the rows)."""
    if cap is None:
        return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if found.sample is not None:
        sampled = stmt.where(found.sample).order_by(None).limit(cap + 1).subquery()
        n = session.scalar(select(func.count()).select_from(sampled)) or 0
        if n > cap:
            return n
    limited = stmt.order_by(None).limit(cap + 1).subquery()
    return session.scalar(select(func.count()).select_from(limited)) or 0


def counted_page(
    session: Session, ordered: Select, limit: int, cap: int | None
) -> tuple[int, list[Any]]:
    """The first `limit` rows of `ordered` and how many rows it has in all (counted up to
    `cap` + 1 with a cap, as `capped_count`), in one statement: the count is a window over the
    same rows (`count(*) OVER ()`), so the search's rows are found once, not once for the
    count and again for the page. Only for a search the index narrowed (`Search.narrowed`):
    its matches are few (under `DENSE` candidates), and that statement sorts all of them
    anyway; a common search's count stops at the cap instead (`capped_count`).

    Measured at 100,000 residents and 20,000 children (SQL alone, min of 7): 冯 on the child
    register 8.7 ms as two statements, 5.3 as one; `13383` on the roster 13.1 against 8.2."""
    assert limit > 0
    rows = session.execute(ordered.add_columns(func.count().over()).limit(limit)).all()
    total = rows[0][-1] if rows else 0
    if cap is not None:
        total = min(total, cap + 1)
    return total, [row[:-1] for row in rows]


def total_after_page(
    rows: list[Any], limit: int, cap: int | None, count: Callable[[], int]
) -> tuple[int, list[Any]]:
    """The first page `rows` (read with `limit` from offset 0) and how many rows there are: a
    page that came back short holds every match, so its length is the count and `count` (a
    statement that would find the same rows again) is not run; a full page is counted.

    A child director's `f` (194 of their community's 667 children) walked the community once
    for the capped count and again for the page, 7.4 ms each; now once."""
    if limit > 0 and len(rows) < limit:
        return (len(rows) if cap is None else min(len(rows), cap + 1)), rows
    return count(), rows


def page_in_parts(
    session: Session,
    found: Search,
    ordered: Callable[[Search], Select],
    offset: int,
    limit: int,
) -> list[Any]:
    """Rows `offset` .. `offset+limit-1` of `found.parts[0]` then `found.parts[1]`, each read
    by `ordered(part)` (the statement in the list's order): the same rows as one statement
    ordered by "ID ends in the digits" first, without sorting every match."""
    assert found.parts is not None
    head, rest = found.parts
    offset, limit = max(0, offset), max(0, limit)
    rows = list(session.execute(ordered(head).offset(offset).limit(limit)))
    if len(rows) >= limit:
        return rows
    if rows or offset == 0:
        in_head = offset + len(rows)
    else:  # the page starts past the first part: how long was it (at most `offset`)
        counted = ordered(head).order_by(None).limit(offset).subquery()
        in_head = session.scalar(select(func.count()).select_from(counted)) or 0
    more = ordered(rest).offset(max(0, offset - in_head)).limit(limit - len(rows))
    return rows + list(session.execute(more))


def id_suffix_match(text: str, id_number: Any) -> ColumnElement[bool] | None:
    """For a digit search: "the ID number ends in these digits" (to list those first)."""
    compact = idnumber.normalise(" ".join(text.split()))
    if not is_number_search(compact) or len(compact) >= 15:
        return None
    return _like(id_number, f"%{like_escape(compact)}")


def sorts_matches(text: str, sort: str) -> bool:
    """Whether to sort the matches instead of walking the sort column's index in order.

    A selective search would otherwise look each index entry up (measured: 180 ms against 35 ms
    at 100,000 residents); a name search sorted by name walks the covering pinyin index."""
    return bool(text.strip()) and not (sort == "name" and not is_number_search(text))


def in_list_order(
    stmt: Select,
    found: Search,
    text: str,
    sort: str,
    descending: bool,
    key: Any,
    cols: tuple[Any, Any, Any],
) -> Select:
    """`stmt` in a register's order (the elderly roster's, the child register's): by `key`, the
    sort column (the matches themselves sorted when `sorts_matches` says so, rather than its
    index walked); age ascending is birth date descending; the same pinyin (王小红, 王晓红) by
    the characters, then by id, so pages are stable; records whose ID number ends in the digits
    typed first, then phone matches. `cols`: the record's id, name and ID number columns."""
    id_, name, id_number = cols
    if found.narrowed or (not found.part and sorts_matches(text, sort)):
        key = key.op("||")("")
    descending = descending != (sort == "age")
    order = key.desc() if descending else key.asc()
    ties = [id_.desc() if descending else id_.asc()]
    if sort == "name":
        ties.insert(0, name.desc() if descending else name.asc())
    suffix = None if found.part else id_suffix_match(text, id_number)
    if suffix is not None:
        stmt = stmt.order_by(case((suffix, 0), else_=1))
    return stmt.order_by(order, *ties)
