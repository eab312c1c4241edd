"""A district setting's or catalogue item's value with the day it takes effect (issue 24).

The bureau decides today that "from 2027-01-01 the 高风险 interval is 7 days" or "from next month
item R02 costs 700 yuan": each change is a `dated_value` entry (value, effective from, who,
when), journaled at the hub and sent to every office in its bundles like any district-wide
record. What applies on a day is the newest entry in force on it (`in_force`); an entry dated
later is pending (`pending`) and may be cancelled before its day (`cancel`). A change dated
today is also written where the value always lived (the `setting` row, the catalogue item's
row), so a replica or a reader that knows nothing of dates still reads what is in force.

Nothing here checks who may write: the settings and catalogue services do (the hub decides).
`today()` is the one clock every "as of today" read here uses; tests replace it to cross a date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.errors import NotFound, ValidationError
from caseworker.domain.roles import Actor
from db.base import utcnow
from db.ids import stable_id
from db.models import DatedValue

SETTING = "setting"
CATALOGUE = "catalogue"
# The values a hub or workspace held before dated changes existed: in force "since ever"
# (migration 0023 writes them with this date).
SINCE_EVER = date(2000, 1, 1)


def today() -> date:
    """The day "now" is read as (one place, so a test can move it)."""
    return date.today()


def counts(entry: Entry, on: date | None) -> bool:
    """Whether `entry` decides the value on `on` (today) over the row it was made from. The
    entries migration 0023 made of the rows (`SINCE_EVER`) say what the row said then: they
    decide only a past day (a submission dated last week takes last week's price), never today
    or later, where the row is newer (a change made today wrote it too; a hub not yet
    upgraded may still send a newer row)."""
    return entry.effective_from > SINCE_EVER or (on is not None and on < today())


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    key: str
    value: Any  # a setting's value, or a catalogue item's changed fields (a dict)
    effective_from: date
    changed_by: str
    changed_at: datetime


def entry_id(kind: str, key: str, effective_from: date) -> str:
    return stable_id("dated_value", f"{kind}:{key}:{effective_from.isoformat()}")


def _entry(row: DatedValue) -> Entry | None:
    try:
        value = json.loads(row.value)
    except ValueError:  # a value no reader can use counts as no entry
        return None
    return Entry(
        row.id, row.kind, row.key, value, row.effective_from, row.changed_by, row.changed_at
    )


def history(session: Session, kind: str, key: str | None = None) -> list[Entry]:
    """Every live entry of `kind` (and `key`), oldest day first. A few per setting or item."""
    q = select(DatedValue).where(DatedValue.kind == kind, DatedValue.deleted_at.is_(None))
    if key is not None:
        q = q.where(DatedValue.key == key)
    q = q.order_by(DatedValue.key, DatedValue.effective_from)
    return [e for r in session.scalars(q) if (e := _entry(r)) is not None]


def in_force_all(session: Session, kind: str, on: date | None = None) -> dict[str, list[Entry]]:
    """Per key, its entries in force on `on` (today), oldest first: the last one is the value."""
    day = on or today()
    q = (
        select(DatedValue)
        .where(
            DatedValue.kind == kind,
            DatedValue.deleted_at.is_(None),
            DatedValue.effective_from <= day,
        )
        .order_by(DatedValue.key, DatedValue.effective_from)
    )
    out: dict[str, list[Entry]] = {}
    for row in session.scalars(q):
        if (e := _entry(row)) is not None:
            out.setdefault(e.key, []).append(e)
    return out


def in_force(session: Session, kind: str, key: str, on: date | None = None) -> Entry | None:
    """The newest entry of `key` in force on `on` (today); None: the key has none."""
    row = session.scalar(
        select(DatedValue)
        .where(
            DatedValue.kind == kind,
            DatedValue.key == key,
            DatedValue.deleted_at.is_(None),
            DatedValue.effective_from <= (on or today()),
        )
        .order_by(DatedValue.effective_from.desc())
        .limit(1)
    )
    return _entry(row) if row is not None else None


def pending(session: Session, kind: str, on: date | None = None) -> list[Entry]:
    """The changes of `kind` scheduled after `on` (today), by key then day."""
    q = (
        select(DatedValue)
        .where(
            DatedValue.kind == kind,
            DatedValue.deleted_at.is_(None),
            DatedValue.effective_from > (on or today()),
        )
        .order_by(DatedValue.key, DatedValue.effective_from)
    )
    return [e for r in session.scalars(q) if (e := _entry(r)) is not None]


def parse_day(text: str) -> date:
    """A day typed as YYYY-MM-DD (the command line's --effective); a clear refusal otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"生效日期应写成 YYYY-MM-DD（如 2027-01-01），收到“{text}”。未做任何改动。"
        ) from None


def effective_day(effective: date | None) -> date:
    """The day a change takes effect: today when not given; a past day is refused."""
    day = today()
    if effective is None:
        return day
    if effective < day:
        raise ValidationError(
            f"生效日期 {effective.isoformat()} 已经过去：只能从今天（{day.isoformat()}）"
            "或以后生效。未做任何改动。",
            field="effective",
        )
    return effective


def record(
    session: Session,
    actor: Actor,
    kind: str,
    key: str,
    value: Any,
    effective_from: date,
    *,
    merge: bool = False,
) -> Entry:
    """Write (or, for the same key and day, replace) one entry, journaled as `actor`. With
    `merge` (a catalogue item's fields), a live entry of the same day keeps the fields this
    one does not set: a new price and a retirement from the same day both apply."""
    rid = entry_id(kind, key, effective_from)
    row = session.get(DatedValue, rid)
    if merge and row is not None and row.deleted_at is None and isinstance(value, dict):
        found = _entry(row)
        if found is not None and isinstance(found.value, dict):
            value = {**found.value, **value}
    encoded = json.dumps(value, ensure_ascii=False, sort_keys=True)
    name = (actor.display_name or "")[:60]
    now = utcnow()
    if row is None:
        row = DatedValue(
            id=rid,
            kind=kind,
            key=key,
            value=encoded,
            effective_from=effective_from,
            changed_by=name,
            changed_at=now,
        )
        session.add(row)
    else:
        row.value, row.changed_by, row.changed_at = encoded, name, now
        if row.deleted_at is not None:
            row.deleted_at = None
    session.flush()
    return Entry(rid, kind, key, value, effective_from, name, now)


def cancel(session: Session, kind: str, key: str, effective_from: date) -> Entry:
    """Cancel a pending change (its tombstone travels); one already in force is refused."""
    # locked (PostgreSQL): of two clerks cancelling it at once, the second finds it cancelled
    row = session.get(DatedValue, entry_id(kind, key, effective_from), with_for_update=True)
    if row is None or row.deleted_at is not None:
        raise NotFound(
            f"没有 {effective_from.isoformat()} 起生效的“{key}”待生效修改（可能已被取消）。"
            "未做任何改动。"
        )
    if row.effective_from <= today():
        raise ValidationError(
            f"{effective_from.isoformat()} 起的修改已经生效，不能取消；"
            "如需改回，请设一个今天或以后生效的新值。未做任何改动。"
        )
    row.deleted_at = utcnow()
    session.flush()
    found = _entry(row)
    assert found is not None
    return found
