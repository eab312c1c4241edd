"""Building, checking and recording bundles: the part shared by offices and the district hub.

A received bundle is checked in this order, and refused with a message at the first failure:
file shape → format and schema version → sender known → signature → recipient is us →
payload digest → decryption. Only then is anything read from the payload.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, String, func, insert, select, type_coerce, update

from caseworker.sync import bundle, crypto, merge
from caseworker.sync.errors import SyncCancelled, SyncRefused
from caseworker.sync.identity import Identity, Peer, peer
from db.base import utcnow
from db.ids import new_id
from db.models import JournalEntry
from db.schema import HEAD, known_revisions
from db.sync_models import SyncAck, SyncBundle

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
FETCH_CHUNK = 5000
# recorded_at travels as ISO 8601 with a space: the text SQLite already holds
TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class ExportResult:
    """A bundle written and verified on the stick (either direction)."""

    path: Path
    bundle_id: str
    changes: int
    counts: dict[str, int]

    @staticmethod
    def of(path: Path, manifest: dict[str, Any]) -> ExportResult:
        return ExportResult(path, manifest["bundle_id"], manifest["changes"], manifest["counts"])


@dataclass(frozen=True)
class Received:
    manifest: dict[str, Any]
    payload: dict[str, Any]
    sender: Peer
    already: bool  # this bundle id was imported before
    file_name: str


def fetch_changes(
    conn: Connection,
    where: Any,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> list[list[Any]]:
    """Journal rows matching `where`, in journal order, as lists in merge.COLUMNS order."""
    j = JournalEntry.__table__
    total = conn.execute(select(func.count()).select_from(j).where(where)).scalar() or 0
    cols: list[Any] = [j.c[name] for name in merge.COLUMNS]
    raw_text = conn.dialect.name == "sqlite"
    if raw_text:  # SQLite already stores "YYYY-MM-DD HH:MM:SS.ffffff": send it as it is
        cols[12] = type_coerce(j.c.recorded_at, String)
    out: list[list[Any]] = []
    result = conn.execute(select(*cols).where(where).order_by(j.c.seq))
    while True:
        if cancelled is not None and cancelled():
            raise SyncCancelled("已取消导出，没有写出任何文件。")
        part = result.fetchmany(FETCH_CHUNK)
        if not part:
            break
        if raw_text:
            out.extend(list(r) for r in part)
        else:
            for r in part:
                row = list(r)
                row[12] = row[12].strftime(TIME_FORMAT)
                out.append(row)
        if progress is not None:
            progress(len(out), total)
    return out


def make_bundle(
    me: Identity,
    to: Peer,
    changes: Sequence[Sequence[Any]],
    extras: dict[str, Any],
    *,
    created_ms: int,
    kind: str,
) -> tuple[bytes, dict[str, Any]]:
    counts = Counter(row[6] for row in changes)
    hlcs = [row[2] for row in changes]
    manifest = {
        "format": bundle.FORMAT,
        "schema": HEAD,
        "bundle_id": new_id(),
        "kind": kind,
        "sender": me.device_id,
        "sender_name": me.name,
        "sender_office": me.office_code,
        "recipient": to.device_id,
        "recipient_name": to.name,
        "created_ms": created_ms,
        "hlc_min": min(hlcs) if hlcs else "",
        "hlc_max": max(hlcs) if hlcs else "",
        "changes": len(changes),
        "counts": dict(sorted(counts.items())),
    }
    payload = bundle.encode_payload({"changes": list(changes), **extras})
    return bundle.build(manifest, payload, me.keys, to.box_pub), manifest


def record_sent(conn: Connection, manifest: dict[str, Any], file_name: str) -> None:
    conn.execute(
        insert(SyncBundle.__table__).values(
            bundle_id=manifest["bundle_id"],
            direction="sent",
            peer=manifest["recipient"],
            created_ms=manifest["created_ms"],
            recorded_at=utcnow(),
            changes=manifest["changes"],
            applied=0,
            conflicts=0,
            counts=json.dumps(manifest["counts"], ensure_ascii=False),
            hlc_min=manifest["hlc_min"],
            hlc_max=manifest["hlc_max"],
            file_name=file_name,
        )
    )


def receive(conn: Connection, me: Identity, path: Path) -> Received:
    """Read and check a bundle file; refuse it (SyncRefused) unless every check passes."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SyncRefused(f"无法读取 {path}：{exc.strerror}。") from None
    raw = bundle.parse(data)
    bundle.check_format(raw.manifest, known_revisions())
    m = raw.manifest
    for key in ("bundle_id", "sender", "recipient", "created_ms", "changes", "counts"):
        if key not in m:
            raise SyncRefused("数据包清单不完整，未做任何改动。")
    sender = peer(conn, str(m["sender"]))
    if sender is None or not sender.sign_pub:
        raise SyncRefused(
            f"数据包来自未登记的单位或设备（{m.get('sender_name', '?')}，"
            f"{str(m['sender'])[:8]}…），不能导入。未做任何改动。"
        )
    if not crypto.verify(sender.sign_pub, raw.signature, bundle.MAGIC + raw.manifest_bytes):
        raise SyncRefused(
            f"数据包签名不对：它不是由“{sender.name}”签发的，或者已被改动。未做任何改动。"
        )
    if m["recipient"] != me.device_id:
        raise SyncRefused(
            f"这个数据包是发给“{m.get('recipient_name', '?')}”的，不是发给本机（{me.name}）的。"
            "未做任何改动。"
        )
    bundle.check_parts(raw)
    payload = bundle.open_payload(raw, me.keys)
    if not isinstance(payload.get("changes"), list):
        raise SyncRefused("数据包内容格式不对，未做任何改动。")
    if len(payload["changes"]) != m["changes"]:
        raise SyncRefused("数据包中的变更条数与清单不符，未做任何改动。")
    t = SyncBundle.__table__
    already = (
        conn.execute(
            select(t.c.bundle_id).where(
                t.c.bundle_id == m["bundle_id"], t.c.direction == "received"
            )
        ).first()
        is not None
    )
    return Received(m, payload, sender, already, path.name)


