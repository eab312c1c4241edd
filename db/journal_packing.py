"""Compact storage of the journal's JSON values: raw deflate with a preset dictionary.

A journal insert row carries every value of the new record as a JSON object (a visit's is about
850 bytes, most of it the same thirty field names and a dozen stock answers). Stored with
`PackedJson` it is deflated against `DICTIONARY_1`: the field names and typical values of every
journaled table, so a visit's values take about 180 bytes. Packing is lossless and needs no
knowledge of the table: reading gives back exactly the JSON text that was written, so services,
sync and bundles see the journal as before (bundles carry the plain JSON).

Stored forms, told apart by the first byte:
- text (SQLite) or UTF-8 bytes (PostgreSQL): plain JSON, as rows written before migration 0013
  and short values (JSON text never starts with byte 0x01);
- bytes starting with 0x01: raw deflate of the UTF-8 JSON with `DICTIONARY_1`.

`DICTIONARY_1` must never change: rows packed with it are read with it for ever. A better
dictionary gets a new leading byte (0x02) beside it.

The journal's ids, clock and time are stored compactly too (migration 0025): `PackedId` (a UUID
as its 16 bytes), `PackedHlc` (the clock as an order-preserving integer), `PackedTime` (integer
microseconds). The `*_to_disk` / `*_from_disk` functions below are the only encodings: the column
types call them, and so does every raw-SQL reader and writer of the journal.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    literal_column,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

# Built once from a synthetic demo workspace (names, phones and ids blanked); the most frequent
# tables last, nearest to the data (deflate's distances are cheaper there).
DICTIONARY_1 = """\
{"name": "", "name_pinyin": "", "name_letters": "", "id_number": "", "birth_date": "2016-08-27", "sex": "男", "community_id": null, "address": "", "phone": "", "school": "文化小学", "grade": "", "living_arrangement": "与其他亲属同住", "categories": "", "categories_note": "", "registered_on": "2026-05-14", "status": "在册", "status_date": null, "director_staff_id": null, "notes": null, "deleted_at": null}
{"child_id": null, "step": "发现报告", "urgent": false, "urgent_reasons": "", "source": "邻居/群众", "reported_on": "2026-11-26", "reporter": "匿名", "seen_text": null, "verified_on": null, "verify_notes": "", "assessed_on": null, "risk": "", "needs": "", "assessment_notes": "", "planned_on": null, "last_visit_on": null, "closed_on": null, "close_reason": "", "owner_staff_id": null, "opened_by": "", "deleted_at": null}
{"child_id": null, "guardian_id": null, "kind": "死亡", "start_on": "2024-06-12", "end_on": null, "ended_on": null, "ended_reason": "", "disability_kind": "", "disability_grade": null, "evidence_kind": "死亡证明", "evidence_issuer": "县医院", "evidence_number": "（2024）第100号", "evidence_date": "2024-06-15", "evidence_description": null, "recorded_by": "", "deleted_at": null}
{"office_id": null, "key_id": null, "district_pub": "", "district_wrap": "", "created_by": "", "deleted_at": null}
{"case_id": null, "kind": "心理介入", "description": null, "owner_staff_id": null, "owner_name": "", "due_on": "2026-10-27", "status": "待办", "outcome": "", "done_on": null, "deleted_at": null}
{"child_id": null, "staff_id": null, "staff_name": null, "role": null, "action": null, "viewed_at": null, "deleted_at": null}
{"child_id": null, "case_id": null, "visit_date": "2026-11-07", "method": "入户", "visitor_staff_id": null, "visitor_name": "", "child_seen": true, "safety_concern": false, "notes": null, "next_visit_on": null, "deleted_at": null}
{"office_id": null, "code": "", "name": "", "kind": "社区", "sort_order": 0, "active": true, "deleted_at": null}
{"visit_id": null, "field": null, "old_value": null, "new_value": null, "reason": null, "amended_by_id": null, "amended_by_name": null, "amended_at": null, "deleted_at": null}
{"code": "110105001", "name": "", "district_name": "", "phone": "", "address": "", "deleted_at": null}
{"case_id": null, "item_code": "R24", "part": "老年用品", "name": "", "unit": "根", "basic": true, "quantity_centi": 200, "unit_price_fen": 9000, "unit_cap_fen": 9000, "room": "客厅", "note": "", "sort_order": 1, "deleted_at": null}
{"case_no": "110105001-2026-0001", "community_id": null, "resident_id": null, "applicant_name": "", "id_number": "", "birth_date": "1941-03-10", "sex": "男", "phone": "", "address": "", "contact_name": "", "contact_phone": "", "categories": ",低保,", "eligible": true, "eligibility_reason": "低保家庭，基础项目由政府补贴", "step": "待资格审核", "applied_on": "2026-11-22", "application_note": "老人行动不便，卫生间湿滑，申请改造", "assessed_on": null, "assessed_by_id": null, "assessed_by_name": "", "assessment_note": "", "approved_on": null, "approved_by_name": "", "household_cap_fen": 0, "cost_fen": 0, "subsidy_fen": 0, "household_fen": 0, "contractor_id": null, "construction_start": null, "planned_end": null, "construction_done_on": null, "accepted_on": null, "accepted_by_name": "", "signed_by": "", "closed_on": null, "closed_reason": "", "deleted_at": null}
{"code": null, "part": null, "name": null, "unit": null, "basic": null, "price_fen": null, "cap_fen": null, "retired": null, "sort_order": null, "deleted_at": null}
{"office_id": null, "name": "", "contact_name": "", "phone": "", "licence_no": "JZ-2024-0117", "active": true, "deleted_at": null}
{"case_id": null, "item_id": null, "stage": "改造前", "sha256": null, "thumb_sha256": null, "width": 1200, "height": 900, "size_bytes": 14626, "taken_at": null, "original_name": "", "caption": null, "deleted_at": null}
{"key": null, "value": null, "deleted_at": null}
{"office_id": null, "username": "", "display_name": "", "role": "admin", "community_id": null, "phone": "", "password_hash": "<已隐去>", "must_change_password": false, "disabled": false, "deleted_at": null}
{"case_id": null, "action": "发现报告", "step_after": "发现报告", "on_date": "2026-11-26", "actor_name": "", "note": null, "deleted_at": null}
{"child_id": null, "relation": "父亲", "name": "", "name_letters": "", "id_number": "", "phone": "", "address": "", "lives_with_child": false, "is_guardian": false, "deleted_at": null}
{"case_id": null, "action": "申请", "from_step": "", "to_step": "待资格审核", "on": "2026-11-22", "at": "2026-11-29T17:40:12.209185", "actor_id": null, "actor_name": "", "note": "老人行动不便，卫生间湿滑，申请改造", "deleted_at": null}
{"visit_id": null, "resident_id": null, "target": "其他", "description": "卫生间地面湿滑，有跌倒风险", "due_on": "2026-05-02", "owner_staff_id": null, "owner_name": "", "status": "已办结", "outcome": "已协调解决", "closed_on": "2026-05-02", "deleted_at": null}
{"name": "", "name_pinyin": "", "name_letters": "", "id_number": "", "birth_date": "1927-09-01", "sex": "女", "phone": "", "address": "", "community_id": null, "assigned_staff_id": null, "categories": ",低收入,独居,", "living_arrangement": "独自居住", "health_notes": "", "supporter_name": "", "supporter_relation": "侄子", "supporter_phone": "", "emergency_name": "", "emergency_phone": "", "status": "在册", "status_date": null, "status_note": "", "tier": "重点", "tier_reason": "", "enrolled_on": "2025-05-07", "notes": "", "deleted_at": null}
{"resident_id": null, "visit_date": "2025-12-26", "visitors": "", "visitor_staff_id": null, "method": "入户", "status": "已完成", "completed_at": "2026-11-29T17:40:09.867995", "completed_by": "", "health_communication": "正常", "health_mobility": "自理", "health_reaction": "灵敏", "health_mental": "较差", "health_illness": "", "health_notes": "", "living_food": "有保障", "living_clothing": "不足", "living_housing": "安全", "living_medical_cost": "有困难", "living_benefits": "已按时领取", "living_notes": "", "family_contact": "偶尔", "family_notes": "", "safety_hazards": "无", "safety_notes": "", "needs_services": "无", "needs_notes": "", "problems": "", "actions": "", "next_visit_on": null, "deleted_at": null}
""".encode()
VERSION_1 = 0x01
MIN_PACKED = 64  # shorter values stay plain: a field's old and new value in an update row


# A compressor primed with the dictionary, copied for each value: priming a new one costs more
# than deflating a visit. An 8 KiB window (wbits 13) holds the whole dictionary and makes the copy
# cheap (20 µs a visit instead of 30, the same bytes out); any inflater with the dictionary reads it.
_PRIMED = zlib.compressobj(6, zlib.DEFLATED, -13, 5, zlib.Z_DEFAULT_STRATEGY, DICTIONARY_1)


def pack(text: str) -> str | bytes:
    """The stored form of one JSON value: deflated when that is shorter, else the text itself."""
    raw = text.encode()
    if len(raw) < MIN_PACKED:
        return text
    deflate = _PRIMED.copy()
    packed = bytes((VERSION_1,)) + deflate.compress(raw) + deflate.flush()
    return packed if len(packed) < len(raw) else text


def unpack(stored: str | bytes | memoryview | None) -> str | None:
    """The JSON text of a stored value, whichever form it was stored in."""
    if stored is None or isinstance(stored, str):
        return stored
    data = bytes(stored)
    if data[:1] == bytes((VERSION_1,)):
        inflate = zlib.decompressobj(-15, DICTIONARY_1)
        return (inflate.decompress(data[1:]) + inflate.flush()).decode()
    return data.decode()


class PackedJson(TypeDecorator[str]):
    """A JSON text column stored packed: TEXT on SQLite (a packed value is a BLOB in it),
    BYTEA on PostgreSQL. Reads and writes are plain `str` JSON for every caller."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(LargeBinary())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | bytes | None:
        if value is None:
            return None
        stored = pack(value)
        if isinstance(stored, str) and dialect.name == "postgresql":
            return stored.encode()
        return stored

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return unpack(value)


