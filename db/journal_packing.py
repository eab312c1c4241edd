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
"""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import LargeBinary, Text
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
