"""Import the office's Excel roster (台账) into the elderly roster: preview, then apply.

`preview` reads the file and tells, without writing anything, how each column was understood,
each row's reading (normalised ID, birth date and sex from it, community matched) and what
would happen to it: new, update (field by field), unchanged, already on the roster (skipped or
marked for checking), duplicate within the file, rejected (with the reason) or skipped (blank,
合计 and note rows). `apply` does the same reading inside one write transaction and writes the
new and changed residents, journaled like any other change; importing the same file again
changes nothing and says so. `apply_file` takes the backup first. `save_report` writes the
row-level report as .xlsx with the rejected rows marked, ready to fix and import again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseworker.domain.elderly import (
    LIVING_ARRANGEMENTS,
    Category,
    Status,
    decode_categories,
    encode_categories,
    suggest_tier,
    with_derived,
)
from caseworker.domain.errors import ValidationError
from caseworker.domain.roles import Actor
from caseworker.domain.roster_columns import ELDERLY, read_categories
from caseworker.domain.tabular import (
    Cell,
    CellRefused,
    cell_date,
    cell_text,
    header_key,
    match_name,
    phone_text,
    split_words,
)
from caseworker.services.elderly import schedule
from caseworker.services.elderly._common import can_edit
from caseworker.services.elderly.roster import ResidentDraft, _check_fields, parse_roster_id
from caseworker.services.tabular import importing
from caseworker.services.tabular.applying import importer
from caseworker.services.tabular.headers import Layout
from caseworker.services.tabular.importing import Context, date_of, value
from caseworker.services.tabular.preview import (  # noqa: F401  (re-exported: the roster's names)
    COMMUNITY_SUFFIXES,
    POLICY_LABELS,
    REPORT_ONLY,
    ExistingPolicy,
    FieldChange,
    ImportOptions,
    ImportPreview,
    ImportResult,
    RowReading,
    RowStatus,
    SheetReading,
    save_report,
)
from db.base import table_of
from db.elderly import ElderlyResident
from db.ids import new_ids
from db.journal import insert_many
from db.models import Community

Progress = Callable[[int, int, str], None]
CHUNK = 2000  # new residents per insert_many (each one executemany)
DERIVED = frozenset({"name_pinyin", "name_letters"})  # follow the name; not a change to show
TEXT_FIELDS = (
    "name",
    "phone",
    "address",
    "living_arrangement",
    "health_notes",
    "supporter_name",
    "supporter_relation",
    "supporter_phone",
    "emergency_name",
    "emergency_phone",
    "notes",
)
LIVING_WORDS = {
    "独居": "独自居住",
    "独自居住": "独自居住",
    "与配偶": "与配偶同住",
    "夫妻同住": "与配偶同住",
    "与子女": "与子女同住",
    "与亲属": "与其他亲属同住",
    "保姆": "与保姆/护工同住",
    "护工": "与保姆/护工同住",
}


# -- reading ---------------------------------------------------------------------------------


def _communities(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(Community.name, Community.id).where(Community.deleted_at.is_(None))
    ).all()
    return {header_key(name): cid for name, cid in rows}


class _Reader(Context):
    """The roster as it stands, read once (no per-row queries): every ID number on it, the
    office's communities and the names the person gave them."""

    on_roster: dict[str, tuple[str, bool]]  # ID → (resident id, deleted)
    existing_rows: dict[str, ElderlyResident]
    chosen_communities: dict[str, str]  # header_key(a file's name) → community id
    held: list[Community]

    @classmethod
    def load(cls, session: Session, actor: Actor, options: ImportOptions, today: date) -> _Reader:
        ctx = cls.of(session, options, today)
        # Held so the rule checks' `session.get(Community, …)` find them in the (weak)
        # identity map instead of querying once per row.
        ctx.held = list(session.scalars(select(Community)))
        # a deleted community's name too: a resident on the roster may still be in it
        ctx.community_names = {c.id: c.name for c in ctx.held}
        R = table_of(ElderlyResident).c
        ctx.on_roster = {
            idn: (rid, deleted is not None)
            for idn, rid, deleted in session.execute(select(R.id_number, R.id, R.deleted_at))
        }
        ctx.existing_rows = {}
        ctx.chosen_communities = {}
        for text, cid in options.communities.items():
            if cid not in ctx.community_names:
                raise ValidationError(f"“{text}”对应的社区/村不是本街道的")
            ctx.chosen_communities[header_key(text)] = cid
        return ctx

    def community_of(self, text: str) -> str | None:
        chosen = self.chosen_communities.get(header_key(text))
        return chosen or match_name(text, self.community_ids, COMMUNITY_SUFFIXES)

    def load_existing(self, ids: Sequence[str]) -> None:
        ids = [i for i in ids if i not in self.existing_rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in self.session.scalars(
                select(ElderlyResident).where(ElderlyResident.id.in_(chunk))
            ):
                self.existing_rows[row.id] = row


def community_choices(
    session: Session,
    actor: Actor,
    pairs: dict[str, str],
    *,
    check: Callable[[Actor], None] = can_edit,
) -> dict[str, str]:
    """`ImportOptions.communities` from names: the file's name → the office community's name
    (as the command line takes them: `--community 一社区=和平里社区`). Shared by the three
    programmes' imports: `check` is the importing programme's own permission (a child
    supervisor may map the child register's sheets without the roster's right)."""
    check(actor)
    ids = _communities(session)
    out: dict[str, str] = {}
    for text, name in pairs.items():
        cid = match_name(name, ids, COMMUNITY_SUFFIXES)
        if cid is None:
            known = "、".join(
                sorted(n for n, _ in session.execute(select(Community.name, Community.id)))
            )
            raise ValidationError(f"“{name}”不是本街道的社区/村（现有：{known}）")
        out[text] = cid
    return out


def _read_row(  # noqa: C901
    reader: _Reader, who: importing.Person, layout: Layout, cells: list[Cell]
) -> RowReading:
    """The resident's own cells of a row whose person `importing.identity` read: the contact
    details, the categories, the living arrangement, the 登记日期."""
    reading, born_on, name = who.reading, who.born, who.reading.name
    community_id, rejected = who.community_id, who.rejected

    warnings = list(reading.warnings)
    values: dict[str, Any] = {}
    for f in TEXT_FIELDS:
        if f in layout.fields:
            cell = value(cells, layout, f)
            text = phone_text(cell) if f.endswith("phone") else cell_text(cell)
            if f == "living_arrangement" and text and text not in LIVING_ARRANGEMENTS:
                mapped_text = next((v for k, v in LIVING_WORDS.items() if k in text), None)
                if mapped_text is None:
                    warnings.append(f"居住情况“{text}”无法识别，未导入该项")
                text = mapped_text or ""
            values[f] = text
    values["name"] = name
    categories: frozenset[Category] | None = None
    if "categories" in layout.fields:
        words = split_words(value(cells, layout, "categories"))
        if words:
            categories, unknown = read_categories(words)
            if unknown:
                warnings.append(f"类别中“{'、'.join(unknown)}”无法识别，未导入该项")
    try:
        enrolled = date_of(cells, layout, "enrolled_on", "登记日期")
    except CellRefused as exc:
        return replace(rejected, reason=str(exc))
    if enrolled is not None:
        if enrolled > reader.today:
            return replace(rejected, reason=f"登记日期 {enrolled:%Y-%m-%d} 在今天之后")
        if enrolled < born_on:
            return replace(rejected, reason=f"登记日期 {enrolled:%Y-%m-%d} 早于出生日期")
    try:
        born = cell_date(value(cells, layout, "birth_date"))
    except CellRefused as exc:
        born = None
        warnings.append(f"出生日期：{exc}（以身份证号为准）")
    if born is not None:
        same = (
            (born.value.year, born.value.month) == (born_on.year, born_on.month)
            if born.month_only
            else born.value == born_on
        )
        if not same:
            warnings.append(
                f"出生日期 {cell_text(value(cells, layout, 'birth_date'))} 与身份证号"
                f"（{born_on:%Y-%m-%d}）不符，以身份证号为准"
            )

    draft = ResidentDraft(
        name=values.get("name", name),
        id_number=reading.id_number,
        community_id=community_id,
        phone=values.get("phone", ""),
        address=values.get("address", ""),
        categories=categories or frozenset(),
        living_arrangement=values.get("living_arrangement", ""),
        health_notes=values.get("health_notes", ""),
        supporter_name=values.get("supporter_name", ""),
        supporter_relation=values.get("supporter_relation", ""),
        supporter_phone=values.get("supporter_phone", ""),
        emergency_name=values.get("emergency_name", ""),
        emergency_phone=values.get("emergency_phone", ""),
        notes=values.get("notes", ""),
        enrolled_on=enrolled,
    )
    try:
        checked = _check_fields(reader.session, draft)
    except ValidationError as exc:
        return replace(rejected, reason=str(exc))
    # Only what the file gives counts: a blank cell never erases what the roster holds.
    given = {k: v for k, v in checked.items() if k in values and v != ""}
    given["name"] = checked["name"]
    # written with the name (sort order and pinyin search), never shown as a change of its own
    given["name_pinyin"], given["name_letters"] = checked["name_pinyin"], checked["name_letters"]
    given["community_id"] = community_id
    if categories is not None:
        given["categories"] = encode_categories(categories)
    if enrolled is not None:
        given["enrolled_on"] = enrolled
    return replace(reading, name=checked["name"], warnings=tuple(warnings), values=given)


def _classify(reader: _Reader, rows: list[RowReading]) -> list[RowReading]:
    """Each row read from the file against the roster as it is now: a person already on it
    (SAME, compared next), a deleted record (refused), or new."""
    out: list[RowReading] = []
    for r in rows:
        found = reader.on_roster.get(r.id_number) if r.status is RowStatus.NEW else None
        if found is None:
            out.append(r)
        elif found[1]:
            out.append(
                replace(
                    r,
                    status=RowStatus.REJECTED,
                    reason="该身份证号的台账记录已被删除，请联系管理员处理",
                    values=None,
                )
            )
        else:
            out.append(replace(r, status=RowStatus.SAME, resident_id=found[0]))
    return out


def _label(name: str) -> str:
    return ELDERLY.label_of(name)


def _shown(session_names: dict[str, str], key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "community_id":
        return session_names.get(value, "")
    if key == "categories":
        return "、".join(c.value for c in Category if c in decode_categories(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _compare(reader: _Reader, rows: list[RowReading]) -> list[RowReading]:
    """Field-by-field comparison of the rows already on the roster; status by the policy."""
    reader.load_existing([r.resident_id for r in rows if r.resident_id])
    policy = reader.options.policy
    out: list[RowReading] = []
    for r in rows:
        if r.status is not RowStatus.SAME or r.resident_id is None or r.values is None:
            out.append(r)
            continue
        existing = reader.existing_rows[r.resident_id]
        changes = tuple(
            FieldChange(
                key,
                _label("community" if key == "community_id" else key),
                _shown(reader.community_names, key, getattr(existing, key)),
                _shown(reader.community_names, key, value),
            )
            for key, value in r.values.items()
            if key not in DERIVED and getattr(existing, key) != value
        )
        out.append(importing.settled(r, changes, policy))
    return out


def _key(ctx: _Reader, actor: Actor) -> tuple[Any, ...]:
    """What a reading depends on besides the file and the office's communities: their names."""
    return ("elderly", tuple(sorted(ctx.community_names.items())))


def _settle(ctx: _Reader, rows: list[RowReading]) -> list[RowReading]:
    return _compare(ctx, _classify(ctx, rows))


_read = importing.reader(ELDERLY, _Reader.load, parse_roster_id, _read_row, _key, _settle)


def _write(
    session: Session,
    actor: Actor,
    result: ImportPreview,
    _: _Reader,
    day: date,
    progress: Progress | None,
) -> ImportResult:
    """The new and changed residents of `result` written in this transaction."""
    created = updated = 0
    todo = [r for r in result.rows if r.status in (RowStatus.NEW, RowStatus.UPDATE)]
    reader_rows: dict[str, ElderlyResident] = {}
    ids = [r.resident_id for r in todo if r.resident_id]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row in session.scalars(select(ElderlyResident).where(ElderlyResident.id.in_(chunk))):
            reader_rows[row.id] = row
    # New residents go in by `insert_many` (one executemany per CHUNK, journaled as a flush
    # would journal them) rather than as 20,000 ORM objects; changed ones through the ORM.
    new: list[dict[str, Any]] = []
    fresh = iter(new_ids(sum(1 for r in todo if r.status is RowStatus.NEW)))
    written: list[str] = []
    for n, r in enumerate(todo, start=1):
        assert r.values is not None
        if r.status is RowStatus.NEW:
            assert r.birth_date is not None
            values = dict(r.values)
            cats = with_derived(decode_categories(values.get("categories")), r.birth_date, day)
            values.setdefault("enrolled_on", day)
            rid = next(fresh)
            new.append(
                {
                    **values,
                    "id": rid,
                    "id_number": r.id_number,
                    "birth_date": r.birth_date,
                    "sex": r.sex,
                    "tier": suggest_tier(cats).tier.value,
                    "tier_reason": "",
                    "status": Status.ACTIVE.value,
                }
            )
            written.append(rid)
            created += 1
        else:
            assert r.resident_id is not None
            row = reader_rows[r.resident_id]
            for key, value in r.values.items():
                if getattr(row, key) != value:
                    setattr(row, key, value)
            if not row.tier_reason:
                cats = with_derived(decode_categories(row.categories), row.birth_date, day)
                suggested = suggest_tier(cats).tier.value
                if row.tier != suggested:
                    row.tier = suggested
            written.append(row.id)
            updated += 1
        if n % CHUNK == 0:
            insert_many(session, ElderlyResident, new)
            new = []
            session.flush()
            if progress is not None:
                progress(n, len(todo), f"正在写入第 {n} 人（共 {len(todo)} 人）")
    if todo:
        insert_many(session, ElderlyResident, new)
        session.flush()
        # the schedule of the residents written (the others' is as it was)
        schedule.recompute(session, written)
    return ImportResult(result, created, updated)


# Preview, back up, apply in one transaction: the face every 台账 import shares.
preview, apply, apply_file = importer(
    __name__, can_edit, _read, _write, "the new and changed residents"
)