# --- The journal's identities, clock and time on disk (migration 0025) ---------------------------
#
# A journal row named four ids (change, transaction, device, person) as 36-character text, its
# clock as 22 characters and its time as 26: about 200 bytes of a row, most of the table. On disk
# they are now a 16-byte blob, a 64-bit integer and a 64-bit integer; every reader still sees the
# text and the datetime it always saw (the column types below convert), and bundles carry the
# text. Raw-SQL readers and writers of the journal call these same functions: one place for the
# encodings.


def id_to_disk(text: str) -> bytes:
    """The stored form of an id: a canonical UUID (lowercase, hyphenated: every id this program
    makes) as its 16 bytes, in the same order as its text; any other text (a crafted bundle's,
    a test's) as a zero byte and its UTF-8, never 16 bytes long, so the two never collide."""
    if len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-":
        compact = text.replace("-", "")
        try:
            raw = bytes.fromhex(compact)
        except ValueError:
            raw = b""
        # fromhex also takes capitals and spaces: only the exact lowercase text is a UUID here
        if len(raw) == 16 and raw.hex() == compact:
            return raw
    if "\x00" in text:  # PostgreSQL's text never held one: nor does this form
        raise ValueError("an id cannot contain a NUL character")
    raw = text.encode()
    return (b"\x00\x00" if len(raw) == 15 else b"\x00") + raw


