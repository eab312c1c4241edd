"""Password hashing with scrypt (memory-hard, standard library) and constant-time checking.

Each hash carries its own parameters (`scrypt$N$r$p$salt$digest`), so the cost can be raised
later: a login with a hash made at a lower cost is re-hashed at the current one
(`needs_rehash`). Only parameters from a fixed set are ever run: a doctored hash in a restored
file cannot make a login take minutes or gigabytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

# n=2**15, r=8 takes 32 MiB and about 0.1 s on this project's 2-core test machine, about
# 0.2 s on an office PC: slow for guessing, unnoticed at a login. Raised from 2**14 (2026-11).
N, R, P = 2**15, 8, 1

# What a stored hash may ask for. Older hashes (2**14) still verify and are upgraded on login.
ALLOWED_N = frozenset({2**14, 2**15, 2**16, 2**17})
ALLOWED_R = frozenset({8})
ALLOWED_P = frozenset({1})
_MAXMEM = 2**28  # 128 * r * n for the largest allowed n, with room


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32, maxmem=_MAXMEM)
    b64 = base64.b64encode
    return f"scrypt${N}${R}${P}${b64(salt).decode()}${b64(digest).decode()}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt" or not (n.isdigit() and r.isdigit() and p.isdigit()):
            return None
        params = int(n), int(r), int(p)
        if params[0] not in ALLOWED_N or params[1] not in ALLOWED_R or params[2] not in ALLOWED_P:
            return None
        raw_salt = base64.b64decode(salt, validate=True)
        raw_digest = base64.b64decode(digest, validate=True)
    except (ValueError, TypeError, binascii.Error):
        return None
    if not 8 <= len(raw_salt) <= 64 or not 16 <= len(raw_digest) <= 64:
        return None
    return (*params, raw_salt, raw_digest)


def verify_password(password: str, stored: str) -> bool:
    parsed = _parse(stored or "")
    if parsed is None:
        return False
    n, r, p, salt, expected = parsed
    actual = hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=len(expected), maxmem=_MAXMEM
    )
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str) -> bool:
    """True when a (valid) hash was made with other parameters than today's."""
    parsed = _parse(stored or "")
    return parsed is not None and parsed[:3] != (N, R, P)
