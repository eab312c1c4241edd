"""Merge changes from a bundle into a replica: per field, the later hybrid clock wins.

The journal is the set of every change this replica has seen (its own and received ones, winners
and losers alike); a field's value is the value of the change with the greatest key
(hlc, device id, change id) among those that set it (an insert sets every field). Every replica
that has seen the same set of changes therefore holds the same values, in whatever order the
bundles arrived. When a merge replaces a value the writer of the winning change had not seen, or
refuses a value, the value that lost goes to `sync_conflict`. Changes to a merge-locked record
(a completed visit) are refused into the conflicts list and not journaled; so are changes whose
clock is more than a day ahead of this replica's clock.

`plan()` only reads; `write()` applies a plan inside the caller's transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from caseworker.domain.hlc import ZERO, Hlc
from caseworker.domain.text import strip_controls
from caseworker.sync import derived, tables
from caseworker.sync.errors import SyncRefused
from db.among import among
from db.base import table_of, utcnow
from db.journal import CHANGE_COLUMNS, HLC_KEY
from db.journal_packing import hlc_to_disk, id_to_disk, time_text_to_disk
from db.models import JournalEntry, LocalMeta
from db.no_gc import no_cyclic_gc
from db.stats import PlannerStats
from db.sync_models import SyncConflict, SyncDuplicate

DAY_MS = 86_400_000
INVALID = "invalid"  # a value this program cannot hold (not JSON, wrong type, too long)
SHOWN_RAW = 500  # characters of a refused value's text kept for the reviewer
CHUNK = 5000
COLUMNS = CHANGE_COLUMNS
_OPS = frozenset({"insert", "update", "delete"})
_HLC = re.compile(r"\d{15}-\d{6}")


class Change(NamedTuple):
    change_id: str
    tx_id: str
    hlc: str
    device_id: str
    actor_id: str | None
    actor_name: str
    table_name: str
    record_id: str
    op: str
    field: str | None
    old_value: str | None
    new_value: str | None
    recorded_at: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.hlc, self.device_id, self.change_id)


class _Win(NamedTuple):
    key: tuple[str, str, str]
    actor: str
    has_old: bool
    old: Any
    value: Any
    tx: str


Refuse = Callable[[list[Change], dict[str, Any]], dict[str, str]]


@dataclass
class MergePlan:
    """What importing would do; `write()` carries it out."""

    received: int = 0
    skipped: int = 0  # already applied before (or twice in the bundle)
    added: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    conflicted: Counter[str] = field(default_factory=Counter)
    refused: int = 0  # merge-locked or future-clock changes, kept in conflicts only
    refused_reasons: Counter[str] = field(default_factory=Counter)  # "table:reason" → changes
    released: list[str] = field(default_factory=list)  # held-back changes now in the past
    journal: list[Change] = field(default_factory=list)
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    updates: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # table, held, holder
    max_hlc: str = ""

    @property
    def new_changes(self) -> int:
        return len(self.journal) + self.refused

    @property
    def nothing_new(self) -> bool:
        return self.new_changes == 0


@dataclass
class MergeSummary:
    """What a whole bundle did, added up over its frames (each merged and written in turn)."""

    received: int = 0
    skipped: int = 0
    applied: int = 0  # changes journaled (new to this replica and not refused)
    conflicts: int = 0  # rows added to the conflicts list
    refused: int = 0
    added: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    conflicted: Counter[str] = field(default_factory=Counter)
    refused_reasons: Counter[str] = field(default_factory=Counter)

    def add(self, p: MergePlan) -> None:
        self.received += p.received
        self.skipped += p.skipped
        self.applied += len(p.journal)
        self.conflicts += len(p.conflicts)
        self.refused += p.refused
        self.added.update(p.added)
        self.updated.update(p.updated)
        self.conflicted.update({k: v for k, v in p.conflicted.items() if v})
        self.refused_reasons.update(p.refused_reasons)

    @property
    def nothing_new(self) -> bool:
        return self.applied == 0 and self.refused == 0


def apply_stream(
    conn: Connection,
    chunks: Iterable[Sequence[Sequence[Any]]],
    *,
    now_ms: int,
    bundle_id: str,
    refuse: Refuse | None = None,
    after: Callable[[MergePlan], None] | None = None,
    stats: PlannerStats | None = None,
) -> MergeSummary:
    """Merge and write a bundle a frame at a time inside the caller's transaction.

    Merging is order-independent (the journal decides every field), so a bundle merged frame by
    frame ends exactly where merging it whole would, with memory bounded by one frame. `after`
    runs on each frame's plan once it is written (derived columns, scope repairs).

    The tables grow inside this one transaction: on PostgreSQL their planner statistics are
    refreshed as they do (`db.stats`), so the next frame's lookups are planned for the rows
    really there (issue 26); the caller may pass its own `stats` to `settle` them at its end."""
    summary = MergeSummary()
    stats = stats or PlannerStats(conn)
    for rows in chunks:
        p = plan(conn, rows, now_ms=now_ms, bundle_id=bundle_id, refuse=refuse)
        write(conn, p, now_ms=now_ms, source=bundle_id)
        for tname, inserted in p.inserts.items():
            stats.wrote(tname, len(inserted))
        stats.wrote(JournalEntry.__tablename__, len(p.journal))
        stats.wrote(SyncConflict.__tablename__, len(p.conflicts))
        if after is not None:
            after(p)
        summary.add(p)
    return summary


def parse_changes(rows: Sequence[Sequence[Any]]) -> list[Change]:
    """Validate the shape of received changes against this program's schema: every column of
    the type and size this program writes (a value's JSON text is a string, or absent), known
    tables and fields. A row of the wrong shape refuses the bundle: no honest program writes it.
    The values themselves are read one by one in `plan` (a value that does not fit is refused
    alone, into the conflicts list)."""
    out: list[Change] = []
    reg = tables.registry()
    make = Change._make
    hlc_ok = _HLC.fullmatch
    iso = datetime.fromisoformat
    try:
        for r in rows:
            c = make(r)
            cid, tx, hlc, dev, aid, aname, tname, rid, _op, fld, old, new, at = c
            # inline: this runs on every change of every bundle
            if not (
                type(cid) is str
                and type(tx) is str
                and type(dev) is str
                and type(rid) is str
                and type(aname) is str
                and type(tname) is str
                and type(at) is str
                and 0 < len(cid) <= 36
                and 0 < len(tx) <= 36
                and 0 < len(dev) <= 36
                and 0 < len(rid) <= 36
                and len(aname) <= 60
                and len(at) <= 32
                and (aid is None or (type(aid) is str and len(aid) <= 36))
                and (fld is None or (type(fld) is str and len(fld) <= 60))
                and (old is None or type(old) is str)
                and (new is None or type(new) is str)
                and hlc_ok(hlc)
            ):
                raise ValueError(cid)
            iso(at)  # a journal time this program wrote; ValueError otherwise
            t = reg.get(c.table_name)
            if t is None:
                raise SyncRefused(
                    f"数据包含有本程序不认识的数据表“{c.table_name[:60]}”，请先升级工作台。"
                    "未做任何改动。"
                )
            if c.op not in _OPS or (c.op != "insert" and c.field not in t.fields):
                raise SyncRefused(
                    f"数据包含有本程序不认识的字段“{c.table_name}.{str(c.field)[:60]}”，"
                    "请先升级工作台。未做任何改动。"
                )
            out.append(c)
    except (TypeError, ValueError):
        raise SyncRefused("数据包中的变更记录格式不对，未做任何改动。") from None
    return out


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _seen(conn: Connection, changes: Iterable[Change]) -> tuple[set[str], set[str]]:
    """Change ids already applied (journal) or refused for good (conflicts list), and those held
    back because their clock was in the future.

    A device's clock only grows, so a change newer than the newest we hold from its device cannot
    be in the journal: only the others are looked up."""
    j, c = table_of(JournalEntry), table_of(SyncConflict)
    changes = list(changes)
    # One max() per device: read from the end of the (device, hlc) index on either database.
    # PostgreSQL ran the GROUP BY form by reading every row of the devices: a first bundle's
    # ingest did that once per frame over a journal growing with each (issue 26).
    newest = {
        d: conn.execute(select(func.max(j.c.hlc)).where(j.c.device_id == d)).scalar() or ""
        for d in sorted({ch.device_id for ch in changes})
    }
    maybe = [ch.change_id for ch in changes if ch.hlc <= newest.get(ch.device_id, "")]
    found: set[str] = set()
    for part in _chunks(maybe):
        found.update(
            conn.execute(select(j.c.change_id).where(among(conn, j.c.change_id, part))).scalars()
        )
    quarantined: set[str] = set()
    for part in _chunks([ch.change_id for ch in changes]):
        for cid, reason, status in conn.execute(
            select(c.c.change_id, c.c.reason, c.c.status).where(among(conn, c.c.change_id, part))
        ):
            if reason == "future" and status == "open":
                quarantined.add(cid)  # looked at again: its clock may no longer be in the future
            else:
                found.add(cid)
    return found, quarantined


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _readable(*texts: str | None) -> bool:
    try:
        for text in texts:
            if text is not None:
                _DECODER.decode(text)
    except ValueError:
        return False
    return True


def _shown_raw(text: str | None) -> str | None:
    """What the reviewer sees of a value refused as unreadable: its text, cut short, with any
    control characters taken out."""
    return None if text is None else strip_controls(text[:SHOWN_RAW])


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class _Event(NamedTuple):
    """One change of a lockable record, for the replay (see `_Ctx.replay`)."""

    key: tuple[str, str, str]
    tx: str
    insert: bool
    assignments: list[tuple[str, Any, bool, Any]]  # field, value, has_old, old
    actor: str
    incoming: Change | None  # None for a change already in the journal


class _Record:
    __slots__ = ("base", "changed", "exists", "fresh", "history", "values", "wins")

    def __init__(self) -> None:
        self.exists = False
        self.fresh = False  # inserted by this plan
        self.values: dict[str, Any] = {}
        self.base: _Win | None = None
        self.wins: dict[str, _Win] = {}
        self.changed: set[str] = set()
        self.history: list[_Event] = []  # lockable tables only: every journaled change

    def winner(self, name: str) -> _Win | None:
        w = self.wins.get(name)
        if self.base is None:
            return w
        if w is None or self.base.key > w.key:
            return self.base
        return w


def _load_state(conn: Connection, t: tables.TableInfo, ids: list[str]) -> dict[str, _Record]:
    state: dict[str, _Record] = {rid: _Record() for rid in ids}
    cols = [t.table.c.id, *(t.table.c[f] for f in sorted(t.fields))]
    j = table_of(JournalEntry)
    for part in _chunks(ids):
        for row in conn.execute(select(*cols).where(among(conn, t.table.c.id, part))):
            rec = state[row[0]]
            rec.exists = True
            rec.values = {k: _plain(v) for k, v in row._mapping.items() if k != "id"}
        q = select(
            j.c.record_id,
            j.c.op,
            j.c.field,
            j.c.hlc,
            j.c.device_id,
            j.c.change_id,
            j.c.actor_name,
            j.c.old_value,
            j.c.new_value,
            j.c.tx_id,
        ).where(j.c.table_name == t.name, among(conn, j.c.record_id, part))
        for rid, op, fname, hlc, dev, cid, actor, old, new, tx in conn.execute(q):
            if (op != "insert" or t.lockable) and not _readable(old, new):
                # a text a hub stored before each value was read on its own (`_loads_each`):
                # it decides nothing, as if it had been kept out then
                continue
            rec = state[rid]
            key = (hlc, dev, cid)
            if t.lockable:
                if op == "insert":
                    inserted = _loads(new)
                    items = list(inserted.items()) if isinstance(inserted, dict) else []
                    rec.history.append(
                        _Event(key, tx, True, [(k, v, False, None) for k, v in items], actor, None)
                    )
                elif op == "update":
                    rec.history.append(
                        _Event(
                            key, tx, False, [(fname, _loads(new), True, _loads(old))], actor, None
                        )
                    )
            if op == "insert":
                if rec.base is None or key > rec.base.key:
                    rec.base = _Win(key, actor, False, None, None, tx)
            else:
                w = rec.wins.get(fname)
                if w is None or key > w.key:
                    rec.wins[fname] = _Win(key, actor, True, _loads(old), _loads(new), tx)
    return state


def plan(
    conn: Connection,
    rows: Sequence[Sequence[Any]],
    *,
    now_ms: int,
    bundle_id: str,
    refuse: Refuse | None = None,
) -> MergePlan:
    """Decide, without writing, what merging `rows` (changes in COLUMNS order) would do.

    `refuse(new_changes, new_values)` may name changes (change id → reason) to keep out, into
    the conflicts list: the district uses it for what an office may not write
    (`caseworker.district.scope.refusals`). `new_values` maps change id → decoded new value."""
    with no_cyclic_gc():
        return _plan(conn, rows, now_ms=now_ms, bundle_id=bundle_id, refuse=refuse)


def _plan(
    conn: Connection,
    rows: Sequence[Sequence[Any]],
    *,
    now_ms: int,
    bundle_id: str,
    refuse: Refuse | None,
) -> MergePlan:
    result = MergePlan(received=len(rows))
    changes = parse_changes(rows)
    unique: dict[str, Change] = {}
    for c in changes:
        unique.setdefault(c.change_id, c)
    seen, quarantined = _seen(conn, unique.values())
    fresh = [c for c in unique.values() if c.change_id not in seen]
    result.skipped = len(rows) - len(fresh)
    if not fresh:
        return result
    future = Hlc(now_ms + DAY_MS, 0).encode()
    by_table: dict[str, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
    for c in fresh:
        by_table[c.table_name][c.record_id].append(c)
    reg = tables.registry()
    now = utcnow()
    new_values, unreadable = _loads_each(fresh, 11)
    old_values, unreadable_old = _loads_each(fresh, 10)
    ctx = _Ctx(
        result,
        bundle_id,
        now,
        future,
        new_values,
        old_values,
        quarantined,
        refuse(fresh, new_values) if refuse is not None else {},
        unreadable | unreadable_old,
    )
    for tname in sorted(by_table, key=lambda n: reg[n].order):
        t = reg[tname]
        records = by_table[tname]
        state = _load_state(conn, t, list(records))
        for rid, incoming in records.items():
            incoming.sort(key=lambda c: c.key)
            rec = state[rid]
            first_conflict = len(result.conflicts)
            if t.lockable:
                events = [e for c in incoming if (e := ctx.gate(t, rec, c)) is not None]
                ctx.replay(t, rid, rec, events)
            else:
                for c in incoming:
                    ctx.merge(t, rec, c)
            ctx.finish(t, rid, rec)
            ctx.drop_moot(t, rec, first_conflict)
    return result


def _loads_each(changes: list[Change], index: int) -> tuple[dict[str, Any], set[str]]:
    """Decode one JSON column of every change, each text on its own (texts joined before
    parsing could hide values that are not JSON alone: `"a","b"` then `"c` then `d"`); a missing
    value stays absent. Returns the values and the ids of changes whose text is not JSON."""
    values: dict[str, Any] = {}
    unreadable: set[str] = set()
    decode = _DECODER.decode
    for c in changes:
        text = c[index]
        if text is None:
            continue
        try:
            values[c.change_id] = decode(text)
        except (ValueError, RecursionError):
            unreadable.add(c.change_id)
    return values, unreadable


_DECODER = json.JSONDecoder()


@dataclass
class _Ctx:
    result: MergePlan
    bundle_id: str
    now: datetime
    future: str
    new: dict[str, Any]
    old: dict[str, Any]
    quarantined: set[str]
    refusals: dict[str, str]
    unreadable: set[str]  # changes whose value text is not JSON
    refused_ids: set[str] = field(default_factory=set)

    def journal(self, c: Change) -> None:
        self.result.journal.append(c)
        if c.hlc > self.result.max_hlc:
            self.result.max_hlc = c.hlc

    def conflict(
        self,
        t: tables.TableInfo,
        c: Change,
        name: str,
        reason: str,
        kept: Any,
        lost: Any,
        lost_by: tuple[str, str, str],
        kept_by: tuple[str, str, str],
        refused: bool,
    ) -> None:
        self.row(t, c.record_id, name, reason, kept, lost, lost_by, kept_by)
        if refused and self._first_refusal(c):
            self.result.conflicts[-1]["change_id"] = c.change_id

    def row(
        self,
        t: tables.TableInfo,
        record_id: str,
        name: str,
        reason: str,
        kept: Any,
        lost: Any,
        lost_by: tuple[str, str, str],
        kept_by: tuple[str, str, str],
    ) -> None:
        """One entry of the conflicts list (no change id: see `conflict`)."""
        self.result.conflicts.append(
            {
                "table_name": t.name,
                "record_id": record_id,
                "field": name,
                "reason": reason,
                "kept_value": None if kept is None else json.dumps(kept, ensure_ascii=False),
                "lost_value": None if lost is None else json.dumps(lost, ensure_ascii=False),
                "lost_hlc": lost_by[0],
                "lost_device": lost_by[1],
                "lost_actor": lost_by[2],
                "kept_hlc": kept_by[0],
                "kept_device": kept_by[1],
                "kept_actor": kept_by[2],
                "change_id": None,
                "bundle_id": self.bundle_id,
                "detected_at": self.now,
                "status": "open",
            }
        )
        self.result.conflicted[t.name] += 1

    def _first_refusal(self, c: Change) -> bool:
        """A refused change is remembered (by id) once, on the first of its conflict rows."""
        if c.change_id in self.refused_ids:
            return False
        self.refused_ids.add(c.change_id)
        return True

    def gate(self, t: tables.TableInfo, rec: _Record, c: Change) -> _Event | None:
        """The checks every change passes before it is merged: a value this replica cannot
        hold, kept out by the caller (scope), held back (a clock from the future) or released.
        None when the change stops here."""
        assignments = self._assignments(t, rec, c)
        if assignments is None or not self._admitted(t, rec, c, assignments):
            return None
        return _Event(c.key, c.tx_id, c.op == "insert", assignments, c.actor_name, c)

    def _assignments(
        self, t: tables.TableInfo, rec: _Record, c: Change
    ) -> list[tuple[str, Any, bool, Any]] | None:
        """The (field, value, has_old, old) a change sets, each value checked against its
        column; None when the change is refused whole: into the conflicts list (reason
        `invalid`), never refusing the rest of the bundle, whatever its sender sent."""
        out: list[tuple[str, Any, bool, Any]] | None = None
        if c.change_id not in self.unreadable:
            if c.op == "insert":
                values = self.new.get(c.change_id)
                # the values checked as they were decoded (a generator over the assignments
                # cost as much as the check itself: 9 million values in a first bundle)
                if (
                    isinstance(values, dict)
                    and set(values) <= t.fields
                    and t.bad_value(values.items()) is None
                ):
                    out = [(k, v, False, None) for k, v in values.items()]
            else:
                # an update's old_value is JSON null exactly when the old value was NULL
                name, value = str(c.field), self.new.get(c.change_id)
                if t.bad_value(((name, value),)) is None:
                    out = [(name, value, True, self.old.get(c.change_id))]
        if out is None:
            self.refuse_whole(t, rec, c, INVALID, _shown_raw(c.new_value))
        return out

    def refuse_whole(
        self, t: tables.TableInfo, rec: _Record, c: Change, reason: str, lost: Any
    ) -> None:
        """A change kept out whole is one entry of the conflicts list, whatever the number of
        fields it sets (an insert: field "", the whole record as the lost value), remembered by
        its change id so that it is skipped when it comes again."""
        me = (c.hlc, c.device_id, c.actor_name)
        name = "" if c.op == "insert" else str(c.field)
        kept = None if c.op == "insert" else rec.values.get(name)
        self.conflict(t, c, name, reason, kept, lost, me, ("", "", ""), refused=True)
        self.result.refused += 1
        self.result.refused_reasons[f"{t.name}:{reason}"] += 1

    def _admitted(
        self, t: tables.TableInfo, rec: _Record, c: Change, assignments: list[Any]
    ) -> bool:
        reason = self.refusals.get(c.change_id)
        if reason is None and c.hlc > self.future:
            if c.change_id in self.quarantined:  # still in the future: keep holding it back
                self.result.skipped += 1
                return False
            reason = "future"
        if reason is not None:
            if c.op == "insert":
                lost: Any = {n: v for n, v, _h, _o in assignments}
            else:
                lost = assignments[0][1]
            self.refuse_whole(t, rec, c, reason, lost)
            return False
        if c.change_id in self.quarantined:
            self.result.released.append(c.change_id)
        return True

    def replay(self, t: tables.TableInfo, rid: str, rec: _Record, incoming: list[_Event]) -> None:  # noqa: C901
        """A lockable record's value, replayed from every change it has (journal and incoming) in
        clock order. A change is refused when the record was locked before the change's own
        transaction began — judged in clock order, not arrival order, so a correction the
        district made to a draft that its office had already completed (earlier clock) is undone
        where it was applied first, and every replica ends with the signed values. Completing a
        draft sets the status and the answers in one transaction: all of it lands."""
        events = sorted([*rec.history, *incoming], key=lambda e: e.key)
        # a record held without its insert in the journal starts from its stored values
        exists = rec.exists and not any(e.insert for e in rec.history)
        values: dict[str, Any] = dict(rec.values) if exists else {}
        setter: dict[str, _Event] = {}
        locked_at_start: dict[str, bool] = {}
        refused: list[tuple[_Event, list[tuple[str, Any, bool, Any]]]] = []
        for e in events:
            if e.tx not in locked_at_start:
                locked_at_start[e.tx] = exists and t.is_locked(values)
            if e.insert:
                if not exists:
                    exists = True
                    values = {**t.field_defaults, **{n: v for n, v, _h, _o in e.assignments}}
                    for n, _v, _h, _o in e.assignments:
                        setter[n] = e
                continue
            if not exists:
                continue  # an update whose insert has not arrived: it waits in the journal
            if locked_at_start[e.tx]:
                differing = [
                    a
                    for a in e.assignments
                    if a[1] != values.get(a[0]) and not (a[0] in t.unlocked and a[1] is None)
                ]
                if differing:
                    refused.append((e, differing))
                    continue
            for name, value, has_old, old in e.assignments:
                if name in t.redacted and value == tables.REDACTED:
                    continue
                prev = setter.get(name)
                current = values.get(name)
                if (
                    prev is not None
                    and current != value
                    and not (has_old and old == current)
                    and (e.incoming is not None or prev.incoming is not None)
                ):
                    # the value replaced had not been seen by the writer of the one that wins
                    self.row(
                        t,
                        rid,
                        name,
                        "clock",
                        value,
                        current,
                        (prev.key[0], prev.key[1], prev.actor),
                        (e.key[0], e.key[1], e.actor),
                    )
                    self.result.conflicted[t.name] += 1
                values[name] = value
                setter[name] = e
        refused_ids = {id(e) for e, _ in refused}
        for e in incoming:
            c = e.incoming
            assert c is not None
            if id(e) in refused_ids:
                continue
            self.journal(c)
        for e, differing in refused:
            me = (e.key[0], e.key[1], e.actor)
            if e.incoming is not None:
                for name, value, _h, _o in differing:
                    self.conflict(
                        t,
                        e.incoming,
                        name,
                        "locked",
                        values.get(name),
                        value,
                        me,
                        ("", "", ""),
                        refused=True,
                    )
                self.result.refused += 1
                self.result.refused_reasons[f"{t.name}:locked"] += 1
            else:
                # applied here before the change that locks the record (an earlier clock)
                # arrived: undone now; the undone value goes to the list, once
                for name, value, _h, _o in differing:
                    if rec.values.get(name) == value and values.get(name) != value:
                        self.row(t, rid, name, "locked", values.get(name), value, me, ("", "", ""))
                        self.result.conflicted[t.name] += 1
        if not exists:
            # updates that arrived before their insert: journaled, applied when it comes
            return
        if not rec.exists:
            rec.exists = rec.fresh = True
            rec.values = values
            self.result.added[t.name] += 1
            return
        for name, value in values.items():
            if rec.values.get(name) != value:
                rec.changed.add(name)
        rec.values = {**rec.values, **values}

    def merge(self, t: tables.TableInfo, rec: _Record, c: Change) -> None:
        """Merge one change of a record that cannot be locked: the latest clock wins per field."""
        me = (c.hlc, c.device_id, c.actor_name)
        assignments = self._assignments(t, rec, c)
        if assignments is None or not self._admitted(t, rec, c, assignments):
            return
        values = dict((n, v) for n, v, _h, _o in assignments) if c.op == "insert" else {}
        if not rec.exists:
            if c.op == "insert":
                rec.exists = rec.fresh = True
                rec.values = {**t.field_defaults, **values}
                for name, early in rec.wins.items():  # updates that arrived before their insert
                    if early.key > c.key:
                        rec.values[name] = early.value
                rec.base = _Win(c.key, c.actor_name, False, None, None, c.tx_id)
                self.result.added[t.name] += 1
            else:  # an update whose insert has not arrived yet: remember it, apply later
                w = rec.wins.get(str(c.field))
                if w is None or c.key > w.key:
                    rec.wins[str(c.field)] = _Win(
                        c.key,
                        c.actor_name,
                        assignments[0][2],
                        assignments[0][3],
                        assignments[0][1],
                        c.tx_id,
                    )
            self.journal(c)
            return
        for name, value, has_old, old in assignments:
            w = rec.winner(name)
            cur = rec.values.get(name)
            if w is None or c.key > w.key:
                if name in t.redacted and value == tables.REDACTED:
                    pass  # a redacted value never replaces the real one
                elif cur != value:
                    if w is not None and not (has_old and old == cur):
                        self.conflict(
                            t,
                            c,
                            name,
                            "clock",
                            value,
                            cur,
                            (w.key[0], w.key[1], w.actor),
                            me,
                            refused=False,
                        )
                    rec.values[name] = value
                    rec.changed.add(name)
                rec.wins[name] = _Win(c.key, c.actor_name, has_old, old, value, c.tx_id)
            elif value != cur and not (w.has_old and w.old == value):
                self.conflict(
                    t,
                    c,
                    name,
                    "clock",
                    cur,
                    value,
                    me,
                    (w.key[0], w.key[1], w.actor),
                    refused=False,
                )
        self.journal(c)

    def drop_moot(self, t: tables.TableInfo, rec: _Record, first: int) -> None:
        """A value that lost on the way but is current once the whole bundle is merged was not
        lost after all (a reversal, or the same value written twice): drop its entry."""
        found = self.result.conflicts
        if len(found) == first:
            return
        keep = [
            c
            for c in found[first:]
            if c["reason"] != "clock"
            or c["lost_value"] is None
            or json.loads(c["lost_value"]) != rec.values.get(c["field"])
        ]
        if len(keep) != len(found) - first:
            self.result.conflicted[t.name] -= len(found) - first - len(keep)
            del found[first:]
            found.extend(keep)

    def finish(self, t: tables.TableInfo, rid: str, rec: _Record) -> None:
        if rec.fresh:
            row = dict(t.defaults)  # local-only columns start at their defaults
            row.update(rec.values)
            row["id"] = rid
            row["created_at"] = row["updated_at"] = self.now
            self.result.inserts.setdefault(t.name, []).append(row)
        elif rec.changed:
            names = tuple(sorted(rec.changed))
            row = {n: rec.values[n] for n in names}
            row["_id"] = rid
            row["_updated_at"] = self.now
            self.result.updates.setdefault((t.name, names), []).append(row)
            self.result.updated[t.name] += 1


@contextmanager
def integrity_guard() -> Iterator[None]:
    """A constraint the merged rows break (a duplicate name, a missing parent) refuses the whole
    bundle with a message; wrap the transaction too, since SQLite checks deferred keys at COMMIT."""
    try:
        yield
    except (sqlite3.IntegrityError, IntegrityError) as exc:
        raise SyncRefused(
            f"数据包中的记录与本机已有的记录相抵触（{str(exc).splitlines()[0]}），"
            "整个数据包未导入，未做任何改动。请把这个数据包交给区里处理。"
        ) from None


def write(conn: Connection, result: MergePlan, *, now_ms: int, source: str) -> None:
    """Carry out a plan in the caller's open transaction (`source`: the bundle id)."""
    with integrity_guard(), no_cyclic_gc():
        hold_duplicates(conn, result)
        result.updates = derived.prefill(result.inserts, result.updates)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            _write_sqlite(conn, result, source)
        else:
            _write_core(conn, result, source)
    if result.conflicts:
        conn.execute(insert(table_of(SyncConflict)), result.conflicts)
    if result.duplicates:
        now = utcnow()
        conn.execute(
            insert(table_of(SyncDuplicate)),
            [
                {
                    "table_name": tname,
                    "record_id": held,
                    "other_id": holder,
                    "other_office": "",
                    "detected_at": now,
                    "status": "open",
                }
                for tname, held, holder in result.duplicates
            ],
        )
    sc = table_of(SyncConflict)
    for part in _chunks(result.released):
        conn.execute(
            update(sc)
            .where(among(conn, sc.c.change_id, part))
            .values(status="released", resolved_by="同步（时钟已正常）", resolved_at=utcnow())
        )
    if result.max_hlc:
        receive_clock(conn, result.max_hlc, now_ms)


def hold_duplicates(conn: Connection, result: MergePlan) -> None:
    """New records whose district-wide key (the ID number) another record already holds — one
    person on two offices' rosters — are written as held duplicates (`duplicate_of` set, outside
    the key's unique index) instead of refusing the whole bundle; each becomes a case for the
    district to settle (caseworker/district/duplicates.py)."""
    reg = tables.registry()
    for tname, rows in result.inserts.items():
        t = reg[tname]
        key = t.district_key
        if key is None:
            continue
        col = t.table.c[key]
        holder: dict[Any, str] = {}
        wanted = sorted({r[key] for r in rows if r.get(key) is not None})
        for part in _chunks(wanted):
            for rid, value in conn.execute(
                select(t.table.c.id, col).where(
                    among(conn, col, part), t.table.c.duplicate_of.is_(None)
                )
            ):
                holder[value] = rid
        for r in rows:
            value = r.get(key)
            other = holder.get(value) if value is not None else None
            r["duplicate_of"] = other
            if other is not None:
                result.duplicates.append((tname, r["id"], other))
            elif value is not None:
                holder[value] = r["id"]  # the first of the bundle keeps it; a second is held


def _write_core(conn: Connection, result: MergePlan, source: str) -> None:
    """Any other database (PostgreSQL): new rows by COPY, updates by SQLAlchemy Core
    executemany."""
    reg = tables.registry()
    for tname in sorted(result.inserts, key=lambda n: reg[n].order):
        t = reg[tname]
        _copy_rows(conn, t.table, [t.decode(r) for r in result.inserts[tname]])
    for (tname, names), rows in result.updates.items():
        t = reg[tname]
        stmt = (
            update(t.table)
            .where(t.table.c.id == bindparam("_id"))
            .values({n: bindparam(n) for n in names} | {"updated_at": bindparam("_updated_at")})
        )
        conn.execute(stmt, [t.decode(r) for r in rows])
    if result.journal:
        rows = []
        for c in result.journal:
            row = c._asdict()
            row["recorded_at"] = datetime.fromisoformat(c.recorded_at)
            row["source"] = source
            rows.append(row)
        _copy_rows(conn, table_of(JournalEntry), rows)


def _copy_rows(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) with PostgreSQL's COPY, values converted by each
    column's SQLAlchemy type as an INSERT would (a packed journal value, for one).

    A first bundle brings hundreds of thousands of rows: a pipelined executemany spent more
    time in the driver, one statement per row, than the server spent storing them (issue 26).
    COPY checks the same constraints and fires the same triggers as INSERT; a row that breaks
    one fails the statement, and the ingest's transaction with it (`integrity_guard`)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    names = list(rows[0])
    procs = [table.c[n].type._cached_bind_processor(conn.dialect) for n in names]
    quoted = ", ".join('"' + n + '"' for n in names)
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for r in rows:
                copy.write_row(
                    [
                        r[n] if p is None or r[n] is None else p(r[n])
                        for n, p in zip(names, procs, strict=True)
                    ]
                )
    finally:
        cur.close()


def _write_sqlite(conn: Connection, result: MergePlan, source: str) -> None:
    """SQLite: the same rows straight through the driver's executemany (the import's hot path),
    values encoded the way SQLAlchemy stores them."""
    reg = tables.registry()
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for tname in sorted(result.inserts, key=lambda n: reg[n].order):
        t = reg[tname]
        rows = result.inserts[tname]
        cols = list(rows[0])
        enc = [t.sqlite_encoders.get(c) for c in cols]
        names = ", ".join('"' + c + '"' for c in cols)
        sql = f'INSERT INTO "{tname}" ({names}) VALUES ({", ".join("?" * len(cols))})'
        cur.executemany(sql, _encoded(rows, cols, enc))
    for (tname, fields), rows in result.updates.items():
        t = reg[tname]
        cols = [*fields, "_updated_at", "_id"]
        enc = [t.sqlite_encoders.get(c) for c in fields] + [tables.sqlite_datetime, None]
        sets = ", ".join(f'"{n}" = ?' for n in fields)
        cur.executemany(
            f'UPDATE "{tname}" SET {sets}, "updated_at" = ? WHERE id = ?',
            _encoded(rows, cols, enc),
        )
    if result.journal:
        # as the journal's column types store them (db/journal_packing.py): ids as 16 bytes, the
        # clock and time as integers; the other columns as they came
        cur.executemany(
            f"INSERT INTO journal ({', '.join(COLUMNS)}, source) "
            f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})",
            [
                (
                    id_to_disk(c.change_id),
                    id_to_disk(c.tx_id),
                    hlc_to_disk(c.hlc),
                    id_to_disk(c.device_id),
                    None if c.actor_id is None else id_to_disk(c.actor_id),
                    *c[5:12],
                    time_text_to_disk(c.recorded_at),
                    source,
                )
                for c in result.journal
            ],
        )
    cur.close()