def id_from_disk(stored: bytes | memoryview | str | None) -> str | None:
    """The text of a stored id, whichever form it was stored in (text: a row written before
    0025 by a raw writer that did not encode it)."""
    if stored is None or isinstance(stored, str):
        return stored
    data = bytes(stored)
    if len(data) == 16:
        h = data.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return data.lstrip(b"\x00").decode()


# A clock "WWWWWWWWWWWWWWW-CCCCCC" (caseworker.domain.hlc: 15-digit milliseconds, 6-digit counter)
# as the integer wall * 10**6 + counter: integer order is text order. It fits 64 bits until the
# year 2262; a later clock (a PC set centuries ahead) stays text on SQLite, where text sorts after
# every integer, so the order still holds. "" (what a peer never acknowledged) is -1: below every
# clock, as "" was below every text.
_HLC_MAX = 2**63 - 1


def hlc_to_disk(text: str) -> int | str:
    if text == "":
        return -1
    if len(text) == 22 and text[15] == "-" and text[:15].isdigit() and text[16:].isdigit():
        value = int(text[:15]) * 1_000_000 + int(text[16:])
        if value <= _HLC_MAX:
            return value
    return text


def hlc_from_disk(stored: int | str | None) -> str | None:
    if stored is None or isinstance(stored, str):
        return stored
    if stored < 0:
        return ""
    wall, counter = divmod(stored, 1_000_000)
    return f"{wall:015d}-{counter:06d}"


# A time as integer microseconds since 1970-01-01 (naive UTC, as the journal always held it).
EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)


def time_to_disk(value: datetime) -> int:
    return (value.replace(tzinfo=None) - EPOCH) // _MICRO


def time_from_disk(stored: int | str | None) -> datetime | None:
    if stored is None:
        return None
    if isinstance(stored, str):  # a row written before 0025 by a raw writer
        return datetime.fromisoformat(stored)
    return EPOCH + timedelta(microseconds=stored)


def time_text_to_disk(text: str) -> int:
    """A bundle's "YYYY-MM-DD HH:MM:SS.ffffff" (or ISO 8601) as stored."""
    return time_to_disk(datetime.fromisoformat(text))


def sqlite_time_text(column: Any) -> Any:
    """SQL giving a stored time back as "YYYY-MM-DD HH:MM:SS.ffffff", the text bundles carry,
    computed by SQLite itself (a Python strftime per row would cost an export seconds)."""
    c = type_coerce(column, Integer())
    return type_coerce(
        func.strftime("%Y-%m-%d %H:%M:%S", c / 1_000_000, literal_column("'unixepoch'"))
        + "."
        + func.printf("%06d", c % 1_000_000),
        String(),
    )


class PackedId(TypeDecorator[str]):
    """A text id stored as `id_to_disk` makes it: BLOB on SQLite, BYTEA on PostgreSQL."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else id_to_disk(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return id_from_disk(value)

    def process_literal_param(self, value: str | None, dialect: Dialect) -> str:
        return "NULL" if value is None else f"X'{id_to_disk(value).hex()}'"


class PackedHlc(TypeDecorator[str]):
    """A clock's text stored as an order-preserving integer (`hlc_to_disk`): BIGINT."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> int | str | None:
        if value is None:
            return None
        stored = hlc_to_disk(value)
        if isinstance(stored, str) and dialect.name == "postgresql":
            raise ValueError(f"时钟值无法保存：{value!r}")
        return stored

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return hlc_from_disk(value)


class PackedTime(TypeDecorator[datetime]):
    """A naive UTC datetime stored as integer microseconds since 1970: BIGINT."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        return None if value is None else time_to_disk(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return time_from_disk(value)
