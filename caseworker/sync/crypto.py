"""The cryptography of bundles, all from the `cryptography` package (no home-made primitives).

- Signatures: Ed25519 over the manifest (which carries the sha256 of the payload).
- Payload sealed to the recipient: ephemeral X25519 → HKDF-SHA256 → ChaCha20-Poly1305.
- Private keys at rest: ChaCha20-Poly1305 under a 32-byte key kept in a file beside (never
  inside) the database; in an enrollment file: under a key derived with scrypt from a passphrase.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from caseworker.domain.errors import os_reason
from caseworker.sync.errors import SyncRefused

_RAW = serialization.Encoding.Raw
_PUB = serialization.PublicFormat.Raw
_PRIV = serialization.PrivateFormat.Raw
_NOENC = serialization.NoEncryption()
SEAL_INFO = b"caseworker bundle payload v1"
SCRYPT_N = 2**15


@dataclass(frozen=True)
class KeyPair:
    """A replica's signing and encryption keys."""

    sign: Ed25519PrivateKey
    box: X25519PrivateKey

    @staticmethod
    def generate() -> KeyPair:
        return KeyPair(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @property
    def sign_pub(self) -> str:
        return self.sign.public_key().public_bytes(_RAW, _PUB).hex()

    @property
    def box_pub(self) -> str:
        return self.box.public_key().public_bytes(_RAW, _PUB).hex()

    def private_bytes(self) -> bytes:
        return self.sign.private_bytes(_RAW, _PRIV, _NOENC) + self.box.private_bytes(
            _RAW, _PRIV, _NOENC
        )

    @staticmethod
    def from_private_bytes(raw: bytes) -> KeyPair:
        if len(raw) != 64:
            raise ValueError("bad key material")
        return KeyPair(
            Ed25519PrivateKey.from_private_bytes(raw[:32]),
            X25519PrivateKey.from_private_bytes(raw[32:]),
        )


def sign(keys: KeyPair, data: bytes) -> bytes:
    return keys.sign.sign(data)


def verify(sign_pub_hex: str, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(sign_pub_hex)).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def seal_key(
    shared: bytes, eph_pub: bytes, recipient_pub: bytes, *, info: bytes = SEAL_INFO
) -> bytes:
    """The symmetric key of a sealed message: HKDF-SHA256 over the X25519 shared secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=eph_pub + recipient_pub, info=info
    ).derive(shared)


def seal(plaintext: bytes, recipient_box_pub_hex: str, aad: bytes) -> bytes:
    """Encrypt to the recipient's X25519 key: eph_pub(32) | nonce(12) | ciphertext."""
    recipient = bytes.fromhex(recipient_box_pub_hex)
    eph = X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes(_RAW, _PUB)
    key = seal_key(eph.exchange(X25519PublicKey.from_public_bytes(recipient)), eph_pub, recipient)
    nonce = os.urandom(12)
    return eph_pub + nonce + ChaCha20Poly1305(key).encrypt(nonce, plaintext, aad)


def open_sealed(blob: bytes, keys: KeyPair, aad: bytes) -> bytes:
    """Open what `seal` made for this key pair (refused when altered or not ours)."""
    if len(blob) < 44 + 16:
        raise SyncRefused("加密内容不完整（太短），未做任何改动。")
    eph_pub, nonce, ct = blob[:32], blob[32:44], blob[44:]
    own_pub = bytes.fromhex(keys.box_pub)
    key = seal_key(keys.box.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub, own_pub)
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ct, aad)
    except InvalidTag:
        raise SyncRefused("无法解密：它不是发给本机的，或者内容已被改动。未做任何改动。") from None


# -- private keys at rest ------------------------------------------------------------------------


def _key_file_error(path: Path, exc: OSError) -> SyncRefused:
    return SyncRefused(
        f"无法读写本机的同步密钥文件 {path}：{os_reason(exc)}。"
        "请检查工作区 keys 文件夹的权限。未做任何改动。"
    )


def key_file_exists(path: Path) -> bool:
    """Whether the key file is there; an unreadable keys/ folder is a Chinese refusal."""
    try:
        return path.exists()
    except OSError as exc:
        raise _key_file_error(path, exc) from None


def load_or_create_key_file(path: Path) -> bytes:
    """The 32-byte key that protects private keys stored in the database (created once)."""
    try:
        return _load_or_create_key_file(path)
    except OSError as exc:
        raise _key_file_error(path, exc) from None


def _load_or_create_key_file(path: Path) -> bytes:
    if path.exists():
        key = path.read_bytes()
        if len(key) != 32:
            raise SyncRefused(f"密钥文件 {path} 已损坏，无法读取本机的同步密钥。")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    return path.read_bytes()


def protect(secret: bytes, key: bytes, aad: bytes) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + ChaCha20Poly1305(key).encrypt(nonce, secret, aad)).decode()


def unprotect(sealed: str, key: bytes, aad: bytes) -> bytes:
    raw = base64.b64decode(sealed)
    try:
        return ChaCha20Poly1305(key).decrypt(raw[:12], raw[12:], aad)
    except InvalidTag:
        raise SyncRefused(
            "本机的同步密钥无法解开：密钥文件（keys/identity.key）与数据库不匹配。"
            "请找回原来的密钥文件，或请区里重新登记本街道。"
        ) from None


def _scrypt(passphrase: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(passphrase.encode("utf-8"))


def passphrase_protect(secret: bytes, passphrase: str, aad: bytes) -> dict[str, str | int]:
    salt, nonce = os.urandom(16), os.urandom(12)
    ct = ChaCha20Poly1305(_scrypt(passphrase, salt, SCRYPT_N)).encrypt(nonce, secret, aad)
    return {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "salt": salt.hex(),
        "nonce": nonce.hex(),
        "ct": base64.b64encode(ct).decode(),
    }


# The work factors a file may ask for: a crafted file cannot make scrypt run for minutes or
# take gigabytes (n = 2**22 costs 30 s and 4 GB), nor pass a nonsense value.
SCRYPT_ALLOWED_N = frozenset({2**14, 2**15, 2**16})


def passphrase_unprotect(box: object, passphrase: str, aad: bytes) -> bytes:
    refused = SyncRefused("登记口令不对，或登记文件已被改动。未做任何改动。")
    if not isinstance(box, dict) or box.get("kdf") != "scrypt":
        raise refused
    n = box.get("n")
    if type(n) is not int or n not in SCRYPT_ALLOWED_N:
        raise SyncRefused("登记文件要求的口令计算强度不在允许范围内，未做任何改动。")
    try:
        salt = bytes.fromhex(str(box["salt"]))
        nonce = bytes.fromhex(str(box["nonce"]))
        if len(salt) != 16 or len(nonce) != 12:
            raise ValueError
        key = _scrypt(passphrase, salt, n)
        return ChaCha20Poly1305(key).decrypt(nonce, base64.b64decode(str(box["ct"])), aad)
    except (InvalidTag, KeyError, ValueError, TypeError):
        raise refused from None


def canonical(obj: object) -> bytes:
    """Stable JSON bytes for signing."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
