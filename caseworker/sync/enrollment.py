"""The enrollment file the district gives a new office (on a stick, with a passphrase told aloud).

    MAGIC | u32 length | document (canonical JSON) | Ed25519 signature by the district

The document carries the district's identity and public keys, the office's identity and its key
pair sealed under a key derived (scrypt) from the passphrase, and the journal changes that create
the office, its communities and the district settings. The passphrase box is bound to both
identities, so a file with a swapped district key cannot be opened with the right passphrase.
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseworker.domain.errors import os_reason
from caseworker.sync import crypto
from caseworker.sync.bundle import loads_bounded
from caseworker.sync.errors import SyncRefused

MAGIC = b"CWENROLL\n"
FORMAT = 1
_WORDS = "23456789abcdefghjkmnpqrstuvwxyz"


def new_passphrase() -> str:
    """Four groups of four characters, easy to read aloud (no 0/o/1/l/i)."""
    return "-".join("".join(secrets.choice(_WORDS) for _ in range(4)) for _ in range(4))


@dataclass(frozen=True)
class Enrollment:
    district: dict[str, str]
    office: dict[str, str]
    existing: bool
    changes: list[list[Any]]
    keys: crypto.KeyPair
    schema: str


def _bound(district: dict[str, str], office: dict[str, str]) -> bytes:
    return crypto.canonical({"district": district, "office": office})


def build(
    district_keys: crypto.KeyPair,
    district: dict[str, str],
    office: dict[str, str],
    office_keys: crypto.KeyPair,
    *,
    existing: bool,
    changes: list[list[Any]],
    passphrase: str,
    schema: str,
) -> bytes:
    doc = {
        "format": FORMAT,
        "schema": schema,
        "district": district,
        "office": office,
        "existing": existing,
        "secret": crypto.passphrase_protect(
            office_keys.private_bytes(), passphrase, _bound(district, office)
        ),
        "changes": changes,
    }
    body = crypto.canonical(doc)
    return MAGIC + struct.pack(">I", len(body)) + body + crypto.sign(district_keys, MAGIC + body)


MAX_FILE = 64 * 1024 * 1024
DAMAGED = "登记文件不完整或已损坏，未做任何改动。"
_PEER_KEYS = {
    "district": ("device_id", "name", "sign_pub", "box_pub"),
    "office": ("device_id", "code", "name", "sign_pub", "box_pub"),
}


def read(path: Path, passphrase: str, known_schemas: set[str]) -> Enrollment:
    """Read and check an enrollment file; every malformed part is refused (SyncRefused) with
    one message, before any of it is used."""
    try:
        path = Path(path)
        if path.stat().st_size > MAX_FILE:
            raise SyncRefused(DAMAGED)
        data = path.read_bytes()
    except OSError as exc:
        raise SyncRefused(f"无法读取登记文件 {path}：{os_reason(exc)}。") from None
    if not data.startswith(MAGIC):
        raise SyncRefused("这不是工作台的登记文件，未做任何改动。")
    try:
        (n,) = struct.unpack_from(">I", data, len(MAGIC))
        body = data[len(MAGIC) + 4 : len(MAGIC) + 4 + n]
        sig = data[len(MAGIC) + 4 + n :]
        if len(body) != n or len(sig) != 64:
            raise ValueError
        doc = loads_bounded(body)
    except (struct.error, ValueError, UnicodeDecodeError, RecursionError):
        raise SyncRefused(DAMAGED) from None
    if not isinstance(doc, dict):
        raise SyncRefused(DAMAGED)
    fmt = doc.get("format")
    if type(fmt) is not int or fmt > FORMAT:
        raise SyncRefused("登记文件的格式比本程序新，请先升级工作台。未做任何改动。")
    if not isinstance(doc.get("schema"), str) or doc["schema"] not in known_schemas:
        raise SyncRefused("登记文件来自更新版本的区级平台，请先升级工作台。未做任何改动。")
    district, office = doc.get("district"), doc.get("office")
    for name, part in (("district", district), ("office", office)):
        if not isinstance(part, dict) or not all(
            isinstance(part.get(k), str) and 0 < len(part[k]) <= 200 for k in _PEER_KEYS[name]
        ):
            raise SyncRefused(DAMAGED)
    if not isinstance(doc.get("existing"), bool) or not isinstance(doc.get("changes"), list):
        raise SyncRefused(DAMAGED)
    assert isinstance(district, dict) and isinstance(office, dict)
    if not crypto.verify(district["sign_pub"], sig, MAGIC + body):
        raise SyncRefused("登记文件的签名不对（文件已被改动），未做任何改动。")
    raw = crypto.passphrase_unprotect(doc.get("secret"), passphrase, _bound(district, office))
    try:
        keys = crypto.KeyPair.from_private_bytes(raw)
    except ValueError:
        raise SyncRefused(DAMAGED) from None
    if keys.sign_pub != office["sign_pub"] or keys.box_pub != office["box_pub"]:
        raise SyncRefused("登记文件中的密钥不一致，未做任何改动。")
    return Enrollment(district, office, doc["existing"], doc["changes"], keys, doc["schema"])