def record_received(conn: Connection, rec: Received, result: merge.MergePlan) -> None:
    m = rec.manifest
    conn.execute(
        insert(SyncBundle.__table__).values(
            bundle_id=m["bundle_id"],
            direction="received",
            peer=m["sender"],
            created_ms=int(m["created_ms"]),
            recorded_at=utcnow(),
            changes=int(m["changes"]),
            applied=len(result.journal),
            conflicts=len(result.conflicts),
            counts=json.dumps(m["counts"], ensure_ascii=False),
            hlc_min=str(m.get("hlc_min", "")),
            hlc_max=str(m.get("hlc_max", "")),
            file_name=rec.file_name[:260],
        )
    )


def store_acks(conn: Connection, peer_id: str, vector: dict[str, str]) -> None:
    """Remember that `peer_id` holds every change of each origin up to the given clock."""
    t = SyncAck.__table__
    current = {
        r.origin: r.hlc
        for r in conn.execute(select(t.c.origin, t.c.hlc).where(t.c.peer == peer_id))
    }
    for origin, hlc in vector.items():
        if not isinstance(origin, str) or not isinstance(hlc, str):
            continue
        if origin not in current:
            conn.execute(insert(t).values(peer=peer_id, origin=origin, hlc=hlc))
        elif hlc > current[origin]:
            conn.execute(update(t).where(t.c.peer == peer_id, t.c.origin == origin).values(hlc=hlc))


def acks_of(conn: Connection, peer_id: str) -> dict[str, str]:
    t = SyncAck.__table__
    return {
        r.origin: r.hlc
        for r in conn.execute(select(t.c.origin, t.c.hlc).where(t.c.peer == peer_id))
    }


def have_vector(conn: Connection, devices: set[str] | None = None) -> dict[str, str]:
    """The greatest clock this replica holds per writing device."""
    j = JournalEntry.__table__
    q = select(j.c.device_id, func.max(j.c.hlc)).group_by(j.c.device_id)
    if devices is not None:
        q = q.where(j.c.device_id.in_(sorted(devices)))
    return {d: h for d, h in conn.execute(q)}


def mark_acknowledged(conn: Connection, bundle_ids: Sequence[str], peer_id: str) -> list[str]:
    """Sent bundles the peer reports as imported; returns those newly acknowledged."""
    t = SyncBundle.__table__
    ids = [b for b in bundle_ids if isinstance(b, str)]
    if not ids:
        return []
    newly = list(
        conn.execute(
            select(t.c.bundle_id).where(
                t.c.bundle_id.in_(ids),
                t.c.direction == "sent",
                t.c.peer == peer_id,
                t.c.acknowledged_at.is_(None),
            )
        ).scalars()
    )
    if newly:
        conn.execute(update(t).where(t.c.bundle_id.in_(newly)).values(acknowledged_at=utcnow()))
    return newly


def received_ids(conn: Connection, peer_id: str, limit: int = 500) -> list[str]:
    t = SyncBundle.__table__
    return list(
        conn.execute(
            select(t.c.bundle_id)
            .where(t.c.direction == "received", t.c.peer == peer_id)
            .order_by(t.c.recorded_at.desc())
            .limit(limit)
        ).scalars()
    )
