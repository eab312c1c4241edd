"""The bundle file: one file on the USB stick.

    MAGIC | u32 manifest length | manifest (JSON) | u16 signature length | Ed25519 signature |
    sealed payload (to the recipient's X25519 key)

The signature covers MAGIC and the manifest bytes; the manifest carries the sha256 and size of
the sealed payload, and the payload's AEAD binds the manifest too, so no byte can change
unnoticed. Files are written to a temporary name, flushed, renamed, then read back and compared.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caseworker.sync import crypto
from caseworker.sync.errors import SyncRefused

MAGIC = b"CWBUNDLE\n"
FORMAT = 1
MAX_MANIFEST = 4 * 1024 * 1024


@dataclass(frozen=True)
class RawBundle:
    manifest: dict[str, Any]
    manifest_bytes: bytes
    signature: bytes
    sealed: bytes


def encode_payload(payload: dict[str, Any]) -> bytes:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return zlib.compress(raw, 3)


def decode_payload(blob: bytes) -> dict[str, Any]:
    try:
        return json.loads(zlib.decompress(blob))
    except (zlib.error, ValueError):
        raise SyncRefused("数据包内容无法读取（格式错误），未做任何改动。") from None


def build(manifest: dict[str, Any], payload: bytes, keys: crypto.KeyPair, box_pub: str) -> bytes:
    """The bytes of a bundle; `manifest` gets the payload part's digest added."""
    sealed = crypto.seal(payload, box_pub, _aad(manifest))
    manifest = dict(manifest)
    manifest["parts"] = {
        "payload": {"sha256": hashlib.sha256(sealed).hexdigest(), "size": len(sealed)}
    }
    mbytes = crypto.canonical(manifest)
    sig = crypto.sign(keys, MAGIC + mbytes)
    return b"".join(
        [MAGIC, struct.pack(">I", len(mbytes)), mbytes, struct.pack(">H", len(sig)), sig, sealed]
    )


def write_verified(path: Path, data: bytes) -> None:
    """Temporary name, flush + fsync, rename, fsync the folder, read back and compare."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SyncRefused(
            f"无法写入 {path}：{exc.strerror}。请检查 U 盘是否已满或写保护。"
        ) from None
    _fsync_dir(path.parent)
    if hashlib.sha256(path.read_bytes()).digest() != hashlib.sha256(data).digest():
        raise SyncRefused(f"写入 {path} 后读回校验不一致，U 盘可能有问题。请换一个 U 盘再导出。")


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parse(data: bytes) -> RawBundle:
    """Split a bundle into its parts; refuse anything malformed. Does not check the signature."""
    if not data.startswith(MAGIC):
        raise SyncRefused("这不是工作台的数据包文件（文件头不对），未做任何改动。")
    pos = len(MAGIC)
    try:
        (mlen,) = struct.unpack_from(">I", data, pos)
        if mlen > MAX_MANIFEST or pos + 4 + mlen > len(data):
            raise ValueError
        mbytes = data[pos + 4 : pos + 4 + mlen]
        pos += 4 + mlen
        (slen,) = struct.unpack_from(">H", data, pos)
        sig = data[pos + 2 : pos + 2 + slen]
        if len(sig) != slen or slen != 64:
            raise ValueError
        sealed = data[pos + 2 + slen :]
        manifest = json.loads(mbytes)
        if not isinstance(manifest, dict):
            raise ValueError
    except (struct.error, ValueError):
        raise SyncRefused("数据包文件不完整或已损坏（可能没有拷贝完），未做任何改动。") from None
    return RawBundle(manifest, mbytes, sig, sealed)


def check_format(manifest: dict[str, Any], known_schemas: set[str]) -> None:
    fmt = manifest.get("format")
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise SyncRefused(
            f"数据包格式版本（{fmt}）比本程序新，请先升级工作台再导入。未做任何改动。"
        )
    schema = manifest.get("schema")
    if schema not in known_schemas:
        raise SyncRefused(
            f"数据包来自数据库版本 {schema} 的工作台，本程序不认识这个版本，请先升级。未做任何改动。"
        )


def check_parts(raw: RawBundle) -> None:
    part = (raw.manifest.get("parts") or {}).get("payload") or {}
    if part.get("size") != len(raw.sealed):
        raise SyncRefused("数据包长度与清单不符（文件被截断或拷贝不完整），未做任何改动。")
    if part.get("sha256") != hashlib.sha256(raw.sealed).hexdigest():
        raise SyncRefused("数据包校验和不符（内容已损坏或被改动），未做任何改动。")


def open_payload(raw: RawBundle, keys: crypto.KeyPair) -> dict[str, Any]:
    return decode_payload(crypto.open_sealed(raw.sealed, keys, _aad(raw.manifest)))


def _aad(manifest: dict[str, Any]) -> bytes:
    """The sealed payload is bound to its bundle id, sender and recipient."""
    bound = {k: manifest.get(k) for k in ("bundle_id", "sender", "recipient")}
    return hashlib.sha256(crypto.canonical(bound)).digest()