def _encoded(
    rows: list[dict[str, Any]], cols: list[str], enc: list[Callable[[Any], Any] | None]
) -> Iterator[tuple[Any, ...]]:
    """Each row's values in `cols` order, those with an encoder encoded (for SQLite): taken
    by one itemgetter, then only the encoded columns touched (a generator per row over every
    column was a tenth of the write)."""
    get = itemgetter(*cols)
    encoded = [(i, e) for i, e in enumerate(enc) if e is not None]
    for r in rows:
        values = get(r)
        if len(cols) == 1:
            values = (values,)
        if encoded:
            listed = list(values)
            for i, e in encoded:
                listed[i] = e(listed[i])
            values = tuple(listed)
        yield values


def receive_clock(conn: Connection, remote: str, now_ms: int) -> None:
    """Advance the local hybrid clock past a clock seen in received changes."""
    lm = table_of(LocalMeta)
    stored = conn.execute(select(lm.c.value).where(lm.c.key == HLC_KEY)).scalar()
    current = Hlc.decode(stored) if stored else ZERO
    nxt = current.receive(Hlc.decode(remote), now_ms).encode()
    if stored is None:
        conn.execute(insert(lm).values(key=HLC_KEY, value=nxt))
    else:
        conn.execute(update(lm).where(lm.c.key == HLC_KEY).values(value=nxt))
